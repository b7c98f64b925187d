#pragma once
// CORS for the Engine.IO endpoints (browsers using HTTP long-polling from another origin).
//
//   ""                 no CORS headers (same origin only)
//   "*"                Access-Control-Allow-Origin: * (no credentials, as the cors package)
//   "https://a,https://b"  the request's Origin echoed when listed, with
//                      Access-Control-Allow-Credentials: true and Vary: Origin
//
// WebSocket upgrades are not subject to CORS in browsers; with an explicit list, an
// upgrade whose Origin is not listed is refused (403), so another site's page cannot open
// a socket in the name of its visitor.
//
// Thread-safety: immutable after construction; use from any thread.

#include <string>
#include <string_view>
#include <vector>

#include "http/request.hpp"

namespace parley::engineio {

class CorsPolicy {
 public:
  CorsPolicy() = default;
  // Comma-separated origins, "*" or empty (see above). Spaces around entries are ignored.
  static CorsPolicy parse(std::string_view origins);

  bool any() const noexcept { return any_; }
  bool enabled() const noexcept { return any_ || !origins_.empty(); }
  bool allows(std::string_view origin) const;

  // Headers for an answer to a request from `origin` (empty: no Origin header).
  void add_headers(http::Fields& headers, std::string_view origin) const;
  // Headers for the answer to a preflight (OPTIONS) request.
  void add_preflight_headers(http::Fields& headers, std::string_view origin) const;
  // False when an upgrade from this origin must be refused.
  bool allows_websocket(std::string_view origin) const;

 private:
  bool any_ = false;
  std::vector<std::string> origins_;
};

}  // namespace parley::engineio
