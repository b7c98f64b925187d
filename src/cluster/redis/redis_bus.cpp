#include "cluster/redis/redis_bus.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <memory>
#include <optional>
#include <random>
#include <spdlog/spdlog.h>

#include "cluster/redis/bus_message.hpp"

namespace parley::cluster::redis {

namespace {

constexpr std::uint64_t kDeliveryShards = 16;
// How long the subscriber waits in poll() at most: bounds how late stop() is noticed.
constexpr int kPollSliceMs = 100;

using SteadyClock = std::chrono::steady_clock;

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

std::uint64_t random_node_id() {
  std::random_device device;
  std::uint64_t id = 0;
  while (id == 0) id = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  return id;
}

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

bool is_array_of(const redisReply* reply, std::size_t size, std::string_view kind) {
  return reply != nullptr && reply->type == REDIS_REPLY_ARRAY && reply->elements == size &&
         reply->element[0]->type == REDIS_REPLY_STRING && std::string_view(reply->element[0]->str, reply->element[0]->len) == kind;
}

}  // namespace

Result<RedisEndpoint> parse_redis_url(std::string_view url) {
  const auto bad = [&] { return Error::bad_request("bad_redis_url", "expected redis://HOST:PORT, got " + std::string(url)); };
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, scheme.size()) != scheme) return bad();
  std::string_view rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  RedisEndpoint endpoint;
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return bad();
    endpoint.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad();
      port_text = rest.substr(1);
    }
  } else {
    const auto colon = rest.find(':');
    endpoint.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
    if (colon != std::string_view::npos && port_text.empty()) return bad();
  }
  if (endpoint.host.empty() || endpoint.host.find_first_of("/@?# ") != std::string::npos) return bad();
  if (!port_text.empty()) {
    int port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 || port > 65535) return bad();
    endpoint.port = port;
  }
  return endpoint;
}

RedisBus::RedisBus(RedisBusOptions options)
    : options_(std::move(options)), node_(random_node_id()), own_prefix_(own_prefix(node_)) {}

RedisBus::~RedisBus() { stop(); }

void RedisBus::subscribe(BusSubscriber& subscriber) { subscribers_.push_back(&subscriber); }

void RedisBus::set_reconnect_listener(std::function<void()> listener) { reconnect_listener_ = std::move(listener); }

void RedisBus::publish(Delivery delivery) {
  for (auto* subscriber : subscribers_) subscriber->on_delivery(delivery);
  enqueue(delivery_channel(delivery), encode_delivery(node_, delivery));
}

void RedisBus::invalidate(Invalidation invalidation) {
  for (auto* subscriber : subscribers_) subscriber->on_invalidation(invalidation);
  enqueue(options_.channel_prefix + "i", encode_invalidation(node_, invalidation));
}

std::string RedisBus::delivery_channel(const Delivery& delivery) const {
  if (delivery.conversation_id == 0) return options_.channel_prefix + "u";
  const auto shard = static_cast<std::uint64_t>(delivery.conversation_id) % kDeliveryShards;
  return options_.channel_prefix + "d:" + std::to_string(shard);
}

void RedisBus::enqueue(std::string channel, std::string message) {
  {
    std::lock_guard lock(mutex_);
    // While Redis is away nothing would send it: dropping now keeps the queue
    // for what follows the reconnection (receivers repair the rest).
    if (!stopping_ && publisher_up_.load() && queue_.size() < options_.max_queue) {
      queue_.push_back({std::move(channel), std::move(message)});
      wake_.notify_one();
      return;
    }
  }
  dropped_.fetch_add(1, std::memory_order_relaxed);
}

void RedisBus::start() {
  publisher_ = std::thread([this] { run_publisher(); });
  subscriber_ = std::thread([this] { run_subscriber(); });
}

void RedisBus::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    stop_flag_.store(true);
  }
  wake_.notify_all();
  if (publisher_.joinable()) publisher_.join();
  if (subscriber_.joinable()) subscriber_.join();
}

bool RedisBus::connected() const { return publisher_up_.load() && subscriber_up_.load(); }

