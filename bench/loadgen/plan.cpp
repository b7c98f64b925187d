#include "plan.hpp"

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <thread>
#include <unistd.h>

#include "clock.hpp"
#include "rest_client.hpp"

namespace parley::bench {

namespace json = boost::json;

namespace {

std::string make_run_id() {
  // Base-36 of the clock: user names and client message ids stay unique when several
  // runs share one server.
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::uint64_t v = now_ns() ^ (static_cast<std::uint64_t>(getpid()) << 40);
  std::string id;
  for (int i = 0; i < 7; ++i, v /= 36) id.push_back(kDigits[v % 36]);
  return id;
}

std::string auth_for(std::string_view token) {
  return json::serialize(json::object{{"token", token}});
}

// Runs fn(i) for i in [0, count) on `threads` threads, each with its own REST client;
// stops early once any call returns false.
template <class Fn>
bool parallel(const Options& o, std::size_t count, Fn fn) {
  std::atomic<bool> ok{true};
  std::vector<std::thread> pool;
  const auto threads = static_cast<std::size_t>(std::max(1, o.setup_threads));
  for (std::size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      RestClient client(o.host, o.port);
      for (std::size_t i = t; i < count && ok.load(std::memory_order_relaxed); i += threads) {
        if (!fn(client, i)) ok = false;
      }
    });
  }
  for (auto& th : pool) th.join();
  return ok;
}

struct User {
  std::string token;
  std::string id;
};

bool register_users(const Options& o, const std::string& run_id, std::vector<User>& users) {
  return parallel(o, users.size(), [&](RestClient& client, std::size_t i) {
    const std::string name = "b" + run_id + "_" + std::to_string(i);
    const std::string body = json::serialize(
        json::object{{"username", name}, {"email", name + "@bench.test"}, {"password", "bench-password"}});
    RestAnswer a = client.post("/api/auth/register", body);
    if (a.status != 201) {
      std::fprintf(stderr, "loadgen: register %s: HTTP %d %s\n", name.c_str(), a.status, a.body.c_str());
      return false;
    }
    const json::value v = json::parse(a.body);
    users[i].token = std::string(v.at("token").as_string());
    users[i].id = std::string(v.at("user").at("id").as_string());
    return true;
  });
}

bool create_rooms(const Options& o, const std::vector<User>& users, std::size_t connected, Plan& plan) {
  const auto members = static_cast<std::size_t>(o.members);
  const auto offline = static_cast<std::size_t>(o.offline_members);
  return parallel(o, plan.room_ids.size(), [&](RestClient& client, std::size_t r) {
    const std::size_t first = r * members;
    const std::size_t last = std::min(first + members, connected);
    json::array ids;
    for (std::size_t i = first + 1; i < last; ++i) ids.push_back(json::string(users[i].id));
    for (std::size_t k = 0; k < offline; ++k) ids.push_back(json::string(users[connected + r * offline + k].id));
    const std::string body = json::serialize(
        json::object{{"type", "group"}, {"memberIds", std::move(ids)}, {"title", "bench room " + std::to_string(r)}});
    RestAnswer a = client.post("/api/conversations", body, users[first].token);
    if (a.status != 201 && a.status != 200) {
      std::fprintf(stderr, "loadgen: create conversation %zu: HTTP %d %s\n", r, a.status, a.body.c_str());
      return false;
    }
    plan.room_ids[r] = std::string(json::parse(a.body).at("conversation").at("id").as_string());
    return true;
  });
}

}  // namespace

bool make_plan(const Options& o, Plan& plan) {
  plan.run_id = make_run_id();
  const auto n = static_cast<std::size_t>(o.connections);
  const auto rooms = static_cast<std::size_t>(o.rooms);
  plan.room_ids.resize(rooms);
  plan.sockets.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    SocketPlan& s = plan.sockets[i];
    s.room = static_cast<std::uint32_t>(i / static_cast<std::size_t>(o.members));
    const auto slot = static_cast<int>(i % static_cast<std::size_t>(o.members));
    s.sender_slot = slot < o.senders ? slot : -1;
  }
  if (o.nodes.size() > 1) {
    const std::size_t receiving_nodes = o.nodes.size() - 1;
    std::size_t receiver = 0;
    for (SocketPlan& s : plan.sockets) {
      s.node = s.sender_slot >= 0 ? 0 : static_cast<std::uint16_t>(1 + receiver++ % receiving_nodes);
    }
  }
  if (o.target != Target::parley) {
    // The peer takes any token as the user id and any string as a room; the run id keeps
    // each run's rooms (and their seq counters) fresh on a server that is reused.
    for (std::size_t r = 0; r < rooms; ++r) plan.room_ids[r] = "room-" + plan.run_id + "-" + std::to_string(r);
    for (std::size_t i = 0; i < n; ++i) plan.sockets[i].auth = auth_for("user" + std::to_string(i));
    return true;
  }
  const std::uint64_t t0 = now_ns();
  std::vector<User> users(n + rooms * static_cast<std::size_t>(o.offline_members));
  if (!register_users(o, plan.run_id, users)) return false;
  // Rooms exist only where sockets join or send (a storm just connects).
  if ((o.join || o.senders > 0) && !create_rooms(o, users, n, plan)) return false;
  for (std::size_t i = 0; i < n; ++i) plan.sockets[i].auth = auth_for(users[i].token);
  plan.users_registered = users.size();
  plan.setup_seconds = ns_to_seconds(now_ns() - t0);
  return true;
}

}  // namespace parley::bench
