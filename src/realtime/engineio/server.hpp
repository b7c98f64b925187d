#pragma once
// An Engine.IO v4 server for one path (e.g. /socket.io/): checks requests, opens sessions
// (HTTP long-polling handshakes and WebSocket connections), routes polling requests and
// upgrade probes to the session they name, and closes everything at shutdown.
//
// Sessions are owned per IO thread (shared-nothing). A session's sid names its thread; a
// polling request or upgrade that lands on another thread (each thread has its own
// SO_REUSEPORT acceptor) is posted to the owner, the HTTP answer goes back through
// `respond` (which posts to the HTTP connection's thread), and an upgrade's socket is
// moved to the owner's io_context.
//
// Thread-safety: handle_request/handle_upgrade are called on the IO thread `thread_index`;
// find() on the thread it names; shutdown() from any thread.
// Ownership: borrows the IoThreads (which must outlive it); owns the sessions.
// Destruction: on the main thread, after the IO threads have stopped (it destroys the
// sessions left, which belong to those threads).

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/request.hpp"
#include "realtime/engineio/handler.hpp"
#include "realtime/engineio/options.hpp"
#include "realtime/engineio/request_check.hpp"
#include "realtime/engineio/session.hpp"
#include "realtime/websocket/out_frame.hpp"
#include "realtime/io/thread_context.hpp"

namespace parley::engineio {

// What an upgrade request carries that the server needs (plain strings: no Beast types).
struct UpgradeRequest {
  std::string target;       // path and query, as sent
  std::string key;          // Sec-WebSocket-Key
  std::string version;      // Sec-WebSocket-Version
  std::string origin;       // Origin (may be empty)
  std::string extensions;   // Sec-WebSocket-Extensions, every value joined by ", "
  std::string initial;      // bytes read past the request
};

class Server {
 public:
  Server(ServerOptions options, realtime::IoThreads& threads, HandlerFactory factory);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  const ServerOptions& options() const noexcept { return options_; }
  realtime::IoThreads& threads() noexcept { return threads_; }
  realtime::SharedCounters& counters() noexcept { return threads_.shared_counters(); }

  // True for the server's path, with or without its trailing slash.
  bool serves(std::string_view path) const noexcept;
  void handle_request(http::Request request, Respond respond, int thread_index);
  void handle_upgrade(boost::asio::ip::tcp::socket socket, UpgradeRequest request, int thread_index);
  // Closes every session (reason server_shutdown) and refuses new ones. Any thread.
  void shutdown();

  // The session with this key on thread `thread_index`, or null. REQUIRES: on that thread.
  Session* find(int thread_index, std::uint64_t key) noexcept;

  // ---- for sessions ----
  void remove(Session& session);
  realtime::FrameRef open_frame(const Session& session, bool polling) const;
  const realtime::FrameRef& ping_frame() const noexcept { return ping_frame_; }
  const realtime::FrameRef& probe_answer_frame() const noexcept { return probe_answer_frame_; }

 private:
  struct PerThread {
    std::unordered_map<std::uint64_t, std::unique_ptr<Session>> sessions;
    bool stopping = false;
  };

  void serve_session_request(http::Request request, Respond respond, int thread_index, std::uint64_t key);
  void open_polling(http::Request& request, Respond respond, int thread_index);
  void open_websocket(boost::asio::ip::tcp::socket socket, UpgradeRequest& request, int thread_index);
  // Enables permessage-deflate on the connection when configured and offered; returns
  // the 101 answer's extension header line (empty: no compression).
  std::string negotiate_compression(websocket::Connection& connection, const UpgradeRequest& request) const;
  void attach_probe(boost::asio::ip::tcp::socket socket, UpgradeRequest request, int thread_index, std::uint64_t key);
  Session* create_session(int thread_index);
  void reject_upgrade(boost::asio::ip::tcp::socket& socket, int status, std::string_view reason,
                      std::string_view body, std::string_view extra_headers = {});
  void reject_upgrade(boost::asio::ip::tcp::socket& socket, ErrorCode code);

  ServerOptions options_;
  realtime::IoThreads& threads_;
  HandlerFactory factory_;
  std::vector<std::unique_ptr<PerThread>> per_thread_;
  realtime::FrameRef ping_frame_;
  realtime::FrameRef probe_answer_frame_;
};

}  // namespace parley::engineio
