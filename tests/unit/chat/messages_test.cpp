#include "chat/messages.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include <algorithm>
#include <boost/json/parse.hpp>

#include "chat/chat_fixture.hpp"

namespace parley::chat {
namespace {

using testing::ChatWorld;
using testing::FaultyStore;
using testing::ChatOptions;

struct Room {
  ChatWorld& world;
  Id alice = world.user("alice");
  Id bob = world.user("bob");
  Id carol = world.user("carol");
  Id conversation = world.group(alice, {bob});
};

TEST(Messages, ASendIsDeliveredToTheMembersWithTheIdOfTheirList) {
  ChatWorld world;
  Room room{world};
  world.recorder.clear();
  auto sent = world.send(room.alice, room.conversation, "hello", "cm-1");
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_TRUE(sent->created);
  EXPECT_EQ(sent->message.seq, 1);
  const auto deliveries = world.recorder.deliveries("new_message");
  ASSERT_EQ(deliveries.size(), 1u);
  const auto& d = deliveries[0];
  EXPECT_EQ(d.audience, cluster::Delivery::Audience::members);
  EXPECT_EQ(d.conversation_id, room.conversation);
  EXPECT_EQ(d.seq, 1);
  EXPECT_EQ(*d.payload, *sent->json) << "rendered once, shared by the ack and the delivery";
  ASSERT_TRUE(d.user_ids);
  EXPECT_EQ(*d.user_ids, (std::vector<Id>{std::min(room.alice, room.bob), std::max(room.alice, room.bob)}));
  EXPECT_EQ(d.members_digest, cluster::members_digest(*d.user_ids));
  bool pages_voided = false;
  for (const auto& i : world.recorder.invalidations())
    pages_voided |= i.cache == cluster::Invalidation::Cache::history_pages && i.id == room.conversation;
  EXPECT_TRUE(pages_voided);

  auto repeat = world.send(room.alice, room.conversation, "hello again", "cm-1");
  ASSERT_TRUE(repeat.ok());
  EXPECT_FALSE(repeat->created);
  EXPECT_EQ(repeat->message.id, sent->message.id);
  EXPECT_EQ(world.recorder.deliveries("new_message").size(), 1u) << "a repeat is not broadcast";
}

TEST(Messages, RefusalsAreTheirErrors) {
  ChatWorld world;
  Room room{world};
  EXPECT_EQ(world.send(room.carol, room.conversation, "x").error().kind, ErrorKind::not_found) << "not a member";
  EXPECT_EQ(world.messages.send(room.alice, {"nope", "x", "c"}).error().kind, ErrorKind::not_found);
  EXPECT_EQ(world.messages.send(room.alice, {"424242", "x", "c"}).error().kind, ErrorKind::not_found);
  EXPECT_EQ(world.send(room.alice, room.conversation, "  ").error().code, "invalid_body");
  EXPECT_EQ(world.messages.send(room.alice, {id_to_string(room.conversation), "x", ""}).error().code,
            "invalid_client_msg_id");
  EXPECT_TRUE(world.recorder.deliveries("new_message").empty());
}

TEST(Messages, AStoreOutageIsUnavailableAndDeliversNothing) {
  ChatWorld world;
  Room room{world};
  world.store().fail_always(FaultyStore::reads());  // the member list is not cached yet
  auto unread = world.send(room.alice, room.conversation, "x");
  ASSERT_FALSE(unread.ok());
  EXPECT_EQ(unread.error().kind, ErrorKind::unavailable) << "not not_found: nobody was found not to be a member";
  world.store().heal();
  world.store().fail_always(FaultyStore::writes());
  auto unwritten = world.send(room.alice, room.conversation, "x");
  ASSERT_FALSE(unwritten.ok());
  EXPECT_EQ(unwritten.error().kind, ErrorKind::unavailable);
  std::optional<Result<Sent>> async;
  world.messages.send_async(room.alice, {id_to_string(room.conversation), "y", "cm-async"},
                             [&](Result<Sent> r) { async = std::move(r); });
  ASSERT_TRUE(async);
  EXPECT_EQ(async->error().kind, ErrorKind::unavailable);
  EXPECT_TRUE(world.recorder.deliveries("new_message").empty());
  world.store().heal();
  EXPECT_TRUE(world.send(room.alice, room.conversation, "x").ok()) << "and works again after";
}

TEST(Messages, RestAndSocketSendsShareOneLimit) {
  ChatWorld world(ChatOptions{.send_burst = 3, .send_per_second = 2});
  Room room{world};
  EXPECT_TRUE(world.send(room.alice, room.conversation, "1").ok());
  testing::Answer<Sent> async;
  world.messages.send_async(room.alice, {id_to_string(room.conversation), "2", "cm-2"}, async.done());
  // The first socket send of a conversation loads its member list on a worker
  // (offloaded inline here), then appends; the store completes on its thread.
  ASSERT_TRUE(async.wait() && async.result->ok());
  EXPECT_TRUE(world.send(room.alice, room.conversation, "3").ok());
  auto limited = world.send(room.alice, room.conversation, "4");
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().kind, ErrorKind::rate_limited);
  EXPECT_EQ(limited.error().code, "rate_limited");
  EXPECT_EQ(limited.error().retry_after_ms, 500);
  std::optional<Result<Sent>> refused;
  world.messages.send_async(room.alice, {id_to_string(room.conversation), "5", "cm-5"},
                             [&](Result<Sent> r) { refused = std::move(r); });
  ASSERT_TRUE(refused) << "a local limiter refuses at once, on the caller's thread";
  EXPECT_EQ(refused->error().kind, ErrorKind::rate_limited);
  EXPECT_TRUE(world.send(room.bob, room.conversation, "bob has his own bucket").ok());
  world.clock().advance(500);
  EXPECT_TRUE(world.send(room.alice, room.conversation, "6").ok());
  EXPECT_EQ(world.recorder.deliveries("new_message").size(), 5u);
}

TEST(Messages, AsyncSendsAreStoredInTheOrderTheyArrived) {
  // The first sends find no member list and wait for a worker; a later one
  // finds it cached. Workers run in any order. The store must still get them
  // in arrival order, so that seqs follow what the sender typed.
  ChatWorld world(ChatOptions{.hold_offloaded = true});
  Room room{world};
  world.members.invalidate(room.conversation);
  const auto cid = id_to_string(room.conversation);
  testing::Answer<Sent> first, second, third;
  world.messages.send_async(room.alice, {cid, "1", "cm-1"}, first.done());
  world.messages.send_async(room.alice, {cid, "2", "cm-2"}, second.done());
  ASSERT_TRUE(world.members.get(room.conversation).ok());  // cached from now on
  world.messages.send_async(room.alice, {cid, "3", "cm-3"}, third.done());
  {
    std::lock_guard lock(third.mutex);
    EXPECT_FALSE(third.result) << "waits for the two sends before it";
  }
  world.run_held_last_first();
  ASSERT_TRUE(first.wait() && second.wait() && third.wait());
  ASSERT_TRUE(first.result->ok() && second.result->ok() && third.result->ok());
  EXPECT_EQ((*first.result)->message.seq, 1);
  EXPECT_EQ((*second.result)->message.seq, 2);
  EXPECT_EQ((*third.result)->message.seq, 3);
}

TEST(Messages, ReadReceiptsAreThrottledInTheirOwnBucket) {
  ChatWorld world(ChatOptions{.send_burst = 10, .send_per_second = 1, .read_burst = 2, .read_per_second = 1});
  Room room{world};
  auto m1 = world.send(room.alice, room.conversation, "1");
  auto m2 = world.send(room.alice, room.conversation, "2");
  auto m3 = world.send(room.alice, room.conversation, "3");
  ASSERT_TRUE(m1.ok() && m2.ok() && m3.ok());
  EXPECT_TRUE(world.messages.mark_read(room.bob, id_to_string(m1->message.id)).ok());
  EXPECT_TRUE(world.messages.mark_read_in(room.bob, id_to_string(room.conversation), id_to_string(m2->message.id)).ok());
  auto limited = world.messages.mark_read(room.bob, id_to_string(m3->message.id));
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().kind, ErrorKind::rate_limited);
  EXPECT_EQ(limited.error().retry_after_ms, 1000);
  EXPECT_TRUE(world.send(room.bob, room.conversation, "sends are not read receipts").ok());
  world.clock().advance(1000);
  auto state = world.messages.mark_read(room.bob, id_to_string(m3->message.id));
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->last_read_seq, 3);
  const auto reads = world.recorder.deliveries("message_read");
  ASSERT_EQ(reads.size(), 3u);
  EXPECT_EQ(reads.back().audience, cluster::Delivery::Audience::room);
  EXPECT_EQ(reads.back().conversation_id, room.conversation);
}

