#include "cluster/redis/redis_rate_limiter.hpp"

#include <cstdio>
#include <spdlog/spdlog.h>

#include "cluster/redis/redis_connection.hpp"

namespace parley::cluster::redis {

namespace {

// ARGV: key, burst, refill per ms. Returns {allowed (0/1), retry after ms}.
constexpr const char* kTokenBucket = R"lua(
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000 + math.floor(tonumber(now_t[2]) / 1000)
local burst = tonumber(ARGV[2])
local per_ms = tonumber(ARGV[3])
local bucket = redis.call('HMGET', ARGV[1], 't', 'ts')
local tokens = tonumber(bucket[1])
local ts = tonumber(bucket[2])
if tokens == nil or ts == nil then
  tokens = burst
else
  tokens = math.min(burst, tokens + math.max(0, now - ts) * per_ms)
end
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = math.ceil((1 - tokens) / per_ms)
end
redis.call('HSET', ARGV[1], 't', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', ARGV[1], math.ceil(burst / per_ms) + 1000)
return {allowed, retry}
)lua";

std::string format_rate(double per_second) {
  char text[64];
  std::snprintf(text, sizeof text, "%.17g", per_second / 1000.0);
  return text;
}

}  // namespace

RedisRateLimiter::RedisRateLimiter(RedisRateLimiterOptions options, const Clock& clock)
    : options_(std::move(options)),
      per_ms_(format_rate(options_.per_second)),
      local_(options_.burst, options_.per_second, clock) {}

RedisRateLimiter::~RedisRateLimiter() { stop(); }

void RedisRateLimiter::acquire(Id key, Done done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && up_.load() && queue_.size() < options_.max_queue) {
      queue_.push_back({key, std::move(done)});
      if (queue_.size() == 1) wake_.notify_one();
      return;
    }
  }
  fallbacks_.fetch_add(1, std::memory_order_relaxed);
  done(local_.try_acquire(key));
}

void RedisRateLimiter::start() {
  thread_ = std::thread([this] { run(); });
}

void RedisRateLimiter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::deque<Request> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(queue_);
  }
  fall_back(left);
}

RedisRateLimiterStats RedisRateLimiter::stats() const {
  return {decided_.load(std::memory_order_relaxed), fallbacks_.load(std::memory_order_relaxed), up_.load()};
}

bool RedisRateLimiter::sleep_for(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, delay, [this] { return stopping_; });
  return !stopping_;
}

void RedisRateLimiter::fall_back(std::deque<Request>& requests) {
  fallbacks_.fetch_add(requests.size(), std::memory_order_relaxed);
  for (auto& request : requests) request.done(local_.try_acquire(request.key));
  requests.clear();
}

void RedisRateLimiter::run() {
  RedisConnection connection({options_.endpoint, options_.connect_timeout, options_.command_timeout}, {kTokenBucket});
  auto backoff = options_.backoff_min;
  bool warned = false;
  std::deque<Request> batch;
  for (;;) {
    if (!connection.is_open()) {
      if (!connection.connect()) {
        if (!warned) spdlog::warn("redis rate limiter '{}': {}; limits are per node until it is back", options_.name, connection.error());
        warned = true;
        if (!sleep_for(backoff)) return;
        backoff = std::min(backoff * 2, options_.backoff_max);
        continue;
      }
      if (warned) spdlog::info("redis rate limiter '{}': connected again; limits are cluster-wide", options_.name);
      warned = false;
      up_.store(true);
    }
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    decide_batch(connection, batch);
    if (!batch.empty() || !connection.is_open()) {
      connection.close();
      spdlog::warn("redis rate limiter '{}': {}; falling back to per-node limits", options_.name, connection.error());
      warned = true;
      // New requests decide locally at once; what was queued meanwhile too.
      {
        std::lock_guard lock(mutex_);
        up_.store(false);
        for (auto& request : queue_) batch.push_back(std::move(request));
        queue_.clear();
      }
      fall_back(batch);
      // Meanwhile requests decide locally; a Redis that answers with errors must not be hammered.
      if (!sleep_for(backoff)) return;
      backoff = std::min(backoff * 2, options_.backoff_max);
      continue;
    }
    backoff = options_.backoff_min;
  }
}

void RedisRateLimiter::decide_batch(RedisConnection& connection, std::deque<Request>& batch) {
  const std::string burst = std::to_string(options_.burst);
  for (const auto& request : batch)
    connection.append_script(0, {options_.prefix + "rate:" + options_.name + ":" + std::to_string(request.key), burst, per_ms_});
  // Replies in order; at the first failure the rest stay in `batch`.
  while (!batch.empty()) {
    auto reply = connection.get_reply();
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) break;
    const auto allowed = reply_integer(reply->element[0]);
    const auto retry = reply_integer(reply->element[1]);
    if (!allowed || !retry) break;
    decided_.fetch_add(1, std::memory_order_relaxed);
    Request request = std::move(batch.front());
    batch.pop_front();
    request.done(RateDecision{*allowed == 1, *allowed == 1 ? 0 : *retry});
  }
  // What is left (a failure) falls back in run(), once new requests no longer queue.
}

}  // namespace parley::cluster::redis
