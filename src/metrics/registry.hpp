#pragma once
// Prometheus metrics: counters, gauges and histograms kept in atomics, rendered
// in the text exposition format (version 0.0.4) at /metrics.
//
// Thread-safety: metrics are created at start-up (add_*), before any thread
// updates them; afterwards inc()/set()/observe() are lock-free from any thread
// and render() may run concurrently with them.
// Ownership: the registry owns every metric; the pointers it returns live as
// long as it does.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley::metrics {

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void add(std::int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Fixed buckets in seconds (upper bounds, ascending).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double seconds);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<std::uint64_t> sum_micros_{0};
};

class Registry {
 public:
  // `labels` is the rendered label set without braces, e.g. R"(method="GET")", or empty.
  Counter* add_counter(const std::string& name, const std::string& help, const std::string& labels = "");
  Gauge* add_gauge(const std::string& name, const std::string& help, const std::string& labels = "");
  Histogram* add_histogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                           const std::string& labels = "");
  // A gauge computed at render time (e.g. open connections from a stats snapshot).
  void add_callback_gauge(const std::string& name, const std::string& help, std::function<double()> read,
                          const std::string& labels = "");
  // A counter kept elsewhere (a stats snapshot), read at render time; it must only grow.
  void add_callback_counter(const std::string& name, const std::string& help, std::function<double()> read,
                            const std::string& labels = "");

  std::string render() const;

 private:
  enum class Kind { counter, gauge, histogram, callback, callback_counter };
  struct Entry {
    Kind kind;
    std::string name, help, labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> read;
  };
  std::vector<std::unique_ptr<Entry>> entries_;
};

// Default latency buckets: 100 µs to 10 s.
std::vector<double> latency_buckets();

// `name="value"` with the value escaped as the exposition format wants (\\, \", \n).
std::string label(std::string_view name, std::string_view value);

// One figure of a stats snapshot that another component keeps (its own atomics),
// read at render time. A name ending in _total is a counter, anything else a gauge.
template <class Snapshot>
struct SnapshotMetric {
  const char* name;
  const char* help;
  double (*read)(const Snapshot&);
};

// Registers each metric; every render takes a fresh snapshot with `take()`,
// which must stay callable as long as the registry renders.
template <class Snapshot, class Take>
void add_snapshot_metrics(Registry& registry, std::span<const SnapshotMetric<Snapshot>> metrics, Take take) {
  for (const auto& metric : metrics) {
    auto read = [take, read = metric.read] { return read(take()); };
    if (std::string_view(metric.name).ends_with("_total")) {
      registry.add_callback_counter(metric.name, metric.help, std::move(read));
    } else {
      registry.add_callback_gauge(metric.name, metric.help, std::move(read));
    }
  }
}

}  // namespace parley::metrics
