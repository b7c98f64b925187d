#include "chat/delivery_sequencer.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace parley::chat {

DeliverySequencer::DeliverySequencer(Release release, std::size_t max_entries)
    : release_(std::move(release)), max_per_shard_(std::max<std::size_t>(1, max_entries / kShards)) {}

void DeliverySequencer::begin(Id conversation) {
  auto& s = shard(conversation);
  std::lock_guard lock(s.mutex);
  auto it = s.states.find(conversation);
  if (it == s.states.end()) {
    if (s.states.size() >= max_per_shard_) std::erase_if(s.states, [](const auto& entry) { return entry.second.idle(); });
    it = s.states.try_emplace(conversation).first;
  }
  ++it->second.in_flight;
}

void DeliverySequencer::collect(State& state) {
  auto& held = state.held;
  if (state.last_released) {
    while (!held.empty() && held.begin()->first <= *state.last_released + 1) {
      // Below or at the last released seq can only be a seq released before
      // (a bug elsewhere): it goes out at once rather than never.
      const store::Seq seq = held.begin()->first;
      if (seq > *state.last_released) state.last_released = seq;
      state.ready.push_back(std::move(held.begin()->second));
      held.erase(held.begin());
    }
  }
  if (state.in_flight == 0 && !held.empty()) {
    for (auto& [seq, completion] : held) state.ready.push_back(std::move(completion));
    const store::Seq highest = held.rbegin()->first;
    if (!state.last_released || highest > *state.last_released) state.last_released = highest;
    held.clear();
  }
}

void DeliverySequencer::complete(Id conversation, std::optional<Completion> completion) {
  auto& s = shard(conversation);
  std::unique_lock lock(s.mutex);
  auto it = s.states.find(conversation);
  assert(it != s.states.end() && it->second.in_flight > 0);
  if (it == s.states.end()) it = s.states.try_emplace(conversation).first;
  State& state = it->second;
  if (state.in_flight > 0) --state.in_flight;
  if (completion) {
    assert(completion->delivery.seq > 0);
    const store::Seq seq = completion->delivery.seq;
    if (state.held.empty() && state.last_released && seq == *state.last_released + 1) {
      // The common case (a backend that completes in commit order): straight out.
      state.last_released = seq;
      state.ready.push_back(std::move(*completion));
    } else {
      state.held.insert_or_assign(seq, std::move(*completion));
    }
  }
  collect(state);
  // Another thread releasing this conversation takes what was just made ready.
  if (!state.draining && !state.ready.empty()) {
    state.draining = true;
    while (!state.ready.empty()) {
      std::deque<Completion> batch;
      batch.swap(state.ready);
      lock.unlock();
      for (auto& item : batch) {
        release_(std::move(item.delivery));
        if (item.after) item.after();
      }
      lock.lock();
    }
    state.draining = false;
  }
  // `state` stayed valid across the unlocks above: only begin() erases
  // entries, under the lock, and only idle ones (never one being drained).
}

std::size_t DeliverySequencer::busy() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const auto& [id, state] : s.states) n += state.idle() ? 0 : 1;
  }
  return n;
}

std::size_t DeliverySequencer::tracked() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += s.states.size();
  }
  return n;
}

}  // namespace parley::chat
