#pragma once
// The server side of the RFC 6455 opening handshake: checks the upgrade request's
// WebSocket headers and writes the 101 answer (no subprotocol: Engine.IO needs none; the
// permessage-deflate extension, when enabled, is negotiated by deflate.hpp and its answer
// passed in as an extra header).
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>

namespace parley::websocket {

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: base64(SHA-1(key + GUID)).
std::string accept_key(std::string_view client_key);

enum class HandshakeCheck { ok, bad_version, bad_key };

// Checks Sec-WebSocket-Version (must be 13) and Sec-WebSocket-Key (base64 of 16 bytes).
// The Upgrade/Connection headers are checked by the HTTP layer before it hands over.
HandshakeCheck check_handshake(std::string_view version, std::string_view key);

// "HTTP/1.1 101 Switching Protocols" with the accept key, then `extra_headers` (whole
// "Name: value\r\n" lines).
std::string switching_protocols_response(std::string_view client_key, std::string_view extra_headers = {});

// A complete HTTP/1.1 error answer that closes the connection (for a refused upgrade).
// A bad version answers 426 with "Sec-WebSocket-Version: 13" (RFC 6455 §4.4).
std::string error_response(int status, std::string_view reason, std::string_view content_type,
                           std::string_view body, std::string_view extra_headers = {});

}  // namespace parley::websocket
