#include "app/live_services.hpp"

#include "cluster/local_presence.hpp"
#include "cluster/local_rate_limiter.hpp"
#include "cluster/local_typing.hpp"
#include "cluster/redis/redis_presence.hpp"
#include "cluster/redis/redis_rate_limiter.hpp"
#include "cluster/redis/redis_typing.hpp"

namespace parley::app {

namespace {

std::unique_ptr<cluster::RateLimiter> local_limiter(const ServeConfig& config, const Clock& clock) {
  if (!config.rate_limit) return std::make_unique<cluster::UnlimitedRateLimiter>();
  return std::make_unique<cluster::LocalRateLimiter>(config.rate_burst, config.rate_per_second, clock);
}

}  // namespace

LiveServices::LiveServices(const ServeConfig& config, const Clock& clock, const cluster::redis::RedisEndpoint* redis,
                           std::function<bool()> bus_connected) {
  if (redis == nullptr) {
    presence_ = std::make_unique<cluster::LocalPresence>(clock);
    typing_ = std::make_unique<cluster::LocalTyping>(clock, config.typing_timeout);
    send_limits_ = local_limiter(config, clock);
    read_limits_ = local_limiter(config, clock);
    return;
  }
  cluster::redis::RedisPresenceOptions presence_options;
  presence_options.endpoint = *redis;
  presence_options.grace = config.presence_grace;
  presence_options.can_announce = bus_connected;
  auto presence = std::make_unique<cluster::redis::RedisPresence>(std::move(presence_options), clock);
  redis_presence_ = presence.get();
  presence_ = std::move(presence);

  cluster::redis::RedisTypingOptions typing_options;
  typing_options.endpoint = *redis;
  typing_options.timeout = config.typing_timeout;
  typing_options.can_announce = std::move(bus_connected);
  auto typing = std::make_unique<cluster::redis::RedisTyping>(std::move(typing_options), clock);
  redis_typing_ = typing.get();
  typing_ = std::move(typing);

  const auto redis_limiter = [&](const char* name, cluster::redis::RedisRateLimiter*& raw) -> std::unique_ptr<cluster::RateLimiter> {
    if (!config.rate_limit) return std::make_unique<cluster::UnlimitedRateLimiter>();
    cluster::redis::RedisRateLimiterOptions options;
    options.endpoint = *redis;
    options.name = name;
    options.burst = config.rate_burst;
    options.per_second = config.rate_per_second;
    auto limiter = std::make_unique<cluster::redis::RedisRateLimiter>(std::move(options), clock);
    raw = limiter.get();
    return limiter;
  };
  send_limits_ = redis_limiter("send", redis_send_);
  read_limits_ = redis_limiter("read", redis_read_);
}

LiveServices::~LiveServices() { stop(); }

void LiveServices::start() {
  if (redis_presence_ != nullptr) redis_presence_->start();
  if (redis_typing_ != nullptr) redis_typing_->start();
  if (redis_send_ != nullptr) redis_send_->start();
  if (redis_read_ != nullptr) redis_read_->start();
}

void LiveServices::stop() {
  if (redis_send_ != nullptr) redis_send_->stop();
  if (redis_read_ != nullptr) redis_read_->stop();
  if (redis_typing_ != nullptr) redis_typing_->stop();
  if (redis_presence_ != nullptr) redis_presence_->stop();
}

void LiveServices::register_metrics(metrics::Registry& registry) const {
  if (redis_presence_ != nullptr) {
    using P = cluster::redis::RedisPresenceStats;
    static constexpr metrics::SnapshotMetric<P> fields[] = {
        {"parley_presence_came_online_total", "Users this node found coming online cluster-wide (and announced)", [](const P& s) { return double(s.came_online); }},
        {"parley_presence_went_offline_total", "Users this node found offline after the grace (and announced)", [](const P& s) { return double(s.went_offline); }},
        {"parley_presence_nodes_reaped_total", "Dead nodes whose connections this node dropped from Redis", [](const P& s) { return double(s.nodes_reaped); }},
        {"parley_presence_registrations_total", "Registrations of this node's connections in Redis (start, Redis back, liveness lost)", [](const P& s) { return double(s.registrations); }},
        {"parley_presence_snapshots_total", "Full reads of the cluster's online users (start, reconnect, a gap in the log)", [](const P& s) { return double(s.snapshots); }},
        {"parley_presence_online_users", "Users online cluster-wide, as this node's mirror has them", [](const P& s) { return double(s.online_users); }},
        {"parley_presence_redis_connected", "1 while presence is synced through Redis (0: this node's local view)", [](const P& s) { return s.connected ? 1.0 : 0.0; }},
    };
    metrics::add_snapshot_metrics<P>(registry, fields, [p = redis_presence_] { return p->stats(); });
  }
  if (redis_typing_ != nullptr) {
    using T = cluster::redis::RedisTypingStats;
    static constexpr metrics::SnapshotMetric<T> fields[] = {
        {"parley_typing_expired_total", "Typing signals this node found expired in Redis (and announced stop_typing)", [](const T& s) { return double(s.expired); }},
        {"parley_typing_dropped_total", "Typing commands not sent to Redis (Redis away, queue full)", [](const T& s) { return double(s.dropped); }},
        {"parley_typing_redis_connected", "1 while typing deadlines are shared through Redis", [](const T& s) { return s.connected ? 1.0 : 0.0; }},
    };
    metrics::add_snapshot_metrics<T>(registry, fields, [t = redis_typing_] { return t->stats(); });
  }
  // One series per limit would need labels; the two limiters are summed.
  if (redis_send_ != nullptr && redis_read_ != nullptr) {
    using L = cluster::redis::RedisRateLimiterStats;
    static constexpr metrics::SnapshotMetric<L> fields[] = {
        {"parley_rate_limit_redis_decisions_total", "Rate-limit decisions made by the cluster-wide bucket in Redis", [](const L& s) { return double(s.decided); }},
        {"parley_rate_limit_fallbacks_total", "Rate-limit decisions made by this node's own bucket (Redis away, slow, or queue full)", [](const L& s) { return double(s.fallbacks); }},
        {"parley_rate_limit_redis_connected", "1 while both limiters reach Redis", [](const L& s) { return s.connected ? 1.0 : 0.0; }},
    };
    metrics::add_snapshot_metrics<L>(registry, fields, [a = redis_send_, b = redis_read_] {
      const auto x = a->stats();
      const auto y = b->stats();
      return L{x.decided + y.decided, x.fallbacks + y.fallbacks, x.connected && y.connected};
    });
  }
}

}  // namespace parley::app
