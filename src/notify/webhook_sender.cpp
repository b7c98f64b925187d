#include "notify/webhook_sender.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <utility>

#include "metrics/registry.hpp"
#include "notify/signature.hpp"

namespace parley::notify {
namespace {

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};

// The receiver's answer body is not used: discarded as it arrives.
size_t discard_body(char*, size_t size, size_t count, void*) { return size * count; }

// Called by libcurl about once a second and on progress; nonzero aborts the
// transfer, which lets stop() end a request to a receiver that does not answer.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

}  // namespace

std::string redacted_url(std::string_view url) {
  auto scheme_end = url.find("://");
  std::size_t authority = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  auto rest = url.substr(authority);
  rest = rest.substr(0, rest.find_first_of("?#"));
  auto path_start = rest.find('/');
  auto at = rest.rfind('@', path_start);  // the userinfo ends at the authority's last '@'
  if (at != std::string_view::npos) rest = rest.substr(at + 1);
  return std::string(url.substr(0, authority)) + std::string(rest);
}

WebhookSender::WebhookSender(WebhookOptions options, metrics::Registry* registry, const Clock& clock)
    : options_(std::move(options)), clock_(clock), queue_(options_.queue_limit == 0 ? 1 : options_.queue_limit) {
  global_init_once();
  if (registry != nullptr) register_metrics(*registry);
}

WebhookSender::~WebhookSender() { stop(); }

void WebhookSender::register_metrics(metrics::Registry& registry) {
  registry.add_callback_counter("parley_notify_sent_total", "Webhook notifications delivered (answered 2xx)",
                                [this] { return double(sent_.load()); });
  registry.add_callback_counter("parley_notify_failed_total",
                                "Webhook attempts that failed (an answer other than 2xx, or none in time)",
                                [this] { return double(failed_.load()); });
  const char* help = "Webhook notifications dropped: queue full (the oldest), given up after the last attempt, or "
                     "waiting at shutdown";
  registry.add_callback_counter("parley_notify_dropped_total", help,
                                [this] { return double(dropped_queue_full_.load()); },
                                metrics::label("reason", "queue_full"));
  registry.add_callback_counter("parley_notify_dropped_total", help,
                                [this] { return double(dropped_gave_up_.load()); }, metrics::label("reason", "gave_up"));
  registry.add_callback_counter("parley_notify_dropped_total", help,
                                [this] { return double(dropped_shutdown_.load()); },
                                metrics::label("reason", "shutdown"));
  registry.add_callback_gauge("parley_notify_queue_depth", "Webhook notifications waiting (new or for a retry)",
                              [this] { return double(queue_depth_.load()); });
}

void WebhookSender::start() {
  std::lock_guard lock(mutex_);
  if (stopping_ || thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void WebhookSender::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      stopping_ = true;
      abort_ = true;
    }
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  // Without a thread (never started) the queue still holds what was enqueued.
  if (auto left = queue_.clear(); left > 0) {
    dropped_shutdown_ += left;
    spdlog::info("notify: {} webhook notification(s) dropped at shutdown", left);
  }
  queue_depth_ = 0;
}

void WebhookSender::enqueue(std::string delivery_id, std::string body) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ++dropped_shutdown_;
      return;
    }
    Delivery delivery;
    delivery.id = std::move(delivery_id);
    delivery.body = std::move(body);
    delivery.due = std::chrono::steady_clock::now();
    dropped_queue_full_ += queue_.push(std::move(delivery));
    queue_depth_ = static_cast<std::int64_t>(queue_.size());
  }
  wake_.notify_one();
}

WebhookSender::Stats WebhookSender::stats() const {
  Stats s;
  s.sent = sent_.load();
  s.failed = failed_.load();
  s.dropped_queue_full = dropped_queue_full_.load();
  s.dropped_gave_up = dropped_gave_up_.load();
  s.dropped_shutdown = dropped_shutdown_.load();
  s.queue_depth = queue_depth_.load();
  return s;
}

void WebhookSender::run() {
  // One handle for the thread's life: libcurl keeps the connection to the
  // receiver open between deliveries.
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto delivery = queue_.take_due(std::chrono::steady_clock::now());
    if (!delivery) {
      if (auto next = queue_.next_due()) {
        wake_.wait_until(lock, *next);
      } else {
        wake_.wait(lock);
      }
      continue;
    }
    queue_depth_ = static_cast<std::int64_t>(queue_.size());
    lock.unlock();
    const Outcome outcome = curl ? post(*delivery, curl.get()) : Outcome::failed;
    lock.lock();
    finish_attempt(std::move(*delivery), outcome);
  }
}

void WebhookSender::finish_attempt(Delivery delivery, Outcome outcome) {
  switch (outcome) {
    case Outcome::delivered:
      ++sent_;
      return;
    case Outcome::aborted:
      ++dropped_shutdown_;
      return;
    case Outcome::failed:
      break;
  }
  ++failed_;
  ++delivery.attempts;
  if (stopping_) {
    ++dropped_shutdown_;
    return;
  }
  auto delay = options_.retry.delay_after(delivery.attempts);
  if (!delay) {
    ++dropped_gave_up_;
    log_gave_up(delivery);
    return;
  }
  delivery.due = std::chrono::steady_clock::now() + *delay;
  dropped_queue_full_ += queue_.requeue(std::move(delivery));
  queue_depth_ = static_cast<std::int64_t>(queue_.size());
}

void WebhookSender::log_gave_up(const Delivery& delivery) {
  // A receiver that is down makes every notification give up: one line per
  // kLogInterval at most, with the count of those not named.
  constexpr auto kLogInterval = std::chrono::seconds(10);
  const auto now = std::chrono::steady_clock::now();
  if (last_gave_up_log_ != std::chrono::steady_clock::time_point{} && now - last_gave_up_log_ < kLogInterval) {
    ++gave_up_unlogged_;
    return;
  }
  if (gave_up_unlogged_ > 0) {
    spdlog::warn("notify: webhook delivery {} dropped after {} failed attempts ({} more dropped since the last line)",
                 delivery.id, delivery.attempts, gave_up_unlogged_);
  } else {
    spdlog::warn("notify: webhook delivery {} dropped after {} failed attempts", delivery.id, delivery.attempts);
  }
  last_gave_up_log_ = now;
  gave_up_unlogged_ = 0;
}

WebhookSender::Outcome WebhookSender::post(const Delivery& delivery, void* handle) {
  CURL* curl = static_cast<CURL*>(handle);
  const std::int64_t timestamp = clock_.now_ms() / 1000;
  const std::string lines[] = {
      "Content-Type: application/json",
      "X-Parley-Delivery: " + delivery.id,
      "X-Parley-Timestamp: " + std::to_string(timestamp),
      "X-Parley-Signature: " + webhook_signature(options_.secret, timestamp, delivery.body),
      "Expect:",  // no 100-continue round trip before larger bodies
  };
  Slist headers;
  for (const auto& line : lines) {
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next == nullptr) return Outcome::failed;
    (void)headers.release();
    headers.reset(next);
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_reset(curl);
  curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "parley-webhook");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, delivery.body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(delivery.body.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &abort_);

  const CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_ABORTED_BY_CALLBACK) return Outcome::aborted;
  if (rc != CURLE_OK) {
    spdlog::debug("notify: webhook delivery {} attempt {} failed: {}", delivery.id, delivery.attempts + 1,
                  errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
    return Outcome::failed;
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300) return Outcome::delivered;
  spdlog::debug("notify: webhook delivery {} attempt {} answered {}", delivery.id, delivery.attempts + 1, status);
  return Outcome::failed;
}

}  // namespace parley::notify
