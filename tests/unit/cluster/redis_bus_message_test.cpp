#include <gtest/gtest.h>

#include "cluster/redis/bus_message.hpp"
#include "cluster/redis/redis_bus.hpp"

namespace parley::cluster::redis {
namespace {

Delivery full_delivery() {
  Delivery d;
  d.event = "new_message";
  d.payload = std::make_shared<const std::string>(R"({"id":"7","body":"h\u00e9 \"quoted\"\n"})");
  d.audience = Delivery::Audience::room;
  d.conversation_id = 1234567890123LL;
  d.seq = 42;
  d.user_ids = std::make_shared<const std::vector<Id>>(std::vector<Id>{1, 2, 9'000'000'000'000'000'000LL});
  d.members_digest = 0xFFFF'FFFF'FFFF'FFF0ULL;
  d.removed_user_ids = {5, 6};
  d.except_connection = "conn-3";
  d.trace_id = trace::new_trace_id();
  return d;
}

TEST(RedisBusMessage, DeliveryRoundTripsEveryField) {
  const Delivery in = full_delivery();
  auto decoded = decode_bus_message(encode_delivery(77, in));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->node, 77u);
  const auto* out = std::get_if<Delivery>(&decoded->body);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->event, in.event);
  ASSERT_NE(out->payload, nullptr);
  EXPECT_EQ(*out->payload, *in.payload);
  EXPECT_EQ(out->audience, in.audience);
  EXPECT_EQ(out->conversation_id, in.conversation_id);
  EXPECT_EQ(out->seq, in.seq);
  ASSERT_NE(out->user_ids, nullptr);
  EXPECT_EQ(*out->user_ids, *in.user_ids);
  EXPECT_EQ(out->members_digest, in.members_digest);
  EXPECT_EQ(out->removed_user_ids, in.removed_user_ids);
  EXPECT_EQ(out->except_connection, in.except_connection);
  EXPECT_EQ(out->trace_id, in.trace_id);
}

TEST(RedisBusMessage, TheTraceIdIsOptionalAndNeverRefusesADelivery) {
  Delivery in = full_delivery();
  in.trace_id = {};
  const std::string untraced = encode_delivery(3, in);
  EXPECT_EQ(untraced.find("\"t\""), std::string::npos);
  auto decoded = decode_bus_message(untraced);
  ASSERT_TRUE(decoded.ok());
  EXPECT_FALSE(std::get<Delivery>(decoded->body).trace_id.valid());
  // A malformed one (uppercase, short, all zero) is dropped, not an error.
  in.trace_id = trace::new_trace_id();
  const std::string hex = in.trace_id.hex();
  for (const std::string& bad : {std::string(32, 'A'), std::string("abc"), std::string(32, '0')}) {
    std::string text = encode_delivery(3, in);
    text.replace(text.find(hex), hex.size(), bad);
    auto again = decode_bus_message(text);
    ASSERT_TRUE(again.ok()) << bad;
    EXPECT_FALSE(std::get<Delivery>(again->body).trace_id.valid()) << bad;
  }
}

TEST(RedisBusMessage, NullMemberListStaysNull) {
  Delivery in;
  in.event = "user_status";
  in.payload = std::make_shared<const std::string>("{}");
  auto decoded = decode_bus_message(encode_delivery(1, in));
  ASSERT_TRUE(decoded.ok());
  const auto& out = std::get<Delivery>(decoded->body);
  EXPECT_EQ(out.user_ids, nullptr);
  EXPECT_EQ(out.audience, Delivery::Audience::members);
  EXPECT_EQ(out.seq, 0);
  EXPECT_TRUE(out.removed_user_ids.empty());
}

TEST(RedisBusMessage, ANewMessagesMemberListGoesByReference) {
  Delivery in = full_delivery();
  in.audience = Delivery::Audience::members;
  in.removed_user_ids.clear();
  const std::string text = encode_delivery(5, in);
  EXPECT_EQ(text.find("\"u\""), std::string::npos) << text;
  auto decoded = decode_bus_message(text);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  const auto& out = std::get<Delivery>(decoded->body);
  EXPECT_EQ(out.user_ids, nullptr);
  EXPECT_EQ(out.members_digest, in.members_digest);
  EXPECT_TRUE(members_by_reference(out));
  // Without a seq, a conversation or a digest the receiver could not resolve
  // it: the list is carried.
  for (auto change : {0, 1, 2}) {
    Delivery other = in;
    if (change == 0) other.seq = 0;
    if (change == 1) other.conversation_id = 0;
    if (change == 2) other.members_digest = 0;
    auto again = decode_bus_message(encode_delivery(5, other));
    ASSERT_TRUE(again.ok());
    const auto& got = std::get<Delivery>(again->body);
    ASSERT_NE(got.user_ids, nullptr) << change;
    EXPECT_EQ(*got.user_ids, *in.user_ids);
    EXPECT_FALSE(members_by_reference(got));
  }
}

