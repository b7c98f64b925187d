#include "realtime/socketio/ack.hpp"

#include <spdlog/spdlog.h>

#include "common/trace_context.hpp"
#include "realtime/socketio/namespace.hpp"
#include "realtime/socketio/outgoing.hpp"
#include "realtime/socketio/server.hpp"

namespace parley::socketio {

std::string_view to_string(DisconnectReason reason) noexcept {
  switch (reason) {
    case DisconnectReason::client_namespace_disconnect: return "client namespace disconnect";
    case DisconnectReason::server_namespace_disconnect: return "server namespace disconnect";
    case DisconnectReason::transport_close: return "transport close";
    case DisconnectReason::transport_error: return "transport error";
    case DisconnectReason::parse_error: return "parse error";
    case DisconnectReason::ping_timeout: return "ping timeout";
    case DisconnectReason::forced_close: return "forced close";
    case DisconnectReason::server_shutting_down: return "server shutting down";
    case DisconnectReason::slow_consumer: return "slow consumer";
  }
  return "transport close";
}

Ack::Ack(Server& server, const Namespace& nsp, SocketRef socket, std::uint64_t id, std::string_view event,
         bool log_slow)
    : state_(std::make_shared<State>()) {
  state_->server = &server;
  state_->nsp = &nsp;
  state_->socket = socket;
  state_->id = id;
  state_->log_slow = log_slow && trace::slow_threshold_ms() > 0;
  if (state_->log_slow) {
    state_->event = event;
    state_->received = std::chrono::steady_clock::now();
  }
}

void Ack::log_if_slow() const {
  if (!state_->log_slow) return;
  const auto threshold = trace::slow_threshold_ms();
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                            state_->received);
  if (threshold > 0 && waited.count() >= threshold)
    spdlog::warn("slow socket event: '{}' acknowledged {} ms after it arrived (total={}ms)", state_->event,
                 waited.count(), waited.count());
}

bool Ack::send(const boost::json::array& args, std::vector<std::string> attachments) const {
  if (!state_ || state_->used.exchange(true, std::memory_order_acq_rel)) return false;
  // Encode on the calling thread; only the queueing happens on the socket's thread.
  SharedPacket packet = share(encode_ack(state_->nsp->name(), state_->id, args, attachments));
  state_->server->send_to(state_->socket, std::move(packet));
  log_if_slow();
  return true;
}

bool Ack::send_raw(std::string_view json_arg) const {
  if (!state_ || state_->used.exchange(true, std::memory_order_acq_rel)) return false;
  SharedPacket packet = share(encode_ack_raw(state_->nsp->name(), state_->id, json_arg));
  state_->server->send_to(state_->socket, std::move(packet));
  log_if_slow();
  return true;
}

}  // namespace parley::socketio
