#pragma once
// Plan: who connects where, decided once in the coordinator before the workers fork, so
// that every worker inherits the same picture. Socket i belongs to room i / members and
// is sender number (i % members) of that room when that number is below `senders`.
// Across nodes, senders connect to options.nodes[0] and the other sockets to nodes[1..]
// in turn (receiver k to node 1 + k % (nodes - 1)), so each room's receivers are spread
// evenly over the receiving nodes.

#include <cstdint>
#include <string>
#include <vector>

#include "options.hpp"

namespace parley::bench {

struct SocketPlan {
  std::string auth;            // CONNECT payload, JSON text: {"token":"..."}
  std::uint32_t room = 0;
  std::int32_t sender_slot = -1;  // -1: receives only
  std::uint16_t node = 0;         // index in options.nodes
};

struct Plan {
  std::string run_id;                  // makes client message ids and user names unique
  std::vector<std::string> room_ids;   // conversation ids, as the server knows them
  std::vector<SocketPlan> sockets;
  double setup_seconds = 0;            // REST setup time (Parley only)
  std::uint64_t users_registered = 0;
};

// Builds the plan; for Parley this registers the users and creates the conversations
// over REST. Returns false (with a message on stderr) if the server refuses.
bool make_plan(const Options& options, Plan& plan);

}  // namespace parley::bench
