#include "realtime/socketio/room_index.hpp"

#include <algorithm>
#include <cassert>

namespace parley::socketio {

std::vector<std::string_view> RoomMember::room_names() const {
  std::vector<std::string_view> names;
  names.reserve(memberships_.size());
  for (const auto& membership : memberships_) names.emplace_back(membership.room->name);
  return names;
}

// ---- RoomPresence ----

RoomPresence::RoomPresence(std::size_t threads, std::size_t buckets)
    : threads_(std::max<std::size_t>(threads, 1)),
      buckets_(std::max<std::size_t>(buckets, 1)),
      counts_(new std::atomic<std::uint32_t>[threads_ * buckets_]) {
  for (std::size_t i = 0; i < threads_ * buckets_; ++i) counts_[i].store(0, std::memory_order_relaxed);
}

std::size_t RoomPresence::bucket(std::string_view room) const noexcept {
  return std::hash<std::string_view>{}(room) % buckets_;
}

void RoomPresence::add(std::size_t thread, std::string_view room) noexcept {
  auto& count = counts_[thread * buckets_ + bucket(room)];
  count.store(count.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

void RoomPresence::remove(std::size_t thread, std::string_view room) noexcept {
  auto& count = counts_[thread * buckets_ + bucket(room)];
  count.store(count.load(std::memory_order_relaxed) - 1, std::memory_order_release);
}

bool RoomPresence::maybe_present(std::size_t thread, std::span<const std::string> rooms) const noexcept {
  for (const std::string& room : rooms)
    if (counts_[thread * buckets_ + bucket(room)].load(std::memory_order_acquire) != 0) return true;
  return false;
}

// ---- RoomIndex ----

RoomIndex::~RoomIndex() {
  // Members normally leave before the index goes; detach any left so they hold no
  // dangling pointers.
  for (RoomMember* member : all_) {
    member->memberships_.clear();
    member->all_slot_ = UINT32_MAX;
  }
  for (auto& [name, room] : rooms_) {
    for (auto& entry : room->members) entry.member->memberships_.clear();
    if (presence_) presence_->remove(thread_, name);
  }
}

void RoomIndex::add(RoomMember& member) {
  if (member.all_slot_ != UINT32_MAX) return;
  member.all_slot_ = static_cast<std::uint32_t>(all_.size());
  all_.push_back(&member);
}

void RoomIndex::remove(RoomMember& member) {
  leave_all(member);
  if (member.all_slot_ == UINT32_MAX) return;
  const std::uint32_t slot = member.all_slot_;
  RoomMember* last = all_.back();
  all_[slot] = last;
  last->all_slot_ = slot;
  all_.pop_back();
  member.all_slot_ = UINT32_MAX;
}

RoomIndex::JoinResult RoomIndex::join(RoomMember& member, std::string_view room_name, std::size_t max_rooms) {
  if (contains(member, room_name)) return JoinResult::already_member;
  if (member.memberships_.size() >= max_rooms) return JoinResult::limit_reached;
  auto it = rooms_.find(room_name);
  if (it == rooms_.end()) {
    auto room = std::make_unique<Room>();
    room->name = std::string(room_name);
    it = rooms_.emplace(room->name, std::move(room)).first;
    if (presence_) presence_->add(thread_, room_name);
  }
  Room& room = *it->second;
  room.members.push_back({&member, static_cast<std::uint32_t>(member.memberships_.size())});
  member.memberships_.push_back({&room, static_cast<std::uint32_t>(room.members.size() - 1)});
  return JoinResult::joined;
}

void RoomIndex::remove_membership(RoomMember& member, std::size_t index) {
  const RoomMember::Membership membership = member.memberships_[index];
  Room& room = *membership.room;
  // Swap-remove from the room, fixing the moved entry's back pointer.
  const std::uint32_t slot = membership.slot;
  room.members[slot] = room.members.back();
  room.members[slot].member->memberships_[room.members[slot].membership].slot = slot;
  room.members.pop_back();
  // Swap-remove from the member, fixing the moved membership's back pointer.
  member.memberships_[index] = member.memberships_.back();
  member.memberships_.pop_back();
  if (index < member.memberships_.size()) {
    const auto& moved = member.memberships_[index];
    moved.room->members[moved.slot].membership = static_cast<std::uint32_t>(index);
  }
  if (room.members.empty()) {
    if (presence_) presence_->remove(thread_, room.name);
    const auto it = rooms_.find(std::string_view(room.name));
    assert(it != rooms_.end());
    rooms_.erase(it);
  }
}

bool RoomIndex::leave(RoomMember& member, std::string_view room) {
  for (std::size_t i = 0; i < member.memberships_.size(); ++i) {
    if (member.memberships_[i].room->name == room) {
      remove_membership(member, i);
      return true;
    }
  }
  return false;
}

void RoomIndex::leave_all(RoomMember& member) {
  while (!member.memberships_.empty()) remove_membership(member, member.memberships_.size() - 1);
}

bool RoomIndex::contains(const RoomMember& member, std::string_view room) const {
  // A member is in few rooms; a room may have many members: search the member's side.
  return std::any_of(member.memberships_.begin(), member.memberships_.end(),
                     [room](const auto& membership) { return membership.room->name == room; });
}

void RoomIndex::collect(std::span<const std::string> rooms, const RoomMember* except, std::vector<RoomMember*>& out) {
  ++epoch_;
  for (const std::string& name : rooms) {
    const auto it = rooms_.find(std::string_view(name));
    if (it == rooms_.end()) continue;
    for (const auto& entry : it->second->members) {
      RoomMember* member = entry.member;
      if (member->mark_ == epoch_ || member == except) continue;
      member->mark_ = epoch_;
      out.push_back(member);
    }
  }
}

void RoomIndex::collect_all(const RoomMember* except, std::vector<RoomMember*>& out) const {
  out.reserve(out.size() + all_.size());
  for (RoomMember* member : all_)
    if (member != except) out.push_back(member);
}

std::size_t RoomIndex::room_size(std::string_view room) const {
  const auto it = rooms_.find(room);
  return it == rooms_.end() ? 0 : it->second->members.size();
}

}  // namespace parley::socketio
