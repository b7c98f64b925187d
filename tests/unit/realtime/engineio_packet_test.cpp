// Engine.IO v4 codec: single packets, polling payloads, the handshake.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "realtime/engineio/packet.hpp"

namespace parley::engineio {
namespace {

using namespace std::string_literals;

TEST(EngineioPacket, EncodesEveryTextType) {
  const std::pair<PacketType, std::string> cases[] = {
      {PacketType::open, "0"},    {PacketType::close, "1"},   {PacketType::ping, "2"},
      {PacketType::pong, "3"},    {PacketType::message, "4"}, {PacketType::upgrade, "5"},
      {PacketType::noop, "6"},
  };
  for (const auto& [type, digit] : cases) {
    EXPECT_EQ(encode_frame(Packet::text(type)), (Frame{digit, false})) << to_string(type);
    auto decoded = decode_text(digit);
    ASSERT_TRUE(decoded) << digit;
    EXPECT_EQ(*decoded, Packet::text(type));
  }
}

TEST(EngineioPacket, TextWithData) {
  EXPECT_EQ(encode_frame(Packet::text(PacketType::ping, "probe")).bytes, "2probe");
  EXPECT_EQ(encode_frame(Packet::text(PacketType::message, "hello")).bytes, "4hello");

  auto probe = decode_text("3probe");
  ASSERT_TRUE(probe);
  EXPECT_EQ(probe->type, PacketType::pong);
  EXPECT_EQ(probe->data, "probe");
  EXPECT_FALSE(probe->binary);

  auto utf8 = decode_text("4\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac");  // "4€€€"
  ASSERT_TRUE(utf8);
  EXPECT_EQ(utf8->data, "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac");
}

TEST(EngineioPacket, EncodeTextToAppends) {
  std::string out = "prefix:";
  encode_text_to(out, PacketType::message, "2[\"a\"]");
  EXPECT_EQ(out, "prefix:42[\"a\"]");
}

TEST(EngineioPacket, BinaryFrames) {
  const std::string bytes = "\x01\x02\x00\xff"s;
  const Frame frame = encode_frame(Packet::binary_message(bytes));
  EXPECT_TRUE(frame.binary);
  EXPECT_EQ(frame.bytes, bytes);  // no type byte in v4

  const Packet decoded = decode_binary(bytes);
  EXPECT_EQ(decoded.type, PacketType::message);
  EXPECT_TRUE(decoded.binary);
  EXPECT_EQ(decoded.data, bytes);

  EXPECT_EQ(decode_binary("").data, "");  // an empty binary message is still a message
}

TEST(EngineioPacket, Base64PrefixInTextIsBinaryMessage) {
  auto decoded = decode_text("bAQIDBA==");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, Packet::binary_message("\x01\x02\x03\x04"));

  auto empty = decode_text("b");
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, Packet::binary_message(""));
}

TEST(EngineioPacket, RejectsMalformedText) {
  struct Case {
    std::string text;
    std::string code;
  };
  const Case cases[] = {
      {"", "eio_empty_packet"},
      {"7", "eio_unknown_packet_type"},
      {"9hello", "eio_unknown_packet_type"},
      {"abc", "eio_unknown_packet_type"},  // the test suite's "invalid packet format"
      {"B", "eio_unknown_packet_type"},
      {"\x1e", "eio_unknown_packet_type"},
      {"/", "eio_unknown_packet_type"},
      {"bAQIDBA", "eio_bad_base64"},
      {"b!!!!", "eio_bad_base64"},
      {"bAQIDBA==\n", "eio_bad_base64"},
  };
  for (const auto& c : cases) {
    auto decoded = decode_text(c.text);
    ASSERT_FALSE(decoded) << c.text;
    EXPECT_EQ(decoded.error().kind, ErrorKind::bad_request);
    EXPECT_EQ(decoded.error().code, c.code) << c.text;
  }
}

TEST(EngineioPayload, EncodesLikeTheProtocolExamples) {
  const std::vector<Packet> packets = {
      Packet::text(PacketType::message, "hello"),
      Packet::binary_message("\x01\x02\x03\x04"),
  };
  EXPECT_EQ(encode_payload(packets), "4hello\x1e" "bAQIDBA==");

  const std::vector<Packet> three = {Packet::text(PacketType::message, "test1"),
                                     Packet::text(PacketType::message, "test2"),
                                     Packet::text(PacketType::message, "test3")};
  EXPECT_EQ(encode_payload(three), "4test1\x1e" "4test2\x1e" "4test3");

  EXPECT_EQ(encode_payload(std::vector<Packet>{Packet::text(PacketType::noop)}), "6");
  EXPECT_EQ(encode_payload({}), "");
}

TEST(EngineioPayload, AppendFrameMatchesAppendPacket) {
  std::string from_frames, from_packets;
  const Packet packets[] = {Packet::text(PacketType::ping), Packet::binary_message("xyz"),
                            Packet::text(PacketType::message, "2[\"a\"]")};
  for (const Packet& p : packets) {
    const Frame frame = encode_frame(p);
    append_frame_to_payload(from_frames, frame.bytes, frame.binary);
    append_to_payload(from_packets, p);
  }
  EXPECT_EQ(from_frames, from_packets);
  EXPECT_EQ(from_frames, "2\x1e" "beHl6\x1e" "42[\"a\"]");
}

