// A fresh, empty directory for the running GoogleTest test: unique per process and test name, so
// tests of one binary run in parallel by ctest never share one.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <unistd.h>

#include <gtest/gtest.h>

namespace nbs::test_support {

inline std::filesystem::path fresh_test_dir(std::string_view prefix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = std::filesystem::temp_directory_path() /
             (std::string(prefix) + "-" + std::to_string(::getpid()) + "-" + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace nbs::test_support
