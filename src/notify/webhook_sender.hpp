#pragma once
// WebhookSender: posts notifications to the --notify-webhook URL
// (docs/features.md, "Notifications"). enqueue() only queues, under a short
// lock, and never waits for the network: the send path calls it. One
// background thread posts the queued deliveries one at a time with libcurl
// (connect timeout 2 s, whole request 5 s), each signed with a fresh
// timestamp; a 2xx answer is success, anything else (or no answer) is retried
// per RetryPolicy and, after the last attempt, dropped and logged. The queue
// is bounded (DeliveryQueue: the oldest is dropped when full).
//
// Notifications live in memory: stop() abandons those waiting (counted as
// dropped, reason "shutdown") and aborts a request in flight; it returns
// within about a second (libcurl's progress callback), at worst the request
// timeout.
//
// Metrics (when given a registry): parley_notify_sent_total,
// parley_notify_failed_total (attempts), parley_notify_dropped_total{reason},
// parley_notify_queue_depth.
//
// Thread-safety: enqueue() and stats() from any thread; start() and stop()
// from the thread that owns the sender, once each (stop() without start()
// is allowed).
// Ownership: owns its queue, thread and curl handle; borrows the registry
// (which must outlive it) and the clock.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/clock.hpp"
#include "notify/delivery_queue.hpp"
#include "notify/retry_policy.hpp"

namespace parley::metrics {
class Registry;
}

namespace parley::notify {

struct WebhookOptions {
  std::string url;     // http:// or https://
  std::string secret;  // the HMAC-SHA256 key
  std::size_t queue_limit = 10'000;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds request_timeout{5000};
  RetryPolicy retry;
};

// "scheme://host[:port]/path" of `url`: user information and query dropped.
std::string redacted_url(std::string_view url);

class WebhookSender {
 public:
  struct Stats {
    std::uint64_t sent = 0;                // deliveries answered 2xx
    std::uint64_t failed = 0;              // attempts that failed (non-2xx, no answer)
    std::uint64_t dropped_queue_full = 0;  // the oldest dropped for a new one
    std::uint64_t dropped_gave_up = 0;     // failed max_attempts times
    std::uint64_t dropped_shutdown = 0;    // waiting or in flight at stop()
    std::int64_t queue_depth = 0;          // waiting now (not the one in flight)
  };

  // `registry` may be null (tests); `clock` gives X-Parley-Timestamp.
  WebhookSender(WebhookOptions options, metrics::Registry* registry, const Clock& clock = SystemClock::instance());
  ~WebhookSender();  // stop()
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  void start();
  void stop();
  // Queues one notification; never blocks on the network. After stop(), the
  // notification is dropped (reason "shutdown").
  void enqueue(std::string delivery_id, std::string body);

  Stats stats() const;
  // The URL for the log: without user information or query string, which may
  // carry credentials.
  std::string describe() const { return redacted_url(options_.url); }

 private:
  enum class Outcome { delivered, failed, aborted };

  void run();
  Outcome post(const Delivery& delivery, void* curl);
  void finish_attempt(Delivery delivery, Outcome outcome);  // REQUIRES: mutex_ held
  void register_metrics(metrics::Registry& registry);
  void log_gave_up(const Delivery& delivery);  // REQUIRES: mutex_ held

  const WebhookOptions options_;
  const Clock& clock_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  DeliveryQueue queue_;      // guarded by mutex_
  bool stopping_ = false;    // guarded by mutex_
  std::chrono::steady_clock::time_point last_gave_up_log_{};  // guarded by mutex_
  std::uint64_t gave_up_unlogged_ = 0;                        // guarded by mutex_
  std::atomic<bool> abort_{false};  // read by libcurl's progress callback
  std::thread thread_;

  std::atomic<std::uint64_t> sent_{0}, failed_{0}, dropped_queue_full_{0}, dropped_gave_up_{0},
      dropped_shutdown_{0};
  std::atomic<std::int64_t> queue_depth_{0};
};

}  // namespace parley::notify
