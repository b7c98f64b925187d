#pragma once
// DeliveryTally: what a set of receiving sockets saw during a run: deliveries (all and
// inside the measured window), unique, duplicated and reordered ones, seq steps back and
// over, and end-to-end latency. A worker keeps one per node its sockets are on; tallies
// of several workers (or nodes) add up by merge(), and travel between the worker and
// coordinator processes as JSON with the same keys the single-node report always had.
//
// Thread-safety: none; one owner.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>

#include "histogram.hpp"

namespace parley::bench {

struct DeliveryTally {
  std::uint64_t deliveries = 0;
  std::uint64_t window_deliveries = 0;
  std::uint64_t unique = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;   // per sender: a message number below one already seen
  std::uint64_t misrouted = 0;   // a message of another room
  std::uint64_t untracked = 0;   // message numbers beyond the duplicate bitmap
  // The server's promise: each connection receives a room's messages in `seq` order.
  std::uint64_t seq_backwards = 0;
  std::uint64_t seq_skipped = 0;
  Histogram latency;

  void merge(const DeliveryTally& other) noexcept;

  // Adds this tally's fields to `o` ("deliveries", ..., "latency" as a sparse histogram).
  void put_json(boost::json::object& o) const;
  // Reads the fields put_json wrote; missing counters read as 0.
  static DeliveryTally from_json(const boost::json::value& v);
};

}  // namespace parley::bench
