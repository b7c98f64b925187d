#include "options.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <optional>
#include <string_view>

namespace parley::bench {

namespace {

// Scenario defaults sized for the 2-core development machine: a few seconds each.
void apply_defaults(Options& o, const CLI::App& cli) {
  auto unset = [&](const char* flag) { return cli.count(flag) == 0; };
  if (o.scenario == "idle") {
    if (unset("--connections")) o.connections = 10000;
    if (unset("--members")) o.members = 100;
    if (unset("--procs")) o.procs = 2;
    if (unset("--source-addrs")) o.source_addrs = 2;
    // Connected the way a restart or a network blip connects them: all at once, then
    // RSS read once the server has had the time an operator would give it to settle.
    if (unset("--connect-window")) o.connect_window = o.connections;
    if (unset("--settle")) o.settle_s = 15;
  } else if (o.scenario == "storm") {
    if (unset("--connections")) o.connections = 19900;
    if (unset("--procs")) o.procs = 2;
    if (unset("--connect-window")) o.connect_window = 256;
    if (unset("--source-addrs")) o.source_addrs = 4;
    if (unset("--members")) o.members = 100;
    if (unset("--join")) o.join = false;
  } else if (o.scenario == "fanout") {
    if (unset("--rooms")) o.rooms = 10;
    if (unset("--members")) o.members = 100;
    if (unset("--senders")) o.senders = 5;
    if (unset("--rate")) o.rate = 200;
    // A client with this many messages unacknowledged would wait; it also bounds the
    // backlog an overloaded server must drain before lost deliveries can be counted.
    if (unset("--window")) o.window = 64;
  } else if (o.scenario == "persist") {
    if (unset("--rooms")) o.rooms = 64;
    if (unset("--members")) o.members = 1;
    if (unset("--offline-members")) o.offline_members = 1;
    if (unset("--senders")) o.senders = 1;
    if (unset("--window")) o.window = 64;
  } else if (o.scenario == "echo") {
    if (unset("--connections")) o.connections = 100;
    if (unset("--rate")) o.rate = 100;
    if (unset("--window")) o.window = 256;
    if (unset("--join")) o.join = false;
    if (unset("--ack")) o.use_ack = false;
    if (unset("--send-event")) o.send_event = "message";
    if (unset("--recv-event")) o.recv_event = "message-back";
  }
  // Fan-out style scenarios are sized by rooms; the others by connections.
  if (o.rooms > 0 && o.connections == 0) o.connections = o.rooms * std::max(o.members, 1);
  if (o.scenario == "echo") {
    o.members = 1;
    o.senders = 1;
    o.rooms = o.connections;
  }
  if (o.members <= 0) o.members = 1;
  if (o.rooms == 0) o.rooms = (o.connections + o.members - 1) / o.members;
  o.senders = std::min(o.senders, o.members);
  if (o.window <= 0) o.window = 64;
  // Without acks nothing paces a closed loop: such runs need an offered rate.
  if (!o.use_ack && o.rate <= 0) o.rate = 100;
  o.procs = std::clamp(o.procs, 1, 64);
}

// "127.x.x.x:PORT"; nothing else: a load generator aims at loopback only, it is not a
// tool to point at other machines.
std::optional<Endpoint> parse_endpoint(std::string_view text, const char* flag) {
  const auto colon = text.rfind(':');
  unsigned port = 0;
  const char* end = text.data() + text.size();
  if (colon == std::string_view::npos ||
      std::from_chars(text.data() + colon + 1, end, port).ptr != end || port == 0 || port > 65535) {
    std::fprintf(stderr, "%s: HOST:PORT expected, got \"%.*s\"\n", flag, static_cast<int>(text.size()), text.data());
    return std::nullopt;
  }
  Endpoint e{std::string(text.substr(0, colon)), static_cast<std::uint16_t>(port)};
  if (e.host.rfind("127.", 0) != 0) {
    std::fprintf(stderr, "%s: a loopback address (127.x.x.x) is required\n", flag);
    return std::nullopt;
  }
  return e;
}

// --send-target and --recv-targets into o.nodes; false (with a message) if one is bad.
bool parse_nodes(Options& o, const std::string& send_target, const std::string& recv_targets) {
  o.nodes.clear();
  if (send_target.empty()) {
    o.nodes.push_back(Endpoint{o.host, o.port});
  } else {
    auto e = parse_endpoint(send_target, "--send-target");
    if (!e) return false;
    o.nodes.push_back(std::move(*e));
  }
  std::string_view rest = recv_targets;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (item.empty()) continue;
    auto e = parse_endpoint(item, "--recv-targets");
    if (!e) return false;
    o.nodes.push_back(std::move(*e));
  }
  // Every worker keeps a tally and a member count per room for each node; a loopback
  // cluster is a handful of nodes.
  if (o.nodes.size() > 64) {
    std::fprintf(stderr, "--recv-targets: at most 63 nodes\n");
    return false;
  }
  if (!recv_targets.empty() && o.nodes.size() < 2) {
    std::fprintf(stderr, "--recv-targets: at least one HOST:PORT expected\n");
    return false;
  }
  // Only the fan-out has receivers to place; elsewhere the flag would be silently ignored.
  if (o.nodes.size() > 1 && o.scenario != "fanout") {
    std::fprintf(stderr, "--recv-targets: only the fanout scenario spans nodes\n");
    return false;
  }
  return true;
}

}  // namespace

