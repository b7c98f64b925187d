#include "delivery_tally.hpp"

namespace parley::bench {

namespace json = boost::json;

namespace {

std::uint64_t u64(const json::object& o, std::string_view key) {
  const json::value* x = o.if_contains(key);
  return x ? x->to_number<std::uint64_t>() : 0;
}

}  // namespace

void DeliveryTally::merge(const DeliveryTally& other) noexcept {
  deliveries += other.deliveries;
  window_deliveries += other.window_deliveries;
  unique += other.unique;
  duplicated += other.duplicated;
  reordered += other.reordered;
  misrouted += other.misrouted;
  untracked += other.untracked;
  seq_backwards += other.seq_backwards;
  seq_skipped += other.seq_skipped;
  latency.merge(other.latency);
}

void DeliveryTally::put_json(json::object& o) const {
  o["deliveries"] = deliveries;
  o["window_deliveries"] = window_deliveries;
  o["unique"] = unique;
  o["duplicated"] = duplicated;
  o["reordered"] = reordered;
  o["misrouted"] = misrouted;
  o["untracked"] = untracked;
  o["seq_backwards"] = seq_backwards;
  o["seq_skipped"] = seq_skipped;
  o["latency"] = latency.to_json();
}

DeliveryTally DeliveryTally::from_json(const json::value& v) {
  const json::object& o = v.as_object();
  DeliveryTally t;
  t.deliveries = u64(o, "deliveries");
  t.window_deliveries = u64(o, "window_deliveries");
  t.unique = u64(o, "unique");
  t.duplicated = u64(o, "duplicated");
  t.reordered = u64(o, "reordered");
  t.misrouted = u64(o, "misrouted");
  t.untracked = u64(o, "untracked");
  t.seq_backwards = u64(o, "seq_backwards");
  t.seq_skipped = u64(o, "seq_skipped");
  if (const json::value* h = o.if_contains("latency")) t.latency = Histogram::from_json(*h);
  return t;
}

}  // namespace parley::bench