TEST(RedisBusMessage, EveryMessageOfANodeStartsWithItsOwnPrefix) {
  const std::uint64_t node = 18'446'744'073'709'551'000ULL;
  Delivery typing;
  typing.event = "typing";
  typing.payload = std::make_shared<const std::string>("{}");
  typing.audience = Delivery::Audience::room;
  typing.conversation_id = 3;
  for (const std::string& text : {encode_delivery(node, full_delivery()), encode_delivery(node, typing),
                                   encode_invalidation(node, {Invalidation::Cache::members, 4})}) {
    EXPECT_TRUE(text.starts_with(own_prefix(node))) << text;
    EXPECT_FALSE(text.starts_with(own_prefix(node / 10))) << "another node's prefix is not a prefix of it";
    EXPECT_FALSE(text.starts_with(own_prefix(1))) << text;
  }
}

TEST(RedisBusMessage, InvalidationRoundTrips) {
  for (auto cache : {Invalidation::Cache::history_pages, Invalidation::Cache::members, Invalidation::Cache::user}) {
    auto decoded = decode_bus_message(encode_invalidation(~0ULL, {cache, 99}));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->node, ~0ULL);
    const auto& out = std::get<Invalidation>(decoded->body);
    EXPECT_EQ(out.cache, cache);
    EXPECT_EQ(out.id, 99);
  }
}

TEST(RedisBusMessage, MalformedMessagesAreErrors) {
  const std::string good = encode_delivery(3, full_delivery());
  const char* bad[] = {
      "", "null", "[]", "{", "{\"v\":2}", R"({"v":1,"n":1,"k":"i","t":0,"i":1})", R"({"v":3,"n":1,"k":"i","t":0,"i":1})",
      R"({"v":2,"n":-1,"k":"i","t":0,"i":1})", R"({"v":2,"n":1,"k":"z"})", R"({"v":2,"n":1,"k":"i","t":3,"i":1})",
      R"({"v":2,"n":1,"k":"i","t":0,"i":"1"})", R"({"v":2,"n":1,"k":"i","t":0,"i":1.5})",
      R"({"v":2,"n":1,"k":"d","e":"x","p":"{}","a":2,"c":1,"s":0,"u":null,"g":0,"r":[],"x":""})",
      R"({"v":2,"n":1,"k":"d","e":"x","p":"{}","a":0,"c":1,"s":-1,"u":null,"g":0,"r":[],"x":""})",
      R"({"v":2,"n":1,"k":"d","e":"x","p":"{}","a":0,"c":1,"s":0,"u":["1"],"g":0,"r":[],"x":""})",
      R"({"v":2,"n":1,"k":"d","e":"x","p":"{}","a":0,"c":1,"s":0,"u":null,"g":0,"x":""})",
      // "u" left out where the list cannot go by reference: no seq, no digest, a room audience.
      R"({"v":2,"n":1,"k":"d","e":"x","p":"{}","a":0,"c":1,"s":0,"g":9,"r":[],"x":""})",
      R"({"v":2,"n":1,"k":"d","e":"x","p":"{}","a":0,"c":1,"s":3,"g":0,"r":[],"x":""})",
      R"({"v":2,"n":1,"k":"d","e":"x","p":"{}","a":1,"c":1,"s":3,"g":9,"r":[],"x":""})",
      R"({"v":2,"n":1,"k":"d","e":"x","p":null,"a":0,"c":1,"s":0,"u":null,"g":0,"r":[],"x":""})",
  };
  for (const char* text : bad) EXPECT_FALSE(decode_bus_message(text).ok()) << text;
  // Every truncation of a good message fails rather than decoding half of it.
  for (std::size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(decode_bus_message(good.substr(0, n)).ok()) << n;
}

TEST(RedisUrl, Parses) {
  auto a = parse_redis_url("redis://127.0.0.1:6380");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6380);
  auto b = parse_redis_url("redis://cache/");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "cache");
  EXPECT_EQ(b->port, 6379);
  auto c = parse_redis_url("redis://[::1]:7000");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 7000);
  for (const char* bad : {"", "local", "redis://", "redis://:1", "redis://h:", "redis://h:0", "redis://h:70000",
                          "redis://h:1x", "redis://u@h:1", "redis://h:1/2", "rediss://h:1", "redis://[::1"})
    EXPECT_FALSE(parse_redis_url(bad).ok()) << bad;
}

}  // namespace
}  // namespace parley::cluster::redis
