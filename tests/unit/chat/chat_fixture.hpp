#pragma once
// The chat layer assembled as serve.cpp assembles it, over the local
// implementations of the cluster interfaces (LocalBus, LocalPresence,
// LocalTyping, LocalRateLimiter) and a FaultyStore over SQLite in a temporary
// folder, with a fake clock and jobs offloaded inline (on the calling thread). A BusRecorder on the bus sees
// every delivery and invalidation.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth/password.hpp"
#include "auth/tokens.hpp"
#include "chat/accounts.hpp"
#include "chat/cache_invalidations.hpp"
#include "chat/conversations.hpp"
#include "chat/known_users.hpp"
#include "chat/live.hpp"
#include "chat/member_cache.hpp"
#include "chat/messages.hpp"
#include "chat/page_cache.hpp"
#include "chat/users.hpp"
#include "cluster/local_bus.hpp"
#include "cluster/local_presence.hpp"
#include "cluster/local_rate_limiter.hpp"
#include "cluster/local_typing.hpp"
#include "store/faulty_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/temp_dir.hpp"

namespace parley::chat::testing {

using store::testing::FaultyStore;
using store::testing::StoreCall;

class BusRecorder final : public cluster::BusSubscriber {
 public:
  void on_delivery(const cluster::Delivery& delivery) override {
    std::lock_guard lock(mutex_);
    deliveries_.push_back(delivery);
  }
  void on_invalidation(const cluster::Invalidation& invalidation) override {
    std::lock_guard lock(mutex_);
    invalidations_.push_back(invalidation);
  }
  std::vector<cluster::Delivery> deliveries(const std::string& event = {}) {
    std::lock_guard lock(mutex_);
    std::vector<cluster::Delivery> out;
    for (const auto& d : deliveries_)
      if (event.empty() || d.event == event) out.push_back(d);
    return out;
  }
  std::vector<cluster::Invalidation> invalidations() {
    std::lock_guard lock(mutex_);
    return invalidations_;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    deliveries_.clear();
    invalidations_.clear();
  }

 private:
  std::mutex mutex_;
  std::vector<cluster::Delivery> deliveries_;
  std::vector<cluster::Invalidation> invalidations_;
};

struct ChatOptions {
  int send_burst = 0;  // 0: unlimited
  double send_per_second = 1;
  int read_burst = 0;  // 0: unlimited
  double read_per_second = 1;
};

class ChatWorld {
 public:
  explicit ChatWorld(ChatOptions options = {})
      : store_(open_store(dir_)),
        tokens_("a-test-secret-of-enough-length-0123456789", std::chrono::hours(1), clock_),
        send_limits_(limiter(options.send_burst, options.send_per_second)),
        read_limits_(limiter(options.read_burst, options.read_per_second)) {
    bus.subscribe(invalidations_);
    bus.subscribe(recorder);
    accounts = std::make_unique<Accounts>(*store_, tokens_, ids_, clock_, auth::PasswordCost::minimal(), known);
    conversations = std::make_unique<Conversations>(*store_, ids_, clock_, bus, 5);
    MessagesDeps deps;
    deps.store = store_.get();
    deps.conversations = conversations.get();
    deps.members = &members;
    deps.pages = &pages;
    deps.ids = &ids_;
    deps.clock = &clock_;
    deps.bus = &bus;
    deps.send_limits = send_limits_.get();
    deps.read_limits = read_limits_.get();
    deps.offload = [this](std::function<void()> job) {
      ++offloaded;
      job();
    };
    messages = std::make_unique<Messages>(std::move(deps));
    users = std::make_unique<Users>(*store_, presence);
    LiveDeps live_deps;
    live_deps.accounts = accounts.get();
    live_deps.conversations = conversations.get();
    live_deps.messages = messages.get();
    live_deps.presence = &presence;
    live_deps.typing = &typing;
    live_deps.bus = &bus;
    live_deps.store = store_.get();
    live_deps.offload = [this](std::function<void()> job) {
      ++offloaded;
      job();
    };
    LiveOptions live_options;
    live_options.presence_grace = std::chrono::milliseconds(1000);
    live = std::make_unique<Live>(std::move(live_deps), live_options);
  }

  FaultyStore& store() { return *store_; }
  FakeClock& clock() { return clock_; }

  // A user stored directly (no password hashing); returns its id.
  Id user(const std::string& name) {
    store::UserRow row;
    row.id = ids_.next();
    row.username = name;
    row.email = name + "@example.com";
    row.display_name = name;
    row.password_hash = "x";
    row.created_at = clock_.now_ms();
    EXPECT_TRUE(store_->insert_user(row).ok());
    return row.id;
  }
  std::string token(Id user) const { return tokens_.issue(user); }

  Id group(Id admin, const std::vector<Id>& others, const std::string& title = "g") {
    CreateConversationInput input{"group", {}, title};
    for (Id id : others) input.member_ids.push_back(id_to_string(id));
    auto created = conversations->create(admin, input);
    EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().message);
    return created.ok() ? created->first.summary.conversation.id : 0;
  }

  Result<Sent> send(Id sender, Id conversation, const std::string& body, std::string client_msg_id = {}) {
    if (client_msg_id.empty()) client_msg_id = "c" + std::to_string(ids_.next());
    return messages->send(sender, {id_to_string(conversation), body, client_msg_id});
  }

  store::testing::TempDir dir_;  // first: outlives the store

 private:
  // A real SQLite store in `dir`, failing when told to. A refused async append
  // completes at once, on the caller's thread, so a test sees its answer as
  // soon as the call returns.
  static std::unique_ptr<FaultyStore> open_store(const store::testing::TempDir& dir) {
    store::SqliteOptions options;
    options.path = dir.file("parley.db");
    options.synchronous_full = false;
    options.quick_check = false;
    auto opened = store::open_sqlite_store(options);
    if (!opened) throw std::runtime_error("cannot open the test store: " + opened.error().message);
    auto faulty = std::make_unique<FaultyStore>(std::move(*opened));
    faulty->set_async_failure(FaultyStore::AsyncFailure::refused_at_once);
    return faulty;
  }

  std::unique_ptr<cluster::RateLimiter> limiter(int burst, double per_second) {
    if (burst <= 0) return std::make_unique<cluster::UnlimitedRateLimiter>();
    return std::make_unique<cluster::LocalRateLimiter>(burst, per_second, clock_);
  }

  FakeClock clock_;
  IdGenerator ids_;
  std::unique_ptr<FaultyStore> store_;
  auth::TokenService tokens_;
  std::unique_ptr<cluster::RateLimiter> send_limits_;
  std::unique_ptr<cluster::RateLimiter> read_limits_;

 public:
  cluster::LocalBus bus;
  BusRecorder recorder;
  KnownUsers known;
  MemberCache members{*store_};
  PageCache pages;
  cluster::LocalPresence presence{clock_};
  cluster::LocalTyping typing{clock_, std::chrono::milliseconds(5000)};
  std::atomic<int> offloaded{0};
  std::unique_ptr<Accounts> accounts;
  std::unique_ptr<Conversations> conversations;
  std::unique_ptr<Messages> messages;
  std::unique_ptr<Users> users;
  std::unique_ptr<Live> live;

 private:
  CacheInvalidations invalidations_{pages, members, known};
};

}  // namespace parley::chat::testing
