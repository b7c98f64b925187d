#pragma once
// Coordinator: the parent process of a run. It forks the workers (after the plan is
// made, before any thread exists), starts each phase on all of them at once, samples
// the server (RSS, CPU) and the machine around the measured window, gathers the
// workers' reports and prints one JSON result.
//
// Thread-safety: single-threaded (the REST setup threads have ended before it runs).

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "options.hpp"
#include "plan.hpp"

namespace parley::bench {

class Coordinator {
 public:
  Coordinator(const Options& options, const Plan& plan) : options_(options), plan_(plan) {}
  ~Coordinator();
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  // Runs the scenario; fills `result`. False if the workers could not be run.
  bool run(boost::json::object& result);

 private:
  struct Child {
    int pid = -1;
    int command_fd = -1;
    int report_fd = -1;
    std::string buffer;
  };

  bool spawn();
  void broadcast(std::string_view line);
  // Reads one report line of `type` from every worker, until `deadline_ns`.
  bool collect(std::string_view type, std::vector<boost::json::value>& reports, std::uint64_t deadline_ns);
  void stop_workers();
  void log(const char* fmt, ...) const;

  boost::json::object connect_summary(const std::vector<boost::json::value>& ready) const;
  boost::json::object traffic_summary(const std::vector<boost::json::value>& done, double window_s) const;
  // The processes of --sample-pids: CPU (from their readings at the window's start and
  // end) and RSS of each; with the server's own CPU (`server_cpu_s`; < 0: unknown, the
  // server exited), their cores together and CPU microseconds per delivery.
  void add_sampled(boost::json::object& server, const std::vector<double>& cpu0, const std::vector<double>& cpu1,
                   double server_cpu_s, double window_s, double deliveries_per_s) const;
  // Across nodes: the deliveries of each node's sockets, and of all receiving nodes
  // together (the ones every message reached through the cluster's bus).
  void add_node_summaries(boost::json::object& traffic, const std::vector<boost::json::value>& done,
                          const std::vector<std::uint64_t>& room_base, double window_s) const;

  const Options& options_;
  const Plan& plan_;
  std::vector<Child> children_;
  std::vector<std::uint64_t> room_members_;  // connected members per room, after "ready"
  std::vector<std::vector<std::uint64_t>> room_members_by_node_;  // [node][room], across nodes only
};

}  // namespace parley::bench
