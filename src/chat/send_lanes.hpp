#pragma once
// SendLanes: a node's sends reach the store in the order they arrived, per
// conversation.
//
// Between a socket's `new_message` and the store's append there are steps
// that may finish out of order: the rate limiter may answer from another
// thread (a networked limiter), and a member list that is not cached is
// loaded on a worker while the next send of the same socket finds it cached.
// Without a lane a user who sends "a" then "b" quickly could see them stored
// (and shown to everyone) as "b", "a". The store keeps the order in which
// appends are submitted (store.hpp), so this class restores the arrival order
// before submission.
//
// The rule, per conversation: enter() hands out places in arrival order;
// pass() says that the send at a place is ready (`submit`, which appends) or
// has left (an empty `submit`: refused, failed). A send is submitted when
// every earlier place of its lane was submitted or left. One thread at a time
// runs a lane's submissions, in order, outside the lock: the one whose pass()
// made the head ready. An empty lane is forgotten, so state is bounded by the
// sends in flight.
//
// Thread-safety: enter() and pass() from any thread, concurrently (sharded
// mutexes). A lane's order is the order of its enter() calls: call it where
// the send arrives (a socket's events are read one after another on its IO
// thread). `submit` must not block; it may run on the thread of a later pass().

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>

#include "common/ids.hpp"

namespace parley::chat {

class SendLanes {
 public:
  using Place = std::uint64_t;
  using Submit = std::function<void()>;

  Place enter(Id conversation);
  // REQUIRES: `place` came from enter(conversation) and was not passed yet.
  void pass(Id conversation, Place place, Submit submit);

  // Conversations with sends in flight (tests, metrics).
  std::size_t busy() const;

 private:
  struct Lane {
    Place next_place = 0;                // handed out by enter()
    Place next_to_go = 0;                // the head: every lower place has gone
    std::map<Place, Submit> ready;       // passed, waiting for the head
    bool draining = false;               // a thread is running this lane's submissions
  };
  static constexpr std::size_t kShards = 64;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<Id, Lane> lanes;  // GUARDED_BY(mutex)
  };
  Shard& shard(Id conversation) { return shards_[static_cast<std::uint64_t>(conversation) % kShards]; }

  Shard shards_[kShards];
};

}  // namespace parley::chat