TEST(EngineioPayload, DecodesSeveralPackets) {
  auto decoded = decode_payload("4hello\x1e" "bAQIDBA==\x1e" "2\x1e" "42[\"x\"]", 1000);
  ASSERT_TRUE(decoded);
  const std::vector<Packet> expected = {
      Packet::text(PacketType::message, "hello"), Packet::binary_message("\x01\x02\x03\x04"),
      Packet::text(PacketType::ping), Packet::text(PacketType::message, "2[\"x\"]")};
  EXPECT_EQ(*decoded, expected);
}

TEST(EngineioPayload, RoundTrip) {
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  const std::vector<Packet> packets = {
      Packet::text(PacketType::open, "{}"),      Packet::text(PacketType::close),
      Packet::text(PacketType::ping, "probe"),   Packet::text(PacketType::pong, "probe"),
      Packet::text(PacketType::message, ""),     Packet::binary_message(""),
      Packet::binary_message(all_bytes),         Packet::text(PacketType::upgrade),
      Packet::text(PacketType::noop),            Packet::text(PacketType::message, "caf\xc3\xa9"),
  };
  const std::string body = encode_payload(packets);
  auto decoded = decode_payload(body, body.size());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, packets);
}

TEST(EngineioPayload, RejectsEmptyPackets) {
  for (const std::string& body : {""s, "\x1e"s, "4a\x1e"s, "\x1e" "4a"s, "4a\x1e\x1e" "4b"s}) {
    auto decoded = decode_payload(body, 1000);
    ASSERT_FALSE(decoded) << body;
    EXPECT_EQ(decoded.error().code, "eio_empty_packet");
  }
}

TEST(EngineioPayload, RejectsAnyBadEntry) {
  EXPECT_EQ(decode_payload("abc", 1000).error().code, "eio_unknown_packet_type");
  EXPECT_EQ(decode_payload("4ok\x1e" "8", 1000).error().code, "eio_unknown_packet_type");
  EXPECT_EQ(decode_payload("4ok\x1e" "bAQ", 1000).error().code, "eio_bad_base64");
  // The v3 binary payload format starts with a 0x00/0x01 byte: not a v4 packet type.
  EXPECT_EQ(decode_payload("\x01\x04" "4hello", 1000).error().code, "eio_unknown_packet_type");
}

TEST(EngineioPayload, RejectsInvalidUtf8) {
  // Decision: polling bodies are text/plain; charset=UTF-8. Invalid UTF-8 is a protocol
  // error (HTTP 400), not replaced with U+FFFD as Node's string decoding would.
  for (const std::string& body : {"4\xff"s, "4caf\xc3"s, "4\xed\xa0\x80"s, "4a\x1e" "4\xc0\xaf"s}) {
    auto decoded = decode_payload(body, 1000);
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().code, "eio_invalid_utf8");
  }
}

TEST(EngineioPayload, RespectsMaxPayload) {
  const std::string body = "4" + std::string(99, 'x');  // 100 bytes
  EXPECT_TRUE(decode_payload(body, 100));
  auto decoded = decode_payload(body, 99);
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().kind, ErrorKind::payload_too_large);
  EXPECT_EQ(decoded.error().code, "payload_too_large");
  // The size check comes first: an oversized body is 413 even when also malformed.
  EXPECT_EQ(decode_payload("\xff\xff\xff", 2).error().kind, ErrorKind::payload_too_large);
}

TEST(EngineioHandshake, OpenPacket) {
  static constexpr std::string_view kWebsocket[] = {"websocket"};
  Handshake handshake;
  handshake.sid = "lv_VI97HAXpY6yYWAAAC";
  handshake.upgrades = kWebsocket;
  handshake.ping_interval_ms = 300;
  handshake.ping_timeout_ms = 200;
  handshake.max_payload = 1000000;

  EXPECT_EQ(handshake_json(handshake),
            R"({"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":300,)"
            R"("pingTimeout":200,"maxPayload":1000000})");

  const Packet open = open_packet(handshake);
  EXPECT_EQ(open.type, PacketType::open);
  const std::string wire = encode_frame(open).bytes;
  ASSERT_EQ(wire[0], '0');
  const auto value = boost::json::parse(wire.substr(1)).as_object();
  EXPECT_EQ(value.size(), 5u);
  EXPECT_EQ(value.at("sid").as_string(), "lv_VI97HAXpY6yYWAAAC");
  EXPECT_EQ(value.at("pingInterval").to_number<int>(), 300);
}

TEST(EngineioHandshake, WebsocketHasNoUpgradesAndSidIsEscaped) {
  Handshake handshake;
  handshake.sid = "a\"b\\c";
  EXPECT_EQ(handshake_json(handshake),
            R"({"sid":"a\"b\\c","upgrades":[],"pingInterval":25000,"pingTimeout":20000,)"
            R"("maxPayload":1000000})");
}

}  // namespace
}  // namespace parley::engineio
