#pragma once
// The HTTP server's metrics: requests by status class and a latency histogram.
//
// Thread-safety: record() from any IO thread (atomics). Ownership: the
// registry owns the metrics; this struct only points at them.

#include <array>

#include "metrics/registry.hpp"

namespace parley::http {

class HttpMetrics {
 public:
  explicit HttpMetrics(metrics::Registry& registry);
  void record(int status, double seconds);

 private:
  std::array<metrics::Counter*, 5> by_class_{};  // 1xx .. 5xx
  metrics::Histogram* latency_;
};

}  // namespace parley::http
