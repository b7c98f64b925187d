#include "metrics/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace parley::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  std::sort(bounds_.begin(), bounds_.end());
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::observe(double seconds) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), seconds);
  counts_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<std::uint64_t>(std::max(0.0, seconds) * 1e6), std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
  return s;
}

Counter* Registry::add_counter(const std::string& name, const std::string& help, const std::string& labels) {
  auto entry = std::make_unique<Entry>(Entry{Kind::counter, name, help, labels, std::make_unique<Counter>(), {}, {}, {}});
  Counter* out = entry->counter.get();
  entries_.push_back(std::move(entry));
  return out;
}

Gauge* Registry::add_gauge(const std::string& name, const std::string& help, const std::string& labels) {
  auto entry = std::make_unique<Entry>(Entry{Kind::gauge, name, help, labels, {}, std::make_unique<Gauge>(), {}, {}});
  Gauge* out = entry->gauge.get();
  entries_.push_back(std::move(entry));
  return out;
}

Histogram* Registry::add_histogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                                   const std::string& labels) {
  auto entry = std::make_unique<Entry>(
      Entry{Kind::histogram, name, help, labels, {}, {}, std::make_unique<Histogram>(std::move(bounds)), {}});
  Histogram* out = entry->histogram.get();
  entries_.push_back(std::move(entry));
  return out;
}

void Registry::add_callback_gauge(const std::string& name, const std::string& help, std::function<double()> read,
                                  const std::string& labels) {
  entries_.push_back(std::make_unique<Entry>(Entry{Kind::callback, name, help, labels, {}, {}, {}, std::move(read)}));
}

void Registry::add_callback_counter(const std::string& name, const std::string& help, std::function<double()> read,
                                    const std::string& labels) {
  entries_.push_back(
      std::make_unique<Entry>(Entry{Kind::callback_counter, name, help, labels, {}, {}, {}, std::move(read)}));
}

std::string Registry::render() const {
  std::string out;
  std::set<std::string> described;  // HELP/TYPE once per name, even with several label sets
  auto header = [&](const Entry& e, const char* type) {
    if (described.insert(e.name).second) out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", e.name, e.help, e.name, type);
  };
  auto series = [](const std::string& name, const std::string& labels) {
    return labels.empty() ? name : name + "{" + labels + "}";
  };
  for (const auto& e : entries_) {
    switch (e->kind) {
      case Kind::counter:
        header(*e, "counter");
        out += fmt::format("{} {}\n", series(e->name, e->labels), e->counter->value());
        break;
      case Kind::gauge:
        header(*e, "gauge");
        out += fmt::format("{} {}\n", series(e->name, e->labels), e->gauge->value());
        break;
      case Kind::callback:
      case Kind::callback_counter:
        header(*e, e->kind == Kind::callback ? "gauge" : "counter");
        out += fmt::format("{} {}\n", series(e->name, e->labels), e->read());
        break;
      case Kind::histogram: {
        header(*e, "histogram");
        const auto s = e->histogram->snapshot();
        const std::string prefix = e->labels.empty() ? std::string() : e->labels + ",";
        for (std::size_t i = 0; i < s.bounds.size(); ++i)
          out += fmt::format("{}_bucket{{{}le=\"{}\"}} {}\n", e->name, prefix, s.bounds[i], s.cumulative[i]);
        out += fmt::format("{}_bucket{{{}le=\"+Inf\"}} {}\n", e->name, prefix, s.count);
        out += fmt::format("{} {}\n{} {}\n", series(e->name + "_sum", e->labels), s.sum,
                           series(e->name + "_count", e->labels), s.count);
        break;
      }
    }
  }
  return out;
}

std::vector<double> latency_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::string label(std::string_view name, std::string_view value) {
  std::string out(name);
  out += "=\"";
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace parley::metrics
