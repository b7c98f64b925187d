// Socket.IO v5 codec: encoding (the protocol's examples), strict decoding of every packet
// type and malformed shape, binary attachments and their reconstruction.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "realtime/socketio/packet.hpp"

namespace parley::socketio {
namespace {

namespace json = boost::json;
using namespace std::string_literals;

Packet make(PacketType type, std::string nsp, std::optional<std::uint64_t> id,
            std::optional<std::string_view> data_json, std::vector<std::string> attachments = {}) {
  Packet p;
  p.type = type;
  p.nsp = std::move(nsp);
  p.id = id;
  if (data_json) p.data = json::parse(*data_json);
  p.attachments = std::move(attachments);
  return p;
}

// Decodes a text packet that must not announce attachments.
Packet decode_ok(std::string_view text) {
  auto decoded = decode_text(text);
  EXPECT_TRUE(decoded) << text << ": " << (decoded ? "" : decoded.error().code);
  if (!decoded) return {};
  EXPECT_EQ(decoded->attachments_expected, 0u) << text;
  return std::move(decoded)->packet;
}

std::string decode_error(std::string_view text, const DecodeOptions& options = {}) {
  auto decoded = decode_text(text, options);
  EXPECT_FALSE(decoded) << "accepted: " << text;
  if (decoded) return "accepted";
  EXPECT_EQ(decoded.error().kind, ErrorKind::bad_request);
  return decoded.error().code;
}

// ---- encoding: the examples of the protocol specification ----

TEST(SocketioEncode, ProtocolExamples) {
  const std::pair<Packet, std::string> cases[] = {
      {make(PacketType::connect, "/", {}, {}), "0"},
      {make(PacketType::connect, "/", {}, R"({"sid":"wZX3oN0bSVIhsaknAAAI"})"),
       R"(0{"sid":"wZX3oN0bSVIhsaknAAAI"})"},
      {make(PacketType::connect, "/admin", {}, {}), "0/admin,"},
      {make(PacketType::connect, "/admin", {}, R"({"sid":"oSO0OpakMV_3jnilAAAA"})"),
       R"(0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"})"},
      {make(PacketType::connect_error, "/", {}, R"({"message":"Not authorized"})"),
       R"(4{"message":"Not authorized"})"},
      {make(PacketType::event, "/", {}, R"(["foo"])"), R"(2["foo"])"},
      {make(PacketType::event, "/admin", {}, R"(["bar"])"), R"(2/admin,["bar"])"},
      {make(PacketType::event, "/", {}, R"(["baz",{"_placeholder":true,"num":0}])",
            {"\x01\x02\x03\x04"}),
       R"(51-["baz",{"_placeholder":true,"num":0}])"},
      {make(PacketType::event, "/admin", {},
            R"(["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
            {"\x01\x02", "\x03\x04"}),
       R"(52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])"},
      {make(PacketType::event, "/", 12, R"(["foo"])"), R"(212["foo"])"},
      {make(PacketType::ack, "/", 12, "[]"), "312[]"},
      {make(PacketType::event, "/admin", 13, R"(["foo"])"), R"(2/admin,13["foo"])"},
      {make(PacketType::ack, "/admin", 13, R"(["bar"])"), R"(3/admin,13["bar"])"},
      {make(PacketType::event, "/", 14, R"(["foo",{"_placeholder":true,"num":0}])", {"\x01"}),
       R"(51-14["foo",{"_placeholder":true,"num":0}])"},
      {make(PacketType::ack, "/", 15, R"(["bar",{"_placeholder":true,"num":0}])", {"\x01"}),
       R"(61-15["bar",{"_placeholder":true,"num":0}])"},
      {make(PacketType::disconnect, "/", {}, {}), "1"},
      {make(PacketType::disconnect, "/admin", {}, {}), "1/admin,"},
      {make(PacketType::connect_error, "/random", {}, R"({"message":"Invalid namespace"})"),
       R"(4/random,{"message":"Invalid namespace"})"},
  };
  for (const auto& [packet, wire] : cases) {
    EXPECT_EQ(encode(packet), wire);
    // And every one of them decodes back to the same packet.
    auto decoded = decode_text(wire);
    ASSERT_TRUE(decoded) << wire;
    EXPECT_EQ(decoded->attachments_expected, packet.attachments.size()) << wire;
    Packet back = decoded->packet;
    back.attachments = packet.attachments;
    EXPECT_EQ(back, packet) << wire;
  }
}

TEST(SocketioEncode, AppendsToEngineioPrefix) {
  std::string frame = "4";
  encode_to(frame, make(PacketType::event, "/", {}, R"(["hey","Jude"])"));
  EXPECT_EQ(frame, R"(42["hey","Jude"])");
}

TEST(SocketioEncode, ViewOverloadNeedsNoPacket) {
  const json::value args = json::parse(R"(["new_message",{"id":"1"}])");
  std::string out;
  encode_to(out, PacketType::event, "/chat", 7, &args);
  EXPECT_EQ(out, R"(2/chat,7["new_message",{"id":"1"}])");

  out.clear();
  encode_to(out, PacketType::ack, "/", 3, nullptr, 2);
  EXPECT_EQ(out, "62-3");
}

TEST(SocketioEncode, ExplicitBinaryTypeWithoutAttachments) {
  EXPECT_EQ(encode(make(PacketType::binary_event, "/", {}, R"(["a"])")), R"(50-["a"])");
}

TEST(SocketioEncode, LargePayloadIsSerializedWhole) {
  // Larger than the serializer's stack buffer, with multi-byte UTF-8 and escapes.
  std::string big;
  for (int i = 0; i < 5000; ++i) big += "\xe2\x82\xac\"\n";
  Packet p;
  p.data = json::array{"msg", json::string(big)};
  const std::string encoded = encode(p);
  EXPECT_EQ(encoded, "2" + json::serialize(*p.data));
  EXPECT_EQ(decode_ok(encoded), p);
}

TEST(SocketioEncode, AckIdExtremes) {
  EXPECT_EQ(encode(make(PacketType::ack, "/", 0, "[]")), "30[]");
  EXPECT_EQ(encode(make(PacketType::ack, "/", 18446744073709551615ULL, "[]")),
            "318446744073709551615[]");
}

// ---- decoding: every packet type ----

TEST(SocketioDecode, Connect) {
  EXPECT_EQ(decode_ok("0"), make(PacketType::connect, "/", {}, {}));
  EXPECT_EQ(decode_ok(R"(0{"token":"123"})"), make(PacketType::connect, "/", {}, R"({"token":"123"})"));
  EXPECT_EQ(decode_ok("0/custom,"), make(PacketType::connect, "/custom", {}, {}));
  EXPECT_EQ(decode_ok(R"(0/custom,{"token":"abc"})"),
            make(PacketType::connect, "/custom", {}, R"({"token":"abc"})"));
  // As in the reference parser, a namespace without ',' runs to the end of the packet.
  EXPECT_EQ(decode_ok("0/random"), make(PacketType::connect, "/random", {}, {}));
  EXPECT_EQ(decode_ok("0/,"), make(PacketType::connect, "/", {}, {}));
  EXPECT_EQ(decode_ok("0/a/b.c-d_e"), make(PacketType::connect, "/a/b.c-d_e", {}, {}));
  EXPECT_EQ(decode_ok("0/caf\xc3\xa9,"), make(PacketType::connect, "/caf\xc3\xa9", {}, {}));
}

TEST(SocketioDecode, Disconnect) {
  EXPECT_EQ(decode_ok("1"), make(PacketType::disconnect, "/", {}, {}));
  EXPECT_EQ(decode_ok("1/custom"), make(PacketType::disconnect, "/custom", {}, {}));
  EXPECT_EQ(decode_ok("1/custom,"), make(PacketType::disconnect, "/custom", {}, {}));
}

TEST(SocketioDecode, Event) {
  EXPECT_EQ(decode_ok(R"(2["message",1,"2",{"3":[true]}])"),
            make(PacketType::event, "/", {}, R"(["message",1,"2",{"3":[true]}])"));
  EXPECT_EQ(decode_ok(R"(2/admin,13["foo"])"), make(PacketType::event, "/admin", 13, R"(["foo"])"));
  EXPECT_EQ(decode_ok(R"(2[""])"), make(PacketType::event, "/", {}, R"([""])"));
  // Names that merely contain or resemble reserved ones are fine.
  EXPECT_TRUE(decode_text(R"(2["connected"])"));
  EXPECT_TRUE(decode_text(R"(2["Connect"])"));
  EXPECT_TRUE(decode_text(R"(2["join_conversation",{"conversationId":"1"}])"));
  // A leading zero in an ack id is read as decimal, like Number("012").
  EXPECT_EQ(decode_ok(R"(2012["a"])").id, 12u);
}

TEST(SocketioDecode, Ack) {
  EXPECT_EQ(decode_ok("312[]"), make(PacketType::ack, "/", 12, "[]"));
  EXPECT_EQ(decode_ok(R"(3/admin,13["bar",null])"),
            make(PacketType::ack, "/admin", 13, R"(["bar",null])"));
  EXPECT_EQ(decode_ok("30[]").id, 0u);
}

TEST(SocketioDecode, ConnectError) {
  EXPECT_EQ(decode_ok(R"(4{"message":"Not authorized"})"),
            make(PacketType::connect_error, "/", {}, R"({"message":"Not authorized"})"));
  EXPECT_EQ(decode_ok(R"(4/admin,"Unauthorized")"),
            make(PacketType::connect_error, "/admin", {}, R"("Unauthorized")"));
}

TEST(SocketioDecode, AckIdRange) {
  EXPECT_EQ(decode_ok(R"(218446744073709551615["a"])").id, 18446744073709551615ULL);
  EXPECT_EQ(decode_error(R"(218446744073709551616["a"])"), "sio_bad_ack_id");
  EXPECT_EQ(decode_error(R"(299999999999999999999999999999["a"])"), "sio_bad_ack_id");
  EXPECT_EQ(decode_error("3" + std::string(10000, '9') + "[]"), "sio_bad_ack_id");
}

TEST(SocketioDecode, JsonWhitespaceAroundPayloadIsAllowed) {
  EXPECT_EQ(decode_ok("2 [\"a\"] \n"), make(PacketType::event, "/", {}, R"(["a"])"));
}

// ---- decoding: malformed shapes ----

TEST(SocketioDecode, RejectsBadTypes) {
  EXPECT_EQ(decode_error(""), "sio_empty_packet");
  EXPECT_EQ(decode_error("7"), "sio_unknown_packet_type");
  EXPECT_EQ(decode_error("999"), "sio_unknown_packet_type");
  EXPECT_EQ(decode_error("abc"), "sio_unknown_packet_type");
  EXPECT_EQ(decode_error(" 2[\"a\"]"), "sio_unknown_packet_type");
  EXPECT_EQ(decode_error("-1"), "sio_unknown_packet_type");
  EXPECT_EQ(decode_error("\x00"s), "sio_unknown_packet_type");
}

TEST(SocketioDecode, RejectsInvalidPayloadsLikeTheReferenceParser) {
  // The reference parser's own "invalid payload" cases.
  EXPECT_EQ(decode_error(R"(442["some","data")"), "sio_invalid_json");
  EXPECT_EQ(decode_error(R"(0/admin,"invalid")"), "sio_invalid_payload");
  EXPECT_EQ(decode_error("0[]"), "sio_invalid_payload");
  EXPECT_EQ(decode_error("1/admin,{}"), "sio_invalid_payload");
  EXPECT_EQ(decode_error(R"(2/admin,"invalid)"), "sio_invalid_json");
  EXPECT_EQ(decode_error("2/admin,{}"), "sio_invalid_payload");
  EXPECT_EQ(decode_error(R"(2[{"toString":"foo"}])"), "sio_invalid_payload");
  EXPECT_EQ(decode_error(R"(2[true,"foo"])"), "sio_invalid_payload");
  EXPECT_EQ(decode_error(R"(2[null,"bar"])"), "sio_invalid_payload");
  EXPECT_EQ(decode_error(R"(2["connect"])"), "sio_invalid_payload");
  EXPECT_EQ(decode_error(R"(2["disconnect","123"])"), "sio_invalid_payload");
}

TEST(SocketioDecode, RejectsEveryReservedEventName) {
  for (const char* name : {"connect", "connect_error", "disconnect", "disconnecting",
                           "newListener", "removeListener"}) {
    EXPECT_TRUE(is_reserved_event_name(name));
    EXPECT_EQ(decode_error("2[\""s + name + "\",1]"), "sio_invalid_payload") << name;
    EXPECT_EQ(decode_error("51-[\""s + name + "\",{\"_placeholder\":true,\"num\":0}]"),
              "sio_invalid_payload") << name;
  }
}

TEST(SocketioDecode, RejectsBadEventShapes) {
  EXPECT_EQ(decode_error("2"), "sio_invalid_payload");           // no payload
  EXPECT_EQ(decode_error("2/admin"), "sio_invalid_payload");     // namespace runs to the end
  EXPECT_EQ(decode_error("2/admin,"), "sio_invalid_payload");
  EXPECT_EQ(decode_error("212"), "sio_invalid_payload");         // ack id, no payload
  EXPECT_EQ(decode_error("2[]"), "sio_invalid_payload");         // empty array
  EXPECT_EQ(decode_error(R"(2"foo")"), "sio_invalid_payload");
  EXPECT_EQ(decode_error("2null"), "sio_invalid_payload");
  // Decision: numeric event names (accepted by the reference parser, unusable with typed
  // clients) are refused.
  EXPECT_EQ(decode_error(R"(2[1,"a"])"), "sio_invalid_payload");
  EXPECT_EQ(decode_error(R"(2[["a"]])"), "sio_invalid_payload");
}

TEST(SocketioDecode, RejectsBadAckShapes) {
  EXPECT_EQ(decode_error("3[]"), "sio_bad_ack_id");              // ACK needs an id
  EXPECT_EQ(decode_error("312"), "sio_invalid_payload");
  EXPECT_EQ(decode_error("312{}"), "sio_invalid_payload");
  EXPECT_EQ(decode_error(R"(312"a")"), "sio_invalid_payload");
}

TEST(SocketioDecode, RejectsBadConnectShapes) {
  EXPECT_EQ(decode_error(R"(0"token")"), "sio_invalid_payload");
  EXPECT_EQ(decode_error("0null"), "sio_invalid_payload");
  EXPECT_EQ(decode_error("01"), "sio_bad_ack_id");
  EXPECT_EQ(decode_error("0/admin,1{}"), "sio_bad_ack_id");
  EXPECT_EQ(decode_error("11"), "sio_bad_ack_id");
  EXPECT_EQ(decode_error(R"(1"bye")"), "sio_invalid_payload");
  EXPECT_EQ(decode_error("4"), "sio_invalid_payload");
  EXPECT_EQ(decode_error("4[]"), "sio_invalid_payload");
  EXPECT_EQ(decode_error("41{}"), "sio_bad_ack_id");
}

TEST(SocketioDecode, RejectsTrailingAndLeadingGarbage) {
  EXPECT_EQ(decode_error(R"(2["a"]x)"), "sio_invalid_json");
  EXPECT_EQ(decode_error(R"(2["a"]["b"])"), "sio_invalid_json");
  EXPECT_EQ(decode_error(R"(2["a"],)"), "sio_invalid_json");
  EXPECT_EQ(decode_error("0{}}"), "sio_invalid_json");
  EXPECT_EQ(decode_error(R"(2x["a"])"), "sio_invalid_json");
  EXPECT_EQ(decode_error(R"(212x["a"])"), "sio_invalid_json");
  EXPECT_EQ(decode_error(R"(2["a",])"), "sio_invalid_json");          // trailing comma
  EXPECT_EQ(decode_error(R"(2["a"/*c*/])"), "sio_invalid_json");      // comment
  EXPECT_EQ(decode_error("2[\"a\"]\x00"s), "sio_invalid_json");
  EXPECT_EQ(decode_error(R"(2['a'])"), "sio_invalid_json");
  EXPECT_EQ(decode_error(R"(2["a",NaN])"), "sio_invalid_json");
  EXPECT_EQ(decode_error(R"(2["a",Infinity])"), "sio_invalid_json");
}

TEST(SocketioDecode, NumbersMustBeFinite) {
  // JSON.parse reads 1e400 as Infinity, which cannot be written back as JSON.
  EXPECT_EQ(decode_error(R"(2["a",1e400])"), "sio_invalid_json");
  EXPECT_EQ(decode_error(R"(2["a",{"x":[-1e400]}])"), "sio_invalid_json");
  // Integers beyond 64 bits become doubles, as in JavaScript.
  const Packet big = decode_ok(R"(2["a",123456789012345678901234567890])");
  EXPECT_TRUE(big.data->as_array()[1].is_double());
}

TEST(SocketioDecode, DoublesSurviveARelay) {
  // Boost 1.81's parser would turn this into -172.43127776997829.
  const Packet in = decode_ok(R"(2["location",-172.43127776997827,0.30000000000000004])");
  EXPECT_EQ(in.data->as_array()[1].as_double(), -172.43127776997827);
  EXPECT_EQ(decode_ok(encode(in)), in);
}

TEST(SocketioDecode, InvalidUtf8) {
  // Decision: the codec never hands invalid UTF-8 upward. JSON strings are validated by
  // the parser; the namespace (which may be echoed back in CONNECT_ERROR) is validated
  // here and may not contain control characters either.
  EXPECT_EQ(decode_error("2[\"\xff\"]"), "sio_invalid_json");
  EXPECT_EQ(decode_error("2[\"\xed\xa0\x80\"]"), "sio_invalid_json");   // surrogate
  EXPECT_EQ(decode_error("2[\"a\",\"\xc0\xaf\"]"), "sio_invalid_json"); // overlong
  EXPECT_EQ(decode_error("0/\xff,"), "sio_bad_namespace");
  EXPECT_EQ(decode_error("0/caf\xc3"), "sio_bad_namespace");
  EXPECT_EQ(decode_error("0/a\x1e" "b,"), "sio_bad_namespace");
  EXPECT_EQ(decode_error("0/a\nb,"), "sio_bad_namespace");
  EXPECT_EQ(decode_error("0/a\x7f,"), "sio_bad_namespace");
  EXPECT_EQ(decode_error("0/a\x00,"s), "sio_bad_namespace");
  // Escaped control characters inside JSON strings are fine.
  EXPECT_TRUE(decode_text(R"(2["a","\u001e\u0000"])"));
}

TEST(SocketioDecode, NamespaceMustStartWithSlash) {
  // Without a leading '/', what follows is not a namespace: it must be an id or JSON.
  EXPECT_EQ(decode_error("0admin,"), "sio_invalid_json");
  EXPECT_EQ(decode_error(R"(2admin,["a"])"), "sio_invalid_json");
}

TEST(SocketioDecode, DepthLimit) {
  DecodeOptions options;
  options.max_depth = 3;
  EXPECT_TRUE(decode_text(R"(2["a",[[1]]])", options));
  EXPECT_EQ(decode_error(R"(2["a",[[[1]]]])", options), "sio_invalid_json");

  // The default allows 64 levels and refuses 65, without deep recursion trouble.
  const std::string ok = "2[\"a\"," + std::string(63, '[') + std::string(63, ']') + "]";
  const std::string deep = "2[\"a\"," + std::string(64, '[') + std::string(64, ']') + "]";
  EXPECT_TRUE(decode_text(ok));
  EXPECT_EQ(decode_error(deep), "sio_invalid_json");
  EXPECT_EQ(decode_error("2" + std::string(100000, '[')), "sio_invalid_json");
}

// ---- binary packets ----

TEST(SocketioBinary, HeaderAnnouncesAttachments) {
  auto decoded = decode_text(
      R"(52-/admin,7["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->attachments_expected, 2u);
  EXPECT_EQ(decoded->packet.type, PacketType::event);  // normalized from BINARY_EVENT
  EXPECT_EQ(decoded->packet.nsp, "/admin");
  EXPECT_EQ(decoded->packet.id, 7u);

  auto ack = decode_text(R"(61-15["bar",{"_placeholder":true,"num":0}])");
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->packet.type, PacketType::ack);
  EXPECT_EQ(ack->attachments_expected, 1u);
}

TEST(SocketioBinary, ZeroAttachmentsIsAPlainPacket) {
  auto decoded = decode_text(R"(50-["hello"])");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->attachments_expected, 0u);
  EXPECT_EQ(decoded->packet, make(PacketType::event, "/", {}, R"(["hello"])"));
}

