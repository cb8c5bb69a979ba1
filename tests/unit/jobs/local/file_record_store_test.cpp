#include "jobs/local/file_record_store.hpp"

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

}  // namespace
}  // namespace nbs::jobs
