// RFC 6455 server-side codec: frame headers, masking, the incremental message reader and
// every protocol violation it must turn into a close code.
#include <gtest/gtest.h>

#include <random>
#include <span>
#include <string>
#include <vector>

#include "realtime/websocket/frame_codec.hpp"
#include "realtime/websocket/handshake.hpp"
#include "realtime/websocket/message_reader.hpp"

namespace parley::websocket {
namespace {

using Kind = ReadEvent::Kind;

// A client frame: masked with a fixed key unless told otherwise.
std::string client_frame(Opcode opcode, std::string_view payload, bool fin = true, bool mask = true,
                         std::uint8_t rsv = 0) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | (rsv << 4) | static_cast<std::uint8_t>(opcode)));
  const std::uint8_t m = mask ? 0x80 : 0;
  const std::size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(m | n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(m | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(m | 127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xFF));
  }
  const std::array<std::uint8_t, 4> key{0x12, 0x34, 0x56, 0x78};
  if (mask) out.append(reinterpret_cast<const char*>(key.data()), 4);
  std::string body(payload);
  if (mask) apply_mask(body.data(), body.size(), key, 0);
  return out + body;
}

struct Collected {
  Kind kind;
  std::string payload;
  std::uint16_t code;
  friend bool operator==(const Collected&, const Collected&) = default;
};

// Feeds `bytes` in chunks of `chunk` bytes; collects every event until need_more or error.
std::vector<Collected> feed(MessageReader& reader, std::string bytes, std::size_t chunk = SIZE_MAX) {
  std::vector<Collected> events;
  std::size_t pos = 0;
  while (pos < bytes.size() || bytes.empty()) {
    const std::size_t n = std::min(chunk, bytes.size() - pos);
    std::span<char> input(bytes.data() + pos, n);
    while (true) {
      const ReadEvent event = reader.next(input);
      if (event.kind == Kind::need_more) break;
      events.push_back({event.kind, std::string(event.payload), event.code});
      if (event.kind == Kind::error) return events;
    }
    pos += n;
    if (bytes.empty()) break;
  }
  return events;
}

TEST(WebsocketCodec, HeaderSizes) {
  char out[kMaxServerHeader];
  EXPECT_EQ(encode_header(out, Opcode::text, true, 0), 2u);
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x81);
  EXPECT_EQ(out[1], 0);
  EXPECT_EQ(encode_header(out, Opcode::binary, true, 125), 2u);
  EXPECT_EQ(encode_header(out, Opcode::binary, true, 126), 4u);
  EXPECT_EQ(static_cast<unsigned char>(out[1]), 126);
  EXPECT_EQ(encode_header(out, Opcode::binary, true, 65535), 4u);
  EXPECT_EQ(encode_header(out, Opcode::binary, false, 65536), 10u);
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x02);
  EXPECT_EQ(static_cast<unsigned char>(out[1]), 127);
  EXPECT_EQ(header_size(65536), 10u);
  EXPECT_EQ(encode_frame(Opcode::text, "hi"), std::string("\x81\x02hi", 4));
}