TEST(SocketioBinary, RejectsBadAttachmentCounts) {
  EXPECT_EQ(decode_error("5"), "sio_bad_attachments");
  EXPECT_EQ(decode_error("5-[\"a\"]"), "sio_bad_attachments");      // no digits
  EXPECT_EQ(decode_error("51[\"a\"]"), "sio_bad_attachments");       // no '-'
  EXPECT_EQ(decode_error("51"), "sio_bad_attachments");
  EXPECT_EQ(decode_error("5a-[\"a\"]"), "sio_bad_attachments");
  EXPECT_EQ(decode_error("5 1-[\"a\"]"), "sio_bad_attachments");
  EXPECT_EQ(decode_error("5+1-[\"a\"]"), "sio_bad_attachments");
  EXPECT_EQ(decode_error("51.0-[\"a\"]"), "sio_bad_attachments");
  EXPECT_EQ(decode_error("599999999999999999999999-[\"a\"]"), "sio_bad_attachments");
  EXPECT_EQ(decode_error("611-1[]"), "sio_too_many_attachments");  // default max is 10

  DecodeOptions options;
  options.max_attachments = 2;
  EXPECT_TRUE(decode_text(R"(52-["a"])", options));
  EXPECT_EQ(decode_error(R"(53-["a"])", options), "sio_too_many_attachments");
}

