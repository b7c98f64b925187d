// Encoded outgoing packets: the exact Engine.IO/Socket.IO bytes, shared frames, both
// transport forms.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "realtime/websocket/out_frame.hpp"
#include "realtime/socketio/outgoing.hpp"
#include "realtime/websocket/frame_codec.hpp"

namespace parley::socketio {
namespace {

namespace json = boost::json;
using realtime::OutFrame;

std::string text_of(const EncodedPacket& packet) { return std::string(packet.frames.at(0)->payload()); }

TEST(OutFrame, TextFrameCarriesHeaderAndPayload) {
  const auto frame = realtime::make_text_frame("4hello");
  EXPECT_EQ(frame->kind(), OutFrame::Kind::text);
  EXPECT_EQ(frame->payload(), "4hello");
  EXPECT_EQ(frame->polling(), "4hello");
  EXPECT_EQ(frame->wire(), websocket::encode_frame(websocket::Opcode::text, "4hello"));
  const std::string big(70000, 'x');
  EXPECT_EQ(realtime::make_text_frame(big)->wire(), websocket::encode_frame(websocket::Opcode::text, big));
}

TEST(OutFrame, BinaryFrameHasBothForms) {
  const auto frame = realtime::make_binary_frame(std::string("\x01\x02\x03\x04", 4));
  EXPECT_EQ(frame->kind(), OutFrame::Kind::binary);
  EXPECT_EQ(frame->polling(), "bAQIDBA==");
  EXPECT_EQ(frame->wire(), websocket::encode_frame(websocket::Opcode::binary, std::string("\x01\x02\x03\x04", 4)));
  const auto copy = frame;  // shared, not copied
  EXPECT_EQ(copy.get(), frame.get());
}

TEST(OutFrame, ControlAndRawFrames) {
  EXPECT_EQ(realtime::make_control_frame(websocket::Opcode::pong, "x")->wire(), std::string("\x8a\x01x", 3));
  EXPECT_EQ(realtime::make_raw_frame("HTTP/1.1 101\r\n\r\n")->wire(), "HTTP/1.1 101\r\n\r\n");
}

TEST(SocketioOutgoing, Events) {
  json::array args{1, "2", json::object{{"3", json::array{true}}}};
  EXPECT_EQ(text_of(encode_event("/", "message-back", args)), R"(42["message-back",1,"2",{"3":[true]}])");
  EXPECT_EQ(text_of(encode_event("/custom", "auth", json::array{json::object{}})), R"(42/custom,["auth",{}])");
  EXPECT_EQ(text_of(encode_event("/", "e", {}, 12)), R"(4212["e"])");
  EXPECT_EQ(text_of(encode_event("/", "quote\"name", {})), R"(42["quote\"name"])");
}

TEST(SocketioOutgoing, BinaryEventsAndAcks) {
  const std::vector<std::string> attachments{std::string("\x01\x02\x03", 3), std::string("\x04", 1)};
  json::array args{make_placeholder(0), make_placeholder(1)};
  const auto event = encode_event("/", "message-back", args, std::nullopt, attachments);
  ASSERT_EQ(event.frames.size(), 3u);
  EXPECT_EQ(text_of(event), R"(452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  EXPECT_EQ(event.frames[1]->payload(), attachments[0]);
  EXPECT_EQ(event.frames[2]->polling(), "bBA==");

  EXPECT_EQ(text_of(encode_ack("/", 456, json::array{1, "2"})), R"(43456[1,"2"])");
  EXPECT_EQ(text_of(encode_ack("/", 789, args, attachments)),
            R"(462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  EXPECT_EQ(text_of(encode_ack("/x", 1, {})), R"(43/x,1[])");
}

TEST(SocketioOutgoing, ControlPackets) {
  const json::value sid = json::object{{"sid", "abc"}};
  EXPECT_EQ(text_of(encode_control(PacketType::connect, "/", &sid)), R"(40{"sid":"abc"})");
  EXPECT_EQ(text_of(encode_control(PacketType::connect, "/custom", &sid)), R"(40/custom,{"sid":"abc"})");
  const json::value error = json::object{{"message", "Invalid namespace"}};
  EXPECT_EQ(text_of(encode_control(PacketType::connect_error, "/random", &error)),
            R"(44/random,{"message":"Invalid namespace"})");
  EXPECT_EQ(text_of(encode_control(PacketType::disconnect, "/")), "41");
  EXPECT_EQ(text_of(encode_control(PacketType::disconnect, "/custom")), "41/custom,");
}

TEST(SocketioOutgoing, ForwardingAReceivedPacketReproducesIt) {
  const std::string wire = R"(451-["message",{"_placeholder":true,"num":0},"é"])";
  auto decoded = decode_text(wire.substr(1));
  ASSERT_TRUE(decoded);
  decoded->packet.attachments.push_back("bytes");
  const auto encoded = encode_event_data("/", *decoded->packet.data, std::nullopt, decoded->packet.attachments);
  EXPECT_EQ(text_of(encoded), wire);
}

}  // namespace
}  // namespace parley::socketio
