#include "jobs/local/file_record_store.hpp"

#include <atomic>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

namespace nbs::jobs {
namespace {

namespace fs = std::filesystem;

class FileRecordStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nbs-store-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    store_ = *FileRecordStore::open(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::unique_ptr<FileRecordStore> store_;
};

TEST_F(FileRecordStoreTest, CheckAndSetCreatesUpdatesAndRefusesStaleWrites) {
  EXPECT_FALSE(*store_->get("jobs/a"));
  auto first = store_->put("jobs/a", "{\"v\":1}", 0);
  ASSERT_TRUE(first);
  EXPECT_EQ(store_->put("jobs/a", "{\"v\":2}", 0).error().kind, ErrorKind::conflict);  // create-only
  auto second = store_->put("jobs/a", "{\"v\":2}\nwith a newline", *first);
  ASSERT_TRUE(second);
  EXPECT_EQ(store_->put("jobs/a", "{\"v\":3}", *first).error().kind, ErrorKind::conflict);  // stale
  auto got = *store_->get("jobs/a");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->value, "{\"v\":2}\nwith a newline");
  EXPECT_EQ(got->index, *second);
  EXPECT_EQ(store_->remove("jobs/a", *first).error().kind, ErrorKind::conflict);
  EXPECT_TRUE(store_->remove("jobs/a", *second));
  EXPECT_FALSE(*store_->get("jobs/a"));
  EXPECT_TRUE(store_->remove("jobs/a", 7));  // already gone
}

TEST_F(FileRecordStoreTest, ListsKeysByPrefixAndRejectsEscapingKeys) {
  ASSERT_TRUE(store_->put("jobs/b", "1", 0));
  ASSERT_TRUE(store_->put("jobs/a", "1", 0));
  ASSERT_TRUE(store_->put("locks/x", "1", 0));
  EXPECT_EQ(*store_->list("jobs/"), (std::vector<std::string>{"jobs/a", "jobs/b"}));
  EXPECT_EQ(store_->list("")->size(), 3u);
  for (const char* bad : {"../x", "jobs/../../x", "/abs", "a//b", "a/b c", ""}) {
    EXPECT_EQ(store_->put(bad, "x", 0).error().kind, ErrorKind::invalid_argument) << bad;
  }
}

TEST_F(FileRecordStoreTest, ConcurrentWritersNeverBothWin) {
  ASSERT_TRUE(store_->put("counter", "0", 0));
  std::vector<std::thread> threads;
  std::atomic<int> wins{0};
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto cur = *store_->get("counter");
        const int n = std::stoi(cur->value);
        if (store_->put("counter", std::to_string(n + 1), cur->index)) {
          ++wins;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(std::stoi((*store_->get("counter"))->value), wins.load());
}

// Readers take no lock (they would wait for the writers' fsync): each read must still be one whole
// version, its index matching its value, while a writer replaces the record as fast as it can.
TEST_F(FileRecordStoreTest, AReaderSeesOneWholeVersionWhileTheRecordIsRewritten) {
  const auto value_of = [](std::uint64_t index) {
    return std::string(std::size_t{64} * 1024, static_cast<char>('a' + index % 26));
  };
  ASSERT_TRUE(store_->put("jobs/r", value_of(1), 0));
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (std::uint64_t index = 1; index < 60; ++index) {
      ASSERT_TRUE(store_->put("jobs/r", value_of(index + 1), index));
    }
    done = true;
  });
  int reads = 0;
  while (!done || reads == 0) {
    auto got = store_->get("jobs/r");
    ASSERT_TRUE(got && *got) << "a read failed or found no record mid-rewrite";
    ASSERT_EQ((*got)->value, value_of((*got)->index)) << "read " << reads << " mixed two versions";
    ++reads;
  }
  writer.join();
}

}  // namespace
}  // namespace nbs::jobs
