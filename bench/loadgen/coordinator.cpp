#include "coordinator.hpp"

#include <boost/json/parse.hpp>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <cmath>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <poll.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "clock.hpp"
#include "delivery_tally.hpp"
#include "histogram.hpp"
#include "proc_stats.hpp"
#include "server_metrics.hpp"
#include "worker.hpp"

namespace parley::bench {

namespace json = boost::json;

namespace {

void sleep_until(std::uint64_t t_ns) {
  const std::uint64_t now = now_ns();
  if (t_ns > now) std::this_thread::sleep_for(std::chrono::nanoseconds(t_ns - now));
}

std::uint64_t u64(const json::value& v, std::string_view key) {
  const json::value* x = v.as_object().if_contains(key);
  return x ? x->to_number<std::uint64_t>() : 0;
}

double dbl(const json::value& v, std::string_view key) {
  const json::value* x = v.as_object().if_contains(key);
  return x ? x->to_number<double>() : 0;
}

void add_counts(json::object& into, const json::value& from) {
  for (const auto& [k, v] : from.as_object()) {
    const std::uint64_t add = v.to_number<std::uint64_t>();
    json::value& slot = into[k];
    slot = (slot.is_null() ? 0 : slot.to_number<std::uint64_t>()) + add;
  }
}

Histogram merged(const std::vector<json::value>& reports, std::string_view key) {
  Histogram h;
  for (const json::value& r : reports) h.merge(Histogram::from_json(r.at(key)));
  return h;
}

double round3(double x) { return std::round(x * 1000) / 1000; }

// The delivery figures of one node (or of several merged), against what was owed to them.
json::object tally_summary(const DeliveryTally& t, std::uint64_t members, std::uint64_t expected, double window_s) {
  return json::object{{"members", members},
                      {"deliveries", t.deliveries},
                      {"deliveries_per_s", std::round(static_cast<double>(t.window_deliveries) / window_s)},
                      {"expected_deliveries", expected},
                      {"unique_deliveries", t.unique},
                      {"lost", expected > t.unique ? expected - t.unique : 0},
                      {"duplicated", t.duplicated},
                      {"reordered_per_sender", t.reordered},
                      {"seq_backwards", t.seq_backwards},
                      {"seq_skipped", t.seq_skipped},
                      {"misrouted", t.misrouted},
                      {"latency_ms", t.latency.summary_ms()}};
}

}  // namespace

Coordinator::~Coordinator() { stop_workers(); }

void Coordinator::log(const char* fmt, ...) const {
  if (options_.quiet) return;
  std::va_list args;
  va_start(args, fmt);
  std::fprintf(stderr, "loadgen %s/%s: ", options_.scenario.c_str(), target_name(options_.target));
  std::vfprintf(stderr, fmt, args);
  std::fputc('\n', stderr);
  va_end(args);
}

bool Coordinator::spawn() {
  std::fflush(nullptr);  // no buffered output duplicated into the children
  for (int w = 0; w < options_.procs; ++w) {
    int command[2], report[2];
    if (pipe2(command, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0) return false;
    const int pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
      // The child keeps only its own two pipe ends.
      for (const Child& c : children_) {
        ::close(c.command_fd);
        ::close(c.report_fd);
      }
      ::close(command[1]);
      ::close(report[0]);
      int code = 0;
      {
        Worker worker(options_, plan_, w, command[0], report[1]);
        code = worker.run();
      }
      std::fflush(nullptr);
      _exit(code);
    }
    ::close(command[0]);
    ::close(report[1]);
    children_.push_back(Child{pid, command[1], report[0], {}});
  }
  return true;
}

void Coordinator::broadcast(std::string_view line) {
  std::string data(line);
  data.push_back('\n');
  for (const Child& c : children_) {
    if (c.command_fd >= 0 && ::write(c.command_fd, data.data(), data.size()) < 0) {
      log("worker %d: command pipe: %s", c.pid, std::strerror(errno));
    }
  }
}

bool Coordinator::collect(std::string_view type, std::vector<json::value>& reports, std::uint64_t deadline_ns) {
  reports.assign(children_.size(), json::value());
  std::size_t have = 0;
  while (have < children_.size()) {
    const std::uint64_t now = now_ns();
    if (now >= deadline_ns) return false;
    std::vector<pollfd> fds;
    for (const Child& c : children_) fds.push_back(pollfd{c.report_fd, POLLIN, 0});
    const int timeout_ms = static_cast<int>(std::min<std::uint64_t>((deadline_ns - now) / kNsPerMs + 1, 1000));
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) return false;
    for (std::size_t i = 0; i < children_.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP)) == 0) continue;
      char buf[65536];
      const ssize_t n = ::read(children_[i].report_fd, buf, sizeof buf);
      if (n <= 0) {
        if (reports[i].is_null()) {
          log("worker %zu ended before its %.*s report", i, static_cast<int>(type.size()), type.data());
          return false;
        }
        continue;
      }
      std::string& b = children_[i].buffer;
      b.append(buf, static_cast<std::size_t>(n));
      for (std::size_t nl; (nl = b.find('\n')) != std::string::npos;) {
        json::value v = json::parse(std::string_view(b).substr(0, nl));
        b.erase(0, nl + 1);
        if (reports[i].is_null() && v.at("type").as_string() == type) {
          reports[i] = std::move(v);
          ++have;
        }
      }
    }
  }
  return true;
}

