#include "cluster/redis/redis_presence.hpp"

#include <algorithm>
#include <random>
#include <spdlog/spdlog.h>

#include "cluster/redis/redis_connection.hpp"

namespace parley::cluster::redis {

namespace {

// Shared by every script: ARGV[1] is the key prefix.
constexpr const char* kPrelude = R"lua(
local P = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function log(user, online, at)
  local seq = redis.call('INCR', P .. 'presence:seq')
  redis.call('XADD', P .. 'presence:log', 'MAXLEN', '~', '10000', '*', 's', seq, 'u', user, 'o', online, 't', at)
end
-- Forgets a node's connections; its users left without one go dropping.
local function drop_node(node, now)
  local set = P .. 'presence:node:' .. node
  for _, user in ipairs(redis.call('SMEMBERS', set)) do
    local conns = P .. 'presence:conns:' .. user
    redis.call('HDEL', conns, node)
    if redis.call('HLEN', conns) == 0 and redis.call('HEXISTS', P .. 'presence:online', user) == 1 then
      redis.call('ZADD', P .. 'presence:dropping', 'NX', now, user)
    end
  end
  redis.call('DEL', set)
end
)lua";

enum Script : std::size_t { kRegister, kReap, kSync, kExpire, kSnapshot, kDeregister };

// The script bodies, in Script order. Each is prefixed with kPrelude.
constexpr const char* kBodies[] = {
    // REGISTER: ARGV node, ttl_ms. Replaces the node's connections (it syncs them next).
    R"lua(
drop_node(ARGV[2], now_ms())
redis.call('SET', P .. 'presence:alive:' .. ARGV[2], '1', 'PX', ARGV[3])
redis.call('SADD', P .. 'presence:nodes', ARGV[2])
return 1
)lua",
    // REAP: drops the connections of the nodes whose liveness key expired.
    R"lua(
local now = now_ms()
local reaped = 0
for _, node in ipairs(redis.call('SMEMBERS', P .. 'presence:nodes')) do
  if redis.call('EXISTS', P .. 'presence:alive:' .. node) == 0 then
    drop_node(node, now)
    redis.call('SREM', P .. 'presence:nodes', node)
    reaped = reaped + 1
  end
end
return reaped
)lua",
    // SYNC: ARGV node, user, count. Returns {1 if the user just came online, now}.
    R"lua(
local now = now_ms()
local node, user, count = ARGV[2], ARGV[3], tonumber(ARGV[4])
local conns = P .. 'presence:conns:' .. user
if count > 0 then
  redis.call('HSET', conns, node, count)
  redis.call('SADD', P .. 'presence:node:' .. node, user)
else
  redis.call('HDEL', conns, node)
  redis.call('SREM', P .. 'presence:node:' .. node, user)
end
if redis.call('HLEN', conns) > 0 then
  redis.call('ZREM', P .. 'presence:dropping', user)
  if redis.call('HSETNX', P .. 'presence:online', user, now) == 1 then
    log(user, 1, now)
    return {1, now}
  end
elseif redis.call('HEXISTS', P .. 'presence:online', user) == 1 then
  redis.call('ZADD', P .. 'presence:dropping', 'NX', now, user)
end
return {0, now}
)lua",
    // EXPIRE: ARGV grace_ms, limit. Returns [user, last seen, ...] now offline.
    R"lua(
local now = now_ms()
local due = redis.call('ZRANGEBYSCORE', P .. 'presence:dropping', '-inf', now - tonumber(ARGV[2]),
                       'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
local gone = {}
for i = 1, #due, 2 do
  local user, at = due[i], due[i + 1]
  redis.call('ZREM', P .. 'presence:dropping', user)
  if redis.call('HLEN', P .. 'presence:conns:' .. user) == 0 and redis.call('HDEL', P .. 'presence:online', user) == 1 then
    log(user, 0, at)
    table.insert(gone, user)
    table.insert(gone, at)
  end
end
return gone
)lua",
    // SNAPSHOT: {seq, last log id or "0", [user, since, ...] online}.
    R"lua(
local seq = tonumber(redis.call('GET', P .. 'presence:seq') or '0')
local last = redis.call('XREVRANGE', P .. 'presence:log', '+', '-', 'COUNT', 1)
local id = '0'
if #last > 0 then id = last[1][1] end
return {seq, id, redis.call('HGETALL', P .. 'presence:online')}
)lua",
    // DEREGISTER: ARGV node. A clean stop.
    R"lua(
