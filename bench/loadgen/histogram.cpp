#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cmath>

namespace parley::bench {

namespace json = boost::json;

namespace {
constexpr std::uint64_t kSubCount = 1ull << Histogram::kSubBits;
constexpr std::uint64_t kClamp = (1ull << (Histogram::kMaxExponent + 1)) - 1;

double to_ms(std::uint64_t ns) { return std::round(static_cast<double>(ns) / 1e3) / 1e3; }
}  // namespace

std::size_t Histogram::index_of(std::uint64_t v) noexcept {
  v = std::min(v, kClamp);
  if (v < kSubCount) return static_cast<std::size_t>(v);
  const int m = 63 - std::countl_zero(v);  // v in [2^m, 2^(m+1))
  const std::uint64_t sub = (v >> (m - kSubBits)) - kSubCount;
  return static_cast<std::size_t>((m - kSubBits + 1) * kSubCount + sub);
}

std::uint64_t Histogram::upper_bound_of(std::size_t index) noexcept {
  if (index < kSubCount) return index;
  const int m = static_cast<int>(index / kSubCount) + kSubBits - 1;
  const std::uint64_t sub = index % kSubCount;
  const std::uint64_t lower = (kSubCount + sub) << (m - kSubBits);
  return lower + (1ull << (m - kSubBits)) - 1;
}

void Histogram::record(std::uint64_t value_ns) noexcept {
  ++counts_[index_of(value_ns)];
  ++count_;
  sum_ += value_ns;
  min_ = std::min(min_, value_ns);
  max_ = std::max(max_, value_ns);
}

void Histogram::merge(const Histogram& other) noexcept {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

std::uint64_t Histogram::quantile(double q) const noexcept {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= std::max<std::uint64_t>(rank, 1)) return std::min(upper_bound_of(i), max_);
  }
  return max_;
}

json::object Histogram::summary_ms() const {
  json::object o;
  o["count"] = count_;
  o["p50_ms"] = to_ms(quantile(0.50));
  o["p90_ms"] = to_ms(quantile(0.90));
  o["p99_ms"] = to_ms(quantile(0.99));
  o["p999_ms"] = to_ms(quantile(0.999));
  o["max_ms"] = to_ms(max());
  o["mean_ms"] = std::round(mean() / 1e3) / 1e3;
  return o;
}

json::value Histogram::to_json() const {
  json::array buckets;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    if (counts_[i] != 0) buckets.push_back(json::array{i, counts_[i]});
  }
  return json::object{{"count", count_}, {"sum", sum_}, {"min", min()}, {"max", max_}, {"b", std::move(buckets)}};
}

Histogram Histogram::from_json(const json::value& v) {
  Histogram h;
  const json::object& o = v.as_object();
  h.count_ = o.at("count").to_number<std::uint64_t>();
  h.sum_ = o.at("sum").to_number<std::uint64_t>();
  h.max_ = o.at("max").to_number<std::uint64_t>();
  h.min_ = h.count_ ? o.at("min").to_number<std::uint64_t>() : ~0ull;
  for (const json::value& pair : o.at("b").as_array()) {
    const json::array& p = pair.as_array();
    const auto i = p.at(0).to_number<std::size_t>();
    if (i < kBuckets) h.counts_[i] = p.at(1).to_number<std::uint64_t>();
  }
  return h;
}

}  // namespace parley::bench
