#include "options.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <map>

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
  cli.add_option("--server", server, "HOST:PORT of the server (loopback)");
  cli.add_option("--server-pid", o.server_pid, "Server process to sample (RSS, CPU)");
  cli.add_option("--procs", o.procs, "Worker processes");
  cli.add_option("--connections", o.connections, "Sockets in all (idle, storm, echo)")->check(CLI::Range(1, 1'000'000));
  cli.add_option("--rooms", o.rooms, "Rooms (conversations)")->check(CLI::Range(1, 100'000));
  cli.add_option("--members", o.members, "Connected members per room")->check(CLI::Range(1, 100'000));
  cli.add_option("--offline-members", o.offline_members, "Members per room that never connect (parley)");
  cli.add_option("--senders", o.senders, "Senders per room");
  cli.add_option("--rate", o.rate, "Messages/s per sender (0: closed loop on the window)")->check(CLI::Range(0.0, 1e6));
  cli.add_option("--window", o.window, "Unacknowledged sends per sender")->check(CLI::Range(1, 65536));
  cli.add_option("--body-bytes", o.body_bytes, "Message body size")->check(CLI::Range(40, 65536));
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
  const auto colon = server.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "--server: HOST:PORT expected\n");
    return ParseError{2};
  }
  o.host = server.substr(0, colon);
  // A load generator aims at loopback only: it is not a tool to point at other machines.
  if (o.host.rfind("127.", 0) != 0) {
    std::fprintf(stderr, "--server: a loopback address (127.x.x.x) is required\n");
    return ParseError{2};
  }
  o.port = static_cast<std::uint16_t>(std::stoi(server.substr(colon + 1)));
  apply_defaults(o, cli);
  return o;
}

}  // namespace parley::bench