TEST(SocketioBinary, RejectsBadPlaceholders) {
  const char* bad[] = {
      R"(51-["a",{"_placeholder":true,"num":1}])",                 // num out of range
      R"(52-["a",{"_placeholder":true,"num":2}])",
      R"(51-["a",{"_placeholder":true,"num":-1}])",
      R"(51-["a",{"_placeholder":true,"num":0.0}])",               // not an integer
      R"(51-["a",{"_placeholder":true,"num":0.5}])",
      R"(51-["a",{"_placeholder":true,"num":"0"}])",
      R"(51-["a",{"_placeholder":true,"num":null}])",
      R"(51-["a",{"_placeholder":true}])",                         // missing num
      R"(51-["a",{"_placeholder":true,"num":0,"x":1}])",           // extra key
      R"(51-["a",{"_placeholder":true,"num":0,"inner":{"_placeholder":true,"num":0}}])",
      R"(51-["a",{"b":[{"_placeholder":true,"num":18446744073709551615}]}])",
      R"(50-["a",{"_placeholder":true,"num":0}])",                 // nothing announced
      R"(61-1[{"_placeholder":true,"num":1}])",
  };
  for (const char* text : bad) EXPECT_EQ(decode_error(text), "sio_bad_placeholder") << text;
}

TEST(SocketioBinary, AcceptsNestedAndUnusedPlaceholders) {
  // Placeholders anywhere in the tree; not every attachment has to be referenced, and one
  // may be referenced twice (the reference parser allows both).
  EXPECT_TRUE(decode_text(
      R"(53-["a",{"x":[1,{"y":{"_placeholder":true,"num":2}}]},{"_placeholder":true,"num":2}])"));
  // "_placeholder" other than true is ordinary data.
  EXPECT_TRUE(decode_text(R"(51-["a",{"_placeholder":false,"num":7}])"));
  EXPECT_TRUE(decode_text(R"(51-["a",{"_placeholder":"true","num":7}])"));
  // In a plain packet, a placeholder-shaped object is ordinary data too.
  const Packet plain = decode_ok(R"(2["a",{"_placeholder":true,"num":5}])");
  EXPECT_TRUE(plain.attachments.empty());
  EXPECT_EQ(find_attachment(plain, plain.data->as_array()[1]), nullptr);
}

