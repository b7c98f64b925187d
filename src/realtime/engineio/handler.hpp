#pragma once
// What an Engine.IO session hands to the layer above it (Socket.IO, or the conformance
// echo server): one SessionHandler per session, created when the session opens and
// destroyed with it.
//
// Thread-safety: every call happens on the session's IO thread.

#include <functional>
#include <memory>
#include <string_view>

namespace parley::engineio {

class Session;

enum class CloseReason : unsigned char {
  transport_close,  // the client closed: close packet, WebSocket close, connection lost
  transport_error,  // the client broke the transport rules (overlapping polls, bad frames)
  parse_error,      // an undecodable packet
  ping_timeout,     // no pong within pingTimeout
  forced_close,     // the server closed the session (Session::close)
  server_shutdown,  // the server is stopping
  slow_consumer,    // the send queue overflowed: the client does not read fast enough
};

// The reason as the reference server words it ("transport close", "ping timeout", ...).
std::string_view to_string(CloseReason reason) noexcept;

class SessionHandler {
 public:
  virtual ~SessionHandler() = default;
  // The session is open (its open packet is queued).
  virtual void on_open(Session& session) = 0;
  // A message packet: text (valid UTF-8) or binary. The view is valid during the call.
  virtual void on_message(Session& session, std::string_view text) = 0;
  virtual void on_binary(Session& session, std::string_view bytes) = 0;
  // The session closed; sending is no longer possible. Called once.
  virtual void on_close(Session& session, CloseReason reason) = 0;
};

using HandlerFactory = std::function<std::unique_ptr<SessionHandler>()>;

}  // namespace parley::engineio
