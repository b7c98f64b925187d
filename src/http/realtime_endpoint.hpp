#pragma once
// The hook through which the HTTP server hands requests under a path prefix
// (/socket.io/, /engine.io/) to the real-time layer: plain HTTP requests
// (Engine.IO handshake and long-polling) and WebSocket upgrades, which take the
// connection over.
//
// Thread-safety: serves(), handle_request() and handle_upgrade() are called on
// the IO thread that owns the HTTP connection, identified by `thread_index`
// (0 .. threads-1, the index into Server::io_contexts()). `respond` may be called
// from any thread, exactly once; it posts to the connection's thread. shutdown()
// is called once from the main thread when the server begins to stop.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <string_view>

#include "http/request.hpp"

namespace parley::http {

using UpgradeRequest = boost::beast::http::request<boost::beast::http::string_body>;

class RealtimeEndpoint {
 public:
  virtual ~RealtimeEndpoint() = default;

  // True if this endpoint serves the (decoded) path.
  virtual bool serves(std::string_view path) const = 0;

  // A plain request (GET/POST/OPTIONS). The endpoint answers through `respond`,
  // possibly much later (a long-poll GET waits for data). Until it does, the
  // HTTP connection reads nothing else.
  virtual void handle_request(Request request, std::function<void(Response)> respond, int thread_index) = 0;

  // A WebSocket upgrade request: the endpoint owns the socket from now on and
  // answers the handshake itself. `buffered` holds any bytes read past the
  // request (normally none).
  virtual void handle_upgrade(boost::asio::ip::tcp::socket socket, UpgradeRequest request,
                              boost::beast::flat_buffer buffered, int thread_index) = 0;

  // The server is stopping: close every real-time connection (politely).
  virtual void shutdown() = 0;
};

}  // namespace parley::http
