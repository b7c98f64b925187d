#pragma once
// The checks an Engine.IO request goes through before it reaches a session, and the error
// answers, as the reference server (engine.io) makes them:
//   400 {"code":0,"message":"Transport unknown"}            transport missing or unknown
//   400 {"code":1,"message":"Session ID unknown"}           sid unknown (or malformed)
//   400 {"code":2,"message":"Bad handshake method"}         handshake other than GET
//   400 {"code":3,"message":"Bad request"}                  e.g. websocket without upgrade
//   403 {"code":4,"message":"Forbidden"}                    origin refused
//   400 {"code":5,"message":"Unsupported protocol version"} EIO other than 4
// Order of the checks: transport, then sid / method / upgrade, then EIO.
//
// Thread-safety: pure functions.

#include <optional>
#include <string>
#include <string_view>

#include "http/request.hpp"
#include "realtime/engineio/options.hpp"

namespace parley::engineio {

enum class ErrorCode : int {
  unknown_transport = 0,
  unknown_sid = 1,
  bad_handshake_method = 2,
  bad_request = 3,
  forbidden = 4,
  unsupported_protocol_version = 5,
};

std::string_view error_message(ErrorCode code) noexcept;
int error_status(ErrorCode code) noexcept;
// {"code":N,"message":"..."}
std::string error_body(ErrorCode code);
// The HTTP answer for an error, with the CORS headers for `origin`.
http::Response error_response(ErrorCode code, const CorsPolicy& cors, std::string_view origin);

enum class Transport : unsigned char { polling, websocket };

struct RequestVerdict {
  std::optional<ErrorCode> error;
  Transport transport = Transport::polling;
  bool handshake = false;  // no sid: open a new session
  std::string_view sid;    // when not a handshake
};

// `query`: the decoded query parameters; `upgrade`: a WebSocket upgrade request.
RequestVerdict verify_request(const http::Fields& query, std::string_view method, bool upgrade,
                              const ServerOptions& options);

}  // namespace parley::engineio
