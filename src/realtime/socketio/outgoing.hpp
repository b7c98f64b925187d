#pragma once
// Encoding Socket.IO packets for sending: the Engine.IO text frame ("4" + packet) plus one
// binary frame per attachment, built once as shared immutable frames. An EncodedPacket can
// be sent to any number of sockets (on any threads): every queue references the same bytes.
//
// Thread-safety: pure functions; run them on any thread (a worker thread that broadcasts
// encodes there, not on the IO threads). EncodedPacket is immutable once built.

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "realtime/websocket/out_frame.hpp"
#include "realtime/socketio/packet.hpp"

namespace parley::socketio {

struct EncodedPacket {
  std::vector<realtime::FrameRef> frames;  // text frame, then the attachments
};
using SharedPacket = std::shared_ptr<const EncodedPacket>;

// EVENT [event, ...args] (BINARY_EVENT when `attachments` is not empty: `args` then hold
// {"_placeholder":true,"num":N} objects for them). REQUIRES: nsp starts with '/' and has no ','.
EncodedPacket encode_event(std::string_view nsp, std::string_view event, const boost::json::array& args,
                           std::optional<std::uint64_t> ack_id = std::nullopt,
                           std::span<const std::string> attachments = {});

// EVENT [event, <json_arg>] where `json_arg` is one argument already serialized as JSON
// text (the chat layer renders its payloads once). REQUIRES: json_arg is well-formed JSON
// from a trusted encoder (it is copied as is).
EncodedPacket encode_event_raw(std::string_view nsp, std::string_view event, std::string_view json_arg);

// EVENT with the whole data array ([event, ...args]), e.g. to forward a received packet.
EncodedPacket encode_event_data(std::string_view nsp, const boost::json::value& data,
                                std::optional<std::uint64_t> ack_id = std::nullopt,
                                std::span<const std::string> attachments = {});

// ACK id [...args] (BINARY_ACK with attachments).
EncodedPacket encode_ack(std::string_view nsp, std::uint64_t id, const boost::json::array& args,
                         std::span<const std::string> attachments = {});
// The same with one argument given as JSON text (REQUIRES: valid JSON), copied as is.
EncodedPacket encode_ack_raw(std::string_view nsp, std::uint64_t id, std::string_view json_arg);

// CONNECT / CONNECT_ERROR / DISCONNECT with an optional payload.
EncodedPacket encode_control(PacketType type, std::string_view nsp, const boost::json::value* data = nullptr);

inline SharedPacket share(EncodedPacket packet) {
  return std::make_shared<const EncodedPacket>(std::move(packet));
}

}  // namespace parley::socketio
