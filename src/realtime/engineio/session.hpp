#pragma once
// One Engine.IO v4 session: its transport (HTTP long-polling or WebSocket), the upgrade
// from polling to WebSocket, the server-driven heartbeat, the bounded send queue and the
// close. The layer above talks to it through SessionHandler (in) and send()/close() (out).
//
// Sending: send() takes shared encoded frames (OutFrame). On WebSocket they go to the
// connection's queue and are written together at the end of the batch; on polling they
// wait for the next GET, which takes everything queued in one payload. When more than
// send_queue_bytes would wait (and the queue is not empty), the session is closed as a
// slow consumer instead: a client that does not read never costs more than its bound.
//
// Heartbeat: a ping every pingInterval; no pong within pingTimeout closes the session. It
// runs on the thread's timer wheel (no timer per session).
//
// Thread-safety: a session lives on one IO thread (encoded in its sid); every method must
// be called there. Other threads reach it by posting to that thread and looking it up by
// key (Server::find), because it may be gone by then.
// Ownership: the Server's per-thread registry owns it; after close() it is removed and
// destroyed at the end of the batch (ThreadContext::dispose), so `this` stays valid until
// the current handler returns. Nothing on another thread holds it: they hold its key.
// Destruction: on its IO thread only (the end of a batch there); or, after the IO threads
// have stopped, on the thread that destroys the Server. The `Respond` of a waiting GET it
// holds carries the HTTP connection's reference, which calling it hands back to that
// connection's thread (http_session.hpp), so the session never ends another thread's object.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http/request.hpp"
#include "realtime/engineio/handler.hpp"
#include "realtime/engineio/packet.hpp"
#include "realtime/websocket/out_frame.hpp"
#include "realtime/io/thread_context.hpp"
#include "realtime/websocket/connection.hpp"

namespace parley::engineio {

class Server;
using Respond = std::function<void(http::Response)>;

class Session final : public realtime::TimerNode,
                      public websocket::Connection::Listener,
                      public realtime::Flushable,
                      public realtime::Disposable {
 public:
  Session(Server& server, realtime::ThreadContext& thread, std::uint64_t key);
  ~Session() override;

  std::uint64_t key() const noexcept { return key_; }
  int thread_index() const noexcept { return thread_.index(); }
  realtime::ThreadContext& thread() noexcept { return thread_; }
  std::string sid() const;
  bool is_open() const noexcept { return state_ == State::open; }
  bool is_websocket() const noexcept { return ws_ != nullptr; }
  SessionHandler* handler() noexcept { return handler_.get(); }

  // Queues frames to send, in order. False when the session is closed (or has just been
  // closed because its queue would exceed the bound).
  bool send(const realtime::FrameRef& frame) { return send(std::span<const realtime::FrameRef>(&frame, 1)); }
  bool send(std::span<const realtime::FrameRef> frames);
  // Closes the session (server side). No-op when already closed.
  void close(CloseReason reason = CloseReason::forced_close);

  // ---- for the Server (owner thread) ----
  void set_handler(std::unique_ptr<SessionHandler> handler) { handler_ = std::move(handler); }
  void open_polling(http::Fields cors_headers, Respond respond);
  void open_websocket(std::shared_ptr<websocket::Connection> connection, realtime::FrameRef http_answer,
                      std::string initial);
  void on_poll_get(http::Fields cors_headers, Respond respond);
  void on_poll_post(std::string_view body, http::Fields cors_headers, Respond respond);
  // True when a WebSocket may attach as the upgrade probe.
  bool can_upgrade() const noexcept;
  void attach_probe(std::shared_ptr<websocket::Connection> probe, realtime::FrameRef http_answer,
                    std::string initial);

 private:
  enum class State : std::uint8_t { open, closed };
  enum class Closer : std::uint8_t { server, client };

  struct PollingState {
    std::vector<realtime::FrameRef> queue;
    std::size_t queued_bytes = 0;
    Respond pending_get;
    http::Fields get_headers;  // CORS headers for the pending GET's answer
    std::shared_ptr<websocket::Connection> probe;
    bool upgrading = false;  // the probe said "2probe"
  };

  // TimerNode: the heartbeat.
  void on_timer() override;
  // Connection::Listener
  void on_ws_message(websocket::Connection& connection, bool binary, std::string_view payload) override;
  void on_ws_closed(websocket::Connection& connection, std::uint16_t code) override;
  // Flushable: answers a waiting GET with what is queued.
  void flush() override;

  void on_text_packet(std::string_view text);
  void on_packet(PacketType type, std::string_view data);
  void on_probe_message(bool binary, std::string_view payload);
  void finish_upgrade();
  void schedule_ping();
  void answer_get(std::string body);
  std::string take_polling_queue();
  void finish(CloseReason reason, Closer closer);

  Server& server_;
  realtime::ThreadContext& thread_;
  std::uint64_t key_;
  std::unique_ptr<SessionHandler> handler_;
  std::shared_ptr<websocket::Connection> ws_;  // the WebSocket transport
  std::unique_ptr<PollingState> polling_;      // the polling transport (until upgraded)
  State state_ = State::open;
  bool awaiting_pong_ = false;
};

}  // namespace parley::engineio
