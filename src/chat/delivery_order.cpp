#include "chat/delivery_order.hpp"

#include <spdlog/spdlog.h>

#include "chat/views.hpp"

namespace parley::chat {

namespace {

// Store reads per repair before giving the worker back (the next gap deadline
// or sweep goes on from there): bounds one job's time after a long outage.
constexpr int kMaxRounds = 20;

cluster::Delivery new_message(const store::MessageRow& row, const MemberList& members) {
  cluster::Delivery d;
  d.event = "new_message";
  d.payload = std::make_shared<const std::string>(message_json(row));
  d.audience = cluster::Delivery::Audience::members;
  d.conversation_id = row.conversation_id;
  d.seq = row.seq;
  d.user_ids = members.ids;
  d.members_digest = members.digest;
  return d;
}

}  // namespace

DeliveryOrder::DeliveryOrder(DeliveryOrderDeps deps, DeliveryOrderOptions options)
    : deps_(std::move(deps)),
      options_(options),
      max_per_shard_(std::max<std::size_t>(1, options.max_conversations / kShards)) {}

DeliveryOrder::~DeliveryOrder() { stop(); }

void DeliveryOrder::on_invalidation(const cluster::Invalidation& invalidation) {
  deps_.downstream->on_invalidation(invalidation);
}

void DeliveryOrder::on_delivery(const cluster::Delivery& incoming) {
  // Only new_message is put in seq order. Any other event (message_updated,
  // reaction_updated, message_deleted, ...) goes on as it comes, even one
  // that carries a seq: ordered here, it would be taken for a duplicate of
  // its message's new_message. A client repairs a lost or late change with
  // the change sequence (docs/features.md).
  if (incoming.event != "new_message") return pass_through(incoming);
  if (incoming.seq <= 0 || incoming.conversation_id == 0) return deps_.downstream->on_delivery(incoming);
  // Members by reference (cluster/bus.hpp): the cached list when it is the one
  // named; else this node's list is stale or absent, and the message is read
  // again from the store (with the list, loaded fresh) by a catch-up repair.
  const cluster::Delivery* delivery = &incoming;
  std::optional<cluster::Delivery> resolved;
  bool unresolved = false;
  if (cluster::members_by_reference(incoming)) {
    auto members = deps_.members->peek(incoming.conversation_id);
    if (members && members->digest == incoming.members_digest) {
      resolved = incoming;
      resolved->user_ids = members->ids;
      delivery = &*resolved;
    } else {
      if (members) deps_.members->invalidate(incoming.conversation_id);
      unresolved = true;
      member_misses_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  Shard& sh = shard(incoming.conversation_id);
  std::lock_guard lock(sh.mutex);
  auto it = sh.states.find(incoming.conversation_id);
  if (it == sh.states.end()) {
    State* state = insert(sh, incoming.conversation_id);
    if (state == nullptr) {  // full of busy entries: untracked
      if (!unresolved) deps_.downstream->on_delivery(*delivery);
      return;
    }
    state->active = SteadyClock::now();
    if (incoming.seq == 1) {  // nothing can come before it
      if (!unresolved) return deliver(*state, *delivery);
      state->catch_up = true;
      return;
    }
    // Settle before taking a base (see the header): a lower seq sent through
    // another node may still be on its way.
    state->settling_lowest = incoming.seq;
    state->settle_deadline = state->active + options_.gap_timeout;
    if (unresolved) {
      state->catch_up = true;
    } else {
      state->held.emplace(incoming.seq, *delivery);
    }
    return;
  }
  State& state = it->second;
  if (incoming.seq <= state.last) {
    duplicates_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  state.active = SteadyClock::now();
  if (state.settling_lowest) state.settling_lowest = std::min(*state.settling_lowest, incoming.seq);
  if (unresolved) {
    // Whatever arrives after it waits (a gap) until the repair has read it.
    state.catch_up = true;
    return;
  }
  if (incoming.seq == state.last + 1) {
    state.settling_lowest.reset();  // seq 1 while settling: the base is known
    deliver(state, *delivery);
    return drain(state);
  }
  if (!state.gap_since && !state.settling_lowest) state.gap_since = state.active;
  if (state.held.size() >= options_.max_held) {
    overflow_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!state.held.emplace(incoming.seq, *delivery).second) duplicates_.fetch_add(1, std::memory_order_relaxed);
}

void DeliveryOrder::pass_through(const cluster::Delivery& incoming) {
  if (!cluster::members_by_reference(incoming)) return deps_.downstream->on_delivery(incoming);
  // Members by reference: the cached list when it is the one named. Otherwise
  // the event is dropped (nothing to repair it from here; the change sequence
  // does, on the client) and the stale list is voided.
  auto members = deps_.members->peek(incoming.conversation_id);
  if (members && members->digest == incoming.members_digest) {
    cluster::Delivery resolved = incoming;
    resolved.user_ids = members->ids;
    return deps_.downstream->on_delivery(resolved);
  }
  if (members) deps_.members->invalidate(incoming.conversation_id);
  member_misses_.fetch_add(1, std::memory_order_relaxed);
}

void DeliveryOrder::settle(State& state) {
  state.last = *state.settling_lowest - 1;
  state.settling_lowest.reset();
  drain(state);
}

DeliveryOrder::State* DeliveryOrder::insert(Shard& sh, Id conversation) {
  if (sh.states.size() >= max_per_shard_) {
    auto victim = sh.states.end();
    for (auto it = sh.states.begin(); it != sh.states.end(); ++it) {
      if (!it->second.held.empty() || it->second.repairing || it->second.catch_up || it->second.settling_lowest) continue;
      if (victim == sh.states.end() || it->second.active < victim->second.active) victim = it;
    }
    if (victim == sh.states.end()) return nullptr;
    sh.states.erase(victim);
  }
  return &sh.states[conversation];
}

void DeliveryOrder::deliver(State& state, const cluster::Delivery& delivery) {
  deps_.downstream->on_delivery(delivery);
  state.last = delivery.seq;
  state.active = SteadyClock::now();
  delivered_.fetch_add(1, std::memory_order_relaxed);
}

void DeliveryOrder::drain(State& state) {
  bool moved = false;
  while (!state.held.empty()) {
    auto first = state.held.begin();
    if (first->first <= state.last) {
      state.held.erase(first);
      continue;
    }
    if (first->first != state.last + 1) break;
    deliver(state, first->second);
    state.held.erase(first);
    moved = true;
  }
  if (state.held.empty()) {
    state.gap_since.reset();
  } else if (moved || !state.gap_since) {
    state.gap_since = SteadyClock::now();  // a new gap: it gets its own wait
  }
}

void DeliveryOrder::on_bus_reconnected() { reconnect_pending_.store(true); }

void DeliveryOrder::start() { timer_ = std::thread([this] { run_timer(); }); }

void DeliveryOrder::stop() {
  std::unique_lock lock(timer_mutex_);
  stopping_ = true;
  stop_flag_.store(true);
  timer_wake_.notify_all();
  if (timer_.joinable()) {
    lock.unlock();
    timer_.join();
    lock.lock();
  }
  jobs_done_.wait(lock, [this] { return jobs_in_flight_ == 0; });
}

void DeliveryOrder::offload(std::function<void()> job) {
  {
    std::lock_guard lock(timer_mutex_);
    if (stopping_) return;
    ++jobs_in_flight_;
  }
  deps_.offload([this, job = std::move(job)] {
    job();
    std::lock_guard lock(timer_mutex_);
    if (--jobs_in_flight_ == 0) jobs_done_.notify_all();
  });
}

void DeliveryOrder::run_timer() {
  auto last_sweep = SteadyClock::now();
  std::unique_lock lock(timer_mutex_);
  while (!stopping_) {
    timer_wake_.wait_for(lock, options_.tick, [this] { return stopping_; });  // a reconnect waits for the next tick
    if (stopping_) break;
    lock.unlock();
    const auto now = SteadyClock::now();
    std::vector<std::pair<Id, bool>> due;  // conversation, read to the newest
    for (auto& sh : shards_) {
      std::lock_guard shard_lock(sh.mutex);
      for (auto& [id, state] : sh.states) {
        if (state.repairing) continue;
        if (state.settling_lowest) {
          if (now < state.settle_deadline) continue;
          settle(state);  // may deliver (under the shard lock, as on_delivery does)
        }
        // A catch-up goes at once: a message is known to be missing.
        const bool gap_due = state.gap_since && now - *state.gap_since >= options_.gap_timeout;
        if (!state.catch_up && !gap_due) continue;
        state.repairing = true;
        due.emplace_back(id, state.catch_up);
        state.catch_up = false;
      }
    }
    for (auto [id, to_newest] : due) offload([this, id, to_newest] { repair(id, to_newest); });
    if (!sweep_running_.load()) {
      const bool down = deps_.bus_connected && !deps_.bus_connected();
      const auto interval = down ? options_.poll_interval : options_.position_check_interval;
      const bool all = reconnect_pending_.exchange(false);
      if (all || now - last_sweep >= interval) {
        last_sweep = now;
        sweep_running_.store(true);
        offload([this, all] {
          sweep(all);
          sweep_running_.store(false);
        });
      }
    }
    lock.lock();
  }
}

void DeliveryOrder::sweep(bool all) {
  const auto now = SteadyClock::now();
  std::vector<Id> ids;
  for (auto& sh : shards_) {
    std::lock_guard lock(sh.mutex);
    for (auto& [id, state] : sh.states) {
      if (state.repairing || state.settling_lowest || (!all && now - state.active > options_.active_window)) continue;
      state.repairing = true;
      ids.push_back(id);
    }
  }
  for (Id id : ids) repair(id, true);
}

void DeliveryOrder::repair(Id conversation, bool to_newest) {
  const bool ok = repair_rounds(conversation, to_newest);
  if (!ok) repair_failures_.fetch_add(1, std::memory_order_relaxed);
  Shard& sh = shard(conversation);
  std::lock_guard lock(sh.mutex);
  auto it = sh.states.find(conversation);
  if (it == sh.states.end()) return;
  it->second.repairing = false;
  // Still a gap (a failed read, or more than kMaxRounds pages): try again after another wait.
  if (!it->second.held.empty()) it->second.gap_since = SteadyClock::now();
}

bool DeliveryOrder::repair_rounds(Id conversation, bool to_newest) {
  Shard& sh = shard(conversation);
  for (int round = 0; round < kMaxRounds && !stop_flag_.load(); ++round) {
    store::Seq after = 0;
    std::optional<store::Seq> before;  // the lowest held seq: the gap is what lies below it
    {
      std::lock_guard lock(sh.mutex);
      auto it = sh.states.find(conversation);
      if (it == sh.states.end()) return true;
      after = it->second.last;
      if (!it->second.held.empty()) before = it->second.held.begin()->first;
    }
    if (!before && !to_newest) return true;
    auto rows = deps_.store->messages(conversation, before, after, options_.repair_page);
    if (!rows) {
      spdlog::debug("delivery repair of conversation {} failed: {}", conversation, rows.error().message);
      return false;
    }
    std::optional<MemberList> members;
    if (!rows->empty()) {
      auto got = deps_.members->get(conversation);
      if (!got) return false;
      members = std::move(*got);
    }
    std::lock_guard lock(sh.mutex);
    auto it = sh.states.find(conversation);
    if (it == sh.states.end()) return true;
    State& state = it->second;
    if (members && members->exists()) {
      for (const auto& row : *rows) {
        if (row.seq <= state.last) continue;  // the bus was quicker
        deliver(state, new_message(row, *members));
        repaired_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    const bool complete = rows->size() < static_cast<std::size_t>(options_.repair_page);
    // The held seq `before` was committed before the read began, hence every
    // lower seq of the conversation too: what a complete read of the gap did
    // not return does not exist, and nothing is left to wait for below it.
    if (complete && before && state.last < *before - 1 && !state.held.empty() && state.held.begin()->first == *before)
      state.last = *before - 1;
    drain(state);
    if (complete && !before) return true;  // read up to the newest
  }
  return true;
}

DeliveryOrderStats DeliveryOrder::stats() const {
  DeliveryOrderStats s;
  s.delivered = delivered_.load(std::memory_order_relaxed);
  s.duplicates = duplicates_.load(std::memory_order_relaxed);
  s.repaired = repaired_.load(std::memory_order_relaxed);
  s.repair_failures = repair_failures_.load(std::memory_order_relaxed);
  s.overflow = overflow_.load(std::memory_order_relaxed);
  s.member_misses = member_misses_.load(std::memory_order_relaxed);
  for (const auto& sh : shards_) {
    std::lock_guard lock(sh.mutex);
    s.tracked += sh.states.size();
  }
  return s;
}

}  // namespace parley::chat
