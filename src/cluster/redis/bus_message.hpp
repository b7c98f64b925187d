#pragma once
// The wire format of the Redis bus: one Delivery or Invalidation per pub/sub
// message, with the id of the node that published it (so that a node skips its
// own messages, which it delivered locally at publish time).
//
// JSON, one object, short keys (every field of bus.hpp's structs is carried):
//   {"v":2,"n":NODE,"k":"d","e":EVENT,"p":PAYLOAD,"a":0|1,"c":CONVERSATION,
//    "s":SEQ,"u":[USER...]|null,"g":DIGEST,"r":[USER...],"x":EXCEPT}
//   {"v":2,"n":NODE,"k":"i","t":0|1|2,"i":ID}
// A new_message delivery to a conversation's members leaves "u" out: its list
// goes by reference, named by "g" (bus.hpp, members_by_reference); decoded, its
// user_ids are null. Version 2 added that; a version 1 node reads it as
// malformed (and repairs from the store), as the rule below says.
// "p" is the event's JSON payload as a string (the bytes are forwarded as they
// are, never re-rendered); "a" is Delivery::Audience, "t" Invalidation::Cache.
// "v" is the format version: a receiver refuses a version it does not know
// (a node of a newer build in a rolling upgrade is counted as malformed rather
// than misread), so a change of meaning needs a new version.
//
// A message from Redis is untrusted input: decode() returns an error for
// anything malformed and never throws (fuzz/bus_message_fuzz.cpp).
//
// Thread-safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "cluster/bus.hpp"
#include "common/result.hpp"

namespace parley::cluster::redis {

inline constexpr int kBusMessageVersion = 2;

struct BusMessage {
  std::uint64_t node = 0;
  std::variant<Delivery, Invalidation> body;
};

// What every message `node` encodes starts with (its version, then its node):
// a receiver skips its own messages by this prefix, without parsing them.
std::string own_prefix(std::uint64_t node);

std::string encode_delivery(std::uint64_t node, const Delivery& delivery);
std::string encode_invalidation(std::uint64_t node, const Invalidation& invalidation);
Result<BusMessage> decode_bus_message(std::string_view text);

}  // namespace parley::cluster::redis