TEST(WebsocketCodec, MaskIsItsOwnInverseAtAnyOffset) {
  std::string data(1000, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  const std::array<std::uint8_t, 4> key{1, 2, 3, 250};
  std::string copy = data;
  // Mask in uneven pieces, unmask in one go.
  std::size_t offset = 0;
  for (std::size_t pos = 0; pos < copy.size();) {
    const std::size_t n = std::min<std::size_t>(13, copy.size() - pos);
    offset = apply_mask(copy.data() + pos, n, key, offset);
    pos += n;
  }
  EXPECT_NE(copy, data);
  apply_mask(copy.data(), copy.size(), key, 0);
  EXPECT_EQ(copy, data);
}

TEST(WebsocketCodec, ClosePayloads) {
  EXPECT_EQ(close_payload(1000), std::string("\x03\xe8", 2));
  EXPECT_EQ(close_payload(4000, "bye").substr(2), "bye");
  EXPECT_LE(close_payload(1000, std::string(300, 'x')).size(), kMaxControlPayload);
  // A reason cut in the middle of a character is cut before it instead.
  const std::string euros = [] { std::string s; for (int i = 0; i < 50; ++i) s += "\xe2\x82\xac"; return s; }();
  const std::string cut = close_payload(1000, euros);
  EXPECT_EQ((cut.size() - 2) % 3, 0u);

  CloseFrame frame;
  EXPECT_EQ(parse_close_payload("", frame), CloseParse::ok);
  EXPECT_EQ(frame.code, close_code::no_status);
  EXPECT_EQ(parse_close_payload(std::string("\x03", 1), frame), CloseParse::bad_code);
  EXPECT_EQ(parse_close_payload(std::string("\x03\xed", 2), frame), CloseParse::bad_code);  // 1005
  EXPECT_EQ(parse_close_payload(std::string("\x03\xe8\xff", 3), frame), CloseParse::bad_reason);
  const std::string with_reason("\x0f\xa0ok", 4);  // the frame's reason points into it
  EXPECT_EQ(parse_close_payload(with_reason, frame), CloseParse::ok);
  EXPECT_EQ(frame.code, 4000);
  EXPECT_EQ(frame.reason, "ok");
  EXPECT_TRUE(is_valid_close_code(1000));
  EXPECT_FALSE(is_valid_close_code(1004));
  EXPECT_FALSE(is_valid_close_code(1006));
  EXPECT_FALSE(is_valid_close_code(2999));
  EXPECT_TRUE(is_valid_close_code(4999));
  EXPECT_FALSE(is_valid_close_code(5000));
}

TEST(WebsocketHandshake, AcceptKeyOfRfc6455Example) {
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(check_handshake("13", "dGhlIHNhbXBsZSBub25jZQ=="), HandshakeCheck::ok);
  EXPECT_EQ(check_handshake("8", "dGhlIHNhbXBsZSBub25jZQ=="), HandshakeCheck::bad_version);
  EXPECT_EQ(check_handshake("13", "short"), HandshakeCheck::bad_key);
  EXPECT_EQ(check_handshake("13", ""), HandshakeCheck::bad_key);
  const std::string answer = switching_protocols_response("dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(answer.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u);
  EXPECT_NE(answer.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos);
  EXPECT_TRUE(answer.ends_with("\r\n\r\n"));
}

TEST(WebsocketReader, OneFrameAtATimeOrAllTogetherOrByteByByte) {
  const std::string stream = client_frame(Opcode::text, "4hello") + client_frame(Opcode::binary, std::string("\0\1\2", 3)) +
                             client_frame(Opcode::ping, "p") + client_frame(Opcode::text, "") +
                             client_frame(Opcode::text, std::string(70000, 'x'));
  const std::vector<Collected> expected = {
      {Kind::text, "4hello", 0},
      {Kind::binary, std::string("\0\1\2", 3), 0},
      {Kind::ping, "p", 0},
      {Kind::text, "", 0},
      {Kind::text, std::string(70000, 'x'), 0},
  };
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, std::size_t{4096},
                            SIZE_MAX}) {
    MessageReader reader(1 << 20);
    EXPECT_EQ(feed(reader, stream, chunk), expected) << "chunk " << chunk;
    EXPECT_TRUE(reader.idle());
  }
}

TEST(WebsocketReader, FragmentsWithControlFramesBetween) {
  MessageReader reader(100);
  const std::string stream = client_frame(Opcode::text, "4he", false) + client_frame(Opcode::pong, "") +
                             client_frame(Opcode::continuation, "ll", false) +
                             client_frame(Opcode::continuation, "o\xe2\x82", false) +
                             client_frame(Opcode::continuation, "\xac", true);
  const auto events = feed(reader, stream, 5);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::pong);
  EXPECT_EQ(events[1], (Collected{Kind::text, "4hello\xe2\x82\xac", 0}));
  EXPECT_EQ(reader.buffered_bytes(), 0u);
}

TEST(WebsocketReader, CloseFrames) {
  MessageReader reader(100);
  auto events = feed(reader, client_frame(Opcode::close, std::string("\x03\xe8" "bye", 5)));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], (Collected{Kind::close, "bye", 1000}));
  MessageReader empty(100);
  events = feed(empty, client_frame(Opcode::close, ""));
  EXPECT_EQ(events[0], (Collected{Kind::close, "", close_code::no_status}));
}

struct Violation {
  const char* name;
  std::string bytes;
  std::uint16_t code;
};

