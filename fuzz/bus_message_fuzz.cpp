// libFuzzer target for the Redis bus message decoder (cluster/redis/bus_message.hpp):
// what arrives on a bus channel is untrusted. A message that decodes must
// re-encode to text that starts with its node's own prefix and decodes to the
// same values (a new_message's member list then going by reference).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cluster/redis/bus_message.hpp"

namespace redis = parley::cluster::redis;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

// `b` is `a` encoded and decoded again.
bool same(const parley::cluster::Delivery& a, const parley::cluster::Delivery& b) {
  const bool by_reference = a.audience == parley::cluster::Delivery::Audience::members && a.conversation_id != 0 &&
                            a.seq > 0 && a.members_digest != 0;
  const bool users = by_reference ? b.user_ids == nullptr && parley::cluster::members_by_reference(b)
                                  : (a.user_ids == nullptr) == (b.user_ids == nullptr) &&
                                        (a.user_ids == nullptr || *a.user_ids == *b.user_ids);
  return a.event == b.event && *a.payload == *b.payload && a.audience == b.audience &&
         a.conversation_id == b.conversation_id && a.seq == b.seq && users && a.members_digest == b.members_digest &&
         a.removed_user_ids == b.removed_user_ids && a.except_connection == b.except_connection;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto decoded = redis::decode_bus_message(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!decoded) return 0;
  if (const auto* delivery = std::get_if<parley::cluster::Delivery>(&decoded->body)) {
    check(delivery->payload != nullptr);
    const std::string text = redis::encode_delivery(decoded->node, *delivery);
    check(text.starts_with(redis::own_prefix(decoded->node)));
    auto again = redis::decode_bus_message(text);
    check(again.ok() && again->node == decoded->node);
    const auto* copy = std::get_if<parley::cluster::Delivery>(&again->body);
    check(copy != nullptr && same(*delivery, *copy));
  } else {
    const auto& invalidation = std::get<parley::cluster::Invalidation>(decoded->body);
    const std::string text = redis::encode_invalidation(decoded->node, invalidation);
    check(text.starts_with(redis::own_prefix(decoded->node)));
    auto again = redis::decode_bus_message(text);
    check(again.ok() && again->node == decoded->node);
    const auto* copy = std::get_if<parley::cluster::Invalidation>(&again->body);
    check(copy != nullptr && copy->cache == invalidation.cache && copy->id == invalidation.id);
  }
  return 0;
}
