#include "cluster/redis/bus_message.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <limits>
#include <optional>

namespace parley::cluster::redis {

namespace json = boost::json;

namespace {

json::value ids_value(const std::vector<Id>& ids) {
  json::array out;
  out.reserve(ids.size());
  for (Id id : ids) out.emplace_back(id);
  return out;
}

Error malformed(std::string what) { return Error::bad_request("malformed_bus_message", std::move(what)); }

// A field that must be an integer in [min, max] (an int64 or a uint64 that fits).
std::optional<std::int64_t> int_field(const json::object& object, std::string_view key, std::int64_t min,
                                      std::int64_t max) {
  const json::value* v = object.if_contains(key);
  if (v == nullptr) return std::nullopt;
  std::int64_t n = 0;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    n = static_cast<std::int64_t>(v->get_uint64());
  } else {
    return std::nullopt;
  }
  if (n < min || n > max) return std::nullopt;
  return n;
}

std::optional<std::uint64_t> uint_field(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
  return std::nullopt;
}

const json::string* string_field(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  return v != nullptr ? v->if_string() : nullptr;
}

std::optional<std::vector<Id>> ids_field(const json::value& v) {
  const json::array* array = v.if_array();
  if (array == nullptr) return std::nullopt;
  std::vector<Id> out;
  out.reserve(array->size());
  for (const json::value& item : *array) {
    if (!item.is_int64()) return std::nullopt;
    out.push_back(item.get_int64());
  }
  return out;
}

constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMinInt = std::numeric_limits<std::int64_t>::min();

Result<Delivery> decode_delivery(const json::object& object) {
  Delivery d;
  const json::string* event = string_field(object, "e");
  const json::string* payload = string_field(object, "p");
  const json::string* except = string_field(object, "x");
  if (event == nullptr || payload == nullptr || except == nullptr) return malformed("missing string field");
  d.event.assign(event->data(), event->size());
  d.payload = std::make_shared<const std::string>(payload->data(), payload->size());
  d.except_connection.assign(except->data(), except->size());
  const auto audience = int_field(object, "a", 0, 1);
  const auto conversation = int_field(object, "c", kMinInt, kMaxInt);
  const auto seq = int_field(object, "s", 0, kMaxInt);
  const auto digest = uint_field(object, "g");
  if (!audience || !conversation || !seq || !digest) return malformed("missing or bad number");
  d.audience = static_cast<Delivery::Audience>(*audience);
  d.conversation_id = *conversation;
  d.seq = *seq;
  d.members_digest = *digest;
  const json::value* users = object.if_contains("u");
  if (users == nullptr) {
    // By reference (bus.hpp): only where a receiver can resolve it.
    if (!members_by_reference(d)) return malformed("missing user_ids");
  } else if (!users->is_null()) {
    auto ids = ids_field(*users);
    if (!ids) return malformed("bad user_ids");
    d.user_ids = std::make_shared<const std::vector<Id>>(std::move(*ids));
  }
  const json::value* removed = object.if_contains("r");
  if (removed == nullptr) return malformed("missing removed_user_ids");
  auto removed_ids = ids_field(*removed);
  if (!removed_ids) return malformed("bad removed_user_ids");
  d.removed_user_ids = std::move(*removed_ids);
  // Optional and diagnostic only (the fan-out's log line): absent or malformed,
  // the delivery goes on without it.
  if (const json::string* trace_id = string_field(object, "t"))
    if (auto parsed = trace::parse_trace_id(std::string_view(trace_id->data(), trace_id->size()))) d.trace_id = *parsed;
  return d;
}

Result<Invalidation> decode_invalidation(const json::object& object) {
  const auto cache = int_field(object, "t", 0, 2);
  const auto id = int_field(object, "i", kMinInt, kMaxInt);
  if (!cache || !id) return malformed("missing or bad invalidation field");
  return Invalidation{static_cast<Invalidation::Cache>(*cache), *id};
}

}  // namespace

std::string own_prefix(std::uint64_t node) {
  // The encoders below write "v" then "n" first (boost::json keeps insertion order).
  return "{\"v\":" + std::to_string(kBusMessageVersion) + ",\"n\":" + std::to_string(node) + ",";
}

std::string encode_delivery(std::uint64_t node, const Delivery& delivery) {
  json::object o;
  o["v"] = kBusMessageVersion;
  o["n"] = node;
  o["k"] = "d";
  o["e"] = delivery.event;
  o["p"] = delivery.payload ? json::string_view(*delivery.payload) : json::string_view();
  o["a"] = static_cast<int>(delivery.audience);
  o["c"] = delivery.conversation_id;
  o["s"] = delivery.seq;
  // A conversation's new_message names its member list by digest instead of
  // carrying it (bus.hpp, members_by_reference).
  const bool by_reference = delivery.audience == Delivery::Audience::members && delivery.conversation_id != 0 &&
                            delivery.seq > 0 && delivery.members_digest != 0;
  if (!by_reference) o["u"] = delivery.user_ids ? ids_value(*delivery.user_ids) : json::value(nullptr);
  o["g"] = delivery.members_digest;
  o["r"] = ids_value(delivery.removed_user_ids);
  o["x"] = delivery.except_connection;
  // The send's trace, so that the receiving node's fan-out logs under it; an
  // older node ignores the field.
  if (delivery.trace_id.valid()) o["t"] = delivery.trace_id.hex();
  return json::serialize(o);
}

std::string encode_invalidation(std::uint64_t node, const Invalidation& invalidation) {
  json::object o;
  o["v"] = kBusMessageVersion;
  o["n"] = node;
  o["k"] = "i";
  o["t"] = static_cast<int>(invalidation.cache);
  o["i"] = invalidation.id;
  return json::serialize(o);
}

Result<BusMessage> decode_bus_message(std::string_view text) {
  boost::system::error_code ec;
  json::value parsed = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) return malformed("not JSON: " + ec.message());
  const json::object* object = parsed.if_object();
  if (object == nullptr) return malformed("not an object");
  const auto version = int_field(*object, "v", kMinInt, kMaxInt);
  if (!version || *version != kBusMessageVersion) return malformed("unknown version");
  const auto node = uint_field(*object, "n");
  const json::string* kind = string_field(*object, "k");
  if (!node || kind == nullptr) return malformed("missing node or kind");
  BusMessage message;
  message.node = *node;
  if (*kind == "d") {
    auto delivery = decode_delivery(*object);
    if (!delivery) return delivery.error();
    message.body = std::move(*delivery);
  } else if (*kind == "i") {
    auto invalidation = decode_invalidation(*object);
    if (!invalidation) return invalidation.error();
    message.body = *invalidation;
  } else {
    return malformed("unknown kind");
  }
  return message;
}

}  // namespace parley::cluster::redis