drop_node(ARGV[2], now_ms())
redis.call('DEL', P .. 'presence:alive:' .. ARGV[2])
redis.call('SREM', P .. 'presence:nodes', ARGV[2])
return 1
)lua",
};

std::vector<std::string> scripts() {
  std::vector<std::string> all;
  for (const char* body : kBodies) all.push_back(std::string(kPrelude) + body);
  return all;
}

std::string random_node_name() {
  std::random_device device;
  const std::uint64_t id = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(id));
  return text;
}

std::optional<Id> parse_user(const redisReply* reply) {
  auto value = reply_integer(reply);
  if (!value) return std::nullopt;
  return static_cast<Id>(*value);
}

constexpr int kExpireBatch = 1000;
constexpr int kLogBatch = 1000;
// How long one log read waits in Redis for a transition: bounds how late stop() is noticed.
constexpr std::chrono::milliseconds kLogBlock{200};

}  // namespace

RedisPresence::RedisPresence(RedisPresenceOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock), node_(random_node_name()), grace_ms_(options_.grace.count()) {}

RedisPresence::~RedisPresence() { stop(); }

// ---- the PresenceService calls: memory only

void RedisPresence::touch(Id user) {
  const TimeMs now = clock_.now_ms();
  std::lock_guard lock(mutex_);
  local_[user].last_seen_at = now;
}

bool RedisPresence::connected(Id user) {
  const TimeMs now = clock_.now_ms();
  std::lock_guard lock(mutex_);
  auto& entry = local_[user];
  entry.last_seen_at = now;
  if (entry.connections++ == 0) connected_users_.fetch_add(1, std::memory_order_relaxed);
  if (dirty_.insert(user).second) wake_.notify_one();
  return false;
}

void RedisPresence::disconnected(Id user) {
  const TimeMs now = clock_.now_ms();
  std::lock_guard lock(mutex_);
  auto it = local_.find(user);
  if (it == local_.end() || it->second.connections == 0) return;
  it->second.last_seen_at = now;
  if (--it->second.connections == 0) {
    connected_users_.fetch_sub(1, std::memory_order_relaxed);
    if (dirty_.insert(user).second) wake_.notify_one();
  }
}

std::vector<Id> RedisPresence::expire_offline(TimeMs grace) {
  grace_ms_.store(grace);
  std::lock_guard lock(mutex_);
  return std::exchange(went_offline_, {});
}

std::vector<Id> RedisPresence::take_came_online() {
  std::lock_guard lock(mutex_);
  return std::exchange(came_online_, {});
}

PresenceState RedisPresence::state(Id user) const {
  std::lock_guard lock(mutex_);
  PresenceState state;
  TimeMs last_seen = 0;
  if (auto it = local_.find(user); it != local_.end()) {
    state.online = it->second.connections > 0;
    last_seen = it->second.last_seen_at;
  }
  if (auto it = mirror_.find(user); it != mirror_.end()) {
    const bool offline_everywhere = !state.online && !it->second.online;
    state.online = state.online || it->second.online;
    // Offline: the time of the cluster's offline transition, the same on every
    // node (this node's own clock and requests would make the nodes disagree).
    last_seen = offline_everywhere && it->second.last_seen_at > 0 ? it->second.last_seen_at
                                                                  : std::max(last_seen, it->second.last_seen_at);
  }
  if (last_seen > 0) state.last_seen_at = last_seen;
  return state;
}

RedisPresenceStats RedisPresence::stats() const {
  RedisPresenceStats s;
  s.came_online = came_online_count_.load(std::memory_order_relaxed);
  s.went_offline = went_offline_count_.load(std::memory_order_relaxed);
  s.nodes_reaped = nodes_reaped_.load(std::memory_order_relaxed);
  s.registrations = registrations_.load(std::memory_order_relaxed);
  s.snapshots = snapshots_.load(std::memory_order_relaxed);
  s.connected = up_.load();
  std::lock_guard lock(mutex_);
  s.online_users = mirror_online_;
  return s;
}

// ---- lifecycle

void RedisPresence::start() {
  thread_ = std::thread([this] { run(); });
  log_thread_ = std::thread([this] { run_log(); });
}

void RedisPresence::stop() { halt(true); }

void RedisPresence::stop_without_cleanup() { halt(false); }

void RedisPresence::halt(bool cleanup) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable() && !log_thread_.joinable()) return;
    stopping_ = true;
    cleanup_on_stop_ = cleanup;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (log_thread_.joinable()) log_thread_.join();  // within one log block
  up_.store(false);
}

