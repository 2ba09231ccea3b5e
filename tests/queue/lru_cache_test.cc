#include "queue/lru_cache.h"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace msearch::queue {
namespace {

TEST(LruCacheTest, EvictsLeastRecentlyUsed) {
  LruCache<std::string, int> cache(3);
  cache.Put("a", 1);
  cache.Put("b", 2);
  cache.Put("c", 3);
  ASSERT_EQ(cache.Get("a"), 1);  // order now a, c, b

  cache.Put("d", 4);
  EXPECT_FALSE(cache.Contains("b"));
  cache.Put("e", 5);
  EXPECT_FALSE(cache.Contains("c"));

  EXPECT_EQ(cache.Size(), 3u);
  EXPECT_EQ(cache.Get("a"), 1);
  EXPECT_EQ(cache.Get("d"), 4);
  EXPECT_EQ(cache.Get("e"), 5);
  EXPECT_EQ(cache.Get("b"), std::nullopt);
}

TEST(LruCacheTest, PutRefreshesExistingEntry) {
  LruCache<std::string, int> cache(2);
  cache.Put("a", 1);
  cache.Put("b", 2);
  cache.Put("a", 10);  // replaces, and makes b the oldest
  cache.Put("c", 3);
  EXPECT_EQ(cache.Get("a"), 10);
  EXPECT_FALSE(cache.Contains("b"));
  EXPECT_EQ(cache.Size(), 2u);
}

TEST(LruCacheTest, ContainsDoesNotRefresh) {
  LruCache<int, int> cache(2);
  cache.Put(1, 1);
  cache.Put(2, 2);
  EXPECT_TRUE(cache.Contains(1));
  cache.Put(3, 3);
  EXPECT_FALSE(cache.Contains(1));
  EXPECT_TRUE(cache.Contains(2));
}

TEST(LruCacheTest, ZeroCapacityStoresNothing) {
  LruCache<int, int> cache(0);
  cache.Put(1, 1);
  EXPECT_EQ(cache.Size(), 0u);
  EXPECT_EQ(cache.Get(1), std::nullopt);
}

TEST(LruCacheTest, EraseAndEraseIf) {
  LruCache<int, int> cache(10);
  for (int i = 0; i < 10; ++i) cache.Put(i, i * i);
  EXPECT_TRUE(cache.Erase(3));
  EXPECT_FALSE(cache.Erase(3));
  EXPECT_EQ(cache.EraseIf([](int key, int) { return key % 2 == 0; }), 5u);
  EXPECT_EQ(cache.Size(), 4u);
  for (int key : {1, 5, 7, 9}) EXPECT_EQ(cache.Get(key), key * key);
  cache.Clear();
  EXPECT_EQ(cache.Size(), 0u);
}

TEST(LruCacheTest, ConcurrentUseKeepsCapacity) {
  LruCache<int, int> cache(64);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 20000; ++i) {
        int key = (i * 7 + t) % 200;
        cache.Put(key, key + 1);
        std::optional<int> value = cache.Get((key + 13) % 200);
        if (value) {
          EXPECT_EQ(*value, (key + 13) % 200 + 1);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(cache.Size(), 64u);
}

}  // namespace
}  // namespace msearch::queue
