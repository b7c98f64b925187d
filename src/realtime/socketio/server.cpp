#include "realtime/socketio/server.hpp"

#include "realtime/socketio/client.hpp"

namespace parley::socketio {

Server::Server(ServerOptions options, realtime::IoThreads& threads) : options_(std::move(options)), threads_(threads) {
  engine_ = std::make_unique<engineio::Server>(options_.engine, threads_,
                                               [this] { return std::make_unique<Client>(*this); });
}

Server::~Server() {
  // Sessions (and their sockets) go before the namespaces they refer to.
  engine_.reset();
}

Namespace& Server::of(std::string_view name) {
  std::string key = name.empty() || name.front() != '/' ? "/" + std::string(name) : std::string(name);
  auto it = namespaces_.find(std::string_view(key));
  if (it == namespaces_.end()) {
    auto nsp = std::make_unique<Namespace>(*this, key, threads_.size());
    it = namespaces_.emplace(std::move(key), std::move(nsp)).first;
  }
  return *it->second;
}

Namespace* Server::find_namespace(std::string_view name) const noexcept {
  const auto it = namespaces_.find(name);
  return it == namespaces_.end() ? nullptr : it->second.get();
}

void Server::run_on_each_thread(std::function<void(int)> fn) {
  for (std::size_t t = 0; t < threads_.size(); ++t)
    threads_.at(t).post([fn, t] { fn(static_cast<int>(t)); });
}

void Server::run_on_socket(SocketRef ref, std::function<void(Socket*)> fn) {
  if (ref.thread >= threads_.size()) return fn(nullptr);
  run_on_thread(ref.thread, [this, ref, fn = std::move(fn)] { fn(find_socket(ref)); });
}

void Server::send_to(SocketRef ref, SharedPacket packet) {
  if (ref.thread >= threads_.size() || !packet) return;
  run_on_thread(ref.thread, [this, ref, packet = std::move(packet)] {
    if (Socket* socket = find_socket(ref)) socket->send(*packet);
  });
}

void Server::shutdown() { engine_->shutdown(); }

Client* Server::find_client(std::uint32_t thread, std::uint64_t session) noexcept {
  engineio::Session* found = engine_->find(static_cast<int>(thread), session);
  if (found == nullptr || !found->is_open()) return nullptr;
  // Every session of this server's Engine.IO server carries a Client (see the constructor).
  return static_cast<Client*>(found->handler());
}

Socket* Server::find_socket(const SocketRef& ref) noexcept {
  Client* client = find_client(ref.thread, ref.session);
  return client ? client->find_socket(ref.socket) : nullptr;
}

}  // namespace parley::socketio
