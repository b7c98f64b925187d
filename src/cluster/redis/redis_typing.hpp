#pragma once
// RedisTyping: the TypingService of a cluster node (typing.hpp). The typing and
// stop_typing events themselves travel over the bus like any Delivery; what
// this adds is one deadline per signal shared by the nodes, so that
//   - a signal expires once, cluster-wide, even when the node that started it
//     was killed (any node pops the expired deadline and announces stop_typing);
//   - a stop (stop_typing, a send, leaving the room) through one node ends a
//     signal started through another node (the same user on two connections).
//
// In Redis: `<prefix>typing`, a ZSET "conversation:user" -> deadline (ms of
// Redis's clock). START (ZADD, the deadline moved to now + timeout) and STOP
// (ZREM) are sent by a background thread; every `tick` it runs EXPIRE, a Lua
// script that pops the members whose deadline passed (atomically: one node gets
// each) for expire() to return.
//
// started() and stopped() answer at once from this node's view (a LocalTyping-
// like map of deadlines), so the common case is announced without a round trip.
// What only Redis knows comes later, from the thread: STOP removed a signal this
// node did not have → returned by expire(); START found no signal although this
// node had one → returned by take_started().
//
// Failure: a signal whose START never reached Redis (Redis away, a full queue,
// a failed pipeline), and any signal while Redis is unreachable, expires from
// this node's own view, as with LocalTyping: per-node typing while Redis is away. A signal that did reach Redis is
// announced when Redis pops it; a STOP lost on the way lets Redis expire the
// signal once more (a repeated stop_typing, harmless for clients).
//
// Thread-safety: every TypingService method from any thread; start() and
// stop() from the owner's thread. Owns its thread; the destructor calls stop().

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/redis/redis_bus.hpp"
#include "cluster/typing.hpp"
#include "common/clock.hpp"

namespace parley::cluster::redis {

class RedisConnection;

struct RedisTypingOptions {
  RedisEndpoint endpoint;
  std::string prefix = "parley:";
  std::chrono::milliseconds timeout{5000};
  std::chrono::milliseconds tick{200};
  std::chrono::milliseconds connect_timeout{200};
  std::chrono::milliseconds command_timeout{500};
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{2000};
  std::size_t max_queue = 16'384;
  // Whether this node can announce a stop_typing now (the bus is up); while it
  // cannot, it leaves the expired signals in Redis for a node that can. Empty: always.
  std::function<bool()> can_announce;
};

struct RedisTypingStats {
  std::uint64_t expired = 0;  // signals this node found expired in Redis (and announces)
  std::uint64_t dropped = 0;  // commands not sent: Redis away or the queue full
  bool connected = false;
};

class RedisTyping final : public TypingService {
 public:
  RedisTyping(RedisTypingOptions options, const Clock& clock);
  ~RedisTyping() override;
  RedisTyping(const RedisTyping&) = delete;
  RedisTyping& operator=(const RedisTyping&) = delete;

  bool started(TypingKey key) override;
  bool stopped(TypingKey key) override;
  std::vector<TypingKey> expire() override;
  std::vector<TypingKey> take_started() override;

  void start();
  void stop();
  bool redis_connected() const { return up_.load(); }
  RedisTypingStats stats() const;

 private:
  struct Command {
    TypingKey key;
    bool start = false;
    bool announced = false;  // started()/stopped() answered true
  };
  void enqueue(Command command);  // REQUIRES: mutex_ held
  void run();
  bool wait_for(std::chrono::milliseconds delay, bool wake_on_queue);
  bool send_commands(RedisConnection& connection);
  bool expire_in_redis(RedisConnection& connection);

  const RedisTypingOptions options_;
  const Clock& clock_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  struct Signal {
    TimeMs deadline = 0;
    bool in_redis = false;  // a START for it succeeded: Redis announces its expiry
  };
  std::map<TypingKey, Signal> local_;       // GUARDED_BY(mutex_): this node's view
  std::deque<Command> queue_;               // GUARDED_BY(mutex_)
  std::vector<TypingKey> ended_;            // GUARDED_BY(mutex_): for expire()
  std::vector<TypingKey> began_;            // GUARDED_BY(mutex_): for take_started()
  bool stopping_ = false;                   // GUARDED_BY(mutex_)

  std::atomic<bool> up_{false};
  std::atomic<std::uint64_t> expired_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::thread thread_;
};

}  // namespace parley::cluster::redis
