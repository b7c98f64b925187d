#include "chat/page_cache.hpp"

#include <gtest/gtest.h>

namespace parley::chat {
namespace {

PageCache::Page page(std::string text) { return std::make_shared<const std::string>(std::move(text)); }

const PageKey kLatest{-1, -1, 50};

TEST(PageCache, FindsWhatWasPutForThatConversationAndQuery) {
  PageCache cache;
  cache.put(1, cache.generation(1), kLatest, page("p1"));
  ASSERT_NE(cache.find(1, kLatest), nullptr);
  EXPECT_EQ(*cache.find(1, kLatest), "p1");
  EXPECT_EQ(cache.find(1, PageKey{-1, -1, 20}), nullptr) << "another limit is another page";
  EXPECT_EQ(cache.find(1, PageKey{40, -1, 50}), nullptr) << "another cursor is another page";
  EXPECT_EQ(cache.find(2, kLatest), nullptr) << "another conversation";
}

TEST(PageCache, InvalidateDropsEveryPageOfTheConversation) {
  PageCache cache;
  cache.put(1, cache.generation(1), kLatest, page("latest"));
  cache.put(1, cache.generation(1), PageKey{40, -1, 50}, page("older"));
  cache.put(2, cache.generation(2), kLatest, page("other"));
  cache.invalidate(1);
  EXPECT_EQ(cache.find(1, kLatest), nullptr);
  EXPECT_EQ(cache.find(1, PageKey{40, -1, 50}), nullptr);
  EXPECT_NE(cache.find(2, kLatest), nullptr) << "other conversations keep theirs";
}

TEST(PageCache, APageReadBeforeAChangeIsNotStoredAfterIt) {
  PageCache cache;
  const auto before = cache.generation(7);  // a reader takes the generation, then reads the store
  cache.invalidate(7);                      // a message commits meanwhile
  cache.put(7, before, kLatest, page("stale"));
  EXPECT_EQ(cache.find(7, kLatest), nullptr);
  cache.put(7, cache.generation(7), kLatest, page("fresh"));
  EXPECT_EQ(*cache.find(7, kLatest), "fresh");
}

TEST(PageCache, ReplacesTheSamePageAndKeepsAFewPerConversation) {
  PageCache cache;
  for (int i = 0; i < 3; ++i) cache.put(3, cache.generation(3), kLatest, page("v" + std::to_string(i)));
  EXPECT_EQ(*cache.find(3, kLatest), "v2");
  for (int before = 100; before < 110; ++before)
    cache.put(3, cache.generation(3), PageKey{before, -1, 50}, page("b"));
  int kept = 0;
  for (int before = 100; before < 110; ++before) kept += cache.find(3, PageKey{before, -1, 50}) != nullptr;
  EXPECT_GE(kept, 1);
  EXPECT_LE(kept, 4) << "a conversation holds a few pages, not every cursor";
}

TEST(PageCache, StaysWithinItsByteBudget) {
  PageCache cache(16 * 1024);  // 1 KiB per shard
  const std::string kb(600, 'x');
  for (Id c = 0; c < 1000; ++c) cache.put(c, cache.generation(c), kLatest, page(kb));
  int kept = 0;
  for (Id c = 0; c < 1000; ++c) kept += cache.find(c, kLatest) != nullptr;
  EXPECT_GE(kept, 16) << "the newest of each shard survives";
  EXPECT_LE(kept, 32) << "one 600-byte page per 1 KiB shard, give or take the newest";
  EXPECT_NE(cache.find(999, kLatest), nullptr) << "the newest entry is kept";
}

TEST(PageCache, APageLargerThanAShardIsNotCached) {
  PageCache cache(16 * 1024);
  cache.put(1, cache.generation(1), kLatest, page(std::string(2048, 'x')));
  EXPECT_EQ(cache.find(1, kLatest), nullptr);
}

}  // namespace
}  // namespace parley::chat
