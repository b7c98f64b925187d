#pragma once
// permessage-deflate (RFC 7692) for the server side: negotiation of the extension in
// the opening handshake, compression of outgoing messages, decompression of incoming
// ones.
//
// What the server accepts: an offer whose parameters it can honour while sharing one
// compressed frame among every recipient of a broadcast. It answers
// server_no_context_takeover (each message it sends is compressed on its own, so the
// bytes do not depend on the connection: out_frame.hpp compresses a frame once) and
// client_no_context_takeover, offered or not (RFC 7692 §7.1.1.2 lets the server ask;
// `ws`, socket.io's transport, does the same with its clientNoContextTakeover option):
// each client message is then decompressed on its own by a per-thread stream, and an
// idle connection holds no zlib state at all. An offer with server_max_window_bits
// below 15 is declined (shared frames are compressed with one window);
// client_max_window_bits is left to its default. Memory per connection:
// docs/operations.md, "Compression".
//
// Thread-safety: negotiate_deflate and deflate_message are safe on any thread
// (deflate_message uses a per-thread zlib stream). An Inflater belongs to one
// connection and is used from its thread.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct z_stream_s;

namespace parley::websocket {

struct DeflateParams {
  // Always true as negotiated here (see above); Inflater also serves a client that keeps
  // its context, should a caller ever accept that.
  bool client_no_context_takeover = true;
};

// Parses a Sec-WebSocket-Extensions request header (all its values joined by ", ") and
// returns the parameters of the first permessage-deflate offer the server accepts;
// nullopt when there is none (the connection then runs without compression).
std::optional<DeflateParams> negotiate_deflate(std::string_view offers);

// The response header line ("Sec-WebSocket-Extensions: ...\r\n") for accepted parameters.
std::string deflate_response_header(const DeflateParams& params);

// The message compressed on its own (raw deflate, sync-flushed, without the trailing
// 00 00 FF FF: RFC 7692 §7.2.1), appended to `out`. False (and `out` as it was) if zlib
// failed: the caller sends the message uncompressed.
bool deflate_message(std::string_view payload, std::string& out);

// Decompresses received messages of one connection. With client context takeover the
// client's window carries over from message to message, so the stream lives as long as
// the connection, created at the first compressed message (≈ 7 KiB of zlib state plus the
// 32 KiB window); without it a per-thread stream is reset for each message.
class Inflater {
 public:
  explicit Inflater(bool context_takeover) : takeover_(context_takeover) {}
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  enum class Result { ok, too_big, corrupt };
  // Replaces `out` with the decompressed message; too_big once it would exceed `max_bytes`.
  Result inflate(std::string_view compressed, std::string& out, std::size_t max_bytes);

 private:
  z_stream_s* own_ = nullptr;
  bool takeover_;
};

}  // namespace parley::websocket
