#pragma once
// Maps (method, path) to a handler. Patterns are literal segments and ":name"
// parameters: "/api/messages/:id/read". Literal segments win over parameters.
//
// Thread-safety: routes are added during start-up on one thread; afterwards the
// router is read-only and match() may be called from any thread.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/request.hpp"

namespace parley::http {

using Handler = std::function<Response(Request&)>;

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);

  enum class Outcome { found, not_found, method_not_allowed };
  struct Match {
    Outcome outcome = Outcome::not_found;
    const Handler* handler = nullptr;  // set when found; owned by the router
    Fields params;                     // set when found
    std::string allow;                 // set when method_not_allowed: "GET, PUT"
  };
  Match match(std::string_view method, std::string_view path) const;

  // Every "METHOD pattern" registered, for the OpenAPI agreement test.
  std::vector<std::string> describe() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  static bool match_segments(const Route& route, const std::vector<std::string_view>& parts, Fields* params);

  std::vector<Route> routes_;
};

}  // namespace parley::http
