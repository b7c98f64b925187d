#pragma once
// Rooms of one namespace on one IO thread, and the cross-thread filter that tells a
// broadcaster which threads may hold members of a set of rooms.
//
// RoomIndex: room name → members, member → rooms, both with O(1) removal (each side
// stores its index in the other), plus the list of every member (broadcast to all).
// collect() gathers the members of several rooms once each (a per-index epoch marks the
// members already taken), optionally excluding one.
//
// RoomPresence: per thread, a row of counters over hashed room names: a thread's row is
// written by that thread only (when a room appears or disappears there) and read by any
// thread with relaxed atomics, so a broadcast posts only to threads that may have
// recipients, with no lock. A hash collision only costs a useless post.
//
// Thread-safety: a RoomIndex and its members belong to one IO thread. RoomPresence:
// add/remove from the thread of the row, maybe_present from any thread.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace parley::socketio {

class RoomIndex;
struct Room;

// A member of rooms (a Socket): carries its side of the index.
class RoomMember {
 public:
  RoomMember() = default;
  RoomMember(const RoomMember&) = delete;
  RoomMember& operator=(const RoomMember&) = delete;

  std::size_t room_count() const noexcept { return memberships_.size(); }
  // The names of the rooms joined, in no particular order.
  std::vector<std::string_view> room_names() const;

 protected:
  ~RoomMember() = default;

 private:
  friend class RoomIndex;
  struct Membership {
    Room* room;
    std::uint32_t slot;  // index in room->members
  };
  std::vector<Membership> memberships_;
  std::uint64_t mark_ = 0;                      // RoomIndex epoch of the last collect() that took it
  std::uint32_t all_slot_ = UINT32_MAX;         // index in RoomIndex::all_ (UINT32_MAX: not added)
};

class RoomPresence {
 public:
  explicit RoomPresence(std::size_t threads, std::size_t buckets = 4096);
  void add(std::size_t thread, std::string_view room) noexcept;
  void remove(std::size_t thread, std::string_view room) noexcept;
  // False only when no room of `rooms` exists on `thread`.
  bool maybe_present(std::size_t thread, std::span<const std::string> rooms) const noexcept;

 private:
  std::size_t bucket(std::string_view room) const noexcept;
  std::size_t threads_;
  std::size_t buckets_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> counts_;  // threads_ rows of buckets_
};

struct Room {
  struct Entry {
    RoomMember* member;
    std::uint32_t membership;  // index in member->memberships_
  };
  std::string name;
  std::vector<Entry> members;
};

class RoomIndex {
 public:
  // `presence` (optional) is told when a room appears and disappears on `thread`.
  explicit RoomIndex(RoomPresence* presence = nullptr, std::size_t thread = 0)
      : presence_(presence), thread_(thread) {}
  ~RoomIndex();
  RoomIndex(const RoomIndex&) = delete;
  RoomIndex& operator=(const RoomIndex&) = delete;

  // The list of every member (for broadcasts to the whole namespace).
  void add(RoomMember& member);
  // Leaves every room and the list of members.
  void remove(RoomMember& member);

  enum class JoinResult { joined, already_member, limit_reached };
  JoinResult join(RoomMember& member, std::string_view room, std::size_t max_rooms);
  // False when the member was not in the room.
  bool leave(RoomMember& member, std::string_view room);
  void leave_all(RoomMember& member);
  bool contains(const RoomMember& member, std::string_view room) const;

  // Appends to `out` each member of any of `rooms` once, skipping `except` (may be null).
  void collect(std::span<const std::string> rooms, const RoomMember* except, std::vector<RoomMember*>& out);
  // Appends every member except `except`.
  void collect_all(const RoomMember* except, std::vector<RoomMember*>& out) const;

  std::size_t room_count() const noexcept { return rooms_.size(); }
  std::size_t member_count() const noexcept { return all_.size(); }
  std::size_t room_size(std::string_view room) const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  void remove_membership(RoomMember& member, std::size_t membership_index);

  RoomPresence* presence_;
  std::size_t thread_;
  std::unordered_map<std::string, std::unique_ptr<Room>, Hash, std::equal_to<>> rooms_;
  std::vector<RoomMember*> all_;
  std::uint64_t epoch_ = 0;
};

}  // namespace parley::socketio
