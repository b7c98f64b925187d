#pragma once
// Process-wide counters of the real-time layer, for /metrics.
//
// Thread-safety: the live counters are atomics. Hot counters (frames and bytes written,
// messages read) are kept per IO thread and updated by that thread alone with relaxed
// stores (no read-modify-write contention between threads); snapshot() sums them.

#include <atomic>
#include <cstdint>

namespace parley::realtime {

struct StatsSnapshot {
  std::int64_t sessions = 0;             // open Engine.IO sessions
  std::int64_t websocket_sessions = 0;   // ... of which on the websocket transport
  std::uint64_t handshakes = 0;          // sessions opened since start
  std::uint64_t upgrades = 0;            // polling sessions upgraded to websocket
  std::uint64_t slow_consumer_disconnects = 0;  // closed because their send queue overflowed
  std::uint64_t frames_sent = 0;         // Engine.IO packets written (all transports)
  std::uint64_t bytes_sent = 0;          // bytes written on real-time connections
  std::uint64_t write_calls = 0;         // gather-write system calls (frames_sent / write_calls = batching)
  std::uint64_t messages_received = 0;   // Engine.IO packets read
  std::uint64_t bytes_received = 0;
  std::uint64_t broadcasts = 0;          // Socket.IO broadcasts requested
};

// Counters updated only by the owning thread.
struct ThreadCounters {
  std::atomic<std::uint64_t> frames_sent{0};
  std::atomic<std::uint64_t> bytes_sent{0};
  std::atomic<std::uint64_t> write_calls{0};
  std::atomic<std::uint64_t> messages_received{0};
  std::atomic<std::uint64_t> bytes_received{0};

  // REQUIRES: called by the owning thread only.
  static void add(std::atomic<std::uint64_t>& counter, std::uint64_t n) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

// Counters any thread may update.
struct SharedCounters {
  std::atomic<std::int64_t> sessions{0};
  std::atomic<std::int64_t> websocket_sessions{0};
  std::atomic<std::uint64_t> handshakes{0};
  std::atomic<std::uint64_t> upgrades{0};
  std::atomic<std::uint64_t> slow_consumer_disconnects{0};
  std::atomic<std::uint64_t> broadcasts{0};
};

}  // namespace parley::realtime
