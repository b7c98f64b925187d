#include "realtime/endpoint.hpp"

#include <boost/asio/buffers_iterator.hpp>
#include <boost/beast/http/field.hpp>

namespace parley::realtime {

namespace {

// Lingering WebSocket closes get this long once the server stops.
constexpr std::chrono::milliseconds kShutdownGrace{500};

std::string header(const http::UpgradeRequest& request, boost::beast::http::field name) {
  const auto it = request.find(name);
  return it == request.end() ? std::string() : std::string(it->value());
}

}  // namespace

engineio::Server* Endpoint::server_for(std::string_view path) const {
  for (engineio::Server* server : servers_)
    if (server->serves(path)) return server;
  return nullptr;
}

bool Endpoint::serves(std::string_view path) const { return server_for(path) != nullptr; }

void Endpoint::handle_request(http::Request request, std::function<void(http::Response)> respond, int thread_index) {
  engineio::Server* server = server_for(request.path);
  if (server == nullptr) {
    http::Response response;
    response.status = 404;
    response.body = R"({"error":{"code":"not_found","message":"not found"}})";
    return respond(std::move(response));
  }
  server->handle_request(std::move(request), std::move(respond), thread_index);
}

void Endpoint::handle_upgrade(boost::asio::ip::tcp::socket socket, http::UpgradeRequest request,
                              boost::beast::flat_buffer buffered, int thread_index) {
  engineio::UpgradeRequest upgrade;
  upgrade.target = std::string(request.target());
  upgrade.key = header(request, boost::beast::http::field::sec_websocket_key);
  upgrade.version = header(request, boost::beast::http::field::sec_websocket_version);
  upgrade.origin = header(request, boost::beast::http::field::origin);
  // Every Sec-WebSocket-Extensions line (a client may send several), joined as one list.
  const auto [first, last] = request.base().equal_range(boost::beast::http::field::sec_websocket_extensions);
  for (auto it = first; it != last; ++it) {
    if (!upgrade.extensions.empty()) upgrade.extensions += ", ";
    upgrade.extensions.append(it->value().data(), it->value().size());
  }
  const auto data = buffered.data();
  upgrade.initial.assign(boost::asio::buffers_begin(data), boost::asio::buffers_end(data));

  const std::string_view target = upgrade.target;
  const auto path = http::decode_path(target.substr(0, target.find('?')));
  engineio::Server* server = path ? server_for(*path) : nullptr;
  if (server == nullptr) {
    boost::system::error_code ec;
    socket.close(ec);
    return;
  }
  server->handle_upgrade(std::move(socket), std::move(upgrade), thread_index);
}

void Endpoint::shutdown() {
  for (engineio::Server* server : servers_) server->shutdown();
  // Posted after the servers' own shutdown tasks, so it runs once sessions are closing.
  for (std::size_t i = 0; i < threads_.size(); ++i) {
    ThreadContext& thread = threads_.at(i);
    thread.post([&thread] { thread.shutdown(kShutdownGrace); });
  }
}

}  // namespace parley::realtime