const char* target_name(Target t) noexcept {
  switch (t) {
    case Target::parley: return "parley";
    case Target::peer: return "peer";
    case Target::conformance: return "conformance";
  }
  return "?";
}

std::variant<Options, ParseError> parse_options(int argc, char** argv) {
  CLI::App cli{"Parley load generator: Socket.IO v5 over WebSocket, JSON results on stdout", "parley-loadgen"};
  Options o;
  std::string target = "parley";
  std::string server = "127.0.0.1:8080";
  cli.add_option("scenario", o.scenario, "idle | storm | fanout | persist | echo")
      ->required()
      ->check(CLI::IsMember({"idle", "storm", "fanout", "persist", "echo"}));
  cli.add_option("--target", target, "parley (REST setup, JWTs) | peer (any token) | conformance")
      ->check(CLI::IsMember({"parley", "peer", "conformance"}));
  cli.add_option("--server", server, "HOST:PORT of the server (loopback; default: --send-target, else 127.0.0.1:8080)");
  std::string send_target, recv_targets;
  cli.add_option("--send-target", send_target, "fanout across nodes: HOST:PORT the senders connect to (default: --server)");
  cli.add_option("--recv-targets", recv_targets,
                 "fanout across nodes: HOST:PORT,HOST:PORT,... the other members spread over round-robin");
  cli.add_option("--server-pid", o.server_pid, "Server process to sample (RSS, CPU)");
  cli.add_option("--sample-pids", o.sample_pids, "Further processes to sample over the window (other nodes, Redis)")
      ->delimiter(',');
  cli.add_option("--procs", o.procs, "Worker processes");
  cli.add_option("--connections", o.connections, "Sockets in all (idle, storm, echo)")->check(CLI::Range(1, 1'000'000));
  cli.add_option("--rooms", o.rooms, "Rooms (conversations)")->check(CLI::Range(1, 100'000));
  cli.add_option("--members", o.members, "Connected members per room")->check(CLI::Range(1, 100'000));
  cli.add_option("--offline-members", o.offline_members, "Members per room that never connect (parley)");
  cli.add_option("--senders", o.senders, "Senders per room");
  cli.add_option("--rate", o.rate, "Messages/s per sender (0: closed loop on the window)")->check(CLI::Range(0.0, 1e6));
  cli.add_option("--window", o.window, "Unacknowledged sends per sender")->check(CLI::Range(1, 65536));
  cli.add_option("--body-bytes", o.body_bytes, "Message body size")->check(CLI::Range(40, 65536));
  cli.add_option("--body-text", o.body_text, "Body filler after the timing prefix: x (one token) or words (chat-like)")
      ->check(CLI::IsMember({"x", "words"}));
  cli.add_option("--join", o.join, "join_conversation after connecting (true/false)");
  cli.add_option("--ack", o.use_ack, "Ask for an ack on every send (true/false)");
  cli.add_option("--send-event", o.send_event, "Event the senders emit");
  cli.add_option("--recv-event", o.recv_event, "Event counted as a delivery");
  cli.add_option("--warmup", o.warmup_s, "Seconds of sending before the measured window")->check(CLI::Range(0.0, 600.0));
  cli.add_option("--duration", o.duration_s, "Seconds of the measured window")->check(CLI::Range(0.1, 3600.0));
  cli.add_option("--settle", o.settle_s, "idle: seconds to wait before reading RSS");
  cli.add_option("--drain", o.drain_s, "Seconds allowed after the window for acks and deliveries")->check(CLI::Range(0.0, 600.0));
  cli.add_option("--connect-timeout", o.connect_timeout_s, "Seconds for all sockets to be up")->check(CLI::Range(1.0, 3600.0));
  cli.add_option("--connect-window", o.connect_window, "Handshakes in flight per worker");
  cli.add_option("--source-addrs", o.source_addrs, "Source addresses 127.0.0.2.. to spread ports over")->check(CLI::Range(0, 250));
  cli.add_option("--setup-threads", o.setup_threads, "REST connections for setup (parley)");
  cli.add_option("--out", o.out_path, "Also write the JSON result to this file");
  cli.add_flag("--quiet", o.quiet, "No progress lines on stderr");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return ParseError{cli.exit(e)};
  }
  static const std::map<std::string, Target> targets{
      {"parley", Target::parley}, {"peer", Target::peer}, {"conformance", Target::conformance}};
  o.target = targets.at(target);
  // Setup and /metrics go to the sending node unless --server names another.
  if (cli.count("--server") == 0 && !send_target.empty()) server = send_target;
  auto endpoint = parse_endpoint(server, "--server");
  if (!endpoint) return ParseError{2};
  o.host = endpoint->host;
  o.port = endpoint->port;
  if (!parse_nodes(o, send_target, recv_targets)) return ParseError{2};
  apply_defaults(o, cli);
  return o;
}

}  // namespace parley::bench
