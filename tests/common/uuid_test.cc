#include "common/uuid.h"

#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace msearch {
namespace {

TEST(NewUuid, VersionFourFormat) {
  // Version 4 sets the 13th hex digit to 4 and the variant digit to 8..b.
  const std::regex format("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 1000; ++i) {
    std::string uuid = NewUuid();
    ASSERT_EQ(uuid.size(), 36u) << uuid;
    ASSERT_TRUE(std::regex_match(uuid, format)) << uuid;
  }
}

TEST(NewUuid, Unique) {
  std::set<std::string> seen;
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(seen.insert(NewUuid()).second);
}

TEST(NewUuid, UniqueAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10000;
  std::vector<std::vector<std::string>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&results, t] {
      for (int i = 0; i < kPerThread; ++i) results[t].push_back(NewUuid());
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<std::string> seen;
  for (const auto& list : results) seen.insert(list.begin(), list.end());
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace msearch