bool RedisPresence::wait_for(std::chrono::milliseconds delay, bool wake_on_dirty) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, delay, [&] { return stopping_ || (wake_on_dirty && !dirty_.empty()); });
  return !stopping_;
}

// ---- the thread

void RedisPresence::run() {
  RedisConnection connection({options_.endpoint, options_.connect_timeout, options_.command_timeout}, scripts());
  using Steady = std::chrono::steady_clock;
  auto backoff = options_.backoff_min;
  bool registered = false;
  bool warned = false;
  auto next_heartbeat = Steady::now();
  // After any failure: the local view, a new connection after the backoff (a
  // Redis that answers with errors must not be hammered).
  const auto lost = [&] {
    if (!warned) spdlog::warn("redis presence: {}; presence is this node's local view until Redis is back", connection.error());
    warned = true;
    up_.store(false);
    registered = false;
    connection.close();
    const bool go_on = wait_for(backoff, false);
    backoff = std::min(backoff * 2, options_.backoff_max);
    return go_on;
  };
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
    }
    if (!connection.is_open() && !connection.connect()) {
      if (!lost()) break;
      continue;
    }
    if (!registered) {
      if (!do_register(connection)) {
        if (!lost()) break;
        continue;
      }
      registered = true;
      next_heartbeat = Steady::now() + options_.heartbeat_interval;
      if (warned) spdlog::info("redis presence: connected; this node's connections registered again");
      warned = false;
    }
    if (Steady::now() >= next_heartbeat) {
      bool still_registered = true;
      if (!heartbeat(connection, still_registered) || !reap(connection)) {
        if (!lost()) break;
        continue;
      }
      next_heartbeat = Steady::now() + options_.heartbeat_interval;
      if (!still_registered) {
        spdlog::warn("redis presence: this node's liveness key had expired; registering again");
        registered = false;
        continue;
      }
    }
    const bool can_announce = !options_.can_announce || options_.can_announce();
    const bool ok = sync_dirty(connection) && (!can_announce || expire(connection));
    if (!ok) {
      if (!lost()) break;
      continue;
    }
    up_.store(true);
    backoff = options_.backoff_min;
    if (!wait_for(options_.tick, true)) break;
  }
  bool cleanup = false;
  {
    std::lock_guard lock(mutex_);
    cleanup = cleanup_on_stop_;
  }
  if (cleanup && connection.is_open() && registered) deregister(connection);
}

// ---- the log thread: keeps the mirror current

void RedisPresence::run_log() {
  // Its reads block in Redis for up to kLogBlock: the command timeout allows for it.
  RedisConnection connection({options_.endpoint, options_.connect_timeout, options_.command_timeout + kLogBlock},
                             scripts());
  auto backoff = options_.backoff_min;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    bool ok = connection.is_open();
    if (!ok) {
      ok = connection.connect();
      need_snapshot_ = true;  // what happened meanwhile may be trimmed, or Redis restarted
    }
    ok = ok && (!need_snapshot_ || snapshot(connection)) && read_log(connection);
    if (ok) {
      backoff = options_.backoff_min;
      continue;
    }
    connection.close();
    if (!wait_for(backoff, false)) return;
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
}

bool RedisPresence::do_register(RedisConnection& connection) {
  if (!connection.run_script(kRegister, {options_.prefix, node_, std::to_string(options_.node_ttl.count())}))
    return false;
  registrations_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  for (const auto& [user, entry] : local_)
    if (entry.connections > 0) dirty_.insert(user);
  return true;
}

bool RedisPresence::heartbeat(RedisConnection& connection, bool& still_registered) {
  auto reply = connection.command({"SET", options_.prefix + "presence:alive:" + node_, "1", "PX",
                                   std::to_string(options_.node_ttl.count()), "XX"});
  if (!reply) return false;
  still_registered = reply->type != REDIS_REPLY_NIL;
  return true;
}

bool RedisPresence::reap(RedisConnection& connection) {
  auto reply = connection.run_script(kReap, {options_.prefix});
  auto reaped = reply_integer(reply.get());
  if (!reaped) return false;
  if (*reaped > 0) {
    spdlog::info("redis presence: dropped the connections of {} node(s) that stopped answering", *reaped);
    nodes_reaped_.fetch_add(static_cast<std::uint64_t>(*reaped), std::memory_order_relaxed);
  }
  return true;
}

