#pragma once
// The Socket.IO v5 server: namespaces on top of an Engine.IO server (which it owns), and
// the entry points the application uses from any thread.
//
//   socketio::Server io(options, threads);
//   auto& chat = io.of("/");
//   chat.on_connect([&](ConnectRequest request) { /* verify request.auth() later */ });
//   chat.on("typing", [](Socket& socket, Event& event) { ... event.ack().send(...); });
//   chat.emit("new_message", args, {"conv:42"});          // any thread
//   io.run_on_socket(ref, [](Socket* socket) { ... });     // any thread
//
// Thread-safety: of() before the IO threads start; the rest from any thread unless noted.
// Ownership: borrows IoThreads (must outlive it); owns the Engine.IO server, the namespaces
// and (through the sessions) every client and socket. Destroy it after the HTTP server has
// stopped, and make sure no other thread uses it after that.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "realtime/engineio/options.hpp"
#include "realtime/engineio/server.hpp"
#include "realtime/io/stats.hpp"
#include "realtime/io/thread_context.hpp"
#include "realtime/socketio/namespace.hpp"
#include "realtime/socketio/outgoing.hpp"
#include "realtime/socketio/socket.hpp"
#include "realtime/socketio/types.hpp"

namespace parley::socketio {

struct ServerOptions {
  engineio::ServerOptions engine;
  // A connection that has joined no namespace this long after opening is closed.
  std::chrono::milliseconds connect_timeout{45'000};
  std::size_t max_rooms_per_socket = 1000;
  DecodeOptions decode;  // attachment and nesting limits
};

class Server {
 public:
  Server(ServerOptions options, realtime::IoThreads& threads);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  const ServerOptions& options() const noexcept { return options_; }
  engineio::Server& engine() noexcept { return *engine_; }
  realtime::IoThreads& threads() noexcept { return threads_; }

  // The namespace with this name, created on first use. REQUIRES: before start.
  Namespace& of(std::string_view name);
  // The namespace, or null. Any thread (the set of namespaces is fixed once started).
  Namespace* find_namespace(std::string_view name) const noexcept;

  // Runs `fn(thread_index)` on every IO thread.
  void run_on_each_thread(std::function<void(int)> fn);
  // Runs `fn` on the socket's thread with the socket, or with null if it has gone.
  void run_on_socket(SocketRef ref, std::function<void(Socket*)> fn);
  // Sends an encoded packet to one socket (dropped if it has gone).
  void send_to(SocketRef ref, SharedPacket packet);
  // Closes every connection (server shutting down).
  void shutdown();

  realtime::StatsSnapshot stats() const { return threads_.snapshot(); }

  // ---- IO threads ----
  // The socket `ref` names. REQUIRES: on thread ref.thread.
  Socket* find_socket(const SocketRef& ref) noexcept;
  Client* find_client(std::uint32_t thread, std::uint64_t session) noexcept;
  // Runs `fn` on `thread`: inline when already there, else posted.
  template <class F>
  void run_on_thread(std::uint32_t thread, F&& fn) {
    auto& context = threads_.at(thread);
    if (context.is_current()) {
      fn();
    } else {
      context.post(std::forward<F>(fn));
    }
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  ServerOptions options_;
  realtime::IoThreads& threads_;
  std::unordered_map<std::string, std::unique_ptr<Namespace>, Hash, std::equal_to<>> namespaces_;
  std::unique_ptr<engineio::Server> engine_;
};

}  // namespace parley::socketio
