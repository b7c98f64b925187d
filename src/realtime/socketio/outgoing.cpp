#include "realtime/socketio/outgoing.hpp"

#include <boost/json/serializer.hpp>

namespace parley::socketio {
namespace json = boost::json;

namespace {

void append_json(std::string& out, const json::value& value) {
  json::serializer serializer;
  serializer.reset(&value);
  char buf[4096];
  while (!serializer.done()) out.append(serializer.read(buf, sizeof buf));
}

void append_json_string(std::string& out, std::string_view text) {
  json::serializer serializer;
  serializer.reset(json::string_view(text.data(), text.size()));
  char buf[4096];
  while (!serializer.done()) out.append(serializer.read(buf, sizeof buf));
}

EncodedPacket finish(realtime::TextFrameBuilder& builder, std::span<const std::string> attachments) {
  EncodedPacket packet;
  packet.frames.reserve(1 + attachments.size());
  packet.frames.push_back(builder.finish());
  for (const std::string& bytes : attachments) packet.frames.push_back(realtime::make_binary_frame(bytes));
  return packet;
}

}  // namespace

EncodedPacket encode_event(std::string_view nsp, std::string_view event, const json::array& args,
                           std::optional<std::uint64_t> ack_id, std::span<const std::string> attachments) {
  realtime::TextFrameBuilder builder;
  std::string& out = builder.out();
  out.push_back('4');
  encode_to(out, PacketType::event, nsp, ack_id, nullptr, attachments.size());
  out.push_back('[');
  append_json_string(out, event);
  for (const json::value& arg : args) {
    out.push_back(',');
    append_json(out, arg);
  }
  out.push_back(']');
  return finish(builder, attachments);
}

EncodedPacket encode_event_raw(std::string_view nsp, std::string_view event, std::string_view json_arg) {
  realtime::TextFrameBuilder builder;
  std::string& out = builder.out();
  out.reserve(nsp.size() + event.size() + json_arg.size() + 16);
  out.push_back('4');
  encode_to(out, PacketType::event, nsp, std::nullopt, nullptr, 0);
  out.push_back('[');
  append_json_string(out, event);
  out.push_back(',');
  out.append(json_arg);
  out.push_back(']');
  return finish(builder, {});
}

EncodedPacket encode_event_data(std::string_view nsp, const json::value& data, std::optional<std::uint64_t> ack_id,
                                std::span<const std::string> attachments) {
  realtime::TextFrameBuilder builder;
  std::string& out = builder.out();
  out.push_back('4');
  encode_to(out, PacketType::event, nsp, ack_id, &data, attachments.size());
  return finish(builder, attachments);
}

EncodedPacket encode_ack_raw(std::string_view nsp, std::uint64_t id, std::string_view json_arg) {
  realtime::TextFrameBuilder builder;
  std::string& out = builder.out();
  out.reserve(nsp.size() + json_arg.size() + 32);
  out.push_back('4');
  encode_to(out, PacketType::ack, nsp, id, nullptr, 0);
  out.push_back('[');
  out.append(json_arg);
  out.push_back(']');
  return finish(builder, {});
}

EncodedPacket encode_ack(std::string_view nsp, std::uint64_t id, const json::array& args,
                         std::span<const std::string> attachments) {
  realtime::TextFrameBuilder builder;
  std::string& out = builder.out();
  out.push_back('4');
  encode_to(out, PacketType::ack, nsp, id, nullptr, attachments.size());
  out.push_back('[');
  bool first = true;
  for (const json::value& arg : args) {
    if (!first) out.push_back(',');
    first = false;
    append_json(out, arg);
  }
  out.push_back(']');
  return finish(builder, attachments);
}

EncodedPacket encode_control(PacketType type, std::string_view nsp, const json::value* data) {
  realtime::TextFrameBuilder builder;
  std::string& out = builder.out();
  out.push_back('4');
  encode_to(out, type, nsp, std::nullopt, data, 0);
  return finish(builder, {});
}

}  // namespace parley::socketio
