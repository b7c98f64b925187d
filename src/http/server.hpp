#pragma once
// The HTTP server: one io_context per IO thread, each with its own SO_REUSEPORT
// acceptor, so a connection lives on one thread all its life and needs no locks
// (docs/architecture.md, Threads). Route handlers run on the worker pool, never on an IO thread.
//
// Thread-safety: start() and stop() are called from the owning (main) thread.
// Destruction: on the owning thread. The destructor stops the server first (joins the IO
// threads), so each connection has died on its own IO thread unless a shutdown timed out;
// then what their queues still hold is destroyed here, with no IO thread left to race.
// Ownership: the server borrows the router, the worker pool and the optional
// static files and realtime endpoint; all must outlive it.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace boost::asio {
class thread_pool;
class io_context;
}

namespace spdlog {
class logger;
}

namespace parley::http {

class Router;
class StaticFiles;
class RealtimeEndpoint;
class HttpMetrics;

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port (see port())
  int threads = 1;
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 << 10;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds shutdown_timeout{10'000};
  std::size_t gzip_min_bytes = 1024;  // JSON answers this large or larger may be gzipped; 0: never
};

struct ServerServices {
  const Router* router = nullptr;                 // required
  boost::asio::thread_pool* workers = nullptr;    // required
  const StaticFiles* static_files = nullptr;      // optional: the web client
  RealtimeEndpoint* realtime = nullptr;           // optional: /socket.io/ and friends
  spdlog::logger* access_log = nullptr;           // optional: one line per request
  HttpMetrics* metrics = nullptr;                 // optional
};

class Server {
 public:
  Server(ServerOptions options, ServerServices services);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every acceptor (nothing is accepted yet). A port in use or a bad
  // address: an Error whose message is one line for stderr. Call it early, so
  // that a busy port fails start-up before anything else is touched.
  Status bind();
  // Starts the IO threads (binding first if bind() was not called).
  Status start();
  // Graceful: stops accepting, closes idle connections, lets in-flight requests
  // finish (up to shutdown_timeout), then stops the IO threads. Idempotent.
  void stop();

  std::uint16_t port() const;
  // The IO threads' contexts, indexed like RealtimeEndpoint's thread_index.
  // Valid after bind(); the contexts live as long as the server.
  std::vector<boost::asio::io_context*> io_contexts();
  // To fill in the services after bind() and before start().
  // REQUIRES: start() not called yet.
  ServerServices& services();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::http