TEST(SocketioReconstructor, CollectsAttachmentsInOrder) {
  Reconstructor reconstructor;
  auto header = reconstructor.add_text(
      R"(52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  ASSERT_TRUE(header);
  EXPECT_FALSE(header->has_value());
  EXPECT_TRUE(reconstructor.awaiting_attachments());

  auto first = reconstructor.add_binary("\x01\x02\x03");
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->has_value());
  EXPECT_EQ(reconstructor.buffered_bytes(), 3u);

  auto second = reconstructor.add_binary("\x04\x05\x06");
  ASSERT_TRUE(second);
  ASSERT_TRUE(second->has_value());
  const Packet& packet = **second;
  EXPECT_FALSE(reconstructor.awaiting_attachments());
  EXPECT_EQ(reconstructor.buffered_bytes(), 0u);

  EXPECT_EQ(packet.type, PacketType::event);
  EXPECT_EQ(event_name(packet), "message");
  ASSERT_EQ(packet.attachments.size(), 2u);
  const auto& args = packet.data->as_array();
  const std::string* a = find_attachment(packet, args[1]);
  const std::string* b = find_attachment(packet, args[2]);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, "\x01\x02\x03");
  EXPECT_EQ(*b, "\x04\x05\x06");
  EXPECT_EQ(find_attachment(packet, args[0]), nullptr);

  // Echoing it (the conformance server's "message-back") re-encodes the same header.
  Packet echo = packet;
  echo.data->as_array()[0] = "message-back";
  EXPECT_EQ(encode(echo),
            R"(52-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
}

