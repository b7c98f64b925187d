#pragma once
// The Bus: the one way anything reaches other connections or other caches.
// Every event for connections (new_message, message_deleted,
// conversation_updated, message_read, typing, stop_typing, user_status) is
// published as a Delivery, and every cache invalidation (history pages, member
// lists, known users) is sent as an Invalidation. A single process uses
// LocalBus (local_bus.hpp); a cluster puts a networked bus behind the same
// interface so that the events and invalidations of one node reach every node
// (docs/architecture.md). Hence payloads are plain serializable values with
// explicit ids: no pointer identity, no callbacks.
//
// Order: a bus delivers the publications of one publishing thread to each
// subscriber in the order they were made. Per-conversation seq order of
// new_message is established before publishing, by chat::DeliverySequencer;
// a networked bus adds gap repair from the store on the receiving side.
//
// Thread-safety: publish() and invalidate() may be called from any thread and
// must not block on the network (a networked bus queues and sends in the
// background). subscribe() only during start-up, before the first publish.
// Ownership: the bus borrows its subscribers, which must outlive its use.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/ids.hpp"
#include "common/trace_context.hpp"

namespace parley::cluster {

struct Delivery {
  enum class Audience : std::uint8_t {
    members,  // every connection of every user in user_ids
    room,     // the connections that joined conversation_id
  };

  std::string event;                           // "new_message", "typing", ...
  std::shared_ptr<const std::string> payload;  // the JSON payload, serialized once; never null
  Audience audience = Audience::members;
  Id conversation_id = 0;                      // the room (Audience::room); 0 for user_status
  std::int64_t seq = 0;                        // the message seq for new_message; 0 if none
  // Audience::members: the recipients. Shared, not copied: one member list
  // serves every message of a conversation until its membership changes.
  std::shared_ptr<const std::vector<Id>> user_ids;
  // The explicit id of user_ids as a list (members_digest() of the sorted ids),
  // so that a receiver can cache per-list work (room names) by value. 0: no
  // such id (an ad hoc list, not to be cached).
  std::uint64_t members_digest = 0;
  // Users who just left the conversation: their connections leave its room.
  std::vector<Id> removed_user_ids;
  // The connection the event came from, which does not get it (typing): an
  // opaque id chosen by the real-time layer; empty for none.
  std::string except_connection;
  // When this node's store committed the message (new_message), for the
  // commit-to-delivery latency on /metrics. Local only: never encoded on a
  // networked bus, so a delivery from another node has none (epoch value).
  std::chrono::steady_clock::time_point committed_at{};
  // The trace of the send that caused it (new_message), for the fan-out's
  // debug log line on every node (the Redis bus carries it as an optional
  // field); all zero for none.
  trace::TraceId trace_id = {};
};

struct Invalidation {
  enum class Cache : std::uint8_t {
    history_pages,  // id: a conversation whose messages changed
    members,        // id: a conversation whose membership changed
    user,           // id: a user who must be read again from the store
  };
  Cache cache = Cache::history_pages;
  Id id = 0;
};

// Members by reference: a networked bus may carry a new_message delivery of
// a conversation without its member list (user_ids null), naming the list by
// members_digest instead: every node can read a conversation's members, and in
// rooms of hundreds the ids are most of the message. A receiver takes the list
// from its member cache when the digests match, and otherwise reads the
// message again from the store (chat/delivery_order.hpp). Only deliveries with
// a conversation, a seq and a digest travel this way.
inline bool members_by_reference(const Delivery& d) {
  return d.audience == Delivery::Audience::members && d.user_ids == nullptr && d.conversation_id != 0 && d.seq > 0 &&
         d.members_digest != 0;
}

// The digest of a member list: a 64-bit hash of the ids in ascending order.
// REQUIRES: `sorted_ids` is sorted ascending. Never 0.
std::uint64_t members_digest(const std::vector<Id>& sorted_ids);

// Receives what is published. A subscriber overrides what it consumes. Calls
// may come from any thread, concurrently: implementations must be thread-safe
// and must not block (post work elsewhere).
class BusSubscriber {
 public:
  virtual ~BusSubscriber() = default;
  virtual void on_delivery(const Delivery&) {}
  virtual void on_invalidation(const Invalidation&) {}
};

class Bus {
 public:
  virtual ~Bus() = default;
  virtual void publish(Delivery delivery) = 0;
  virtual void invalidate(Invalidation invalidation) = 0;
  // REQUIRES: before the first publish() or invalidate().
  virtual void subscribe(BusSubscriber& subscriber) = 0;
};

}  // namespace parley::cluster