TEST(WebsocketReader, ProtocolViolationsGiveTheRightCloseCode) {
  std::string huge_length = "\x81\xff";  // 64-bit length with the top bit set
  huge_length += std::string("\x80\0\0\0\0\0\0\0", 8) + "mask";
  const std::vector<Violation> cases = {
      {"unmasked", client_frame(Opcode::text, "4x", true, false), close_code::protocol_error},
      {"rsv1", client_frame(Opcode::text, "4x", true, true, 4), close_code::protocol_error},
      {"rsv3", client_frame(Opcode::text, "4x", true, true, 1), close_code::protocol_error},
      {"opcode 3", client_frame(static_cast<Opcode>(3), "x"), close_code::protocol_error},
      {"opcode 11", client_frame(static_cast<Opcode>(11), "x"), close_code::protocol_error},
      {"fragmented ping", client_frame(Opcode::ping, "x", false), close_code::protocol_error},
      {"long ping", client_frame(Opcode::ping, std::string(126, 'x')), close_code::protocol_error},
      {"lone continuation", client_frame(Opcode::continuation, "x"), close_code::protocol_error},
      {"message inside message", client_frame(Opcode::text, "a", false) + client_frame(Opcode::text, "b"),
       close_code::protocol_error},
      {"bad utf-8", client_frame(Opcode::text, "4\xc3\x28"), close_code::invalid_payload},
      {"surrogate", client_frame(Opcode::text, "\xed\xa0\x80"), close_code::invalid_payload},
      {"truncated utf-8 across fragments",
       client_frame(Opcode::text, "a\xe2", false) + client_frame(Opcode::continuation, "\x82"),
       close_code::invalid_payload},
      {"too big", client_frame(Opcode::binary, std::string(101, 'x')), close_code::message_too_big},
      {"too big in pieces", client_frame(Opcode::binary, std::string(60, 'x'), false) +
                                client_frame(Opcode::continuation, std::string(41, 'x')),
       close_code::message_too_big},
      {"1-byte close", client_frame(Opcode::close, "\x03"), close_code::protocol_error},
      {"close 1006", client_frame(Opcode::close, "\x03\xee"), close_code::protocol_error},
      {"close bad reason", client_frame(Opcode::close, "\x03\xe8\xc0"), close_code::invalid_payload},
      {"64-bit length msb", huge_length, close_code::protocol_error},
  };
  for (const auto& c : cases) {
    for (std::size_t chunk : {std::size_t{1}, SIZE_MAX}) {
      MessageReader reader(100);
      const auto events = feed(reader, c.bytes, chunk);
      ASSERT_FALSE(events.empty()) << c.name;
      EXPECT_EQ(events.back().kind, Kind::error) << c.name;
      EXPECT_EQ(events.back().code, c.code) << c.name;
      // The error sticks.
      std::string more = client_frame(Opcode::text, "ok");
      std::span<char> input(more);
      EXPECT_EQ(reader.next(input).kind, Kind::error) << c.name;
    }
  }
}

TEST(WebsocketReader, BigMessageBufferIsReleased) {
  MessageReader reader(1 << 20);
  const auto events = feed(reader, client_frame(Opcode::binary, std::string(200000, 'b')), 1000);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload.size(), 200000u);
  std::string next = client_frame(Opcode::text, "4");
  std::span<char> input(next);
  EXPECT_EQ(reader.next(input).kind, Kind::text);
  EXPECT_EQ(reader.buffered_bytes(), 0u);
}

TEST(WebsocketReader, RandomSplitsAgreeWithWholeInput) {
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::string stream;
    std::vector<Collected> expected;
    for (int i = 0; i < 8; ++i) {
      std::string payload(rng() % 300, 'a' + static_cast<char>(i));
      if (rng() % 3 == 0) {
        const std::size_t cut = payload.empty() ? 0 : rng() % payload.size();
        stream += client_frame(Opcode::binary, payload.substr(0, cut), false);
        stream += client_frame(Opcode::ping, "x");
        expected.push_back({Kind::ping, "x", 0});
        stream += client_frame(Opcode::continuation, payload.substr(cut));
        expected.push_back({Kind::binary, payload, 0});
      } else {
        stream += client_frame(Opcode::text, payload);
        expected.push_back({Kind::text, payload, 0});
      }
    }
    MessageReader reader(1000);
    EXPECT_EQ(feed(reader, stream, 1 + rng() % 64), expected);
  }
}

}  // namespace
}  // namespace parley::websocket
