#include "realtime/socketio/namespace.hpp"

#include <spdlog/spdlog.h>

#include "realtime/socketio/server.hpp"
#include "realtime/socketio/socket.hpp"

namespace parley::socketio {

Namespace::Namespace(Server& server, std::string name, std::size_t threads)
    : server_(server), name_(std::move(name)), presence_(threads) {
  for (std::size_t i = 0; i < threads; ++i) per_thread_.push_back(std::make_unique<PerThread>(&presence_, i));
}

Namespace::~Namespace() = default;

void Namespace::on_socket_added(Socket& socket) {
  auto& state = *per_thread_[static_cast<std::size_t>(socket.thread_index())];
  state.rooms.add(socket);
  state.sockets.fetch_add(1, std::memory_order_relaxed);
  sockets_.fetch_add(1, std::memory_order_relaxed);
}

void Namespace::on_socket_removed(Socket& socket) {
  auto& state = *per_thread_[static_cast<std::size_t>(socket.thread_index())];
  state.rooms.remove(socket);
  state.sockets.fetch_sub(1, std::memory_order_relaxed);
  sockets_.fetch_sub(1, std::memory_order_relaxed);
}

// ---- broadcast ----

void Namespace::broadcast(SharedPacket packet, std::vector<std::string> rooms, SocketRef except, BroadcastTag tag) {
  broadcast(std::move(packet), std::make_shared<const std::vector<std::string>>(std::move(rooms)), except, tag);
}

void Namespace::broadcast(SharedPacket packet, std::shared_ptr<const std::vector<std::string>> rooms,
                          SocketRef except, BroadcastTag tag) {
  server_.threads().shared_counters().broadcasts.fetch_add(1, std::memory_order_relaxed);
  auto job = std::make_shared<const BroadcastJob>(BroadcastJob{std::move(packet), std::move(rooms), except, tag});
  auto& threads = server_.threads();
  for (std::size_t t = 0; t < threads.size(); ++t) {
    const bool maybe = job->rooms->empty() ? per_thread_[t]->sockets.load(std::memory_order_acquire) > 0
                                           : presence_.maybe_present(t, *job->rooms);
    if (!maybe) continue;
    threads.at(t).post([this, t, job] { deliver(t, *job); });
  }
}

void Namespace::emit(std::string_view event, const boost::json::array& args, std::vector<std::string> rooms,
                     SocketRef except) {
  broadcast(share(encode_event(name_, event, args)), std::move(rooms), except);
}

void Namespace::deliver(std::size_t thread, const BroadcastJob& job) {
  auto& state = *per_thread_[thread];
  const Socket* except = job.except && job.except.thread == thread ? server_.find_socket(job.except) : nullptr;
  // Collect first, then send: a send may close a slow consumer, whose disconnect changes
  // the rooms; the sockets themselves stay valid until the end of the batch.
  std::vector<RoomMember*>& recipients = state.scratch;
  recipients.clear();
  if (job.rooms->empty()) {
    state.rooms.collect_all(except, recipients);
  } else {
    state.rooms.collect(*job.rooms, except, recipients);
  }
  for (RoomMember* member : recipients) static_cast<Socket*>(member)->send(*job.packet);
  if (observer_) observer_->on_delivered(job.tag, recipients.size());
  recipients.clear();
  if (recipients.capacity() > 4096) std::vector<RoomMember*>().swap(recipients);
}

// ---- handlers ----

void Namespace::dispatch_connect(ConnectRequest request) {
  if (!connect_handler_) {
    request.accept();
    return;
  }
  try {
    connect_handler_(std::move(request));
  } catch (const std::exception& e) {
    spdlog::error("socket.io connect handler of {} failed: {}", name_, e.what());
  }
}

void Namespace::dispatch_connection(Socket& socket, const boost::json::value& auth) {
  if (!connection_handler_) return;
  try {
    connection_handler_(socket, auth);
  } catch (const std::exception& e) {
    spdlog::error("socket.io connection handler of {} failed: {}", name_, e.what());
  }
}

void Namespace::dispatch_event(Socket& socket, const Packet& packet) {
  const std::string_view name = event_name(packet);
  const auto it = event_handlers_.find(name);
  const EventHandler* handler = it != event_handlers_.end() ? &it->second : any_handler_ ? &any_handler_ : nullptr;
  if (handler == nullptr) return;
  Ack ack = packet.id ? Ack(server_, *this, socket.ref(), *packet.id, name, !own_slow_log_.contains(name)) : Ack();
  Event event(packet, std::move(ack));
  try {
    (*handler)(socket, event);
  } catch (const std::exception& e) {
    spdlog::error("socket.io handler for '{}' in {} failed: {}", name, name_, e.what());
  }
}

void Namespace::dispatch_disconnect(Socket& socket, DisconnectReason reason) {
  if (!disconnect_handler_) return;
  try {
    disconnect_handler_(socket, reason);
  } catch (const std::exception& e) {
    spdlog::error("socket.io disconnect handler of {} failed: {}", name_, e.what());
  }
}

}  // namespace parley::socketio
