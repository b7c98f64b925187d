#include "cluster/redis/redis_typing.hpp"

#include <charconv>
#include <spdlog/spdlog.h>

#include "cluster/redis/redis_connection.hpp"

namespace parley::cluster::redis {

namespace {

// START: ARGV prefix, member, timeout_ms. 1 if the signal is new in Redis.
constexpr const char* kStart = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZADD', ARGV[1] .. 'typing', now + tonumber(ARGV[3]), ARGV[2])
)lua";

// EXPIRE: ARGV prefix, limit. Pops and returns the members whose deadline passed.
constexpr const char* kExpire = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local key = ARGV[1] .. 'typing'
local due = redis.call('ZRANGEBYSCORE', key, '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
if #due > 0 then redis.call('ZREM', key, unpack(due)) end
return due
)lua";

enum Script : std::size_t { kStartScript, kExpireScript };
constexpr std::size_t kBatch = 512;
constexpr int kExpireLimit = 1000;

std::string member(TypingKey key) { return std::to_string(key.conversation_id) + ":" + std::to_string(key.user_id); }

std::optional<TypingKey> parse_member(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  TypingKey key;
  const auto a = std::from_chars(text.data(), text.data() + colon, key.conversation_id);
  const auto b = std::from_chars(text.data() + colon + 1, text.data() + text.size(), key.user_id);
  if (a.ec != std::errc() || b.ec != std::errc() || b.ptr != text.data() + text.size()) return std::nullopt;
  return key;
}

}  // namespace

RedisTyping::RedisTyping(RedisTypingOptions options, const Clock& clock) : options_(std::move(options)), clock_(clock) {}

RedisTyping::~RedisTyping() { stop(); }

bool RedisTyping::started(TypingKey key) {
  const TimeMs deadline = clock_.now_ms() + options_.timeout.count();
  std::lock_guard lock(mutex_);
  auto [it, inserted] = local_.try_emplace(key);
  it->second.deadline = deadline;
  enqueue({key, true, inserted});
  return inserted;
}

bool RedisTyping::stopped(TypingKey key) {
  std::lock_guard lock(mutex_);
  const bool erased = local_.erase(key) > 0;
  enqueue({key, false, erased});
  return erased;
}

void RedisTyping::enqueue(Command command) {
  if (stopping_ || !up_.load() || queue_.size() >= options_.max_queue) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  queue_.push_back(command);
  if (queue_.size() == 1) wake_.notify_one();
}

std::vector<TypingKey> RedisTyping::expire() {
  const TimeMs now = clock_.now_ms();
  std::lock_guard lock(mutex_);
  std::vector<TypingKey> expired = std::exchange(ended_, {});
  for (auto it = local_.begin(); it != local_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    // In Redis, the node that pops it announces it (perhaps this one, via ended_);
    // while Redis is unreachable nobody would, so this node does (Redis may
    // repeat it later: a second stop_typing, harmless).
    if (!it->second.in_redis || !up_.load()) expired.push_back(it->first);
    it = local_.erase(it);
  }
  return expired;
}

std::vector<TypingKey> RedisTyping::take_started() {
  std::lock_guard lock(mutex_);
  return std::exchange(began_, {});
}

RedisTypingStats RedisTyping::stats() const {
  return {expired_.load(std::memory_order_relaxed), dropped_.load(std::memory_order_relaxed), up_.load()};
}

void RedisTyping::start() {
  thread_ = std::thread([this] { run(); });
}

void RedisTyping::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  up_.store(false);
}

bool RedisTyping::wait_for(std::chrono::milliseconds delay, bool wake_on_queue) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, delay, [&] { return stopping_ || (wake_on_queue && !queue_.empty()); });
  return !stopping_;
}

void RedisTyping::run() {
  RedisConnection connection({options_.endpoint, options_.connect_timeout, options_.command_timeout}, {kStart, kExpire});
  auto backoff = options_.backoff_min;
  bool warned = false;
  auto next_expire = std::chrono::steady_clock::now();
  for (;;) {
    if (!connection.is_open()) {
      if (!connection.connect()) {
        if (!warned) spdlog::warn("redis typing: {}; typing expires per node until Redis is back", connection.error());
        warned = true;
        if (!wait_for(backoff, false)) return;
        backoff = std::min(backoff * 2, options_.backoff_max);
        continue;
      }
      if (warned) spdlog::info("redis typing: connected again");
      warned = false;
      up_.store(true);
    }
    bool ok = send_commands(connection);
    if (ok && std::chrono::steady_clock::now() >= next_expire) {
      if (!options_.can_announce || options_.can_announce()) ok = expire_in_redis(connection);
      next_expire = std::chrono::steady_clock::now() + options_.tick;
    }
    if (!ok) {
      if (!warned) spdlog::warn("redis typing: {}; typing expires per node until Redis is back", connection.error());
      warned = true;
      {
        std::lock_guard lock(mutex_);
        up_.store(false);
        dropped_.fetch_add(queue_.size(), std::memory_order_relaxed);
        queue_.clear();
      }
      connection.close();
      if (!wait_for(backoff, false)) return;  // a Redis that answers with errors must not be hammered
      backoff = std::min(backoff * 2, options_.backoff_max);
      continue;
    }
    backoff = options_.backoff_min;
    if (!wait_for(std::chrono::duration_cast<std::chrono::milliseconds>(next_expire - std::chrono::steady_clock::now()), true))
      return;
  }
}

bool RedisTyping::send_commands(RedisConnection& connection) {
  std::vector<Command> batch;
  {
    std::lock_guard lock(mutex_);
    while (!queue_.empty() && batch.size() < kBatch) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
  }
  const std::string timeout = std::to_string(options_.timeout.count());
  for (const auto& command : batch) {
    if (command.start) connection.append_script(kStartScript, {options_.prefix, member(command.key), timeout});
    else connection.append({"ZREM", options_.prefix + "typing", member(command.key)});
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto reply = connection.get_reply();
    const auto changed = reply_integer(reply.get());
    if (!changed) {
      dropped_.fetch_add(batch.size() - i, std::memory_order_relaxed);
      return false;
    }
    const Command& command = batch[i];
    std::lock_guard lock(mutex_);
    if (command.start) {
      if (auto it = local_.find(command.key); it != local_.end()) it->second.in_redis = true;
      if (*changed == 1 && !command.announced) began_.push_back(command.key);
    } else if (*changed == 1 && !command.announced) {
      ended_.push_back(command.key);
    }
  }
  return true;
}

bool RedisTyping::expire_in_redis(RedisConnection& connection) {
  auto reply = connection.run_script(kExpireScript, {options_.prefix, std::to_string(kExpireLimit)});
  if (!reply || reply->type != REDIS_REPLY_ARRAY) return false;
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < reply->elements; ++i) {
    const auto text = reply_string(reply->element[i]);
    const auto key = text ? parse_member(*text) : std::nullopt;
    if (!key) continue;
    local_.erase(*key);  // a new keystroke announces typing again
    ended_.push_back(*key);
    expired_.fetch_add(1, std::memory_order_relaxed);
  }
  return true;
}

}  // namespace parley::cluster::redis
