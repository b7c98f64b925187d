#pragma once
// Incremental RFC 6455 message reader for the server side: feed it the bytes read from a
// client and pull complete events (messages, control frames, protocol errors) one by one.
//
// It enforces what a server must check of client frames: masking, no RSV bits except
// RSV1 on the first frame of a message once permessage-deflate is negotiated, known opcodes, control frames of at most 125 bytes and never
// fragmented, continuation only inside a fragmented message, UTF-8 in text messages and
// close reasons, close codes, and a limit on the size of a message (close 1009).
//
// Memory: an idle reader holds no buffer. A frame that is entirely in the input is unmasked
// in place and handed out as a view into the input (no copy); only a partial frame or a
// fragmented message is copied into the reader, and that buffer is released (when large)
// once the message is handed out.
//
// Thread-safety: none; one reader per connection, used from its thread. Pure: no I/O.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "realtime/websocket/frame_codec.hpp"

namespace parley::websocket {

struct ReadEvent {
  enum class Kind : std::uint8_t { need_more, text, binary, ping, pong, close, error };
  Kind kind = Kind::need_more;
  // text/binary: the message; ping/pong: the payload; close: the reason. Valid until the
  // next call to next() and while the input buffer is untouched.
  std::string_view payload;
  // close: the peer's code (1005 when the frame had none); error: the code to close with.
  std::uint16_t code = 0;
  // text/binary: the payload is compressed (permessage-deflate); the caller inflates it
  // and checks the UTF-8 of a text message itself.
  bool compressed = false;
};

class MessageReader {
 public:
  explicit MessageReader(std::size_t max_message_bytes) : max_message_(max_message_bytes) {}

  // Consumes bytes from the front of `input` (unmasking them in place) until one event is
  // complete, and returns it; returns need_more once `input` is used up. After an error
  // every call returns the same error.
  ReadEvent next(std::span<char>& input);

  // Accepts RSV1 (a compressed message) from now on: permessage-deflate was negotiated.
  void allow_compressed() noexcept { allow_rsv1_ = true; }

  // True when no partial frame or message is held.
  bool idle() const noexcept {
    return !in_frame_ && header_len_ == 0 && message_opcode_ == Opcode::continuation;
  }
  // Bytes currently held for partial frames or messages.
  std::size_t buffered_bytes() const noexcept { return message_.size() + control_.size() + header_len_; }

 private:
  ReadEvent begin_frame(const FrameHeader& header);
  ReadEvent finish_control(std::string_view payload);
  ReadEvent finish_message(Opcode opcode, std::string_view payload);
  ReadEvent fail(std::uint16_t code);
  void release_delivered();

  std::size_t max_message_;
  std::string message_;  // payload of a partial frame or fragmented message
  std::string control_;  // payload of a partial control frame
  std::uint64_t remaining_ = 0;  // payload bytes of the current frame not yet read
  std::array<std::uint8_t, 4> mask_{};
  std::array<char, kMaxClientHeader> header_{};
  std::uint8_t header_len_ = 0;
  std::uint8_t mask_pos_ = 0;
  Opcode frame_opcode_ = Opcode::continuation;
  Opcode message_opcode_ = Opcode::continuation;  // continuation: no message in progress
  bool in_frame_ = false;
  bool allow_rsv1_ = false;
  bool message_compressed_ = false;
  bool frame_fin_ = true;
  bool message_delivered_ = false;
  bool control_delivered_ = false;
  std::uint16_t error_code_ = 0;
};

}  // namespace parley::websocket
