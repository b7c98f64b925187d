// parley-loadgen: drives a Socket.IO server (Parley, the Node peer, or `parley
// conformance`) through one scenario and prints the result as one JSON object.
// main only reads the options and wires the parts (STYLE.md).
//
//   parley-loadgen fanout --target parley --server 127.0.0.1:8080 --server-pid PID
//   parley-loadgen fanout --target peer --server A --recv-targets B,C   (across nodes)
//
// See options.hpp for the scenarios and docs/benchmarks.md for how `make bench` uses it.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <fstream>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

#include "coordinator.hpp"
#include "options.hpp"
#include "plan.hpp"

namespace {

namespace json = boost::json;
using parley::bench::Options;

// Each socket is a file descriptor: take the hard limit (the workers inherit it).
void raise_open_files() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

json::object options_json(const Options& o) {
  json::object j{{"server", o.host + ":" + std::to_string(o.port)},
                 {"procs", o.procs},
                 {"connections", o.connections},
                 {"rooms", o.rooms},
                 {"members", o.members},
                 {"offline_members", o.offline_members},
                 {"senders", o.senders},
                 {"rate_per_sender", o.rate},
                 {"window", o.window},
                 {"body_bytes", o.body_bytes},
                 {"body_text", o.body_text},
                 {"join", o.join},
                 {"ack", o.use_ack},
                 {"send_event", o.send_event},
                 {"recv_event", o.recv_event},
                 {"warmup_s", o.warmup_s},
                 {"duration_s", o.duration_s},
                 {"connect_window", o.connect_window},
                 {"source_addrs", o.source_addrs}};
  if (parley::bench::cross_node(o)) {
    j["send_target"] = o.nodes.front().text();
    json::array receivers;
    for (std::size_t i = 1; i < o.nodes.size(); ++i) receivers.push_back(json::string(o.nodes[i].text()));
    j["recv_targets"] = std::move(receivers);
  }
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parley::bench::parse_options(argc, argv);
  if (auto* error = std::get_if<parley::bench::ParseError>(&parsed)) return error->exit_code;
  const Options& options = std::get<Options>(parsed);
  raise_open_files();

  parley::bench::Plan plan;
  if (!parley::bench::make_plan(options, plan)) return 1;

  json::object result{{"scenario", options.scenario},
                 {"target", parley::bench::target_name(options.target)},
                 {"run_id", plan.run_id},
                 {"options", options_json(options)},
                 {"setup", json::object{{"seconds", plan.setup_seconds}, {"users", plan.users_registered}}},
                 {"machine_cores", std::thread::hardware_concurrency()}};
  {
    parley::bench::Coordinator coordinator(options, plan);
    if (!coordinator.run(result)) {
      std::fprintf(stderr, "loadgen: the run did not complete\n");
      return 1;
    }
  }
  const std::string text = json::serialize(result);
  std::printf("%s\n", text.c_str());
  if (!options.out_path.empty()) std::ofstream(options.out_path) << text << '\n';
  return 0;
}
