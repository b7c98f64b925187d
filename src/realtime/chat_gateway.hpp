#pragma once
// The chat protocol adapter on the Socket.IO server (docs/realtime.md). It
// turns client events (join_conversation, leave_conversation, typing,
// stop_typing, new_message, message_read, edit_message, add_reaction,
// remove_reaction) into calls of chat::Live, answers
// their acks, and delivers the bus's deliveries to sockets:
//   - room "u:<userId>": every connection of a user (Audience::members);
//   - room "c:<conversationId>": connections that joined the conversation
//     (Audience::room).
// Every chat decision (membership, limits, typing, presence) is Live's; what
// stays here is socket and room bookkeeping: which rooms a socket joins or
// leaves, and which sockets a delivery reaches.
//
// Thread-safety: handlers run on IO threads and never block (Live offloads
// what reads the store, and its answers come back through Ack /
// ConnectRequest / run_on_socket, which post to the socket's thread).
// on_delivery() may be called from any thread.
// Metrics (optional, metrics/chat_metrics.hpp): messages accepted and their ack
// latency, refusals, auth failures at connect, and, as the namespace's
// broadcast observer, events delivered per type and the commit-to-delivery
// latency of this node's new messages.
// Ownership: borrows the Socket.IO server, Live and the metrics, which outlive it. Destroy
// it on the main thread after the server stopped and the bus has no more
// publishers (acks and deliveries in flight capture `this`).

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "chat/live.hpp"
#include "cluster/bus.hpp"
#include "metrics/chat_metrics.hpp"
#include "realtime/socketio/namespace.hpp"
#include "realtime/socketio/server.hpp"

namespace parley::realtime {

class ChatGateway final : public cluster::BusSubscriber, private socketio::BroadcastObserver {
 public:
  ChatGateway(socketio::Server& io, chat::Live& live, metrics::ChatMetrics* metrics = nullptr);

  // Registers the namespace handlers. REQUIRES: before the server starts.
  void install();

  void on_delivery(const cluster::Delivery& delivery) override;
  // From now on deliveries are dropped: for shutdown, once the IO threads have
  // stopped, while the store completes its last writes.
  void close() { open_.store(false, std::memory_order_release); }

  // The opaque connection id a Delivery names in except_connection, and back
  // (nullopt-like empty ref for anything else).
  static std::string connection_id(const socketio::SocketRef& ref);
  static socketio::SocketRef parse_connection_id(std::string_view id);

 private:
  void on_connect(socketio::ConnectRequest request);
  void on_connection(socketio::Socket& socket);
  void on_disconnect(socketio::Socket& socket);

  void on_join(socketio::Socket& socket, socketio::Event& event);
  void on_leave(socketio::Socket& socket, socketio::Event& event);
  void on_typing(socketio::Socket& socket, socketio::Event& event, bool typing);
  void on_new_message(socketio::Socket& socket, socketio::Event& event);
  void on_message_read(socketio::Socket& socket, socketio::Event& event);
  void on_edit_message(socketio::Socket& socket, socketio::Event& event);
  void on_reaction(socketio::Socket& socket, socketio::Event& event, bool on);

  void leave_room_everywhere(Id user, Id conversation);
  void on_delivered(const socketio::BroadcastTag& tag, std::size_t recipients) override;
  // An error ack, counted as refused.
  boost::json::array failed(const Error& error) const;
  std::optional<Id> conversation_of(socketio::Event& event) const;

  socketio::Server& io_;
  socketio::Namespace* nsp_ = nullptr;
  chat::Live& live_;
  metrics::ChatMetrics* metrics_;
  std::atomic<bool> open_{true};

  // The rooms ("u:<id>") of each conversation's member list, built once per
  // list (keyed by the delivery's members_digest) instead of once per message;
  // an entry of another digest is rebuilt. Bounded: emptied when full.
  using RoomList = std::shared_ptr<const std::vector<std::string>>;
  RoomList member_rooms(const cluster::Delivery& delivery);
  static constexpr std::size_t kMaxRoomLists = 10'000;
  std::mutex rooms_mutex_;
  std::unordered_map<Id, std::pair<std::uint64_t, RoomList>> room_lists_;  // GUARDED_BY(rooms_mutex_)
};

}  // namespace parley::realtime