TEST(SocketioReconstructor, PlainPacketsPassThrough) {
  Reconstructor reconstructor;
  auto result = reconstructor.add_text(R"(2["hello"])");
  ASSERT_TRUE(result);
  ASSERT_TRUE(result->has_value());
  EXPECT_EQ(**result, make(PacketType::event, "/", {}, R"(["hello"])"));

  auto zero = reconstructor.add_text(R"(60-4[])");
  ASSERT_TRUE(zero);
  ASSERT_TRUE(zero->has_value());
  EXPECT_EQ(**zero, make(PacketType::ack, "/", 4, "[]"));
  EXPECT_FALSE(reconstructor.awaiting_attachments());
}

TEST(SocketioReconstructor, EmptyAttachmentIsAnAttachment) {
  Reconstructor reconstructor;
  ASSERT_TRUE(reconstructor.add_text(R"(51-["a",{"_placeholder":true,"num":0}])"));
  auto done = reconstructor.add_binary("");
  ASSERT_TRUE(done);
  ASSERT_TRUE(done->has_value());
  EXPECT_EQ((*done)->attachments, std::vector<std::string>{""});
}

TEST(SocketioReconstructor, RejectsOutOfOrderMessages) {
  Reconstructor reconstructor;
  auto stray = reconstructor.add_binary("\x01");
  ASSERT_FALSE(stray);
  EXPECT_EQ(stray.error().code, "sio_unexpected_binary");

  ASSERT_TRUE(reconstructor.add_text(R"(51-["a",{"_placeholder":true,"num":0}])"));
  auto text = reconstructor.add_text(R"(2["b"])");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, "sio_unexpected_text");
  // The error reset the reconstructor: it starts afresh.
  EXPECT_FALSE(reconstructor.awaiting_attachments());
  auto next = reconstructor.add_text(R"(2["c"])");
  ASSERT_TRUE(next);
  EXPECT_TRUE(next->has_value());
}

