#include "realtime/metrics.hpp"

namespace parley::realtime {

void register_metrics(metrics::Registry& registry, const IoThreads& threads) {
  using Metric = metrics::SnapshotMetric<StatsSnapshot>;
  static constexpr Metric fields[] = {
      {"parley_realtime_sessions", "Open Engine.IO sessions",
       [](const StatsSnapshot& s) { return static_cast<double>(s.sessions); }},
      {"parley_realtime_websocket_sessions", "Open sessions on the websocket transport",
       [](const StatsSnapshot& s) { return static_cast<double>(s.websocket_sessions); }},
      {"parley_realtime_handshakes_total", "Engine.IO sessions opened since start",
       [](const StatsSnapshot& s) { return static_cast<double>(s.handshakes); }},
      {"parley_realtime_slow_consumer_disconnects_total", "Connections closed because they did not read",
       [](const StatsSnapshot& s) { return static_cast<double>(s.slow_consumer_disconnects); }},
      {"parley_realtime_frames_sent_total", "Engine.IO packets written",
       [](const StatsSnapshot& s) { return static_cast<double>(s.frames_sent); }},
      {"parley_realtime_write_calls_total", "Gather-write system calls (frames per call = batching)",
       [](const StatsSnapshot& s) { return static_cast<double>(s.write_calls); }},
      {"parley_realtime_bytes_sent_total", "Bytes written on real-time connections",
       [](const StatsSnapshot& s) { return static_cast<double>(s.bytes_sent); }},
      {"parley_realtime_messages_received_total", "Engine.IO packets read",
       [](const StatsSnapshot& s) { return static_cast<double>(s.messages_received); }},
      {"parley_realtime_broadcasts_total", "Socket.IO broadcasts requested",
       [](const StatsSnapshot& s) { return static_cast<double>(s.broadcasts); }},
  };
  metrics::add_snapshot_metrics<StatsSnapshot>(registry, fields, [&threads] { return threads.snapshot(); });
}

void register_connection_metrics(metrics::Registry& registry, const socketio::Namespace& chat,
                                 const cluster::PresenceService& presence) {
  registry.add_callback_gauge("parley_connected_sockets", "Socket.IO connections accepted (authenticated) on this node",
                              [&chat] { return static_cast<double>(chat.socket_count()); });
  registry.add_callback_gauge("parley_connected_users", "Distinct users with at least one connection on this node",
                              [&presence] { return static_cast<double>(presence.connected_users()); });
}

}  // namespace parley::realtime
