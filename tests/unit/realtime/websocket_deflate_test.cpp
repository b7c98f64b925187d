// permessage-deflate (RFC 7692): offer negotiation, one compressed frame shared by every
// recipient, inflating client messages (bounded), and the reader's RSV1 rules.
#include <gtest/gtest.h>
#include <zlib.h>

#include <span>
#include <string>
#include <thread>
#include <vector>

#include "realtime/websocket/deflate.hpp"
#include "realtime/websocket/frame_codec.hpp"
#include "realtime/websocket/message_reader.hpp"
#include "realtime/websocket/out_frame.hpp"

namespace parley::websocket {
namespace {

std::string long_text(std::size_t bytes) {
  std::string out;
  while (out.size() < bytes) out += "42[\"new_message\",{\"body\":\"the quick brown fox\"}]";
  out.resize(bytes);
  return out;
}

TEST(DeflateNegotiation, AcceptsTheOffersItCanHonour) {
  // The server asks for client_no_context_takeover even when not offered: no inflate state
  // per connection.
  auto p = negotiate_deflate("permessage-deflate; client_max_window_bits");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->client_no_context_takeover);
  EXPECT_EQ(deflate_response_header(*p),
            "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n");

  p = negotiate_deflate("PerMessage-Deflate ; client_no_context_takeover; server_no_context_takeover");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->client_no_context_takeover);
  EXPECT_EQ(deflate_response_header(*p),
            "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n");

  EXPECT_TRUE(negotiate_deflate("permessage-deflate; server_max_window_bits=15; client_max_window_bits=\"10\""));
  // The first acceptable offer wins.
  p = negotiate_deflate("permessage-deflate; server_max_window_bits=9, permessage-deflate; client_no_context_takeover");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->client_no_context_takeover);
}

TEST(DeflateNegotiation, DeclinesWhatItCannotHonour) {
  for (const char* offer : {"", "x-webkit-deflate-frame", "permessage-deflate; server_max_window_bits=10",
                            "permessage-deflate; server_max_window_bits", "permessage-deflate; bogus",
                            "permessage-deflate; client_max_window_bits=7", "permessage-deflate; client_max_window_bits=016",
                            "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
                            "permessage-deflate; client_no_context_takeover=1"}) {
    EXPECT_FALSE(negotiate_deflate(offer)) << offer;
  }
}

TEST(DeflateFrame, CompressedOnceAndSharedAboveTheThreshold) {
  const std::string text = long_text(4000);
  const realtime::FrameRef frame = realtime::make_text_frame(text);
  const std::string_view first = frame->wire_deflated(1024);
  const std::string_view second = frame->wire_deflated(1024);
  EXPECT_EQ(first.data(), second.data()) << "every recipient shares the same compressed bytes";
  ASSERT_GE(first.size(), 2u);
  EXPECT_EQ(static_cast<std::uint8_t>(first[0]), 0x80 | 0x40 | 0x1) << "FIN, RSV1, text";
  EXPECT_LT(first.size(), text.size() / 4);
  EXPECT_EQ(frame->wire().size(), text.size() + header_size(text.size())) << "the plain form is untouched";

  // Decoding the payload gives back the message.
  const ParsedHeader parsed = parse_header(first);
  ASSERT_EQ(parsed.status, HeaderStatus::complete);
  Inflater inflater(false);
  std::string out;
  ASSERT_EQ(inflater.inflate(first.substr(parsed.header.size), out, 1 << 20), Inflater::Result::ok);
  EXPECT_EQ(out, text);
}

// IO threads reach a broadcast frame at the same time: each may compress, one result is
// published, and every thread writes those bytes.
TEST(DeflateFrame, ThreadsRacingForTheCompressedFormShareOne) {
  for (int round = 0; round < 20; ++round) {
    const realtime::FrameRef frame = realtime::make_text_frame(long_text(3000));
    std::vector<const char*> seen(4);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < seen.size(); ++t) {
      threads.emplace_back([&, t] { seen[t] = frame->wire_deflated(1024).data(); });
    }
    for (auto& t : threads) t.join();
    for (const char* p : seen) EXPECT_EQ(p, frame->wire_deflated(1024).data());
    EXPECT_NE(seen[0], frame->wire().data());
  }
}