void Coordinator::stop_workers() {
  if (children_.empty()) return;
  broadcast("quit");
  const std::uint64_t deadline = now_ns() + 10 * kNsPerSec;
  for (Child& c : children_) {
    int status = 0;
    while (waitpid(c.pid, &status, WNOHANG) == 0) {
      if (now_ns() > deadline) {
        ::kill(c.pid, SIGKILL);
        waitpid(c.pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::close(c.command_fd);
    ::close(c.report_fd);
  }
  children_.clear();
}

json::object Coordinator::connect_summary(const std::vector<json::value>& ready) const {
  std::uint64_t sockets = 0, connected = 0, t_start = ~0ull, t_last = 0;
  double cpu = 0;
  json::object failures;
  for (const json::value& r : ready) {
    sockets += u64(r, "sockets");
    connected += u64(r, "connected");
    t_start = std::min(t_start, u64(r, "t_start_ns"));
    t_last = std::max(t_last, u64(r, "t_last_ns"));
    cpu += dbl(r, "cpu_s");
    add_counts(failures, r.at("failures"));
  }
  const double seconds = t_last > t_start ? ns_to_seconds(t_last - t_start) : 0;
  json::object o{{"sockets", sockets},
                 {"connected", connected},
                 {"failures", std::move(failures)},
                 {"seconds", round3(seconds)},
                 {"handshakes_per_s", seconds > 0 ? std::round(static_cast<double>(connected) / seconds) : 0.0},
                 {"handshake_ms", merged(ready, "handshake").summary_ms()},
                 {"generator_cpu_s", round3(cpu)}};
  if (options_.join) o["join_ms"] = merged(ready, "join").summary_ms();
  return o;
}

json::object Coordinator::traffic_summary(const std::vector<json::value>& done, double window_s) const {
  std::uint64_t sent = 0, skipped = 0, acked_ok = 0, ack_errors = 0, unacked = 0, window_acks = 0;
  std::uint64_t deliveries = 0, window_deliveries = 0, unique = 0, duplicated = 0, reordered = 0;
  std::uint64_t misrouted = 0, other = 0, untracked = 0, seq_backwards = 0, seq_skipped = 0;
  std::uint64_t reads = 0, frames = 0;
  double cpu = 0;
  std::string first_error;
  json::object dropped;
  std::vector<std::uint64_t> room_base(plan_.room_ids.size(), 0);
  for (const json::value& r : done) {
    sent += u64(r, "sent");
    skipped += u64(r, "skipped");
    acked_ok += u64(r, "acked_ok");
    ack_errors += u64(r, "ack_errors");
    unacked += u64(r, "unacked");
    window_acks += u64(r, "window_acks");
    deliveries += u64(r, "deliveries");
    window_deliveries += u64(r, "window_deliveries");
    unique += u64(r, "unique");
    duplicated += u64(r, "duplicated");
    reordered += u64(r, "reordered");
    misrouted += u64(r, "misrouted");
    other += u64(r, "other_events");
    untracked += u64(r, "untracked");
    seq_backwards += u64(r, "seq_backwards");
    seq_skipped += u64(r, "seq_skipped");
    reads += u64(r, "window_reads");
    frames += u64(r, "window_frames");
    cpu += dbl(r, "cpu_s");
    add_counts(dropped, r.at("dropped"));
    if (first_error.empty()) first_error = std::string(r.at("first_ack_error").as_string());
    // A message the server acknowledged (or, without acks, was sent) is owed to every
    // connected member of its room.
    const json::array& base = r.at(options_.use_ack ? "room_acked" : "room_sent").as_array();
    for (std::size_t i = 0; i < base.size() && i < room_base.size(); ++i) room_base[i] += base[i].to_number<std::uint64_t>();
  }
  std::uint64_t expected = 0;
  for (std::size_t i = 0; i < room_base.size(); ++i) expected += room_base[i] * room_members_[i];
  const double offered = options_.rate > 0 ? options_.rate * options_.senders * static_cast<double>(plan_.room_ids.size()) : 0;
  json::object o{{"window_s", window_s},
                 {"offered_msgs_per_s", offered},
                 {"offered_deliveries_per_s", offered * options_.members},
                 {"sent", sent},
                 {"skipped_window_full", skipped},
                 {"acked_ok", acked_ok},
                 {"ack_errors", ack_errors},
                 {"unacked", unacked},
                 {"acked_per_s", std::round(static_cast<double>(window_acks) / window_s)},
                 {"deliveries", deliveries},
                 {"deliveries_per_s", std::round(static_cast<double>(window_deliveries) / window_s)},
                 {"expected_deliveries", expected},
                 {"unique_deliveries", unique},
                 {"lost", expected > unique ? expected - unique : 0},
                 {"duplicated", duplicated},
                 {"reordered_per_sender", reordered},
                 {"seq_backwards", seq_backwards},
                 {"seq_skipped", seq_skipped},
                 {"misrouted", misrouted},
                 {"untracked", untracked},
                 {"other_events", other},
                 {"sockets_dropped", std::move(dropped)},
                 {"latency_ms", merged(done, "latency").summary_ms()},
                 {"generator_cpu_cores", round3(cpu / window_s)},
                 {"generator_frames_per_read", reads ? round3(static_cast<double>(frames) / static_cast<double>(reads)) : 0.0}};
  if (options_.use_ack) o["ack_latency_ms"] = merged(done, "ack_latency").summary_ms();
  if (!first_error.empty()) o["first_ack_error"] = first_error;
  if (cross_node(options_)) add_node_summaries(o, done, room_base, window_s);
  return o;
}

void Coordinator::add_sampled(json::object& server, const std::vector<double>& cpu0, const std::vector<double>& cpu1,
                              double server_cpu_s, double window_s, double deliveries_per_s) const {
  json::array sampled;
  bool complete = server_cpu_s >= 0;
  double total_cpu_s = complete ? server_cpu_s : 0;
  for (std::size_t i = 0; i < options_.sample_pids.size(); ++i) {
    const int p = options_.sample_pids[i];
    // A process that went away reads -1: its CPU is unknown, not zero.
    const bool known = cpu0[i] >= 0 && cpu1[i] >= 0;
    json::object s{{"pid", p}, {"rss_after_kib", rss_kib(p)}};
    if (known) {
      s["cpu_cores"] = round3((cpu1[i] - cpu0[i]) / window_s);
      total_cpu_s += cpu1[i] - cpu0[i];
    } else {
      complete = false;
    }
    sampled.push_back(std::move(s));
  }
  server["sampled"] = std::move(sampled);
  // A sum with a process missing would understate the cost: then there is none.
  if (!complete) {
    server["sampled_cpu_incomplete"] = true;
    return;
  }
  server["sampled_cpu_cores"] = round3(total_cpu_s / window_s);
  if (deliveries_per_s > 0) {
    server["cpu_us_per_delivery"] = round3(total_cpu_s / window_s / deliveries_per_s * 1e6);
  }
}

void Coordinator::add_node_summaries(json::object& traffic, const std::vector<json::value>& done,
                                     const std::vector<std::uint64_t>& room_base, double window_s) const {
  const std::size_t nodes = options_.nodes.size();
  std::vector<DeliveryTally> tallies(nodes);
  for (const json::value& r : done) {
    const json::array& by_node = r.at("by_node").as_array();
    for (std::size_t n = 0; n < nodes && n < by_node.size(); ++n) tallies[n].merge(DeliveryTally::from_json(by_node[n]));
  }
  json::array summaries;
  DeliveryTally receivers;
  std::uint64_t receiver_members = 0, receiver_expected = 0;
  for (std::size_t n = 0; n < nodes; ++n) {
    std::uint64_t members = 0, expected = 0;
    const std::vector<std::uint64_t>& per_room = room_members_by_node_[n];
    for (std::size_t i = 0; i < room_base.size() && i < per_room.size(); ++i) {
      members += per_room[i];
      expected += room_base[i] * per_room[i];
    }
    json::object s = tally_summary(tallies[n], members, expected, window_s);
    s.emplace("server", options_.nodes[n].text());
    s.emplace("role", n == 0 ? "send" : "receive");
    summaries.push_back(std::move(s));
    if (n == 0) continue;
    receivers.merge(tallies[n]);
    receiver_members += members;
    receiver_expected += expected;
  }
  traffic["by_node"] = std::move(summaries);
  traffic["cross_node"] = tally_summary(receivers, receiver_members, receiver_expected, window_s);
}

bool Coordinator::run(json::object& result) {
  const int pid = options_.server_pid;
  json::object server{{"pid", pid}};
  const std::uint64_t rss_before = rss_kib(pid);
  server["rss_before_kib"] = rss_before;
  if (!spawn()) {
    log("fork failed: %s", std::strerror(errno));
    return false;
  }

  // Connect phase: all workers at once.
  log("connecting %d sockets with %d worker(s)", options_.connections, options_.procs);
  const double cpu0 = process_cpu_seconds(pid);
  const std::uint64_t t_connect = now_ns();
  broadcast("connect");
  std::vector<json::value> ready;
  const auto connect_budget = static_cast<std::uint64_t>((options_.connect_timeout_s + 10) * 1e9);
  if (!collect("ready", ready, t_connect + connect_budget)) return false;
  json::object connect = connect_summary(ready);
  const double connect_seconds = connect.at("seconds").to_number<double>();
  const double cpu1 = process_cpu_seconds(pid);
  if (pid > 0 && connect_seconds > 0) server["connect_cpu_cores"] = round3((cpu1 - cpu0) / connect_seconds);
  room_members_.assign(plan_.room_ids.size(), 0);
  room_members_by_node_.assign(options_.nodes.size(), std::vector<std::uint64_t>(plan_.room_ids.size(), 0));
  for (const json::value& r : ready) {
    const json::array& m = r.at("room_members").as_array();
    for (std::size_t i = 0; i < m.size() && i < room_members_.size(); ++i) room_members_[i] += m[i].to_number<std::uint64_t>();
    if (!cross_node(options_)) continue;
    const json::array& by_node = r.at("room_members_by_node").as_array();
    for (std::size_t n = 0; n < by_node.size() && n < room_members_by_node_.size(); ++n) {
      const json::array& per_room = by_node[n].as_array();
      for (std::size_t i = 0; i < per_room.size() && i < plan_.room_ids.size(); ++i) {
        room_members_by_node_[n][i] += per_room[i].to_number<std::uint64_t>();
      }
    }
  }
  const std::uint64_t connected = connect.at("connected").to_number<std::uint64_t>();
  log("%llu of %llu up in %.2f s (%.0f handshakes/s)", static_cast<unsigned long long>(connected),
      static_cast<unsigned long long>(connect.at("sockets").to_number<std::uint64_t>()), connect_seconds,
      connect.at("handshakes_per_s").to_number<double>());
  result["connect"] = std::move(connect);

  if (options_.scenario == "idle" || options_.scenario == "storm") {
    // Let the server finish whatever the handshakes left (timers, allocator caches):
    // RSS right after the storm, then after the settle time, is what an operator sees.
    if (options_.scenario == "idle") {
      server["rss_connected_kib"] = rss_kib(pid);
      std::this_thread::sleep_for(std::chrono::duration<double>(options_.settle_s));
      server["settle_s"] = options_.settle_s;
    }
    const std::uint64_t rss_after = rss_kib(pid);
    server["rss_after_kib"] = rss_after;
    if (pid > 0 && connected > 0 && rss_after >= rss_before) {
      server["rss_per_connection_bytes"] = std::round(static_cast<double>(rss_after - rss_before) * 1024.0 /
                                                      static_cast<double>(connected));
    }
  } else {
    const std::uint64_t t_go = now_ns() + 200 * kNsPerMs;
    const std::uint64_t t_measure = t_go + static_cast<std::uint64_t>(options_.warmup_s * 1e9);
    const std::uint64_t t_end = t_measure + static_cast<std::uint64_t>(options_.duration_s * 1e9);
    broadcast("go " + std::to_string(t_go) + " " + std::to_string(t_measure) + " " + std::to_string(t_end));
    log("sending for %.1f s (+%.1f s warm-up)", options_.duration_s, options_.warmup_s);
    sleep_until(t_measure);
    std::vector<double> sampled0;
    for (int p : options_.sample_pids) sampled0.push_back(process_cpu_seconds(p));
    const double s0 = process_cpu_seconds(pid);
    const MachineTimes m0 = machine_times();
    const MetricSample metrics0 = scrape_realtime_metrics(options_);
    sleep_until(t_end);
    const double s1 = process_cpu_seconds(pid);
    std::vector<double> sampled1;
    for (int p : options_.sample_pids) sampled1.push_back(process_cpu_seconds(p));
    const MachineTimes m1 = machine_times();
    const MetricSample metrics1 = scrape_realtime_metrics(options_);
    if (!metrics1.empty()) server["realtime_metrics"] = metric_deltas(metrics0, metrics1);
    const double window_s = ns_to_seconds(t_end - t_measure);
    // A server that exited during the window reads -1: its CPU is unknown, not negative.
    const bool server_cpu_known = pid > 0 && s0 >= 0 && s1 >= 0;
    if (server_cpu_known) server["cpu_cores"] = round3((s1 - s0) / window_s);
    result["machine_busy_cores"] = round3((m1.busy_s - m0.busy_s) / window_s);
    server["rss_after_kib"] = rss_kib(pid);
    std::vector<json::value> done;
    const auto drain_budget = static_cast<std::uint64_t>((options_.drain_s + 15) * 1e9);
    if (!collect("done", done, t_end + drain_budget)) return false;
    json::object traffic = traffic_summary(done, window_s);
    if (!options_.sample_pids.empty()) {
      add_sampled(server, sampled0, sampled1, pid <= 0 ? 0 : server_cpu_known ? s1 - s0 : -1, window_s,
                  traffic.at("deliveries_per_s").to_number<double>());
    }
    log("%.0f deliveries/s, %.0f acked/s, p99 %.3f ms, lost %llu, duplicated %llu",
        traffic.at("deliveries_per_s").to_number<double>(), traffic.at("acked_per_s").to_number<double>(),
        traffic.at("latency_ms").at("p99_ms").to_number<double>(),
        static_cast<unsigned long long>(traffic.at("lost").to_number<std::uint64_t>()),
        static_cast<unsigned long long>(traffic.at("duplicated").to_number<std::uint64_t>()));
    if (const json::value* x = traffic.if_contains("cross_node")) {
      log("across nodes: %.0f deliveries/s on the receiving nodes, p50 %.3f ms, p99 %.3f ms, lost %llu, duplicated %llu",
          x->at("deliveries_per_s").to_number<double>(), x->at("latency_ms").at("p50_ms").to_number<double>(),
          x->at("latency_ms").at("p99_ms").to_number<double>(),
          static_cast<unsigned long long>(x->at("lost").to_number<std::uint64_t>()),
          static_cast<unsigned long long>(x->at("duplicated").to_number<std::uint64_t>()));
    }
    result["traffic"] = std::move(traffic);
  }
  server["peak_rss_kib"] = peak_rss_kib(pid);
  server["threads"] = process_threads(pid);
  result["server"] = std::move(server);
  stop_workers();
  return true;
}

}  // namespace parley::bench
