// Two nodes over one store, with a bus that loses everything between them:
// each node has its own LocalBus, so an invalidation made on node A voids A's
// caches and never reaches B's, as when Redis drops it (or it is still on its
// way). In cluster mode (cache_max_age > 0) node B must still never answer a
// history read that lacks a committed message, and its stale member lists and
// pages must age out within cache_max_age (docs/replicas.md).

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "chat/chat_services.hpp"
#include "chat_fixture.hpp"
#include "cluster/local_bus.hpp"
#include "cluster/local_presence.hpp"
#include "cluster/local_typing.hpp"
#include "store/faulty_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/temp_dir.hpp"

namespace parley::chat::testing {
namespace {

constexpr auto kMaxAge = std::chrono::milliseconds(5000);

// One node: its own bus, caches and services, over the shared store.
struct Node {
  Node(store::Store& store, const auth::TokenService& tokens, FakeClock& clock, int node_id,
       std::chrono::milliseconds max_age)
      : ids(node_id), presence(clock), typing(clock, std::chrono::milliseconds(5000)), chat(deps(store, tokens, clock, max_age)) {}
  ~Node() { chat.live.stop(); }

  ChatServicesDeps deps(store::Store& store, const auth::TokenService& tokens, FakeClock& clock,
                        std::chrono::milliseconds max_age) {
    ChatServicesDeps d;
    d.store = &store;
    d.tokens = &tokens;
    d.ids = &ids;
    d.clock = &clock;
    d.password_cost = auth::PasswordCost::minimal();
    d.bus = &bus;
    d.presence = &presence;
    d.typing = &typing;
    d.send_limits = &limits;
    d.read_limits = &limits;
    d.offload = [](std::function<void()> job) { job(); };
    d.max_group_size = 50;
    d.live.presence_grace = std::chrono::milliseconds(1000);
    d.cache_max_age = max_age;
    return d;
  }

  // The latest page, or after= a seq: its JSON, or the error code.
  std::string page(Id caller, Id conversation, std::optional<std::string> after = {}) {
    PageQuery query;
    query.after = std::move(after);
    auto page = chat.messages.page_json(caller, id_to_string(conversation), query);
    if (!page) return "error:" + page.error().code;
    return **page;
  }

  IdGenerator ids;
  cluster::LocalBus bus;
  cluster::UnlimitedRateLimiter limits;
  cluster::LocalPresence presence;
  cluster::LocalTyping typing;
  ChatServices chat;
};

class TwoNodes : public ::testing::Test {
 protected:
  explicit TwoNodes(std::chrono::milliseconds max_age = kMaxAge)
      : store_(open_test_store(dir_)),
        tokens_("a-test-secret-of-enough-length-0123456789", std::chrono::hours(1), clock_),
        a_(std::make_unique<Node>(*store_, tokens_, clock_, 1, max_age)),
        b_(std::make_unique<Node>(*store_, tokens_, clock_, 2, max_age)) {}
  // In the server's order (app/serve.cpp): the store is closed first, so its
  // completion thread has finished every callback into the services (a
  // blocking send returns from inside one) before they are destroyed.
  ~TwoNodes() override {
    a_->chat.live.stop();
    b_->chat.live.stop();
    store_.reset();
    a_.reset();
    b_.reset();
  }

  Id user(const std::string& name) {
    store::UserRow row;
    row.id = a_->ids.next();
    row.username = name;
    row.email = name + "@example.com";
    row.display_name = name;
    row.password_hash = "x";
    row.created_at = clock_.now_ms();
    EXPECT_TRUE(store_->insert_user(row).ok());
    return row.id;
  }

  Id group(Node& node, Id admin, const std::vector<Id>& others) {
    CreateConversationInput input{"group", {}, "g"};
    for (Id id : others) input.member_ids.push_back(id_to_string(id));
    auto created = node.chat.conversations.create(admin, input);
    EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().message);
    return created.ok() ? created->first.summary.conversation.id : 0;
  }

  Sent send(Node& node, Id sender, Id conversation, const std::string& body) {
    auto sent = node.chat.messages.send(sender, {id_to_string(conversation), body, "c" + std::to_string(++sends_)});
    EXPECT_TRUE(sent.ok()) << (sent.ok() ? "" : sent.error().message);
    return sent.ok() ? *sent : Sent{};
  }

