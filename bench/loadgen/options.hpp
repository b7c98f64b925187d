#pragma once
// Options: what one generator run does, from the command line. A scenario name sets the
// defaults that make it that scenario; any flag given explicitly wins.
//
//   idle     N sockets connect, authenticate and join one room each, then sit idle:
//            server RSS per connection.
//   storm    N sockets connect and authenticate as fast as the server lets them:
//            handshakes per second, refused and failed connections.
//   fanout   R rooms of M members; S senders per room at an offered rate: deliveries per
//            second, end-to-end latency, lost and duplicated deliveries. Across nodes
//            (--recv-targets): the senders connect to one node and the other members
//            spread round-robin over the others, so every delivery crosses the cluster's
//            bus; the same figures are then also given per node.
//   persist  senders in conversations of their own (one offline member each), closed
//            loop with a window of unacknowledged sends: acknowledged messages per second
//            and ack latency through the server's commit.
//   echo     for `parley conformance`: `message` answered by `message-back` (no rooms).

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace parley::bench {

enum class Target { parley, peer, conformance };

// A server address; always loopback (parse_options refuses anything else).
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;

  std::string text() const { return host + ":" + std::to_string(port); }
};

struct Options {
  std::string scenario;
  Target target = Target::parley;
  // --server (default: --send-target if given): REST setup, /metrics, and every socket
  // unless the run spans nodes.
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  // Where sockets connect. nodes[0] takes the senders (--send-target, default --server);
  // with --recv-targets, nodes[1..] take the other members round-robin. A one-node run
  // has nodes = {--server}.
  std::vector<Endpoint> nodes;
  int server_pid = 0;     // for RSS and CPU sampling; 0: not sampled
  // Further processes sampled over the measured window (a cluster's other nodes, its
  // Redis): CPU and RSS of each, and CPU per delivery of them all with server_pid.
  std::vector<int> sample_pids;
  int procs = 1;          // worker processes (each single-threaded)

  int connections = 0;    // idle, storm, echo: sockets in all
  int rooms = 0;          // fanout, persist
  int members = 0;        // connected members per room
  int offline_members = 0;  // members registered but never connected (Parley only)
  int senders = 0;        // per room
  double rate = 0;        // messages/s per sender; 0: closed loop on the ack window
  int window = 0;         // unacknowledged sends allowed per sender
  int body_bytes = 64;
  // What fills the body after its timing prefix: "x" (one long token) or "words"
  // (chat-like words, so that a server's full-text index does realistic work).
  std::string body_text = "x";
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

// True when the run spans nodes (receivers on other servers than the senders).
inline bool cross_node(const Options& o) noexcept { return o.nodes.size() > 1; }

const char* target_name(Target t) noexcept;

}  // namespace parley::bench
