#pragma once
// Live: the chat operations of real-time connections, for the protocol
// adapter (realtime/chat_gateway.hpp) to call. Every chat decision of a
// connection is made here: who may connect and join, sending (through
// Messages, rate limited there like REST sends), read receipts (throttled
// there), typing (TypingService), presence and its user_status announcements
// to contacts (PresenceService). Everything other connections must hear goes
// out as a Delivery on the bus; the adapter keeps only socket and room
// bookkeeping.
//
// Non-blocking: every method returns at once and may be called on an IO
// thread. What needs the store runs on the worker pool (Offload), and answers
// through the `done` callbacks, which run on whatever thread finished the work
// (the adapter posts to the socket's thread itself).
//
// It also runs the clocks of the real-time features on a thread of its own:
// typing expiry (stop_typing) and the presence grace period (user_status).
// In cluster mode the sweep also announces what the services decided across
// nodes in the background (take_came_online(), take_started()): at most one
// sweep interval late.
//
// Thread-safety: every method from any thread, concurrently; start(), stop()
// and the destructor from the thread that owns the Live (never from the sweep
// thread or a callback: they join it). Ownership: borrows the services and the
// bus; owns the sweep thread (stopped by stop() or the destructor). Offloaded
// jobs capture `this`: destroy the Live only after the worker pool is joined.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "chat/accounts.hpp"
#include "chat/conversations.hpp"
#include "chat/messages.hpp"
#include "chat/offload.hpp"
#include "cluster/bus.hpp"
#include "cluster/presence.hpp"
#include "cluster/typing.hpp"
#include "store/store.hpp"

namespace parley::chat {

struct LiveOptions {
  std::chrono::milliseconds presence_grace{10'000};
  std::chrono::milliseconds sweep_interval{250};
};

struct LiveDeps {
  Accounts* accounts = nullptr;
  Conversations* conversations = nullptr;
  Messages* messages = nullptr;
  cluster::PresenceService* presence = nullptr;
  cluster::TypingService* typing = nullptr;
  cluster::Bus* bus = nullptr;
  store::Store* store = nullptr;  // contacts and lastSeenAt, for presence announcements
  Offload offload;
};

class Live {
 public:
  template <class T>
  using Done = std::function<void(Result<T>)>;

  Live(LiveDeps deps, LiveOptions options);
  ~Live();
  Live(const Live&) = delete;
  Live& operator=(const Live&) = delete;

  // Starts the sweep thread. Stops it; idempotent.
  void start();
  void stop();

  // ---- connections
  // The user behind a valid token of a user this process knows, without the
  // store; nullopt when that needs the store (then authenticate()).
  std::optional<Id> authenticate_in_memory(std::string_view token) const;
  // unauthorized for a bad token or an unknown user; unavailable when the store
  // cannot answer.
  void authenticate(std::string token, Done<Id> done);
  // A connection of `user` opened / closed. The first connection announces the
  // user online to their contacts; offline follows the grace period after the
  // last one closed.
  void connected(Id user);
  void disconnected(Id user);

  // ---- conversations
  // The conversation's id if `user` is a member (the adapter then joins the
  // connection to its room); not_found otherwise.
  void join(Id user, std::string conversation_id, Done<Id> done);
  // The connection `origin` left the conversation's room: ends the user's
  // typing there.
  void left(Id user, Id conversation, std::string origin);
  // typing / stop_typing from the connection `origin` (which does not hear it).
  // REQUIRES: the connection joined the conversation (the adapter checks).
  void typing(Id user, Id conversation, bool on, std::string origin);
  // Messages::send_async, and on success the sender's typing there ends.
  void send(Id user, SendInput input, Messages::SendDone done);
  void mark_read(Id user, std::string conversation_id, std::string message_id, Done<store::ReadState> done);
  // ---- conversation features (docs/features.md), each on a worker. The
  // answers come rendered (views.hpp), ready for the ack.
  // edit_message: Messages::edit; the message as it is now (message_json).
  void edit(Id user, std::string message_id, std::string body, Done<std::string> done);
  // add_reaction (on) / remove_reaction: Messages::react; the message's
  // reactions (reactions_json), changed or not.
  void react(Id user, std::string message_id, std::string emoji, bool on, Done<std::string> done);

  // One round of the clocks (the sweep thread calls it; tests call it directly).
  void sweep();

 private:
  void announce_typing(Id user, Id conversation, bool on, std::string except);
  // Queues a user_status announcement; one worker job drains the queue, so a
  // connect storm costs one worker wake-up per batch, not one per connection.
  void queue_presence(Id user, bool online);
  void drain_presence();
  void announce_presence(Id user, bool online);

  LiveDeps deps_;
  LiveOptions options_;

  std::mutex presence_mutex_;
  std::vector<std::pair<Id, bool>> presence_queue_;  // GUARDED_BY(presence_mutex_)
  bool presence_draining_ = false;                   // GUARDED_BY(presence_mutex_): a drain job is queued or running

  std::mutex sweep_mutex_;
  std::condition_variable sweep_cv_;
  bool stopping_ = false;  // GUARDED_BY(sweep_mutex_)
  std::thread sweeper_;
};

}  // namespace parley::chat
