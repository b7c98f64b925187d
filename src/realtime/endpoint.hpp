#pragma once
// The real-time layer as the HTTP server sees it (http::RealtimeEndpoint): requests and
// WebSocket upgrades under the paths of the Engine.IO servers added to it (/socket.io/,
// and /engine.io/ in conformance mode) go to the server of that path.
//
// Thread-safety: add() before the HTTP server starts; the rest as RealtimeEndpoint says
// (IO threads, shutdown() from the main thread).
// Ownership: borrows the servers and the IoThreads; they must outlive the HTTP server's use
// of the endpoint (declare them after the http::Server, so they are destroyed first, only
// once it has stopped).

#include <vector>

#include "http/realtime_endpoint.hpp"
#include "realtime/engineio/server.hpp"
#include "realtime/io/thread_context.hpp"

namespace parley::realtime {

class Endpoint final : public http::RealtimeEndpoint {
 public:
  explicit Endpoint(IoThreads& threads) : threads_(threads) {}

  void add(engineio::Server& server) { servers_.push_back(&server); }

  bool serves(std::string_view path) const override;
  void handle_request(http::Request request, std::function<void(http::Response)> respond, int thread_index) override;
  void handle_upgrade(boost::asio::ip::tcp::socket socket, http::UpgradeRequest request,
                      boost::beast::flat_buffer buffered, int thread_index) override;
  void shutdown() override;

 private:
  engineio::Server* server_for(std::string_view path) const;

  IoThreads& threads_;
  std::vector<engineio::Server*> servers_;
};

}  // namespace parley::realtime
