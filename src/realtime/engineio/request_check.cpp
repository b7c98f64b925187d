#include "realtime/engineio/request_check.hpp"

namespace parley::engineio {
namespace {

std::optional<std::string_view> find(const http::Fields& query, std::string_view name) {
  for (const auto& [key, value] : query)
    if (key == name) return std::string_view(value);
  return std::nullopt;
}

}  // namespace

std::string_view error_message(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::unknown_transport: return "Transport unknown";
    case ErrorCode::unknown_sid: return "Session ID unknown";
    case ErrorCode::bad_handshake_method: return "Bad handshake method";
    case ErrorCode::bad_request: return "Bad request";
    case ErrorCode::forbidden: return "Forbidden";
    case ErrorCode::unsupported_protocol_version: return "Unsupported protocol version";
  }
  return "Bad request";
}

int error_status(ErrorCode code) noexcept { return code == ErrorCode::forbidden ? 403 : 400; }

std::string error_body(ErrorCode code) {
  std::string body = "{\"code\":";
  body += std::to_string(static_cast<int>(code));
  body += ",\"message\":\"";
  body += error_message(code);
  body += "\"}";
  return body;
}

http::Response error_response(ErrorCode code, const CorsPolicy& cors, std::string_view origin) {
  http::Response response;
  response.status = error_status(code);
  response.content_type = "application/json";
  response.body = error_body(code);
  cors.add_headers(response.headers, origin);
  return response;
}

RequestVerdict verify_request(const http::Fields& query, std::string_view method, bool upgrade,
                              const ServerOptions& options) {
  RequestVerdict verdict;
  const auto transport = find(query, "transport");
  if (transport == "polling" && options.allow_polling) {
    verdict.transport = Transport::polling;
  } else if (transport == "websocket" && options.allow_websocket) {
    verdict.transport = Transport::websocket;
  } else {
    verdict.error = ErrorCode::unknown_transport;
    return verdict;
  }
  const bool websocket = verdict.transport == Transport::websocket;
  if (const auto sid = find(query, "sid")) {
    verdict.sid = *sid;
    // A polling request cannot be an upgrade; a websocket request with a sid must be one
    // (and is only allowed when upgrades are).
    if (websocket != upgrade || (websocket && !options.allow_upgrades)) {
      verdict.error = ErrorCode::bad_request;
      return verdict;
    }
  } else {
    verdict.handshake = true;
    if (method != "GET") {
      verdict.error = ErrorCode::bad_handshake_method;
      return verdict;
    }
    if (websocket != upgrade) {
      verdict.error = ErrorCode::bad_request;
      return verdict;
    }
  }
  if (find(query, "EIO") != "4") verdict.error = ErrorCode::unsupported_protocol_version;
  return verdict;
}

}  // namespace parley::engineio
