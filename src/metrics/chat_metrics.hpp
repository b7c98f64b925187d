#pragma once
// What a chat server's operator watches, beside the layers' own counters
// (docs/operations.md lists every name):
//   parley_messages_accepted_total{transport}       messages stored and acknowledged
//   parley_message_ack_seconds{transport}           send to acknowledgement (histogram)
//   parley_message_delivery_seconds                 store commit to the recipients' queues (histogram)
//   parley_events_delivered_total{event}            events queued to sockets, per recipient
//   parley_requests_refused_total{transport,reason} answers with an error, by ErrorKind
//   parley_auth_failures_total{transport}           bad or missing credentials
// transport is rest|socket; event is one of kEvents; reason one of the
// ErrorKind names or "other": every label set is fixed at start-up, so no
// user or conversation id can reach a label.
//
// Thread-safety: construct at start-up; every other method from any thread
// (relaxed atomics, no lock, no allocation). Ownership: the registry owns the
// metrics; this object only points at them and must not outlive it.

#include <array>
#include <cstddef>
#include <string_view>

#include "common/result.hpp"
#include "metrics/registry.hpp"

namespace parley::metrics {

enum class Transport : std::uint8_t { rest, socket };

class ChatMetrics {
 public:
  // The events the chat layer delivers; anything else counts as "other".
  static constexpr std::array<std::string_view, 9> kEvents = {
      "new_message", "message_deleted", "message_read", "conversation_updated", "typing", "stop_typing",
      "user_status", "message_updated", "reaction_updated"};
  static constexpr std::size_t kOtherEvent = kEvents.size();
  // An index for delivered(): computed once per delivery, not per recipient.
  static std::size_t event_index(std::string_view event);

  explicit ChatMetrics(Registry& registry);

  // A message stored (or found stored: a retry) and acknowledged, `seconds`
  // after its send arrived.
  void message_accepted(Transport transport, double seconds);
  void delivery_latency(double seconds) { delivery_->observe(seconds); }
  void delivered(std::size_t event_index, std::size_t recipients);
  void refused(Transport transport, ErrorKind kind);
  // An HTTP answer: 4xx and 5xx count as refused by the ErrorKind of their
  // status (common/result.cpp maps kinds to statuses), 401 as an auth failure.
  void http_answered(int status);
  void auth_failure(Transport transport) { auth_failures_[index(transport)]->inc(); }

 private:
  static constexpr std::size_t kKinds = 10;  // ErrorKind values
  static std::size_t index(Transport t) { return static_cast<std::size_t>(t); }

  std::array<Counter*, 2> accepted_{};
  std::array<Histogram*, 2> ack_{};
  Histogram* delivery_ = nullptr;
  std::array<Counter*, kEvents.size() + 1> delivered_{};
  std::array<std::array<Counter*, kKinds + 1>, 2> refused_{};  // the last: "other"
  std::array<Counter*, 2> auth_failures_{};
};

}  // namespace parley::metrics
