#pragma once
// Histogram: latency counts in log-linear buckets (as HdrHistogram: each power of two
// split into 128 sub-buckets, so a reported value is within 1% of the recorded one),
// from 1 ns to about 18 minutes, in a fixed array: recording is an index computation and
// an increment, cheap enough for every delivery. Histograms of several worker processes
// merge by adding counts; they travel between processes as sparse JSON.
//
// Thread-safety: none; one owner.

#include <array>
#include <boost/json/value.hpp>
#include <cstdint>

namespace parley::bench {

class Histogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr int kMaxExponent = 40;  // 2^40 ns ≈ 18 min; larger values are clamped
  static constexpr std::size_t kBuckets = (kMaxExponent + 1) << kSubBits;

  void record(std::uint64_t value_ns) noexcept;
  void merge(const Histogram& other) noexcept;

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t max() const noexcept { return max_; }
  std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
  double mean() const noexcept { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0; }
  // The value at quantile q in [0, 1] (the bucket's upper bound, capped at max()).
  std::uint64_t quantile(double q) const noexcept;

  // {"count", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms"}.
  boost::json::object summary_ms() const;
  // Sparse form for merging across processes: {"count","sum","min","max","b":[[i,n],...]}.
  boost::json::value to_json() const;
  static Histogram from_json(const boost::json::value& v);

 private:
  static std::size_t index_of(std::uint64_t v) noexcept;
  static std::uint64_t upper_bound_of(std::size_t index) noexcept;

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = ~0ull;
  std::uint64_t max_ = 0;
};

}  // namespace parley::bench