RedisBusStats RedisBus::stats() const {
  RedisBusStats s;
  s.published = published_.load(std::memory_order_relaxed);
  s.received = received_.load(std::memory_order_relaxed);
  s.dropped = dropped_.load(std::memory_order_relaxed);
  s.malformed = malformed_.load(std::memory_order_relaxed);
  s.reconnects = reconnects_.load(std::memory_order_relaxed);
  s.rtt_seconds = static_cast<double>(rtt_micros_.load(std::memory_order_relaxed)) / 1e6;
  s.connected = connected();
  return s;
}

redisContext* RedisBus::connect() {
  redisContext* context =
      redisConnectWithTimeout(options_.endpoint.host.c_str(), options_.endpoint.port, to_timeval(options_.connect_timeout));
  if (context == nullptr) return nullptr;
  if (context->err != 0 || redisSetTimeout(context, to_timeval(options_.command_timeout)) != REDIS_OK) {
    redisFree(context);
    return nullptr;
  }
  redisEnableKeepAlive(context);
  return context;
}

bool RedisBus::sleep_for(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, delay, [this] { return stopping_; });
  return !stopping_;
}

void RedisBus::drop_queued() {
  std::lock_guard lock(mutex_);
  dropped_.fetch_add(queue_.size(), std::memory_order_relaxed);
  queue_.clear();
}

// ---- publisher thread

void RedisBus::run_publisher() {
  redisContext* context = nullptr;
  auto backoff = options_.backoff_min;
  bool failed_before = false;
  std::vector<Outgoing> batch;
  while (!stop_flag_.load()) {
    if (context == nullptr) {
      context = connect();
      if (context != nullptr && !ping(context)) {  // a first round trip: the RTT metric, and a live server
        redisFree(context);
        context = nullptr;
      }
      if (context == nullptr) {
        if (!failed_before) spdlog::warn("redis bus: cannot connect to {}:{} (publisher); retrying", options_.endpoint.host, options_.endpoint.port);
        failed_before = true;
        drop_queued();
        if (!sleep_for(backoff)) break;
        backoff = std::min(backoff * 2, options_.backoff_max);
        continue;
      }
      if (failed_before) {
        reconnects_.fetch_add(1, std::memory_order_relaxed);
        spdlog::info("redis bus: publisher connected again");
      }
      failed_before = false;
      backoff = options_.backoff_min;
      publisher_up_.store(true);
    }
    batch.clear();
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, options_.ping_interval, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) break;
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    const bool ok = batch.empty() ? ping(context) : send_batch(context, batch);
    if (!ok) {
      spdlog::warn("redis bus: publisher lost its connection: {}", context->errstr);
      publisher_up_.store(false);
      redisFree(context);
      context = nullptr;
      failed_before = true;
      drop_queued();
    }
  }
  publisher_up_.store(false);
  if (context != nullptr) redisFree(context);
}