  store::testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<FaultyStore> store_;
  auth::TokenService tokens_;
  std::unique_ptr<Node> a_;
  std::unique_ptr<Node> b_;
  int sends_ = 0;
};

class OneProcessCachesOnTwoNodes : public TwoNodes {
 protected:
  OneProcessCachesOnTwoNodes() : TwoNodes(std::chrono::milliseconds(0)) {}
};

// What cluster mode prevents: with one process's trust in the bus, node B
// keeps answering its cached page after A committed a message.
TEST_F(OneProcessCachesOnTwoNodes, ALostInvalidationLeavesAStalePage) {
  Id ann = user("ann"), bob = user("bob");
  Id c = group(*a_, ann, {bob});
  send(*a_, ann, c, "one");
  const std::string before = b_->page(bob, c, "0");
  send(*a_, ann, c, "two");
  EXPECT_EQ(b_->page(bob, c, "0"), before);
}

TEST_F(TwoNodes, CatchUpOnAnotherNodeNeverMissesACommittedMessage) {
  Id ann = user("ann"), bob = user("bob");
  Id c = group(*a_, ann, {bob});
  for (int i = 0; i < 20; ++i) {
    // B has the page cached (read twice: the second is a hit), then A commits.
    b_->page(bob, c, "0");
    b_->page(bob, c);
    ASSERT_NE(b_->page(bob, c, "0"), "");
    Sent sent = send(*a_, ann, c, "m" + std::to_string(i));
    EXPECT_NE(b_->page(bob, c, "0").find(sent.message.client_msg_id), std::string::npos) << i;
    EXPECT_NE(b_->page(bob, c).find(sent.message.client_msg_id), std::string::npos) << i;
    EXPECT_NE(b_->page(bob, c, std::to_string(sent.message.seq - 1)).find(sent.message.client_msg_id),
              std::string::npos) << i;
  }
}

TEST_F(TwoNodes, AnUnchangedConversationIsServedFromTheCacheAfterOneKeyRead) {
  Id ann = user("ann"), bob = user("bob");
  Id c = group(*a_, ann, {bob});
  send(*a_, ann, c, "one");
  const std::string first = b_->page(bob, c, "0");
  // A hit costs one conversation read (its last_seq) and no page read.
  store_->fail_always({StoreCall::messages});
  EXPECT_EQ(b_->page(bob, c, "0"), first);
  store_->heal();
  // The check itself failing is an error, never a page that may be stale.
  store_->fail_next(1, {StoreCall::conversation_by_id});
  EXPECT_EQ(b_->page(bob, c, "0"), "error:unavailable");
}

TEST_F(TwoNodes, OnlyClosedPagesAreAnsweredFromMemoryOnTheIoThread) {
  Id ann = user("ann"), bob = user("bob");
  Id c = group(*a_, ann, {bob});
  for (int i = 0; i < 5; ++i) send(*a_, ann, c, "m" + std::to_string(i));
  PageQuery latest;
  PageQuery older;
  older.before = "3";
  ASSERT_TRUE(b_->chat.messages.page_json(bob, id_to_string(c), latest).ok());
  ASSERT_TRUE(b_->chat.messages.page_json(bob, id_to_string(c), older).ok());
  // The latest page can gain messages: it needs the store's last_seq.
  EXPECT_EQ(b_->chat.messages.cached_page_json(bob, id_to_string(c), latest), nullptr);
  // Seqs 1 and 2 were committed when it was read: it can only lose bodies to
  // deletions, which the age bounds.
  auto closed = b_->chat.messages.cached_page_json(bob, id_to_string(c), older);
  ASSERT_NE(closed, nullptr);
  clock_.advance(kMaxAge.count());
  EXPECT_EQ(b_->chat.messages.cached_page_json(bob, id_to_string(c), older), nullptr);
}

TEST_F(TwoNodes, AMemberAddedOnAnotherNodeCanReadAndSendAtOnce) {
  Id ann = user("ann"), bob = user("bob"), cy = user("cy");
  Id c = group(*a_, ann, {bob});
  send(*a_, ann, c, "before cy");
  // B caches the member list without cy.
  ASSERT_NE(b_->page(bob, c).find("before cy"), std::string::npos);
  ASSERT_FALSE(b_->chat.member_cache.peek(c)->contains(cy));
  UpdateConversationInput add;
  add.add_member_ids.push_back(id_to_string(cy));
  ASSERT_TRUE(a_->chat.conversations.update(ann, id_to_string(c), add).ok());
  EXPECT_NE(b_->page(cy, c).find("before cy"), std::string::npos);
  auto sent = b_->chat.messages.send(cy, {id_to_string(c), "hi from cy", "cy1"});
  EXPECT_TRUE(sent.ok()) << (sent.ok() ? "" : sent.error().message);
}

TEST_F(TwoNodes, AMemberAddedOnAnotherNodeCanSendOverTheSocketPathAtOnce) {
  Id ann = user("ann"), bob = user("bob"), cy = user("cy");
  Id c = group(*a_, ann, {bob});
  send(*b_, bob, c, "B caches the list");
  ASSERT_FALSE(b_->chat.member_cache.peek(c)->contains(cy));
  UpdateConversationInput add;
  add.add_member_ids.push_back(id_to_string(cy));
  ASSERT_TRUE(a_->chat.conversations.update(ann, id_to_string(c), add).ok());
  Answer<Sent> answer;
  b_->chat.messages.send_async(cy, {id_to_string(c), "hi", "cy-async"}, answer.done());
  ASSERT_TRUE(answer.wait());
  ASSERT_TRUE(answer.result->ok()) << answer.result->error().message;
  // And B's list now has cy: its deliveries reach cy too.
  EXPECT_TRUE(b_->chat.member_cache.peek(c)->contains(cy));
}

TEST_F(TwoNodes, AMemberRemovedOnAnotherNodeIsRefusedWithinTheMaxAge) {
  Id ann = user("ann"), bob = user("bob"), cy = user("cy");
  Id c = group(*a_, ann, {bob, cy});
  send(*a_, ann, c, "hello");
  ASSERT_NE(b_->page(cy, c).find("hello"), std::string::npos);
  UpdateConversationInput remove;
  remove.remove_member_ids.push_back(id_to_string(cy));
  ASSERT_TRUE(a_->chat.conversations.update(ann, id_to_string(c), remove).ok());
  // A knows at once; B's list is the lost invalidation's victim until it ages out.
  EXPECT_EQ(a_->page(cy, c), "error:not_found");
  clock_.advance(kMaxAge.count() - 1);
  EXPECT_TRUE(b_->chat.member_cache.peek(c)->contains(cy));
  clock_.advance(1);
  EXPECT_EQ(b_->page(cy, c), "error:not_found");
  // Nor does B deliver to cy any more.
  auto sent = b_->chat.messages.send(bob, {id_to_string(c), "after", "b1"});
  ASSERT_TRUE(sent.ok());
  EXPECT_FALSE(b_->chat.member_cache.peek(c)->contains(cy));
}

TEST_F(TwoNodes, ADeletionWhoseInvalidationWasLostShowsAtOnceOnTheLatestPage) {
  Id ann = user("ann"), bob = user("bob");
  Id c = group(*a_, ann, {bob});
  Sent secret = send(*a_, ann, c, "a secret");
  ASSERT_NE(b_->page(bob, c).find("a secret"), std::string::npos);
  ASSERT_TRUE(a_->chat.messages.remove(ann, id_to_string(secret.message.id)).ok());
  EXPECT_EQ(a_->page(bob, c).find("a secret"), std::string::npos);
  // A deletion moves no seq but takes a change_seq: B's cached page fails the check.
  const std::string page = b_->page(bob, c);
  EXPECT_EQ(page.find("a secret"), std::string::npos);
  EXPECT_NE(page.find("\"deletedAt\":\""), std::string::npos) << page;
  // A catch-up after an older seq returns the tombstone as such.
  EXPECT_EQ(b_->page(bob, c, "0").find("a secret"), std::string::npos);
}

TEST_F(TwoNodes, AnEditOrReactionWhoseInvalidationWasLostShowsAtOnceOnTheLatestPage) {
  Id ann = user("ann"), bob = user("bob");
  Id c = group(*a_, ann, {bob});
  Sent sent = send(*a_, ann, c, "first draft");
  const std::string id = id_to_string(sent.message.id);
  ASSERT_NE(b_->page(bob, c).find("first draft"), std::string::npos);
  ASSERT_TRUE(a_->chat.messages.edit(ann, id, "second draft").ok());
  EXPECT_NE(b_->page(bob, c).find("second draft"), std::string::npos);
  ASSERT_TRUE(a_->chat.messages.react(ann, id, "🎉", true).ok());
  EXPECT_NE(b_->page(bob, c).find("🎉"), std::string::npos);
}

TEST_F(TwoNodes, AChangeToAClosedPageWhoseInvalidationWasLostShowsWithinTheMaxAge) {
  Id ann = user("ann"), bob = user("bob");
  Id c = group(*a_, ann, {bob});
  Sent old = send(*a_, ann, c, "an old secret");
  send(*a_, ann, c, "newer");
  PageQuery closed;
  closed.before = "2";  // seq 1 only: no message can join it
  const auto read = [&] {
    auto page = b_->chat.messages.page_json(bob, id_to_string(c), closed);
    return page ? **page : "error:" + page.error().code;
  };
  ASSERT_NE(read().find("an old secret"), std::string::npos);
  ASSERT_TRUE(a_->chat.messages.remove(ann, id_to_string(old.message.id)).ok());
  // A closed page is served without a read: the age bounds it...
  clock_.advance(kMaxAge.count() - 1);
  EXPECT_NE(read().find("an old secret"), std::string::npos);
  // ... until it is too old to be served.
  clock_.advance(1);
  EXPECT_EQ(read().find("an old secret"), std::string::npos);
}

}  // namespace
}  // namespace parley::chat::testing
