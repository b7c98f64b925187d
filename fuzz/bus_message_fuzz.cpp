// libFuzzer target for the Redis bus message decoder (cluster/redis/bus_message.hpp):
// what arrives on a bus channel is untrusted. A message that decodes must
// re-encode to text that decodes to the same values.
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

bool same(const parley::cluster::Delivery& a, const parley::cluster::Delivery& b) {
  const bool users = (a.user_ids == nullptr) == (b.user_ids == nullptr) && (a.user_ids == nullptr || *a.user_ids == *b.user_ids);
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
    auto again = redis::decode_bus_message(redis::encode_delivery(decoded->node, *delivery));
    check(again.ok() && again->node == decoded->node);
    const auto* copy = std::get_if<parley::cluster::Delivery>(&again->body);
    check(copy != nullptr && same(*delivery, *copy));
  } else {
    const auto& invalidation = std::get<parley::cluster::Invalidation>(decoded->body);
    auto again = redis::decode_bus_message(redis::encode_invalidation(decoded->node, invalidation));
    check(again.ok() && again->node == decoded->node);
    const auto* copy = std::get_if<parley::cluster::Invalidation>(&again->body);
    check(copy != nullptr && copy->cache == invalidation.cache && copy->id == invalidation.id);
  }
  return 0;
}
