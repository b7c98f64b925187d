#pragma once
// Maps (method, path) to a handler. Patterns are literal segments and ":name"
// parameters: "/api/messages/:id/read". Literal segments win over parameters.
//
// A route may also have an in-memory handler, run first on the connection's IO
// thread: it answers when it can without blocking (from caches), and returns
// nullopt otherwise, and then the handler runs on the worker pool. A hop to the
// pool and back costs more than answering a cached history page
// (bench/analysis.md), so hot reads are answered where they arrive.
//
// Thread-safety: routes are added during start-up on one thread; afterwards the
// router is read-only and match() may be called from any thread.

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.hpp"
#include "http/request.hpp"

namespace parley::http {

using Handler = std::function<Response(Request&)>;
// Runs on an IO thread: must never block (no store, no locks held for long).
using InMemoryHandler = std::function<std::optional<Response>(Request&)>;

// The body of a streamed request (an upload), fed piece by piece as it
// arrives: at most one piece is in memory, and the next is read only once
// append() returned (backpressure). Runs on worker threads, one call at a
// time. Dropped before finish() (client gone, refused, timed out) it abandons
// the request and must leave nothing behind.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // An error stops the request: the session answers it and closes.
  virtual Status append(std::span<const char> bytes) = 0;
  // The whole body arrived.
  virtual Response finish() = 0;
};
// A streaming route's handler: runs on a worker with the request's head (no
// body yet). A Response refuses the request, and its body is never read; a
// sink takes the body.
using StreamingHandler = std::function<std::variant<Response, std::unique_ptr<BodySink>>(Request&)>;

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler, InMemoryHandler in_memory = {});
  // A route whose body is streamed (not subject to --max-body): uploads.
  void add_streaming(std::string method, std::string pattern, StreamingHandler handler);

  enum class Outcome { found, not_found, method_not_allowed };
  struct Match {
    Outcome outcome = Outcome::not_found;
    const Handler* handler = nullptr;  // set when found; owned by the router
    const InMemoryHandler* in_memory = nullptr;  // set when found and the route has one
    const StreamingHandler* streaming = nullptr;  // set when found and the route streams (handler is null then)
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
    InMemoryHandler in_memory;
    StreamingHandler streaming;
  };
  void insert(std::string method, std::string pattern, Handler handler, InMemoryHandler in_memory,
              StreamingHandler streaming);
  static bool match_segments(const Route& route, const std::vector<std::string_view>& parts, Fields* params);

  std::vector<Route> routes_;
};

}  // namespace parley::http
