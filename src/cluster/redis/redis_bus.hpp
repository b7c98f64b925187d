#pragma once
// RedisBus: the Bus of a cluster node (bus.hpp), over Redis pub/sub.
//
// Redis is never the system of record: a node's own events never depend on it,
// and what Redis loses, receivers repair from the store (chat/delivery_order.hpp).
//   - publish() and invalidate() first call every local subscriber at once, on
//     the caller's thread (as LocalBus does), then queue the encoded message
//     (bus_message.hpp) for the publisher thread. They never block on the
//     network: the queue is bounded (`max_queue`), and a message that finds it
//     full, or that is queued while Redis is unreachable, is dropped and counted.
//   - The publisher thread sends the queue as pipelined PUBLISH commands and
//     PINGs Redis every `ping_interval` when idle (the round-trip time metric).
//   - The subscriber thread SUBSCRIBEs to every channel, skips the messages of
//     its own node and calls the local subscribers with the rest; a malformed
//     message is counted and dropped. It PINGs on its subscribed connection
//     too, so a stalled Redis is noticed within `ping_interval +
//     command_timeout` and the connection is replaced.
// Both threads use blocking hiredis contexts with connect and command timeouts
// (Debian's hiredis has no Asio adapter) and reconnect with exponential backoff
// (`backoff_min` doubling to `backoff_max`). After every successful
// (re)subscription the reconnect listener runs, on the subscriber thread, so
// that the chat layer repairs what was missed while the node was not listening.
//
// Channels: `<prefix>d:<conversation % 16>` for deliveries with a conversation,
// `<prefix>u` for the rest (user_status: per user, not per conversation) and
// `<prefix>i` for invalidations. Every node subscribes to all of them (every
// node may hold connections of any conversation's members); the sharding keeps
// each channel's fan-out list short in Redis, lets a later version subscribe
// per shard, and maps onto Redis Cluster's sharded pub/sub. One channel per
// shard keeps a conversation's messages in publish order within Redis.
//
// Node id: a random 64-bit number drawn at construction, so that two processes
// never share one even if they were given the same --node-id.
//
// Thread-safety: publish(), invalidate(), connected(), stats() from any thread;
// subscribe() and set_reconnect_listener() before start(); start() and stop()
// from one thread (the owner's). Ownership: borrows its subscribers; owns its
// threads and connections. The destructor calls stop().

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/bus.hpp"
#include "common/result.hpp"

struct redisContext;

namespace parley::cluster::redis {

struct RedisEndpoint {
  std::string host;
  int port = 6379;
};

// "redis://HOST:PORT" (PORT optional, default 6379; HOST may be [v6]).
Result<RedisEndpoint> parse_redis_url(std::string_view url);

struct RedisBusOptions {
  RedisEndpoint endpoint;
  std::string channel_prefix = "parley:";
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds command_timeout{1000};
  std::chrono::milliseconds ping_interval{3000};
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{2000};
  std::size_t max_queue = 65'536;  // encoded messages waiting for the publisher
  std::size_t max_batch = 512;     // PUBLISH commands per pipeline round
};

struct RedisBusStats {
  std::uint64_t published = 0;   // PUBLISH commands Redis answered
  std::uint64_t received = 0;    // messages of other nodes handed to the local subscribers
  std::uint64_t dropped = 0;     // messages not sent: queue full, Redis down, or a failed pipeline
  std::uint64_t malformed = 0;   // messages from Redis that did not decode
  std::uint64_t reconnects = 0;  // successful connections after a lost or failed one
  double rtt_seconds = 0;        // the latest PING round trip
  bool connected = false;        // both connections up
};

class RedisBus final : public Bus {
 public:
  explicit RedisBus(RedisBusOptions options);
  ~RedisBus() override;
  RedisBus(const RedisBus&) = delete;
  RedisBus& operator=(const RedisBus&) = delete;

  void publish(Delivery delivery) override;
  void invalidate(Invalidation invalidation) override;
  void subscribe(BusSubscriber& subscriber) override;

  // REQUIRES: before start(). Runs on the subscriber thread; must not block.
  void set_reconnect_listener(std::function<void()> listener);
  // Starts the two threads; they connect in the background (start() does not wait).
  void start();
  // Stops the threads (within about one command timeout) and closes the connections.
  void stop();

  bool connected() const;
  RedisBusStats stats() const;
  std::uint64_t node() const { return node_; }

 private:
  struct Outgoing {
    std::string channel;
    std::string message;
  };
  void enqueue(std::string channel, std::string message);
  std::string delivery_channel(const Delivery& delivery) const;

  void run_publisher();
  void run_subscriber();
  redisContext* connect();
  // Waits `delay` or until stop(); false once stopping.
  bool sleep_for(std::chrono::milliseconds delay);
  // Drops (and counts) what is queued: Redis is away.
  void drop_queued();
  // Sends one pipelined batch. False when the connection failed.
  bool send_batch(redisContext* context, std::vector<Outgoing>& batch);
  bool ping(redisContext* context);
  // Reads and dispatches subscribed messages until the connection fails or stop().
  void read_subscribed(redisContext* context);
  void dispatch(const char* data, std::size_t size);

  const RedisBusOptions options_;
  const std::uint64_t node_;
  const std::string own_prefix_;  // bus_message.hpp own_prefix(node_)
  std::vector<BusSubscriber*> subscribers_;  // written only before start()
  std::function<void()> reconnect_listener_;  // written only before start()

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Outgoing> queue_;  // GUARDED_BY(mutex_)
  bool stopping_ = false;       // GUARDED_BY(mutex_)
  std::atomic<bool> stop_flag_{false};

  std::atomic<bool> publisher_up_{false};
  std::atomic<bool> subscriber_up_{false};
  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> malformed_{0};
  std::atomic<std::uint64_t> reconnects_{0};
  std::atomic<std::int64_t> rtt_micros_{0};

  std::thread publisher_;
  std::thread subscriber_;
};

}  // namespace parley::cluster::redis