TEST(Messages, CompletionsInAnyOrderAreDeliveredInSeqOrderAndAckedAfterTheirDelivery) {
  ChatWorld world;
  Room room{world};
  ASSERT_TRUE(world.members.get(room.conversation).ok());  // cached: sends go straight to the store
  world.store().hold_appends(true);
  std::mutex mutex;
  std::vector<std::pair<store::Seq, std::size_t>> acks;  // (seq, deliveries made when it was acked)
  constexpr int kSends = 12;
  for (int i = 0; i < kSends; ++i)
    world.messages.send_async(room.alice, {id_to_string(room.conversation), "m" + std::to_string(i), "cm" + std::to_string(i)},
                               [&](Result<Sent> sent) {
                                 ASSERT_TRUE(sent.ok());
                                 std::lock_guard lock(mutex);
                                 acks.emplace_back(sent->message.seq, world.recorder.deliveries("new_message").size());
                               });
  ASSERT_EQ(world.store().held_appends(), static_cast<std::size_t>(kSends));
  auto held = world.store().take_held_appends();
  std::reverse(held.begin(), held.end());  // newest first
  std::vector<std::thread> threads;
  for (std::size_t part = 0; part < 3; ++part)
    threads.emplace_back([&held, part] {
      for (std::size_t i = part; i < held.size(); i += 3) held[i].done(std::move(held[i].result));
    });
  for (auto& t : threads) t.join();
  const auto deliveries = world.recorder.deliveries("new_message");
  ASSERT_EQ(deliveries.size(), static_cast<std::size_t>(kSends));
  for (int i = 0; i < kSends; ++i) EXPECT_EQ(deliveries[static_cast<std::size_t>(i)].seq, i + 1);
  ASSERT_EQ(acks.size(), static_cast<std::size_t>(kSends));
  for (auto [seq, delivered] : acks) EXPECT_GE(delivered, static_cast<std::size_t>(seq)) << "ack of " << seq;
}

