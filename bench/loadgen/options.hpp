#pragma once
// Options: what one generator run does, from the command line. A scenario name sets the
// defaults that make it that scenario; any flag given explicitly wins.
//
//   idle     N sockets connect, authenticate and join one room each, then sit idle:
//            server RSS per connection.
//   storm    N sockets connect and authenticate as fast as the server lets them:
//            handshakes per second, refused and failed connections.
//   fanout   R rooms of M members; S senders per room at an offered rate: deliveries per
//            second, end-to-end latency, lost and duplicated deliveries.
//   persist  senders in conversations of their own (one offline member each), closed
//            loop with a window of unacknowledged sends: acknowledged messages per second
//            and ack latency through the server's commit.
//   echo     for `parley conformance`: `message` answered by `message-back` (no rooms).

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace parley::bench {

enum class Target { parley, peer, conformance };

struct Options {
  std::string scenario;
  Target target = Target::parley;
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  int server_pid = 0;     // for RSS and CPU sampling; 0: not sampled
  int procs = 1;          // worker processes (each single-threaded)

  int connections = 0;    // idle, storm, echo: sockets in all
  int rooms = 0;          // fanout, persist
  int members = 0;        // connected members per room
  int offline_members = 0;  // members registered but never connected (Parley only)
  int senders = 0;        // per room
  double rate = 0;        // messages/s per sender; 0: closed loop on the ack window
  int window = 0;         // unacknowledged sends allowed per sender
  int body_bytes = 64;
  bool join = true;       // join_conversation after CONNECT
  bool use_ack = true;    // sends ask for an ack
  std::string send_event = "new_message";
  std::string recv_event = "new_message";

  double warmup_s = 1;    // sending before the measured window
  double duration_s = 5;  // the measured window
  double settle_s = 2;    // idle: wait before reading RSS
  double drain_s = 10;    // at most this long after the window for acks and deliveries
  double connect_timeout_s = 30;
  int connect_window = 64;  // handshakes in flight per worker
  int source_addrs = 1;     // spread sockets over 127.0.0.2 .. 127.0.0.(1+K); 0: kernel's choice
  int setup_threads = 8;    // REST connections used to register users (Parley)

  std::string out_path;     // also write the JSON result here
  bool quiet = false;
};

struct ParseError {
  int exit_code;
};

std::variant<Options, ParseError> parse_options(int argc, char** argv);

const char* target_name(Target t) noexcept;

}  // namespace parley::bench
