#pragma once
// Event: a named event received from a client, as its handler sees it.
//
//   42["new_message",{"body":"hi"}]      name() == "new_message", arg(0) == {"body":"hi"}
//   4217["join",{"id":"5"}]              the same, with ack() to answer
//
// Binary arguments are {"_placeholder":true,"num":N} objects; attachment(arg) gives the
// bytes. The Event and its views are valid during the handler call only; keep the Ack (a
// copy) to answer later from any thread.
//
// Thread-safety: the socket's IO thread only.

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "realtime/socketio/ack.hpp"
#include "realtime/socketio/packet.hpp"

namespace parley::socketio {

class Event {
 public:
  Event(const Packet& packet, Ack ack) : packet_(packet), ack_(std::move(ack)) {}

  std::string_view name() const noexcept { return event_name(packet_); }
  // The whole data array: [name, arg0, arg1, ...].
  const boost::json::array& data() const noexcept { return packet_.data->get_array(); }
  std::size_t arg_count() const noexcept { return data().size() - 1; }
  // Argument i (after the name); a null value when absent.
  const boost::json::value& arg(std::size_t i) const noexcept {
    static const boost::json::value null_value;
    return i + 1 < data().size() ? data()[i + 1] : null_value;
  }
  // The bytes a placeholder stands for, or null.
  const std::string* attachment(const boost::json::value& placeholder) const noexcept {
    return find_attachment(packet_, placeholder);
  }
  const Packet& packet() const noexcept { return packet_; }

  bool wants_ack() const noexcept { return static_cast<bool>(ack_); }
  // The acknowledgement (empty when the client asked for none). Copy it to answer later.
  const Ack& ack() const noexcept { return ack_; }

 private:
  const Packet& packet_;
  Ack ack_;
};

}  // namespace parley::socketio