TEST(SocketioReconstructor, ResetDropsPending) {
  Reconstructor reconstructor;
  ASSERT_TRUE(reconstructor.add_text(R"(52-["a",{"_placeholder":true,"num":1}])"));
  ASSERT_TRUE(reconstructor.add_binary("xyz"));
  EXPECT_EQ(reconstructor.buffered_bytes(), 3u);
  reconstructor.reset();
  EXPECT_FALSE(reconstructor.awaiting_attachments());
  EXPECT_EQ(reconstructor.buffered_bytes(), 0u);
  EXPECT_FALSE(reconstructor.add_binary("z"));
}

TEST(SocketioReconstructor, InvalidHeaderIsAnError) {
  Reconstructor reconstructor;
  auto bad = reconstructor.add_text(R"(51-["a",{"_placeholder":true,"num":3}])");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "sio_bad_placeholder");
  EXPECT_FALSE(reconstructor.awaiting_attachments());
}

TEST(SocketioReconstructor, RespectsMaxAttachmentsOption) {
  DecodeOptions options;
  options.max_attachments = 1;
  Reconstructor reconstructor(options);
  EXPECT_FALSE(reconstructor.add_text(R"(52-["a"])"));
  EXPECT_TRUE(reconstructor.add_text(R"(51-["a"])"));
}