bool RedisPresence::sync_dirty(RedisConnection& connection) {
  std::vector<std::pair<Id, int>> counts;
  {
    std::lock_guard lock(mutex_);
    for (Id user : dirty_) counts.emplace_back(user, local_[user].connections);
    dirty_.clear();
  }
  for (const auto& [user, count] : counts)
    connection.append_script(kSync, {options_.prefix, node_, std::to_string(user), std::to_string(count)});
  for (const auto& [user, count] : counts) {
    auto reply = connection.get_reply();
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
      connection.close();
      return false;  // registering again syncs every count
    }
    const auto came = reply_integer(reply->element[0]);
    const auto at = reply_integer(reply->element[1]);
    if (came && *came == 1 && at) {
      std::lock_guard lock(mutex_);
      apply(user, true, *at);
      came_online_.push_back(user);
      came_online_count_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  return true;
}

bool RedisPresence::expire(RedisConnection& connection) {
  auto reply = connection.run_script(kExpire, {options_.prefix, std::to_string(grace_ms_.load()), std::to_string(kExpireBatch)});
  if (!reply || reply->type != REDIS_REPLY_ARRAY) return false;
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i + 1 < reply->elements; i += 2) {
    const auto user = parse_user(reply->element[i]);
    const auto at = reply_integer(reply->element[i + 1]);
    if (!user || !at) continue;
    apply(*user, false, *at);
    went_offline_.push_back(*user);
    went_offline_count_.fetch_add(1, std::memory_order_relaxed);
  }
  return true;
}

void RedisPresence::apply(Id user, bool online, TimeMs at) {
  auto& entry = mirror_[user];
  if (entry.online != online) online ? ++mirror_online_ : --mirror_online_;
  entry.online = online;
  entry.last_seen_at = std::max(entry.last_seen_at, at);
}

bool RedisPresence::read_log(RedisConnection& connection) {
  auto reply = connection.command({"XREAD", "COUNT", std::to_string(kLogBatch), "BLOCK",
                                   std::to_string(kLogBlock.count()), "STREAMS", options_.prefix + "presence:log",
                                   last_log_id_});
  if (!reply) return false;
  if (reply->type == REDIS_REPLY_NIL) return true;  // nothing new
  // [[stream, [[id, [field, value, ...]], ...]]]
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 1 || reply->element[0]->type != REDIS_REPLY_ARRAY ||
      reply->element[0]->elements != 2 || reply->element[0]->element[1]->type != REDIS_REPLY_ARRAY)
    return false;
  const redisReply* entries = reply->element[0]->element[1];
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < entries->elements; ++i) {
    const redisReply* entry = entries->element[i];
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) return false;
    const auto id = reply_string(entry->element[0]);
    const redisReply* fields = entry->element[1];
    if (!id || fields->type != REDIS_REPLY_ARRAY) return false;
    std::optional<long long> seq, user, online, at;
    for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
      const auto name = reply_string(fields->element[f]);
      const auto value = reply_integer(fields->element[f + 1]);
      if (!name) continue;
      if (*name == "s") seq = value;
      else if (*name == "u") user = value;
      else if (*name == "o") online = value;
      else if (*name == "t") at = value;
    }
    if (!seq || !user || !online || !at) return false;
    if (*seq <= last_seq_) continue;  // read in a snapshot already
    if (*seq != last_seq_ + 1) {      // trimmed away, or a restarted Redis: start again from a snapshot
      need_snapshot_ = true;
      return true;
    }
    apply(static_cast<Id>(*user), *online == 1, *at);
    last_seq_ = *seq;
    last_log_id_ = std::string(*id);
  }
  return true;
}

bool RedisPresence::snapshot(RedisConnection& connection) {
  auto reply = connection.run_script(kSnapshot, {options_.prefix});
  if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) return false;
  const auto seq = reply_integer(reply->element[0]);
  const auto id = reply_string(reply->element[1]);
  const redisReply* online = reply->element[2];
  if (!seq || !id || online->type != REDIS_REPLY_ARRAY) return false;
  std::lock_guard lock(mutex_);
  for (auto& [user, entry] : mirror_) entry.online = false;
  mirror_online_ = 0;
  for (std::size_t i = 0; i + 1 < online->elements; i += 2) {
    const auto user = parse_user(online->element[i]);
    const auto since = reply_integer(online->element[i + 1]);
    if (user && since) apply(*user, true, *since);
  }
  last_seq_ = *seq;
  last_log_id_ = std::string(*id);
  need_snapshot_ = false;
  snapshots_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void RedisPresence::deregister(RedisConnection& connection) {
  if (!connection.run_script(kDeregister, {options_.prefix, node_}))
    spdlog::warn("redis presence: could not deregister node {}: {}; it is reaped after its TTL", node_, connection.error());
}

}  // namespace parley::cluster::redis
