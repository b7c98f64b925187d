#pragma once
// The presence, typing and rate-limit services of a node: in-process ones
// (LocalPresence, LocalTyping, LocalRateLimiter) for --bus local, Redis-backed
// ones shared by the nodes for --bus redis://... (docs/cluster-presence.md),
// with their /metrics.
//
// Thread-safety: start(), stop() and register_metrics() from the thread that
// runs serve(); the services themselves from any thread. Ownership: owns the
// services; stop() ends the Redis threads (presence deregisters the node), and
// must come before the store and the worker pool go (a limiter's fallback
// answers run the waiting sends).

#include <functional>
#include <memory>

#include "app/config.hpp"
#include "cluster/presence.hpp"
#include "cluster/rate_limiter.hpp"
#include "cluster/redis/redis_bus.hpp"
#include "cluster/typing.hpp"
#include "common/clock.hpp"
#include "metrics/registry.hpp"

namespace parley::cluster::redis {
class RedisPresence;
class RedisTyping;
class RedisRateLimiter;
}  // namespace parley::cluster::redis

namespace parley::app {

class LiveServices {
 public:
  // `redis`: the bus's endpoint in cluster mode, nullptr for one process;
  // `bus_connected`: whether the bus can carry an announcement now (cluster
  // mode: presence and typing leave expiries to a node whose bus is up).
  LiveServices(const ServeConfig& config, const Clock& clock, const cluster::redis::RedisEndpoint* redis,
               std::function<bool()> bus_connected = {});
  ~LiveServices();
  LiveServices(const LiveServices&) = delete;
  LiveServices& operator=(const LiveServices&) = delete;

  cluster::PresenceService& presence() { return *presence_; }
  cluster::TypingService& typing() { return *typing_; }
  // Sends and read receipts have a bucket each: one does not starve the other.
  cluster::RateLimiter& send_limits() { return *send_limits_; }
  cluster::RateLimiter& read_limits() { return *read_limits_; }

  void start();
  void stop();
  // Cluster mode only (nothing for one process).
  void register_metrics(metrics::Registry& registry) const;

 private:
  std::unique_ptr<cluster::PresenceService> presence_;
  std::unique_ptr<cluster::TypingService> typing_;
  std::unique_ptr<cluster::RateLimiter> send_limits_;
  std::unique_ptr<cluster::RateLimiter> read_limits_;
  // The same objects when they are the Redis ones; nullptr otherwise.
  cluster::redis::RedisPresence* redis_presence_ = nullptr;
  cluster::redis::RedisTyping* redis_typing_ = nullptr;
  cluster::redis::RedisRateLimiter* redis_send_ = nullptr;
  cluster::redis::RedisRateLimiter* redis_read_ = nullptr;
};

}  // namespace parley::app
