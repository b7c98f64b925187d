#include "realtime/websocket/message_reader.hpp"

#include "common/utf8.hpp"

namespace parley::websocket {
namespace {

// A message buffer larger than this is freed after use, so that an idle connection that
// once received a big message does not keep its buffer.
constexpr std::size_t kKeepCapacity = 4096;

ReadEvent need_more() { return ReadEvent{}; }

}  // namespace

ReadEvent MessageReader::fail(std::uint16_t code) {
  error_code_ = code;
  return ReadEvent{ReadEvent::Kind::error, {}, code};
}

void MessageReader::release_delivered() {
  if (message_delivered_) {
    message_delivered_ = false;
    if (message_.capacity() > kKeepCapacity) {
      std::string().swap(message_);
    } else {
      message_.clear();
    }
  }
  if (control_delivered_) {
    control_delivered_ = false;
    std::string().swap(control_);
  }
}

ReadEvent MessageReader::begin_frame(const FrameHeader& header) {
  if (!header.masked) return fail(close_code::protocol_error);
  // RSV1 marks a compressed message, on its first frame only (RFC 7692 §6).
  const bool rsv1_ok = allow_rsv1_ && header.rsv == 0x4 && !is_control(header.opcode) &&
                       header.opcode != Opcode::continuation;
  if (header.rsv != 0 && !rsv1_ok) return fail(close_code::protocol_error);
  if (is_control(header.opcode)) {
    if (!header.fin || header.payload_size > kMaxControlPayload) return fail(close_code::protocol_error);
  } else if (header.opcode == Opcode::continuation) {
    if (message_opcode_ == Opcode::continuation) return fail(close_code::protocol_error);
    if (header.payload_size > max_message_ - message_.size()) return fail(close_code::message_too_big);
  } else {
    if (message_opcode_ != Opcode::continuation) return fail(close_code::protocol_error);
    if (header.payload_size > max_message_) return fail(close_code::message_too_big);
    message_opcode_ = header.opcode;
    message_compressed_ = header.rsv != 0;
  }
  in_frame_ = true;
  frame_fin_ = header.fin;
  frame_opcode_ = header.opcode;
  remaining_ = header.payload_size;
  mask_ = header.mask;
  mask_pos_ = 0;
  return need_more();
}

ReadEvent MessageReader::finish_control(std::string_view payload) {
  in_frame_ = false;
  switch (frame_opcode_) {
    case Opcode::ping: return ReadEvent{ReadEvent::Kind::ping, payload, 0};
    case Opcode::pong: return ReadEvent{ReadEvent::Kind::pong, payload, 0};
    default: break;
  }
  CloseFrame close;
  switch (parse_close_payload(payload, close)) {
    case CloseParse::bad_code: return fail(close_code::protocol_error);
    case CloseParse::bad_reason: return fail(close_code::invalid_payload);
    case CloseParse::ok: break;
  }
  return ReadEvent{ReadEvent::Kind::close, close.reason, close.code};
}

ReadEvent MessageReader::finish_message(Opcode opcode, std::string_view payload) {
  in_frame_ = false;
  message_opcode_ = Opcode::continuation;
  if (message_compressed_) {
    message_compressed_ = false;
    return ReadEvent{opcode == Opcode::text ? ReadEvent::Kind::text : ReadEvent::Kind::binary, payload, 0, true};
  }
  if (opcode == Opcode::text) {
    if (!is_valid_utf8(payload)) return fail(close_code::invalid_payload);
    return ReadEvent{ReadEvent::Kind::text, payload, 0};
  }
  return ReadEvent{ReadEvent::Kind::binary, payload, 0};
}

ReadEvent MessageReader::next(std::span<char>& input) {
  if (error_code_ != 0) return ReadEvent{ReadEvent::Kind::error, {}, error_code_};
  release_delivered();
  while (true) {
    if (!in_frame_) {
      FrameHeader header;
      if (header_len_ == 0) {
        const ParsedHeader parsed = parse_header({input.data(), input.size()});
        if (parsed.status == HeaderStatus::invalid) return fail(close_code::protocol_error);
        if (parsed.status == HeaderStatus::need_more) {
          // Fewer bytes than a header: keep them (at most kMaxClientHeader - 1).
          for (char c : input) header_[header_len_++] = c;
          input = input.subspan(input.size());
          return need_more();
        }
        header = parsed.header;
        input = input.subspan(header.size);
      } else {
        while (true) {
          const ParsedHeader parsed = parse_header({header_.data(), header_len_});
          if (parsed.status == HeaderStatus::invalid) return fail(close_code::protocol_error);
          if (parsed.status == HeaderStatus::complete) {
            header = parsed.header;
            header_len_ = 0;
            break;
          }
          if (input.empty()) return need_more();
          header_[header_len_++] = input.front();
          input = input.subspan(1);
        }
      }
      if (ReadEvent event = begin_frame(header); event.kind == ReadEvent::Kind::error) return event;

      // Fast path: the whole frame is in the input and needs no reassembly.
      const bool whole = remaining_ <= input.size();
      if (whole && is_control(frame_opcode_)) {
        char* payload = input.data();
        const auto size = static_cast<std::size_t>(remaining_);
        apply_mask(payload, size, mask_, 0);
        input = input.subspan(size);
        return finish_control({payload, size});
      }
      if (whole && frame_fin_ && message_.empty() && frame_opcode_ != Opcode::continuation) {
        char* payload = input.data();
        const auto size = static_cast<std::size_t>(remaining_);
        apply_mask(payload, size, mask_, 0);
        input = input.subspan(size);
        return finish_message(frame_opcode_, {payload, size});
      }
    }

    // Slow path: copy what is there into the reader.
    std::string& buffer = is_control(frame_opcode_) ? control_ : message_;
    const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size()));
    if (take > 0) {
      const std::size_t old = buffer.size();
      buffer.append(input.data(), take);
      mask_pos_ = static_cast<std::uint8_t>(apply_mask(buffer.data() + old, take, mask_, mask_pos_));
      remaining_ -= take;
      input = input.subspan(take);
    }
    if (remaining_ > 0) return need_more();
    if (is_control(frame_opcode_)) {
      control_delivered_ = true;
      return finish_control(control_);
    }
    if (!frame_fin_) {
      in_frame_ = false;
      continue;
    }
    message_delivered_ = true;
    return finish_message(message_opcode_, message_);
  }
}

}  // namespace parley::websocket