bool RedisBus::send_batch(redisContext* context, std::vector<Outgoing>& batch) {
  for (const auto& out : batch) {
    redisAppendCommand(context, "PUBLISH %b %b", out.channel.data(), out.channel.size(), out.message.data(),
                       out.message.size());
  }
  std::size_t answered = 0;
  for (; answered < batch.size(); ++answered) {
    void* raw = nullptr;
    if (redisGetReply(context, &raw) != REDIS_OK) break;
    Reply reply(static_cast<redisReply*>(raw));
    if (reply->type == REDIS_REPLY_INTEGER) {
      published_.fetch_add(1, std::memory_order_relaxed);
    } else {
      dropped_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  dropped_.fetch_add(batch.size() - answered, std::memory_order_relaxed);
  return answered == batch.size();
}

bool RedisBus::ping(redisContext* context) {
  const auto start = SteadyClock::now();
  Reply reply(static_cast<redisReply*>(redisCommand(context, "PING")));
  if (!reply || reply->type == REDIS_REPLY_ERROR) return false;
  const auto rtt = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - start);
  rtt_micros_.store(rtt.count(), std::memory_order_relaxed);
  return true;
}

// ---- subscriber thread

void RedisBus::run_subscriber() {
  auto backoff = options_.backoff_min;
  bool failed_before = false;
  std::vector<std::string> channels{"SUBSCRIBE", options_.channel_prefix + "i", options_.channel_prefix + "u"};
  for (std::uint64_t shard = 0; shard < kDeliveryShards; ++shard)
    channels.push_back(options_.channel_prefix + "d:" + std::to_string(shard));
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& c : channels) {
    argv.push_back(c.data());
    lengths.push_back(c.size());
  }
  while (!stop_flag_.load()) {
    redisContext* context = connect();
    bool subscribed = false;
    if (context != nullptr &&
        redisAppendCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data()) == REDIS_OK) {
      subscribed = true;
      for (std::size_t i = 1; i < channels.size() && subscribed; ++i) {
        void* raw = nullptr;
        subscribed = redisGetReply(context, &raw) == REDIS_OK;
        Reply reply(static_cast<redisReply*>(raw));
        subscribed = subscribed && is_array_of(reply.get(), 3, "subscribe");
      }
    }
    if (!subscribed) {
      if (!failed_before) spdlog::warn("redis bus: cannot subscribe at {}:{}; retrying", options_.endpoint.host, options_.endpoint.port);
      failed_before = true;
      if (context != nullptr) redisFree(context);
      if (!sleep_for(backoff)) break;
      backoff = std::min(backoff * 2, options_.backoff_max);
      continue;
    }
    if (failed_before) {
      reconnects_.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("redis bus: subscribed again");
    }
    failed_before = false;
    backoff = options_.backoff_min;
    subscriber_up_.store(true);
    if (reconnect_listener_) reconnect_listener_();
    read_subscribed(context);
    subscriber_up_.store(false);
    if (!stop_flag_.load()) {
      spdlog::warn("redis bus: subscriber lost its connection: {}", context->err != 0 ? context->errstr : "no answer to PING");
      failed_before = true;
    }
    redisFree(context);
  }
}

void RedisBus::read_subscribed(redisContext* context) {
  auto next_ping = SteadyClock::now() + options_.ping_interval;
  std::optional<SteadyClock::time_point> ping_sent;
  while (!stop_flag_.load()) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(context, &raw) != REDIS_OK) return;
    if (raw != nullptr) {
      Reply reply(static_cast<redisReply*>(raw));
      if (is_array_of(reply.get(), 3, "message") && reply->element[2]->type == REDIS_REPLY_STRING) {
        dispatch(reply->element[2]->str, reply->element[2]->len);
      } else if (is_array_of(reply.get(), 2, "pong")) {
        ping_sent.reset();
        next_ping = SteadyClock::now() + options_.ping_interval;
      }
      continue;
    }
    const auto now = SteadyClock::now();
    if (ping_sent && now - *ping_sent > options_.command_timeout) return;  // Redis stalled
    if (!ping_sent && now >= next_ping) {
      if (redisAppendCommand(context, "PING") != REDIS_OK) return;
      int done = 0;
      while (done == 0)
        if (redisBufferWrite(context, &done) != REDIS_OK) return;
      ping_sent = now;
    }
    pollfd fd{context->fd, POLLIN, 0};
    const int ready = ::poll(&fd, 1, kPollSliceMs);
    if (ready < 0 && errno != EINTR) return;
    if (ready > 0 && redisBufferRead(context) != REDIS_OK) return;
  }
}

void RedisBus::dispatch(const char* data, std::size_t size) {
  // This node's own messages come back too (every node subscribes to every
  // channel): recognized by their first bytes, so they cost no parse.
  if (std::string_view(data, size).starts_with(own_prefix_)) return;
  auto message = decode_bus_message(std::string_view(data, size));
  if (!message) {
    malformed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (message->node == node_) return;  // delivered locally when it was published
  received_.fetch_add(1, std::memory_order_relaxed);
  if (const auto* delivery = std::get_if<Delivery>(&message->body)) {
    for (auto* subscriber : subscribers_) subscriber->on_delivery(*delivery);
  } else {
    const auto& invalidation = std::get<Invalidation>(message->body);
    for (auto* subscriber : subscribers_) subscriber->on_invalidation(invalidation);
  }
}

}  // namespace parley::cluster::redis
