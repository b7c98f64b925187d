#pragma once
// The chat layer assembled as serve.cpp assembles it (ChatServices), over the
// local implementations of the cluster interfaces (LocalBus, LocalPresence,
// LocalTyping, LocalRateLimiter) and a FaultyStore over SQLite in a temporary
// folder, with a fake clock and jobs offloaded inline (on the calling thread).
// A BusRecorder on the bus sees every delivery and invalidation.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth/password.hpp"
#include "auth/tokens.hpp"
#include "chat/chat_services.hpp"
#include "cluster/local_bus.hpp"
#include "cluster/local_presence.hpp"
#include "cluster/local_rate_limiter.hpp"
#include "cluster/local_typing.hpp"
#include "store/faulty_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/temp_dir.hpp"

namespace parley::chat::testing {

// The answer of an asynchronous call: set by `done()` on whatever thread
// answers (the store's completion thread, a worker), read by the test after
// wait(), or at once when the call answers inline on the test's thread.
template <class T>
struct Answer {
  std::optional<Result<T>> result;  // GUARDED_BY(mutex) until the answer came
  std::mutex mutex;
  std::condition_variable arrived;

  std::function<void(Result<T>)> done() {
    return [this](Result<T> r) {
      std::lock_guard lock(mutex);
      result = std::move(r);
      arrived.notify_all();
    };
  }
  // True once answered (waits up to two seconds).
  bool wait() {
    std::unique_lock lock(mutex);
    return arrived.wait_for(lock, std::chrono::seconds(2), [this] { return result.has_value(); });
  }
};

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

// A real SQLite store in `dir`, failing when told to. A refused async append
// completes at once, on the caller's thread, so a test sees its answer as soon
// as the call returns.
inline std::unique_ptr<FaultyStore> open_test_store(const store::testing::TempDir& dir) {
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

// Records what Messages tells the send observer (notifications.hpp).
class RecordingObserver final : public SendObserver {
 public:
  struct Seen {
    store::MessageRow message;
    std::vector<Id> members;
  };
  void message_sent(const store::MessageRow& message, const std::vector<Id>& members) override {
    std::lock_guard lock(mutex_);
    seen_.push_back({message, members});
  }
  std::vector<Seen> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::vector<Seen> seen_;  // GUARDED_BY(mutex_)
};

struct ChatOptions {
  int send_burst = 0;  // 0: unlimited
  double send_per_second = 1;
  int read_burst = 0;  // 0: unlimited
  double read_per_second = 1;
  // Offloaded jobs are held (run_held() runs them) instead of running inline.
  bool hold_offloaded = false;
};

class ChatWorld {
 public:
  explicit ChatWorld(ChatOptions options = {})
      : store_(open_test_store(dir_)),
        tokens_("a-test-secret-of-enough-length-0123456789", std::chrono::hours(1), clock_),
        send_limits_(limiter(options.send_burst, options.send_per_second)),
        read_limits_(limiter(options.read_burst, options.read_per_second)),
        hold_offloaded_(options.hold_offloaded),
        chat_(deps()) {
    bus.subscribe(recorder);  // after the cache invalidations, as in the server
  }

  // In the server's order (app/serve.cpp): the store is closed, so its
  // completion thread has finished every callback into the services (a
  // blocking send returns from inside one), before the services are destroyed.
  ~ChatWorld() {
    chat_.live.stop();
    store_.reset();
  }
  ChatWorld(const ChatWorld&) = delete;
  ChatWorld& operator=(const ChatWorld&) = delete;

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
    auto created = conversations.create(admin, input);
    EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().message);
    return created.ok() ? created->first.summary.conversation.id : 0;
  }

  Result<Sent> send(Id sender, Id conversation, const std::string& body, std::string client_msg_id = {}) {
    if (client_msg_id.empty()) client_msg_id = "c" + std::to_string(ids_.next());
    return messages.send(sender, {id_to_string(conversation), body, client_msg_id});
  }

 private:
  std::unique_ptr<cluster::RateLimiter> limiter(int burst, double per_second) {
    if (burst <= 0) return std::make_unique<cluster::UnlimitedRateLimiter>();
    return std::make_unique<cluster::LocalRateLimiter>(burst, per_second, clock_);
  }

  ChatServicesDeps deps() {
    ChatServicesDeps d;
    d.store = store_.get();
    d.tokens = &tokens_;
    d.ids = &ids_;
    d.clock = &clock_;
    d.password_cost = auth::PasswordCost::minimal();
    d.bus = &bus;
    d.presence = &presence;
    d.typing = &typing;
    d.send_limits = send_limits_.get();
    d.read_limits = read_limits_.get();
    d.offload = [this](std::function<void()> job) {  // inline or held, counted
      ++offloaded;
      if (!hold_offloaded_) return job();
      std::lock_guard lock(held_mutex_);
      held_.push_back(std::move(job));
    };
    d.max_group_size = 5;
    d.live.presence_grace = std::chrono::milliseconds(1000);
    d.send_observer = &observer;
    return d;
  }

  store::testing::TempDir dir_;  // first: outlives the store
  FakeClock clock_;
  IdGenerator ids_;
  std::unique_ptr<FaultyStore> store_;
  auth::TokenService tokens_;
  std::unique_ptr<cluster::RateLimiter> send_limits_;
  std::unique_ptr<cluster::RateLimiter> read_limits_;

 public:
  cluster::LocalBus bus;
  BusRecorder recorder;
  RecordingObserver observer;  // told of every new message
  cluster::LocalPresence presence{clock_};
  cluster::LocalTyping typing{clock_, std::chrono::milliseconds(5000)};
  std::atomic<int> offloaded{0};

  // With hold_offloaded: runs the held jobs, last first (the order a busy
  // pool may well pick them in).
  void run_held_last_first() {
    std::vector<std::function<void()>> jobs;
    {
      std::lock_guard lock(held_mutex_);
      jobs.swap(held_);
    }
    for (auto it = jobs.rbegin(); it != jobs.rend(); ++it) (*it)();
  }

 private:
  const bool hold_offloaded_;
  std::mutex held_mutex_;
  std::vector<std::function<void()>> held_;  // GUARDED_BY(held_mutex_)
  ChatServices chat_;  // after everything it borrows

 public:
  // The services and caches, as the server has them.
  KnownUsers& known = chat_.known_users;
  MemberCache& members = chat_.member_cache;
  PageCache& pages = chat_.page_cache;
  Accounts& accounts = chat_.accounts;
  Conversations& conversations = chat_.conversations;
  Messages& messages = chat_.messages;
  Users& users = chat_.users;
  Search& search = chat_.search;
  Live& live = chat_.live;
};

}  // namespace parley::chat::testing