// ---- helpers ----

TEST(SocketioHelpers, Placeholders) {
  const json::value placeholder = make_placeholder(3);
  EXPECT_EQ(json::serialize(placeholder), R"({"_placeholder":true,"num":3})");
  EXPECT_EQ(placeholder_num(placeholder), 3u);
  EXPECT_EQ(placeholder_num(json::parse(R"({"num":3,"_placeholder":true})")), 3u);
  EXPECT_FALSE(placeholder_num(json::parse(R"({"_placeholder":true,"num":-3})")));
  EXPECT_FALSE(placeholder_num(json::parse(R"({"_placeholder":1,"num":3})")));
  EXPECT_FALSE(placeholder_num(json::parse("[3]")));
  EXPECT_FALSE(placeholder_num(json::parse("3")));
}

TEST(SocketioHelpers, EventName) {
  EXPECT_EQ(event_name(make(PacketType::event, "/", {}, R"(["typing",{}])")), "typing");
  EXPECT_EQ(event_name(make(PacketType::ack, "/", 1, R"(["typing"])")), "");
  EXPECT_EQ(event_name(make(PacketType::event, "/", {}, {})), "");
  EXPECT_EQ(event_name(make(PacketType::event, "/", {}, "[1]")), "");
}

TEST(SocketioHelpers, TypeNames) {
  EXPECT_EQ(to_string(PacketType::connect), "CONNECT");
  EXPECT_EQ(to_string(PacketType::binary_ack), "BINARY_ACK");
}

}  // namespace
}  // namespace parley::socketio
