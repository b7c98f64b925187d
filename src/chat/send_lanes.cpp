#include "chat/send_lanes.hpp"

#include <cassert>
#include <utility>
#include <vector>

namespace parley::chat {

SendLanes::Place SendLanes::enter(Id conversation) {
  auto& s = shard(conversation);
  std::lock_guard lock(s.mutex);
  return s.lanes[conversation].next_place++;
}

void SendLanes::pass(Id conversation, Place place, Submit submit) {
  auto& s = shard(conversation);
  std::unique_lock lock(s.mutex);
  auto it = s.lanes.find(conversation);
  assert(it != s.lanes.end() && place >= it->second.next_to_go && place < it->second.next_place);
  if (it == s.lanes.end()) {
    // Not entered (a bug elsewhere): go at once rather than never.
    lock.unlock();
    if (submit) submit();
    return;
  }
  Lane& lane = it->second;
  lane.ready.emplace(place, std::move(submit));
  if (lane.draining) return;  // the draining thread takes it when its turn comes
  lane.draining = true;
  for (;;) {
    std::vector<Submit> batch;
    while (!lane.ready.empty() && lane.ready.begin()->first == lane.next_to_go) {
      batch.push_back(std::move(lane.ready.begin()->second));
      lane.ready.erase(lane.ready.begin());
      ++lane.next_to_go;
    }
    if (batch.empty()) break;
    lock.unlock();
    for (auto& go : batch) {
      if (go) go();
    }
    lock.lock();
  }
  lane.draining = false;
  // `lane` (a reference: other threads' inserts may rehash, which moves no
  // element) stayed valid across the unlocks: only this line erases, and only
  // a lane that nobody drains and that has nothing in flight.
  if (lane.next_to_go == lane.next_place) s.lanes.erase(conversation);
}

std::size_t SendLanes::busy() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += s.lanes.size();
  }
  return n;
}

}  // namespace parley::chat
