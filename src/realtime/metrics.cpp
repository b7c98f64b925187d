#include "realtime/metrics.hpp"

#include <string_view>

namespace parley::realtime {

void register_metrics(metrics::Registry& registry, const IoThreads& threads) {
  struct Field {
    const char* name;
    const char* help;
    double (*read)(const StatsSnapshot&);
  };
  static constexpr Field fields[] = {
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
  for (const auto& field : fields) {
    auto read = [&threads, read = field.read] { return read(threads.snapshot()); };
    if (std::string_view(field.name).ends_with("_total")) {
      registry.add_callback_counter(field.name, field.help, std::move(read));
    } else {
      registry.add_callback_gauge(field.name, field.help, std::move(read));
    }
  }
}

}  // namespace parley::realtime