TEST(Messages, HistoryPagesAreCachedOnlyWhenReadSuccessfully) {
  ChatWorld world;
  Room room{world};
  ASSERT_TRUE(world.send(room.alice, room.conversation, "one").ok());
  ASSERT_TRUE(world.members.get(room.conversation).ok());
  const PageQuery latest;
  EXPECT_FALSE(world.messages.cached_page_json(room.bob, id_to_string(room.conversation), latest));
  world.store().fail_always(FaultyStore::reads());
  auto failed = world.messages.page_json(room.bob, id_to_string(room.conversation), latest);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, ErrorKind::unavailable);
  EXPECT_FALSE(world.messages.cached_page_json(room.bob, id_to_string(room.conversation), latest))
      << "no page kept from a failed read";
  world.store().heal();
  auto page = world.messages.page_json(room.bob, id_to_string(room.conversation), latest);
  ASSERT_TRUE(page.ok());
  auto parsed = boost::json::parse(**page);
  EXPECT_EQ(parsed.at("messages").as_array().size(), 1u);
  auto cached = world.messages.cached_page_json(room.bob, id_to_string(room.conversation), latest);
  EXPECT_EQ(cached, *page) << "served from memory now";
  EXPECT_FALSE(world.messages.cached_page_json(room.carol, id_to_string(room.conversation), latest))
      << "never for a non-member";
  ASSERT_TRUE(world.send(room.bob, room.conversation, "two").ok());
  EXPECT_FALSE(world.messages.cached_page_json(room.bob, id_to_string(room.conversation), latest))
      << "a send voids the conversation's pages through the bus";
  world.store().fail_always(FaultyStore::reads());
  EXPECT_EQ(world.messages.page(room.bob, id_to_string(room.conversation), latest).error().kind,
            ErrorKind::unavailable);
}

TEST(Messages, RemoveAnnouncesTheTombstoneOnceAndFailsCleanlyInAnOutage) {
  ChatWorld world;
  Room room{world};
  auto sent = world.send(room.bob, room.conversation, "oops");
  ASSERT_TRUE(sent.ok());
  const std::string id = id_to_string(sent->message.id);
  world.store().fail_always(FaultyStore::reads());
  EXPECT_EQ(world.messages.remove(room.bob, id).error().kind, ErrorKind::unavailable);
  world.store().heal();
  auto tombstone = world.messages.remove(room.alice, id);  // the group admin
  ASSERT_TRUE(tombstone.ok());
  EXPECT_TRUE(tombstone->deleted_at);
  EXPECT_TRUE(tombstone->body.empty());
  ASSERT_TRUE(world.messages.remove(room.bob, id).ok());
  const auto deleted = world.recorder.deliveries("message_deleted");
  ASSERT_EQ(deleted.size(), 1u) << "announced once";
  EXPECT_EQ(deleted[0].members_digest, cluster::members_digest(*deleted[0].user_ids));
  EXPECT_EQ(world.messages.remove(room.carol, id).error().kind, ErrorKind::not_found);
}

}  // namespace
}  // namespace parley::chat
