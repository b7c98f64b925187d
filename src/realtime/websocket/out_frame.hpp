#pragma once
// OutFrame: one encoded outgoing Engine.IO packet, immutable once built, shared by every
// connection that sends it (a broadcast encodes once; each recipient's queue holds a
// reference to the same bytes). It carries both forms a session may need:
//   - wire(): the WebSocket frame (header + payload), written as is by a gather write;
//   - the HTTP long-polling form: the payload itself for text, "b" + base64 for binary
//     (built once, at construction, for binary frames).
// A "raw" frame holds bytes written verbatim on a WebSocket connection (the HTTP 101
// answer, control frames); it has no polling form.
//
// Why in websocket/: a frame is built around the WebSocket header (frame_codec.hpp) and is
// what Connection writes; the layers above (engineio, socketio) build and queue frames, so
// the type sits at the lowest layer that needs it and every include points down. It stays
// in namespace realtime: it is the real-time layers' shared output type.
//
// Thread-safety: immutable after construction; the reference count is atomic, so FrameRef
// may be copied and dropped on any thread. Ownership: reference counted (FrameRef).

#include <atomic>
#include <boost/intrusive_ptr.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "realtime/websocket/frame_codec.hpp"

namespace parley::realtime {

class OutFrame;
using FrameRef = boost::intrusive_ptr<const OutFrame>;

class OutFrame {
 public:
  enum class Kind : std::uint8_t { text, binary, raw };

  Kind kind() const noexcept { return kind_; }
  // The bytes a WebSocket connection writes.
  std::string_view wire() const noexcept { return {storage_.data() + wire_begin_, storage_.size() - wire_begin_}; }
  // The Engine.IO packet: "4..." text, or the raw bytes of a binary message.
  std::string_view payload() const noexcept {
    return {storage_.data() + payload_begin_, storage_.size() - payload_begin_};
  }
  // The bytes a connection that negotiated permessage-deflate writes: the frame
  // compressed (RSV1 set) when its payload has at least `threshold` bytes and compression
  // makes it smaller, else wire(). Compressed once, by the first connection that asks,
  // whatever its thread; every other recipient shares those bytes (deflate.hpp: no
  // context takeover). REQUIRES: the same threshold on every call for one frame.
  std::string_view wire_deflated(std::size_t threshold) const;
  // The entry of a polling payload (without separator). REQUIRES: kind() != raw.
  std::string_view polling() const noexcept { return kind_ == Kind::binary ? std::string_view(polling_) : payload(); }

 private:
  friend class TextFrameBuilder;
  friend struct FrameFactory;
  friend FrameRef make_binary_frame(std::string_view bytes);
  friend FrameRef make_control_frame(websocket::Opcode opcode, std::string_view payload);
  friend FrameRef make_raw_frame(std::string bytes);
  friend void intrusive_ptr_add_ref(const OutFrame* frame) noexcept {
    frame->refs_.fetch_add(1, std::memory_order_relaxed);
  }
  friend void intrusive_ptr_release(const OutFrame* frame) noexcept {
    if (frame->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete frame;
  }

  OutFrame() = default;
  ~OutFrame() { delete deflated_.load(std::memory_order_relaxed); }
  OutFrame(const OutFrame&) = delete;
  OutFrame& operator=(const OutFrame&) = delete;

  std::string storage_;
  std::string polling_;  // binary frames only
  // The compressed frame once built; an empty string when compression does not pay.
  // Published with a compare-and-swap: two threads may both compress, one result stays.
  mutable std::atomic<const std::string*> deflated_{nullptr};
  std::uint32_t wire_begin_ = 0;
  std::uint32_t payload_begin_ = 0;
  Kind kind_ = Kind::raw;
  mutable std::atomic<std::uint32_t> refs_{0};
};

// Builds a text frame without copying the payload: append the Engine.IO packet text to
// out() (e.g. "4" then a Socket.IO packet), then finish(). The header is written in front
// of the payload, in room reserved at the start.
class TextFrameBuilder {
 public:
  TextFrameBuilder();
  ~TextFrameBuilder();
  TextFrameBuilder(const TextFrameBuilder&) = delete;
  TextFrameBuilder& operator=(const TextFrameBuilder&) = delete;
  // Append only: the string starts with reserved header room.
  std::string& out() noexcept { return frame_->storage_; }
  FrameRef finish();

 private:
  OutFrame* frame_;
};

FrameRef make_text_frame(std::string_view packet_text);
FrameRef make_binary_frame(std::string_view bytes);
// A WebSocket control frame (ping, pong, close) with this payload (at most 125 bytes).
FrameRef make_control_frame(websocket::Opcode opcode, std::string_view payload);
// Bytes written verbatim on a WebSocket connection (the HTTP 101 answer).
FrameRef make_raw_frame(std::string bytes);

}  // namespace parley::realtime
