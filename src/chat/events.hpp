#pragma once
// What the chat layer tells the real-time layer: an event name, a JSON payload
// serialized once, and who should get it (DESIGN.md §3):
//   - members: every online connection of the listed users (messages,
//     deletions, conversation changes);
//   - room: the connections that joined the conversation's room (typing,
//     read receipts).
//
// Thread-safety: publish() may be called from any thread; implementations post
// to the IO threads and must not block.

#include <memory>
#include <string>
#include <vector>

#include "common/ids.hpp"

namespace parley::chat {

struct Event {
  enum class Audience { members, room };

  std::string name;                         // "new_message", "message_read", ...
  std::shared_ptr<const std::string> json;  // the payload, serialized once
  Audience audience = Audience::members;
  Id conversation_id = 0;                   // the room, for Audience::room
  std::vector<Id> user_ids;                 // for Audience::members
  // For Audience::members, instead of user_ids: the conversation's cached member
  // list (MemberCache), shared, not copied: the same list object for every
  // message until the membership changes, so a receiver may key its own
  // per-list work (room names) on its identity.
  std::shared_ptr<const std::vector<Id>> members;
  std::vector<Id> removed_user_ids;         // no longer members: their connections leave the room
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void publish(Event event) = 0;
};

// Drops everything: for tools and tests that have no real-time layer.
class NullEventSink final : public EventSink {
 public:
  void publish(Event) override {}
};

}  // namespace parley::chat
