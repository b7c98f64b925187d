#include "metrics/chat_metrics.hpp"

#include <string>

namespace parley::metrics {

namespace {

constexpr std::array<std::string_view, 2> kTransports = {"rest", "socket"};
constexpr std::array<std::string_view, 11> kReasons = {
    "bad_request", "unauthorized", "forbidden",   "not_found", "conflict", "payload_too_large",
    "unsupported_media_type", "rate_limited", "unavailable", "internal",  "other"};
constexpr std::array<ErrorKind, 10> kKindsInOrder = {
    ErrorKind::bad_request,       ErrorKind::unauthorized,           ErrorKind::forbidden,
    ErrorKind::not_found,         ErrorKind::conflict,               ErrorKind::payload_too_large,
    ErrorKind::unsupported_media_type, ErrorKind::rate_limited,      ErrorKind::unavailable,
    ErrorKind::internal};

std::size_t reason_index(ErrorKind kind) {
  for (std::size_t i = 0; i < kKindsInOrder.size(); ++i)
    if (kKindsInOrder[i] == kind) return i;
  return kKindsInOrder.size();
}

// Ack latencies: a send waits for a group commit (a few ms on a fast disk) and
// may queue behind others; above a second it is a problem worth seeing.
std::vector<double> ack_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace

std::size_t ChatMetrics::event_index(std::string_view event) {
  for (std::size_t i = 0; i < kEvents.size(); ++i)
    if (kEvents[i] == event) return i;
  return kOtherEvent;
}

ChatMetrics::ChatMetrics(Registry& registry) {
  // Each family registered in one piece: the exposition format wants a
  // family's series together.
  for (std::size_t t = 0; t < kTransports.size(); ++t)
    accepted_[t] = registry.add_counter("parley_messages_accepted_total",
                                        "Messages stored and acknowledged to their sender, by transport",
                                        label("transport", kTransports[t]));
  for (std::size_t t = 0; t < kTransports.size(); ++t)
    ack_[t] = registry.add_histogram("parley_message_ack_seconds",
                                     "From a send's arrival to its acknowledgement (stored), by transport",
                                     ack_buckets(), label("transport", kTransports[t]));
  delivery_ = registry.add_histogram(
      "parley_message_delivery_seconds",
      "From a new message's store commit to its frames queued on the recipients' connections, per IO thread reached",
      ack_buckets());
  for (std::size_t e = 0; e <= kEvents.size(); ++e)
    delivered_[e] = registry.add_counter("parley_events_delivered_total",
                                         "Events queued to sockets (one per recipient socket), by event",
                                         label("event", e < kEvents.size() ? kEvents[e] : "other"));
  for (std::size_t t = 0; t < kTransports.size(); ++t)
    for (std::size_t r = 0; r < kReasons.size(); ++r)
      refused_[t][r] = registry.add_counter(
          "parley_requests_refused_total", "Requests and events answered with an error, by transport and reason",
          label("transport", kTransports[t]) + "," + label("reason", kReasons[r]));
  for (std::size_t t = 0; t < kTransports.size(); ++t)
    auth_failures_[t] = registry.add_counter("parley_auth_failures_total",
                                             "Logins, tokens and socket connections refused as unauthorized",
                                             label("transport", kTransports[t]));
}

void ChatMetrics::message_accepted(Transport transport, double seconds) {
  accepted_[index(transport)]->inc();
  ack_[index(transport)]->observe(seconds);
}

void ChatMetrics::delivered(std::size_t event_index, std::size_t recipients) {
  if (recipients == 0) return;
  delivered_[event_index < kEvents.size() ? event_index : kOtherEvent]->inc(recipients);
}

void ChatMetrics::refused(Transport transport, ErrorKind kind) {
  refused_[index(transport)][reason_index(kind)]->inc();
  if (kind == ErrorKind::unauthorized) auth_failure(transport);
}

void ChatMetrics::http_answered(int status) {
  if (status < 400) return;
  std::size_t reason = kKindsInOrder.size();  // other
  for (std::size_t i = 0; i < kKindsInOrder.size(); ++i)
    if (http_status(kKindsInOrder[i]) == status) reason = i;
  refused_[index(Transport::rest)][reason]->inc();
  if (status == 401) auth_failure(Transport::rest);
}

}  // namespace parley::metrics
