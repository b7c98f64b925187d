#pragma once
// WsConnection: the client side of one WebSocket over a non-blocking TCP socket, written
// for a load generator: frames queued by the caller are masked into one output buffer
// and leave in one send() (the way a busy client batches), reads go into a per-process
// scratch buffer and only a partial frame is copied to the connection. No TLS, no
// extensions (the servers are on loopback and Engine.IO needs none).
//
//   connecting --(TCP up: send the upgrade request)--> upgrading --(101)--> open --> closed
//
// Ownership: the owner keeps the object alive until the process ends (closed connections
// stay as inert objects, so that an epoll event already fetched never sees freed memory).
// Thread-safety: one thread.

#include <cstdint>
#include <netinet/in.h>
#include <string>
#include <string_view>

#include "event_loop.hpp"

namespace parley::bench {

// Process-wide read counters (the process is single-threaded): frames per read shows
// how much the server batched what it wrote.
struct ReadCounters {
  std::uint64_t reads = 0;   // recv() calls that returned data
  std::uint64_t frames = 0;  // WebSocket data frames received
};
extern ReadCounters g_read_counters;

class WsConnection final : public EventLoop::Handler {
 public:
  class Listener {
   public:
    virtual void on_ws_open(WsConnection& ws) = 0;
    // One complete text message; `received_ns` is when the read that completed it returned.
    virtual void on_ws_text(WsConnection& ws, std::string_view payload, std::uint64_t received_ns) = 0;
    // Called once, whatever the cause; `why` is a short reason ("refused", "reset", ...).
    virtual void on_ws_closed(WsConnection& ws, std::string_view why) = 0;

   protected:
    ~Listener() = default;
  };

  enum class State : std::uint8_t { idle, connecting, upgrading, open, closed };

  WsConnection(EventLoop& loop, Listener& listener) noexcept : loop_(loop), listener_(listener) {}
  ~WsConnection();
  WsConnection(const WsConnection&) = delete;
  WsConnection& operator=(const WsConnection&) = delete;

  // Starts the TCP connect from `source_ip` (network order; 0: let the kernel choose) to
  // `server`, then the upgrade GET of `path`. False (and closed) if it fails at once.
  bool start(const sockaddr_in& server, std::uint32_t source_ip, std::string_view host, std::string_view path);

  // Appends one masked text frame to the output buffer. REQUIRES: state() == open.
  void queue_text(std::string_view payload);
  // Writes what is queued; what the kernel does not take waits for EPOLLOUT.
  void flush();
  void close(std::string_view why);

  State state() const noexcept { return state_; }
  std::size_t queued_bytes() const noexcept { return out_.size() - out_sent_; }

 private:
  void on_events(std::uint32_t events) override;
  void on_connected();
  void on_readable();
  // Consumes whole frames (and the HTTP answer while upgrading) from `data`; returns the
  // bytes consumed, or -1 after closing the connection.
  long consume(const char* data, std::size_t size, std::uint64_t now);
  long consume_upgrade(const char* data, std::size_t size);
  void queue_frame(std::uint8_t opcode, std::string_view payload);

  EventLoop& loop_;
  Listener& listener_;
  int fd_ = -1;
  State state_ = State::idle;
  std::uint32_t mask_seed_ = 0x9e3779b9u;
  std::string in_;         // bytes of an incomplete frame carried to the next read
  std::string message_;    // a fragmented message being reassembled
  std::string out_;        // masked frames not yet written
  std::size_t out_sent_ = 0;
};

}  // namespace parley::bench
