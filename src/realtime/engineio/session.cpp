#include "realtime/engineio/session.hpp"

#include "realtime/engineio/request_check.hpp"
#include "realtime/engineio/server.hpp"
#include "realtime/engineio/sid.hpp"

namespace parley::engineio {

using realtime::FrameRef;
using Clock = realtime::ThreadContext::Clock;

std::string_view to_string(CloseReason reason) noexcept {
  switch (reason) {
    case CloseReason::transport_close: return "transport close";
    case CloseReason::transport_error: return "transport error";
    case CloseReason::parse_error: return "parse error";
    case CloseReason::ping_timeout: return "ping timeout";
    case CloseReason::forced_close: return "forced close";
    case CloseReason::server_shutdown: return "server shutting down";
    case CloseReason::slow_consumer: return "slow consumer";
  }
  return "transport close";
}

Session::Session(Server& server, realtime::ThreadContext& thread, std::uint64_t key)
    : server_(server), thread_(thread), key_(key) {}

Session::~Session() {
  if (ws_) ws_->set_listener(nullptr);
  if (polling_ && polling_->probe) polling_->probe->set_listener(nullptr);
}

std::string Session::sid() const { return encode_sid(server_.options().route, thread_.index(), key_); }

// ---- opening ----

void Session::open_websocket(std::shared_ptr<websocket::Connection> connection, FrameRef http_answer,
                             std::string initial) {
  ws_ = std::move(connection);
  ws_->set_listener(this);
  ws_->send(std::move(http_answer));
  ws_->send(server_.open_frame(*this, false));
  server_.counters().websocket_sessions.fetch_add(1, std::memory_order_relaxed);
  schedule_ping();
  handler_->on_open(*this);
  // Keep the connection alive across start(): it may close while processing `initial`.
  const auto connection_ref = ws_;
  connection_ref->start(std::move(initial));
}

void Session::open_polling(http::Fields cors_headers, Respond respond) {
  polling_ = std::make_unique<PollingState>();
  schedule_ping();
  handler_->on_open(*this);
  polling_->get_headers = std::move(cors_headers);
  polling_->pending_get = std::move(respond);
  // The handshake answer is the open packet, then whatever on_open queued.
  std::string body(server_.open_frame(*this, true)->polling());
  std::string queued = take_polling_queue();
  if (!queued.empty()) {
    body.push_back(kRecordSeparator);
    body += queued;
  }
  answer_get(std::move(body));
}

// ---- sending ----

bool Session::send(std::span<const FrameRef> frames) {
  if (state_ != State::open) return false;
  std::size_t bytes = 0;
  for (const auto& frame : frames) bytes += frame->wire().size();
  const std::size_t limit = server_.options().send_queue_bytes;
  if (ws_) {
    const std::size_t queued = ws_->queued_bytes();
    if (queued != 0 && queued + bytes > limit) {
      server_.counters().slow_consumer_disconnects.fetch_add(1, std::memory_order_relaxed);
      close(CloseReason::slow_consumer);
      return false;
    }
    for (const auto& frame : frames) ws_->send(frame);
    return true;
  }
  PollingState& polling = *polling_;
  if (polling.queued_bytes != 0 && polling.queued_bytes + bytes > limit) {
    server_.counters().slow_consumer_disconnects.fetch_add(1, std::memory_order_relaxed);
    close(CloseReason::slow_consumer);
    return false;
  }
  for (const auto& frame : frames) polling.queue.push_back(frame);
  polling.queued_bytes += bytes;
  if (polling.pending_get && !polling.upgrading) thread_.schedule_flush(*this);
  return true;
}

void Session::flush() {
  if (state_ != State::open || !polling_) return;
  PollingState& polling = *polling_;
  if (!polling.pending_get || polling.upgrading || polling.queue.empty()) return;
  answer_get(take_polling_queue());
}

std::string Session::take_polling_queue() {
  PollingState& polling = *polling_;
  std::size_t size = 0;
  for (const auto& frame : polling.queue) size += frame->polling().size() + 1;
  std::string body;
  body.reserve(size);
  std::uint64_t frames = 0;
  for (const auto& frame : polling.queue) {
    if (frame->kind() == realtime::OutFrame::Kind::raw) continue;
    if (!body.empty()) body.push_back(kRecordSeparator);
    body += frame->polling();
    ++frames;
  }
  realtime::ThreadCounters::add(thread_.counters().frames_sent, frames);
  polling.queue.clear();
  if (polling.queue.capacity() > 16) std::vector<FrameRef>().swap(polling.queue);
  polling.queued_bytes = 0;
  return body;
}

void Session::answer_get(std::string body) {
  PollingState& polling = *polling_;
  Respond respond = std::move(polling.pending_get);
  polling.pending_get = nullptr;
  if (!respond) return;
  auto& counters = thread_.counters();
  realtime::ThreadCounters::add(counters.write_calls, 1);
  realtime::ThreadCounters::add(counters.bytes_sent, body.size());
  http::Response response;
  response.status = 200;
  response.content_type = "text/plain; charset=UTF-8";
  response.body = std::move(body);
  response.headers = std::move(polling.get_headers);
  polling.get_headers.clear();
  respond(std::move(response));
}

// ---- polling requests ----

void Session::on_poll_get(http::Fields cors_headers, Respond respond) {
  PollingState& polling = *polling_;
  if (polling.pending_get) {
    // Overlapping polls: refuse this one and close the session (the first gets "1").
    http::Response refused;
    refused.status = 400;
    refused.body = error_body(ErrorCode::bad_request);
    refused.headers = std::move(cors_headers);
    respond(std::move(refused));
    return close(CloseReason::transport_error);
  }
  polling.pending_get = std::move(respond);
  polling.get_headers = std::move(cors_headers);
  if (polling.upgrading) return answer_get("6");  // end the poll so that the upgrade can finish
  if (!polling.queue.empty()) answer_get(take_polling_queue());
}

void Session::on_poll_post(std::string_view body, http::Fields cors_headers, Respond respond) {
  auto packets = decode_payload(body, server_.options().max_payload);
  if (!packets) {
    const bool too_large = packets.error().kind == ErrorKind::payload_too_large;
    http::Response refused;
    refused.status = too_large ? 413 : 400;
    refused.body = too_large ? R"({"code":3,"message":"Payload too large"})" : error_body(ErrorCode::bad_request);
    refused.headers = std::move(cors_headers);
    respond(std::move(refused));
    return close(too_large ? CloseReason::transport_error : CloseReason::parse_error);
  }
  auto& counters = thread_.counters();
  realtime::ThreadCounters::add(counters.bytes_received, body.size());
  realtime::ThreadCounters::add(counters.messages_received, packets->size());
  for (const Packet& packet : *packets) {
    if (state_ != State::open) break;
    if (packet.binary) {
      handler_->on_binary(*this, packet.data);
    } else {
      on_packet(packet.type, packet.data);
    }
  }
  http::Response ok;
  ok.status = 200;
  ok.content_type = "text/plain; charset=UTF-8";
  ok.body = "ok";
  ok.headers = std::move(cors_headers);
  respond(std::move(ok));
}

// ---- packets ----

void Session::on_text_packet(std::string_view text) {
  if (!text.empty() && text.front() >= '0' && text.front() <= '6') {
    return on_packet(static_cast<PacketType>(text.front() - '0'), text.substr(1));
  }
  // "b" + base64: a binary message from a client without binary frames.
  auto packet = decode_text(text);
  if (!packet) return close(CloseReason::parse_error);
  handler_->on_binary(*this, packet->data);
}

void Session::on_packet(PacketType type, std::string_view data) {
  switch (type) {
    case PacketType::message:
      handler_->on_message(*this, data);
      return;
    case PacketType::pong:
      if (awaiting_pong_) {
        awaiting_pong_ = false;
        schedule_ping();
      }
      return;
    case PacketType::close:
      return finish(CloseReason::transport_close, Closer::client);
    case PacketType::ping:
      // Engine.IO v4 heartbeats go from the server to the client only.
      return close(CloseReason::transport_error);
    case PacketType::open:
    case PacketType::upgrade:
    case PacketType::noop:
      return;
  }
}

// ---- heartbeat ----

void Session::schedule_ping() {
  thread_.schedule(*this, Clock::now() + server_.options().ping_interval);
}

void Session::on_timer() {
  if (state_ != State::open) return;
  if (awaiting_pong_) return close(CloseReason::ping_timeout);
  awaiting_pong_ = true;
  thread_.schedule(*this, Clock::now() + server_.options().ping_timeout);
  send(server_.ping_frame());
}

// ---- WebSocket ----

void Session::on_ws_message(websocket::Connection& connection, bool binary, std::string_view payload) {
  if (state_ != State::open) return;
  if (polling_ && &connection == polling_->probe.get()) return on_probe_message(binary, payload);
  if (&connection != ws_.get()) return;
  if (binary) return handler_->on_binary(*this, payload);
  on_text_packet(payload);
}

void Session::on_ws_closed(websocket::Connection& connection, std::uint16_t code) {
  if (polling_ && &connection == polling_->probe.get()) {
    polling_->probe.reset();
    polling_->upgrading = false;
    return;
  }
  if (&connection != ws_.get()) return;
  const bool broke_rules = code == websocket::close_code::protocol_error ||
                           code == websocket::close_code::invalid_payload ||
                           code == websocket::close_code::message_too_big;
  finish(broke_rules ? CloseReason::transport_error : CloseReason::transport_close, Closer::client);
}

bool Session::can_upgrade() const noexcept {
  return state_ == State::open && polling_ != nullptr && polling_->probe == nullptr;
}

void Session::attach_probe(std::shared_ptr<websocket::Connection> probe, FrameRef http_answer, std::string initial) {
  polling_->probe = probe;
  probe->set_listener(this);
  probe->send(std::move(http_answer));
  probe->start(std::move(initial));
}

void Session::on_probe_message(bool binary, std::string_view payload) {
  PollingState& polling = *polling_;
  if (!binary && payload == "2probe") {
    polling.probe->send(server_.probe_answer_frame());
    polling.upgrading = true;
    if (polling.pending_get) answer_get("6");
    return;
  }
  if (!binary && payload == "5") return finish_upgrade();
  // Anything else on a probe: drop the probe, keep the session on polling.
  auto probe = std::move(polling.probe);
  polling.upgrading = false;
  probe->set_listener(nullptr);
  probe->close(websocket::close_code::protocol_error);
}

void Session::finish_upgrade() {
  PollingState& polling = *polling_;
  if (polling.pending_get) answer_get("6");
  ws_ = std::move(polling.probe);
  for (auto& frame : polling.queue) ws_->send(std::move(frame));
  polling_.reset();
  auto& counters = server_.counters();
  counters.websocket_sessions.fetch_add(1, std::memory_order_relaxed);
  counters.upgrades.fetch_add(1, std::memory_order_relaxed);
}

// ---- closing ----

void Session::close(CloseReason reason) { finish(reason, Closer::server); }

void Session::finish(CloseReason reason, Closer closer) {
  if (state_ == State::closed) return;
  state_ = State::closed;
  cancel_timer();
  if (polling_) {
    PollingState& polling = *polling_;
    if (polling.pending_get) {
      // A client's close packet ends the poll with a noop; a server-side close delivers
      // what is queued, then the close packet.
      std::string body = "6";
      if (closer == Closer::server) {
        body = take_polling_queue();
        if (!body.empty()) body.push_back(kRecordSeparator);
        body.push_back('1');
      }
      answer_get(std::move(body));
    }
    polling.queue.clear();
    polling.queued_bytes = 0;
    if (auto probe = std::move(polling.probe)) {
      probe->set_listener(nullptr);
      probe->close(websocket::close_code::going_away);
    }
  }
  if (ws_) {
    ws_->set_listener(nullptr);
    if (reason == CloseReason::slow_consumer) {
      ws_->abort();
    } else {
      using namespace websocket::close_code;
      const std::uint16_t code = reason == CloseReason::server_shutdown   ? going_away
                                 : reason == CloseReason::parse_error     ? unsupported_data
                                 : reason == CloseReason::transport_error ? protocol_error
                                                                          : normal;
      ws_->close(code);
    }
    server_.counters().websocket_sessions.fetch_sub(1, std::memory_order_relaxed);
  }
  if (handler_) handler_->on_close(*this, reason);
  server_.remove(*this);
}

}  // namespace parley::engineio
