#pragma once
// Worker: one forked generator process driving its share of the plan's sockets (socket
// i belongs to worker i % procs) on one epoll loop, in phases the coordinator starts
// with one-line commands on a pipe:
//
//   "connect"            open the sockets (at most connect_window handshakes in flight),
//                        CONNECT with auth, join the room; then report "ready"
//   "go T0 TM TE"        send from T0 to TE (monotonic ns), measure from TM; drain acks
//                        and deliveries, then report "done"
//   "quit"               close everything and exit
//
// Reports are single JSON lines on the report pipe. Every phase has a deadline, so a
// worker never waits for ever on a server that stopped answering. Each socket connects
// to the node the plan gives it; deliveries are tallied per node as well as in all.
//
// Thread-safety: single-threaded process.

#include <cstdint>
#include <map>
#include <netinet/in.h>
#include <memory>
#include <string>
#include <vector>

#include "delivery_tally.hpp"
#include "event_loop.hpp"
#include "histogram.hpp"
#include "options.hpp"
#include "plan.hpp"
#include "sio_socket.hpp"

namespace parley::bench {

class Worker final : private SioSocket::Listener, private EventLoop::Handler {
 public:
  Worker(const Options& options, const Plan& plan, int index, int command_fd, int report_fd);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs until "quit" (or the coordinator goes away); returns the process exit code.
  int run();

 private:
  enum class Phase { wait_connect, connecting, wait_go, running, draining, wait_quit, done };
  enum class SockState : std::uint8_t { pending, connecting, connected, ready, failed };

  // Which messages of one sender a receiver has seen: a bitmap over the sender's
  // message numbers, so duplicates and reordering are counted exactly.
  struct SeenFrom {
    std::vector<std::uint64_t> bits;
    std::uint64_t last = 0;
  };

  struct Sock {
    std::unique_ptr<SioSocket> sio;
    std::uint32_t global = 0;  // index in the plan
    std::uint32_t room = 0;
    std::int32_t sender = -1;  // index in senders_, or -1
    std::uint16_t node = 0;    // index in options.nodes
    SockState state = SockState::pending;
    std::uint64_t started_ns = 0;
    std::vector<SeenFrom> seen;  // per sender slot of the room
    std::uint64_t last_seq = 0;  // the room's "seq" of the last delivery
  };

  struct Sender {
    std::uint32_t sock = 0;
    std::int32_t slot = 0;
    std::uint64_t scheduled = 0;  // sends due so far (open loop)
    // Open loop: this sender's offset within the send interval. Senders are spread
    // evenly over it, as independent users are; in phase, every sender's message
    // left in the same millisecond and the latency measured those bursts.
    std::uint64_t phase_ns = 0;
    std::uint64_t sent = 0;
    std::uint64_t outstanding = 0;
    std::vector<std::uint64_t> sent_ns;  // ring indexed by ack id
  };

  // SioSocket::Listener
  void on_sio_connected(SioSocket& s) override;
  void on_sio_connect_error(SioSocket& s, std::string_view payload) override;
  void on_sio_event(SioSocket& s, std::string_view packet, std::uint64_t received_ns) override;
  void on_sio_ack(SioSocket& s, std::uint64_t id, std::string_view args, std::uint64_t received_ns) override;
  void on_sio_closed(SioSocket& s, std::string_view why) override;
  // EventLoop::Handler: the command pipe
  void on_events(std::uint32_t events) override;

  void on_command(std::string_view line);
  void start_more();
  void resolve(Sock& sock, bool ok, std::string_view why);
  void check_connect_deadline(std::uint64_t now);
  void report_ready();
  void tick(std::uint64_t now);
  void pace_senders(std::uint64_t now);
  void send_one(Sender& sender, std::uint64_t now);
  // Appends about `bytes` bytes of chat-like words (--body-text words).
  void append_words(std::string& b, std::size_t bytes);
  void on_delivery(Sock& sock, std::string_view packet, std::uint64_t now);
  // `text` starts at the digits of the message's "seq".
  void check_seq(Sock& sock, DeliveryTally& tally, std::string_view text);
  void report_done();
  void write_report(const std::string& line);
  int poll_timeout_ms() const;

  const Options& options_;
  const Plan& plan_;
  const int index_;
  const int command_fd_;
  const int report_fd_;
  EventLoop loop_;
  Phase phase_ = Phase::wait_connect;
  std::string command_buffer_;
  std::string recv_prefix_;   // ["<recv_event>",
  std::string send_prefix_;   // ["<send_event>",{"conversationId":"
  std::string body_buffer_;   // scratch for outgoing messages
  std::uint64_t word_state_ = 0x9e3779b97f4a7c15ULL;  // --body-text words: xorshift state
  std::size_t ring_mask_ = 0;
  std::vector<sockaddr_in> node_addrs_;  // per options.nodes entry
  std::vector<std::string> node_hosts_;  // the Host header for each

  std::vector<Sock> socks_;
  std::vector<Sender> senders_;

  // Connect phase.
  std::size_t next_to_start_ = 0;
  std::size_t in_flight_ = 0;
  std::size_t resolved_ = 0;
  std::uint64_t connect_started_ns_ = 0;
  std::uint64_t connect_deadline_ns_ = 0;
  std::uint64_t last_ready_ns_ = 0;
  double connect_cpu_start_ = 0;
  std::map<std::string, std::uint64_t, std::less<>> failures_;
  Histogram handshake_;   // TCP connect to CONNECT acknowledged
  Histogram join_;        // join_conversation to its ack

  // Traffic phase.
  std::uint64_t t_go_ = 0, t_measure_ = 0, t_end_ = 0, drain_deadline_ = 0;
  std::uint64_t next_tick_ = 0;
  std::uint64_t last_delivery_ns_ = 0;
  double cpu_at_measure_ = -1, cpu_at_end_ = -1;
  ReadCounters reads_at_measure_, reads_at_end_;
  std::map<std::string, std::uint64_t, std::less<>> dropped_;  // sockets lost after ready
  std::string first_ack_error_;
  std::vector<std::uint64_t> room_sent_, room_acked_;
  std::vector<std::vector<std::uint64_t>> room_members_;  // [node][room], after "connect"
  std::uint64_t sent_ = 0, skipped_ = 0, acked_ok_ = 0, ack_errors_ = 0, window_acks_ = 0;
  std::uint64_t other_events_ = 0;
  std::vector<DeliveryTally> tallies_;  // per node (index in options.nodes)
  Histogram ack_latency_;
};

}  // namespace parley::bench
