#include "http/http_metrics.hpp"

#include <string>

namespace parley::http {

HttpMetrics::HttpMetrics(metrics::Registry& registry, metrics::ChatMetrics* chat) : chat_(chat) {
  for (int i = 0; i < 5; ++i)
    by_class_[static_cast<std::size_t>(i)] = registry.add_counter(
        "parley_http_requests_total", "HTTP requests answered, by status class",
        "code=\"" + std::to_string(i + 1) + "xx\"");
  latency_ = registry.add_histogram("parley_http_request_duration_seconds",
                                    "Time from a request read to its answer queued", metrics::latency_buckets());
}

void HttpMetrics::record(int status, double seconds) {
  const int klass = status / 100;
  if (klass >= 1 && klass <= 5) by_class_[static_cast<std::size_t>(klass - 1)]->inc();
  latency_->observe(seconds);
  if (chat_) chat_->http_answered(status);
}

}  // namespace parley::http
