// Rooms: membership both ways with O(1) removal, set broadcasts reaching each member once,
// the per-socket cap, and the cross-thread presence filter.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "realtime/socketio/room_index.hpp"

namespace parley::socketio {
namespace {

struct Member final : RoomMember {
  int id = 0;
};

std::set<int> ids(const std::vector<RoomMember*>& members) {
  std::set<int> out;
  for (RoomMember* m : members) out.insert(static_cast<Member*>(m)->id);
  return out;
}

TEST(RoomIndex, JoinLeaveAndSetBroadcasts) {
  RoomPresence presence(2);
  RoomIndex index(&presence, 1);
  Member a, b, c;
  a.id = 1, b.id = 2, c.id = 3;
  for (Member* m : {&a, &b, &c}) index.add(*m);
  EXPECT_EQ(index.join(a, "x", 10), RoomIndex::JoinResult::joined);
  EXPECT_EQ(index.join(a, "x", 10), RoomIndex::JoinResult::already_member);
  EXPECT_EQ(index.join(a, "y", 10), RoomIndex::JoinResult::joined);
  EXPECT_EQ(index.join(b, "y", 10), RoomIndex::JoinResult::joined);
  EXPECT_EQ(index.join(c, "z", 10), RoomIndex::JoinResult::joined);
  EXPECT_TRUE(index.contains(a, "y"));
  EXPECT_EQ(index.room_size("y"), 2u);

  const std::vector<std::string> xy{"x", "y", "nope"};
  std::vector<RoomMember*> out;
  index.collect(xy, nullptr, out);
  EXPECT_EQ(out.size(), 2u);  // a is in both rooms: once
  EXPECT_EQ(ids(out), (std::set<int>{1, 2}));
  out.clear();
  index.collect(xy, &a, out);
  EXPECT_EQ(ids(out), (std::set<int>{2}));
  out.clear();
  index.collect_all(&b, out);
  EXPECT_EQ(ids(out), (std::set<int>{1, 3}));

  EXPECT_TRUE(presence.maybe_present(1, xy));
  EXPECT_FALSE(presence.maybe_present(0, xy));
  EXPECT_TRUE(index.leave(a, "x"));
  EXPECT_FALSE(index.leave(a, "x"));
  EXPECT_EQ(index.room_count(), 2u);  // x is gone
  const std::vector<std::string> only_x{"x"};
  EXPECT_FALSE(presence.maybe_present(1, only_x));

  index.remove(a);
  EXPECT_EQ(index.room_size("y"), 1u);
  EXPECT_EQ(index.member_count(), 2u);
  EXPECT_EQ(a.room_count(), 0u);
}

TEST(RoomIndex, PerMemberCap) {
  RoomIndex index;
  Member a;
  index.add(a);
  EXPECT_EQ(index.join(a, "1", 2), RoomIndex::JoinResult::joined);
  EXPECT_EQ(index.join(a, "2", 2), RoomIndex::JoinResult::joined);
  EXPECT_EQ(index.join(a, "3", 2), RoomIndex::JoinResult::limit_reached);
  EXPECT_EQ(index.join(a, "2", 2), RoomIndex::JoinResult::already_member);
  index.remove(a);
}

TEST(RoomIndex, RandomOperationsMatchAModel) {
  std::mt19937 rng(42);
  RoomPresence presence(1, 64);
  RoomIndex index(&presence, 0);
  std::vector<Member> members(40);
  for (int i = 0; i < 40; ++i) {
    members[i].id = i;
    index.add(members[i]);
  }
  std::map<std::string, std::set<int>> model;
  for (int step = 0; step < 20000; ++step) {
    const int who = static_cast<int>(rng() % members.size());
    const std::string room = "r" + std::to_string(rng() % 12);
    switch (rng() % 4) {
      case 0:
      case 1:
        index.join(members[who], room, 1000);
        model[room].insert(who);
        break;
      case 2:
        EXPECT_EQ(index.leave(members[who], room), model[room].erase(who) == 1);
        break;
      case 3: {
        const std::vector<std::string> rooms{room, "r" + std::to_string(rng() % 12)};
        std::vector<RoomMember*> out;
        index.collect(rooms, &members[who], out);
        std::set<int> expected;
        for (const auto& r : rooms)
          for (int m : model[r])
            if (m != who) expected.insert(m);
        ASSERT_EQ(out.size(), expected.size());
        ASSERT_EQ(ids(out), expected);
        break;
      }
    }
  }
  for (const auto& [room, set] : model) EXPECT_EQ(index.room_size(room), set.size()) << room;
  for (auto& m : members) index.remove(m);
  EXPECT_EQ(index.room_count(), 0u);
  std::vector<std::string> all;
  for (int r = 0; r < 12; ++r) all.push_back("r" + std::to_string(r));
  EXPECT_FALSE(presence.maybe_present(0, all));
}

}  // namespace
}  // namespace parley::socketio
