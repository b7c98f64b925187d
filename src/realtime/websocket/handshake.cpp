#include "realtime/websocket/handshake.hpp"

#include <openssl/sha.h>

#include "common/base64.hpp"

namespace parley::websocket {
namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

}  // namespace

std::string accept_key(std::string_view client_key) {
  std::string input;
  input.reserve(client_key.size() + kGuid.size());
  input.append(client_key);
  input.append(kGuid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return base64_encode({reinterpret_cast<const char*>(digest), sizeof digest});
}

HandshakeCheck check_handshake(std::string_view version, std::string_view key) {
  if (version != "13") return HandshakeCheck::bad_version;
  const auto decoded = base64_decode(key);
  if (!decoded || decoded->size() != 16) return HandshakeCheck::bad_key;
  return HandshakeCheck::ok;
}

std::string switching_protocols_response(std::string_view client_key, std::string_view extra_headers) {
  std::string out =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  out += accept_key(client_key);
  out += "\r\n";
  out += extra_headers;
  out += "\r\n";
  return out;
}

std::string error_response(int status, std::string_view reason, std::string_view content_type,
                           std::string_view body, std::string_view extra_headers) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " ";
  out += reason;
  out += "\r\nConnection: close\r\nContent-Type: ";
  out += content_type;
  out += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  out += extra_headers;
  out += "\r\n";
  out += body;
  return out;
}

}  // namespace parley::websocket