TEST(DeflateFrame, PlainBelowTheThresholdAndForRawFrames) {
  const realtime::FrameRef small = realtime::make_text_frame(long_text(1023));
  EXPECT_EQ(small->wire_deflated(1024).data(), small->wire().data());
  const realtime::FrameRef raw = realtime::make_raw_frame("HTTP/1.1 101 Switching Protocols\r\n\r\n");
  EXPECT_EQ(raw->wire_deflated(0).data(), raw->wire().data());
  // Incompressible bytes are not worth it: sent plain.
  std::string noise;
  std::uint32_t x = 12345;
  for (int i = 0; i < 2000; ++i) noise.push_back(static_cast<char>((x = x * 1103515245 + 12345) >> 24));
  const realtime::FrameRef binary = realtime::make_binary_frame(noise);
  EXPECT_EQ(binary->wire_deflated(0).data(), binary->wire().data());
}

// Compresses messages the way a client with context takeover does: one stream, its
// window carried over, each message sync-flushed and its tail stripped.
class ClientDeflater {
 public:
  ClientDeflater() { deflateInit2(&z_, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY); }
  ~ClientDeflater() { deflateEnd(&z_); }
  std::string next(const std::string& message) {
    std::string out(message.size() + 64, '\0');
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(message.data()));
    z_.avail_in = static_cast<uInt>(message.size());
    z_.next_out = reinterpret_cast<Bytef*>(out.data());
    z_.avail_out = static_cast<uInt>(out.size());
    deflate(&z_, Z_SYNC_FLUSH);
    out.resize(out.size() - z_.avail_out - 4);
    return out;
  }

 private:
  z_stream z_{};
};

TEST(DeflateInflater, ContextTakeoverAcrossMessagesAndBounds) {
  ClientDeflater client;
  std::string message;  // letters at random: compresses only so far on its own
  std::uint32_t x = 7;
  for (int i = 0; i < 2000; ++i) message.push_back(static_cast<char>('a' + ((x = x * 1103515245 + 12345) >> 16) % 26));
  const std::string first = client.next(message);
  const std::string second = client.next(message);  // mostly a back-reference into the first
  EXPECT_LT(second.size(), first.size() / 4);

  Inflater own(true);
  std::string out;
  ASSERT_EQ(own.inflate(first, out, 1 << 20), Inflater::Result::ok);
  EXPECT_EQ(out, message);
  ASSERT_EQ(own.inflate(second, out, 1 << 20), Inflater::Result::ok);
  EXPECT_EQ(out, message);

  // Without the first message's window the second cannot be decoded.
  Inflater fresh(false);
  EXPECT_NE(fresh.inflate(second, out, 1 << 20) == Inflater::Result::ok && out == message, true);

  Inflater bounded(false);
  EXPECT_EQ(bounded.inflate(first, out, 100), Inflater::Result::too_big);
  EXPECT_EQ(bounded.inflate(std::string("\xff\xff\xff\x00\x12", 5), out, 1 << 20), Inflater::Result::corrupt);
}

std::string masked(std::uint8_t b0, std::string_view payload) {
  std::string out{static_cast<char>(b0), static_cast<char>(0x80 | payload.size()), 0, 0, 0, 0};
  return out + std::string(payload);  // zero mask key: payload unchanged
}

TEST(DeflateReader, Rsv1OnlyOnceAllowedAndOnlyOnFirstFrames) {
  std::string input = masked(0x80 | 0x40 | 0x1, "abc");
  {
    MessageReader reader(1000);
    std::span<char> span(input);
    EXPECT_EQ(reader.next(span).kind, ReadEvent::Kind::error) << "RSV1 without the extension";
  }
  {
    MessageReader reader(1000);
    reader.allow_compressed();
    std::span<char> span(input);
    const ReadEvent e = reader.next(span);
    EXPECT_EQ(e.kind, ReadEvent::Kind::text);
    EXPECT_TRUE(e.compressed);
  }
  {
    MessageReader reader(1000);
    reader.allow_compressed();
    std::string ping = masked(0x80 | 0x40 | 0x9, "");
    std::span<char> span(ping);
    EXPECT_EQ(reader.next(span).kind, ReadEvent::Kind::error) << "RSV1 on a control frame";
  }
  {
    MessageReader reader(1000);
    reader.allow_compressed();
    std::string frames = masked(0x40 | 0x1, "ab") + masked(0x80 | 0x40 | 0x0, "c");
    std::span<char> span(frames);
    EXPECT_EQ(reader.next(span).kind, ReadEvent::Kind::error) << "RSV1 on a continuation frame";
  }
}

}  // namespace
}  // namespace parley::websocket
