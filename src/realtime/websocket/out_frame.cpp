#include "realtime/websocket/out_frame.hpp"

#include <cassert>
#include <cstring>
#include <memory>

#include "common/base64.hpp"
#include "realtime/websocket/deflate.hpp"

namespace parley::realtime {

struct FrameFactory {
  static OutFrame* create() { return new OutFrame(); }

  // storage_ holds kMaxServerHeader bytes of room, then the payload: write the header
  // right-aligned in the room.
  static void seal(OutFrame& frame, websocket::Opcode opcode) {
    constexpr std::size_t room = websocket::kMaxServerHeader;
    const std::size_t size = frame.storage_.size() - room;
    char header[websocket::kMaxServerHeader];
    const std::size_t header_size = websocket::encode_header(header, opcode, true, size);
    std::memcpy(frame.storage_.data() + room - header_size, header, header_size);
    frame.wire_begin_ = static_cast<std::uint32_t>(room - header_size);
    frame.payload_begin_ = static_cast<std::uint32_t>(room);
  }
};

TextFrameBuilder::TextFrameBuilder() : frame_(FrameFactory::create()) {
  frame_->storage_.assign(websocket::kMaxServerHeader, '\0');
}

TextFrameBuilder::~TextFrameBuilder() { delete frame_; }

FrameRef TextFrameBuilder::finish() {
  assert(frame_ != nullptr);
  frame_->kind_ = OutFrame::Kind::text;
  FrameFactory::seal(*frame_, websocket::Opcode::text);
  FrameRef ref(frame_);
  frame_ = nullptr;
  return ref;
}

std::string_view OutFrame::wire_deflated(std::size_t threshold) const {
  if (kind_ == Kind::raw || payload().size() < threshold) return wire();
  const std::string* built = deflated_.load(std::memory_order_acquire);
  if (built == nullptr) {
    auto fresh = std::make_unique<std::string>();
    const std::string_view body = payload();
    fresh->assign(websocket::kMaxServerHeader, '\0');
    if (websocket::deflate_message(body, *fresh) && fresh->size() - websocket::kMaxServerHeader < body.size()) {
      const std::size_t size = fresh->size() - websocket::kMaxServerHeader;
      char header[websocket::kMaxServerHeader];
      const auto opcode = kind_ == Kind::binary ? websocket::Opcode::binary : websocket::Opcode::text;
      const std::size_t header_size = websocket::encode_header(header, opcode, true, size);
      header[0] = static_cast<char>(header[0] | 0x40);  // RSV1: a compressed message (RFC 7692 §6)
      fresh->erase(0, websocket::kMaxServerHeader - header_size);
      std::memcpy(fresh->data(), header, header_size);
    } else {
      fresh->clear();
    }
    const std::string* expected = nullptr;
    if (deflated_.compare_exchange_strong(expected, fresh.get(), std::memory_order_acq_rel)) {
      built = fresh.release();
    } else {
      built = expected;
    }
  }
  return built->empty() ? wire() : std::string_view(*built);
}

FrameRef make_text_frame(std::string_view packet_text) {
  TextFrameBuilder builder;
  builder.out().append(packet_text);
  return builder.finish();
}

FrameRef make_binary_frame(std::string_view bytes) {
  OutFrame* frame = FrameFactory::create();
  frame->storage_.reserve(websocket::kMaxServerHeader + bytes.size());
  frame->storage_.assign(websocket::kMaxServerHeader, '\0');
  frame->storage_.append(bytes);
  frame->kind_ = OutFrame::Kind::binary;
  FrameFactory::seal(*frame, websocket::Opcode::binary);
  frame->polling_.reserve(1 + base64_encoded_size(bytes.size()));
  frame->polling_.push_back('b');
  base64_encode_to(frame->polling_, bytes);
  return FrameRef(frame);
}

FrameRef make_control_frame(websocket::Opcode opcode, std::string_view payload) {
  assert(websocket::is_control(opcode) && payload.size() <= websocket::kMaxControlPayload);
  OutFrame* frame = FrameFactory::create();
  frame->storage_.assign(websocket::kMaxServerHeader, '\0');
  frame->storage_.append(payload);
  frame->kind_ = OutFrame::Kind::raw;
  FrameFactory::seal(*frame, opcode);
  return FrameRef(frame);
}

FrameRef make_raw_frame(std::string bytes) {
  OutFrame* frame = FrameFactory::create();
  frame->storage_ = std::move(bytes);
  frame->kind_ = OutFrame::Kind::raw;
  return FrameRef(frame);
}

}  // namespace parley::realtime
