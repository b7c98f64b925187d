#pragma once
// RedisRateLimiter: the RateLimiter of a cluster node (rate_limiter.hpp), one
// token bucket per key shared by every node, so that a user cannot multiply a
// limit by spreading connections over nodes.
//
// The bucket is a Redis hash `<prefix>rate:<name>:<key>` {t: tokens, ts: last
// refill in ms of Redis's clock}, read, refilled, spent and written back by one
// Lua script (atomic in Redis; Redis's own TIME, so the nodes' clocks do not
// matter). It expires once it would be full again.
//
// acquire() never blocks: it queues the request for the limiter's thread, which
// sends the queue as pipelined EVALSHA commands and calls each `done` with
// Redis's decision. It falls back to this node's own LocalRateLimiter (same
// burst and rate), deciding at once on the caller's thread, when Redis is not
// connected, when the queue is full, or (on the limiter's thread) when a batch
// failed or took longer than `command_timeout`: a slow Redis costs a request
// at most about one command timeout. Every fallback is counted (/metrics).
//
// Thread-safety: acquire() and stats() from any thread; start() and stop()
// from the owner's thread. Ownership: owns its thread and connection; stop()
// (or the destructor) answers what is still queued from the fallback, so every
// `done` runs exactly once.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "cluster/local_rate_limiter.hpp"
#include "cluster/redis/redis_bus.hpp"

namespace parley::cluster::redis {

class RedisConnection;

struct RedisRateLimiterOptions {
  RedisEndpoint endpoint;
  std::string prefix = "parley:";
  std::string name;  // which limit: keys are <prefix>rate:<name>:<key>
  int burst = 1;
  double per_second = 1;
  std::chrono::milliseconds connect_timeout{100};
  std::chrono::milliseconds command_timeout{75};
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{2000};
  std::size_t max_queue = 8192;
  std::size_t max_batch = 256;
};

struct RedisRateLimiterStats {
  std::uint64_t decided = 0;    // decisions made by Redis
  std::uint64_t fallbacks = 0;  // decisions made by the local limiter instead
  bool connected = false;
};

class RedisRateLimiter final : public RateLimiter {
 public:
  // REQUIRES: burst >= 1, per_second > 0. `clock` is the fallback's.
  RedisRateLimiter(RedisRateLimiterOptions options, const Clock& clock);
  ~RedisRateLimiter() override;
  RedisRateLimiter(const RedisRateLimiter&) = delete;
  RedisRateLimiter& operator=(const RedisRateLimiter&) = delete;

  void acquire(Id key, Done done) override;

  // Starts the thread, which connects in the background.
  void start();
  void stop();

  bool connected() const { return up_.load(); }
  RedisRateLimiterStats stats() const;

 private:
  struct Request {
    Id key;
    Done done;
  };
  void run();
  bool sleep_for(std::chrono::milliseconds delay);
  // Answers these requests from the local limiter.
  void fall_back(std::deque<Request>& requests);
  void decide_batch(RedisConnection& connection, std::deque<Request>& batch);

  const RedisRateLimiterOptions options_;
  const std::string per_ms_;  // the refill rate per ms, as the script's argument
  LocalRateLimiter local_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Request> queue_;  // GUARDED_BY(mutex_)
  bool stopping_ = false;      // GUARDED_BY(mutex_)
  std::atomic<bool> up_{false};
  std::atomic<std::uint64_t> decided_{0};
  std::atomic<std::uint64_t> fallbacks_{0};
  std::thread thread_;
};

}  // namespace parley::cluster::redis
