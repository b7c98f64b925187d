#pragma once
// The HTTP server's metrics: requests by status class and a latency histogram;
// with `chat` (optional), every 4xx/5xx answer also counts as refused
// (metrics::ChatMetrics::http_answered).
//
// Thread-safety: record() from any IO thread (atomics). Ownership: the
// registry owns the metrics; this struct only points at them.

#include <array>

#include "metrics/chat_metrics.hpp"
#include "metrics/registry.hpp"

namespace parley::http {

class HttpMetrics {
 public:
  explicit HttpMetrics(metrics::Registry& registry, metrics::ChatMetrics* chat = nullptr);
  void record(int status, double seconds);

 private:
  std::array<metrics::Counter*, 5> by_class_{};  // 1xx .. 5xx
  metrics::Histogram* latency_;
  metrics::ChatMetrics* chat_;
};

}  // namespace parley::http
