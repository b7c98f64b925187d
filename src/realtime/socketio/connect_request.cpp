#include "realtime/socketio/connect_request.hpp"

#include <boost/json/object.hpp>

#include "realtime/socketio/client.hpp"
#include "realtime/socketio/namespace.hpp"
#include "realtime/socketio/server.hpp"

namespace parley::socketio {

const boost::json::value& ConnectRequest::auth() const noexcept { return state_->auth; }

const std::string& ConnectRequest::nsp() const noexcept { return state_->nsp->name(); }

bool ConnectRequest::accept(SocketData data) const { return state_->decide(true, std::move(data), nullptr); }

bool ConnectRequest::refuse(boost::json::value data) const { return state_->decide(false, {}, std::move(data)); }

bool ConnectRequest::refuse_with_message(std::string_view message) const {
  boost::json::object object;
  object["message"] = message;
  return refuse(std::move(object));
}

ConnectRequest::State::~State() {
  if (!decided.load(std::memory_order_acquire) && server != nullptr) {
    boost::json::object object;
    object["message"] = "connection refused";
    decide(false, {}, std::move(object));
  }
}

bool ConnectRequest::State::decide(bool accepted, SocketData data, boost::json::value refusal) {
  if (decided.exchange(true, std::memory_order_acq_rel)) return false;
  Server* const target = server;
  const std::uint32_t owner = thread;
  const std::uint64_t session_key = session;
  const std::uint64_t id = pending_id;
  // A copy of the auth payload travels with the decision (the connection handler gets it;
  // other copies of the request may still read the original).
  auto shared_auth = std::make_shared<boost::json::value>(auth);
  target->run_on_thread(owner, [target, owner, session_key, id, accepted, data = std::move(data),
                                refusal = std::move(refusal), shared_auth]() mutable {
    if (Client* client = target->find_client(owner, session_key))
      client->on_connect_decision(id, accepted, std::move(data), refusal, *shared_auth);
  });
  return true;
}

}  // namespace parley::socketio
