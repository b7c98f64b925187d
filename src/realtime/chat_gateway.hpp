#pragma once
// The seed's WebSocket events on the Socket.IO server: authenticates CONNECTs
// with the JWT in the auth payload, turns client events (join_conversation,
// leave_conversation, typing, stop_typing, new_message, message_read) into calls
// of the chat services, and delivers the chat layer's events (it is the
// chat::EventSink) to the right sockets:
//   - room "u:<userId>": every connection of a user (members audience);
//   - room "c:<conversationId>": connections that joined the conversation.
// It also runs the clocks of the real-time features: typing expiry and the
// presence grace period (user_status).
//
// Thread-safety: handlers run on IO threads and never touch the store there:
// store work goes to the worker pool, whose answers come back through Ack /
// ConnectRequest / run_on_socket (which post to the socket's thread).
// publish() may be called from any thread.
// Ownership: borrows the Socket.IO server, the worker pool and the services;
// owns the sweep thread (stopped by stop() or the destructor).

#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "chat/accounts.hpp"
#include "chat/conversations.hpp"
#include "chat/events.hpp"
#include "chat/messages.hpp"
#include "chat/presence.hpp"
#include "chat/typing.hpp"
#include "cluster/rate_limiter.hpp"
#include "realtime/socketio/server.hpp"

namespace parley::realtime {

struct ChatGatewayOptions {
  std::chrono::milliseconds presence_grace{10'000};
  std::chrono::milliseconds sweep_interval{250};
};

struct ChatServices {
  chat::Accounts* accounts = nullptr;
  chat::Conversations* conversations = nullptr;
  chat::Messages* messages = nullptr;
  chat::MemberCache* members = nullptr;
  chat::Presence* presence = nullptr;
  chat::TypingTracker* typing = nullptr;
  cluster::RateLimiter* rate_limiter = nullptr;
  store::Store* store = nullptr;
  const Clock* clock = nullptr;
};

class ChatGateway final : public chat::EventSink {
 public:
  ChatGateway(socketio::Server& io, boost::asio::thread_pool& workers, ChatServices services,
              ChatGatewayOptions options);
  ~ChatGateway() override;

  // Registers the namespace handlers. REQUIRES: before the server starts.
  void install();
  // Starts the sweep thread (typing expiry, presence grace).
  void start();
  // Stops the sweep thread. Idempotent.
  void stop();

  void publish(chat::Event event) override;

 private:
  void on_connect(socketio::ConnectRequest request);
  void on_connection(socketio::Socket& socket);
  void on_disconnect(socketio::Socket& socket);

  void on_join(socketio::Socket& socket, socketio::Event& event);
  void on_leave(socketio::Socket& socket, socketio::Event& event);
  void on_typing(socketio::Socket& socket, socketio::Event& event, bool typing);
  void on_new_message(socketio::Socket& socket, socketio::Event& event);
  void on_message_read(socketio::Socket& socket, socketio::Event& event);
  void send_message(Id user, chat::SendInput input, chat::MemberList members, socketio::Ack ack);

  // Runs `work` on the worker pool.
  template <class F>
  void offload(F&& work);
  void emit_to_rooms(std::string_view event, const std::string& json, std::vector<std::string> rooms,
                     socketio::SocketRef except = {});
  // Queues a user_status announcement; one worker job drains the queue, so a
  // connect storm costs one worker wake-up per batch, not one per connection.
  void queue_presence(Id user, bool online);
  void drain_presence();
  void announce_presence(Id user, bool online);
  void leave_room_everywhere(Id user, Id conversation);
  void sweep();

  socketio::Server& io_;
  socketio::Namespace* nsp_ = nullptr;
  boost::asio::thread_pool& workers_;
  ChatServices services_;
  ChatGatewayOptions options_;

  // The rooms ("u:<id>") of each conversation's member list, built once per
  // list object (Event::members) instead of once per message; an entry whose
  // list is no longer the current one is rebuilt. Bounded: emptied when full.
  using RoomList = std::shared_ptr<const std::vector<std::string>>;
  RoomList member_rooms(Id conversation, const std::shared_ptr<const std::vector<Id>>& members);
  static constexpr std::size_t kMaxRoomLists = 10'000;
  std::mutex rooms_mutex_;
  std::unordered_map<Id, std::pair<std::shared_ptr<const std::vector<Id>>, RoomList>> room_lists_;  // GUARDED_BY(rooms_mutex_)

  std::mutex presence_mutex_;
  std::vector<std::pair<Id, bool>> presence_queue_;  // GUARDED_BY(presence_mutex_)
  bool presence_draining_ = false;                   // GUARDED_BY(presence_mutex_): a drain job is queued or running

  std::mutex sweep_mutex_;
  std::condition_variable sweep_cv_;
  bool stopping_ = false;  // GUARDED_BY(sweep_mutex_)
  std::thread sweeper_;
};

}  // namespace parley::realtime
