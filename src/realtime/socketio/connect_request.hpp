#pragma once
// ConnectRequest: a client's CONNECT to a namespace, handed to the application, which
// decides ASYNCHRONOUSLY: it may call accept() or refuse() at once on the IO thread, or
// later from any thread (e.g. after verifying a token and loading the user on a worker).
// The decision is posted to the connection's thread; if the connection has gone by then,
// it is dropped.
//
//   accept(data)   → CONNECT {"sid":...}, then the namespace's connection handler runs
//   refuse(data)   → CONNECT_ERROR with `data` (e.g. {"message":"unauthorized"})
//
// Copyable; only the first decision counts. If every copy is destroyed undecided, the
// client gets CONNECT_ERROR {"message":"connection refused"}. The connect timeout still
// applies while the decision is pending.
//
// Thread-safety: every method from any thread. Ownership: copies share one state.

#include <atomic>
#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "realtime/socketio/types.hpp"

namespace parley::socketio {

class Server;
class Namespace;

class ConnectRequest {
 public:
  struct State;
  explicit ConnectRequest(std::shared_ptr<State> state) : state_(std::move(state)) {}

  // The CONNECT payload: the client's `auth` ({} when it sent none).
  const boost::json::value& auth() const noexcept;
  const std::string& nsp() const noexcept;

  bool accept(SocketData data = {}) const;
  bool refuse(boost::json::value data) const;
  // refuse({"message": message})
  bool refuse_with_message(std::string_view message) const;

 private:
  std::shared_ptr<State> state_;
};

struct ConnectRequest::State {
  Server* server = nullptr;
  Namespace* nsp = nullptr;
  std::uint32_t thread = 0;
  std::uint64_t session = 0;
  std::uint64_t pending_id = 0;
  boost::json::value auth;
  std::atomic<bool> decided{false};

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State();
  // Posts the decision to the connection's thread. False when already decided.
  bool decide(bool accepted, SocketData data, boost::json::value refusal);
};

}  // namespace parley::socketio
