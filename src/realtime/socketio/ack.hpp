#pragma once
// Ack: the answer to a client's event that asked for an acknowledgement. The application
// may answer at once on the IO thread, or keep the Ack and answer later from any thread
// (e.g. once a database commit is done on a worker): send() encodes the ACK on the calling
// thread and posts it to the socket's thread. Copyable; whatever the number of copies,
// only the first send() has an effect. An Ack that is never sent sends nothing (the
// reference server behaves the same).
//
// Thread-safety: send() from any thread. Ownership: copies share one small state.

#include <atomic>
#include <chrono>
#include <boost/json/array.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "realtime/socketio/types.hpp"

namespace parley::socketio {

class Server;
class Namespace;

class Ack {
 public:
  Ack() = default;
  // `event` and `log_slow`: when the slow-operation log is on (--slow-ms), an
  // acknowledgement sent later than the threshold after the event arrived is
  // logged once at warn, unless the event's handler logs its own slow line
  // (Namespace::on with SlowLog::by_handler).
  Ack(Server& server, const Namespace& nsp, SocketRef socket, std::uint64_t id, std::string_view event = {},
      bool log_slow = false);

  // True when the client asked for an acknowledgement that has not been sent yet.
  explicit operator bool() const noexcept { return state_ && !state_->used.load(std::memory_order_acquire); }

  // Sends ACK with these arguments (binary ones as placeholders into `attachments`).
  // Returns false when already sent (by any copy) or empty.
  bool send(const boost::json::array& args, std::vector<std::string> attachments = {}) const;
  bool operator()(const boost::json::array& args) const { return send(args); }
  // Sends ACK with one argument given as JSON text, taken as is (REQUIRES: valid
  // JSON): for payloads already rendered, so the hot path does not build a value.
  bool send_raw(std::string_view json_arg) const;

 private:
  struct State {
    Server* server;
    const Namespace* nsp;
    SocketRef socket;
    std::uint64_t id;
    std::atomic<bool> used{false};
    bool log_slow = false;
    std::string event;
    std::chrono::steady_clock::time_point received;
  };
  void log_if_slow() const;
  std::shared_ptr<State> state_;
};

}  // namespace parley::socketio
