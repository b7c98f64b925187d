#pragma once
// Namespace: a Socket.IO namespace ("/", "/custom") with the application's handlers and,
// per IO thread, its rooms.
//
// Handlers (set up before the server starts; they run on IO threads):
//   on_connect(ConnectRequest)        decide on a CONNECT (default: accept); may decide later
//                                     from any thread
//   on_connection(Socket&, auth)      after the CONNECT answer went out
//   on(event, handler)                a named event (handler gets Socket& and Event&)
//   on_any(handler)                   events that have no handler of their own
//   on_disconnect(Socket&, reason)    the socket is gone (its rooms are still joined during
//                                     the call and left right after)
//
// Broadcast (any thread): the packet is encoded once, on the calling thread; it is posted
// to each IO thread that may hold recipients (RoomPresence), where each recipient in any of
// the rooms gets it once, optionally except one socket. Sending to a set of rooms is not
// several sends: a socket in three of the rooms receives one copy.
//
// Thread-safety: setup methods before Server start only; broadcast/emit/socket_count from
// any thread; the rest on IO threads.

#include <atomic>
#include <chrono>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "realtime/socketio/connect_request.hpp"
#include "realtime/socketio/event.hpp"
#include "realtime/socketio/outgoing.hpp"
#include "realtime/socketio/room_index.hpp"
#include "realtime/socketio/types.hpp"

namespace parley::socketio {

class Server;
class Socket;

// What the application says about a broadcast, handed back to its observer on
// each IO thread that delivered it (for /metrics: events per type, the time
// from `since` to the frames queued). Plain values: no allocation per broadcast.
struct BroadcastTag {
  std::uint32_t kind = 0;
  std::chrono::steady_clock::time_point since{};  // epoch value: none
};

// Told, on an IO thread, how many sockets of that thread a broadcast reached.
// Must be quick; called for every broadcast on every thread that had a job.
class BroadcastObserver {
 public:
  virtual void on_delivered(const BroadcastTag& tag, std::size_t recipients) = 0;

 protected:
  ~BroadcastObserver() = default;
};

class Namespace {
 public:
  using ConnectHandler = std::function<void(ConnectRequest)>;
  using ConnectionHandler = std::function<void(Socket&, const boost::json::value& auth)>;
  using EventHandler = std::function<void(Socket&, Event&)>;
  using DisconnectHandler = std::function<void(Socket&, DisconnectReason)>;

  Namespace(Server& server, std::string name, std::size_t threads);
  Namespace(const Namespace&) = delete;
  Namespace& operator=(const Namespace&) = delete;
  ~Namespace();

  const std::string& name() const noexcept { return name_; }

  // ---- setup ----
  void on_connect(ConnectHandler handler) { connect_handler_ = std::move(handler); }
  void on_connection(ConnectionHandler handler) { connection_handler_ = std::move(handler); }
  // Who logs an event that is slower than --slow-ms (common/trace_context.hpp):
  // its acknowledgement (by_ack: the time from arrival to the ack), or its
  // handler, which then logs its own line with its stages (by_handler).
  enum class SlowLog { by_ack, by_handler };
  void on(std::string event, EventHandler handler, SlowLog slow_log = SlowLog::by_ack) {
    if (slow_log == SlowLog::by_handler) own_slow_log_.insert(event);
    event_handlers_[std::move(event)] = std::move(handler);
  }
  void on_any(EventHandler handler) { any_handler_ = std::move(handler); }
  void on_disconnect(DisconnectHandler handler) { disconnect_handler_ = std::move(handler); }
  // Optional; must outlive the IO threads.
  void set_broadcast_observer(BroadcastObserver* observer) { observer_ = observer; }

  // ---- any thread ----
  // To every socket of the namespace in any of `rooms` (all sockets when empty), except
  // `except`.
  void broadcast(SharedPacket packet, std::vector<std::string> rooms = {}, SocketRef except = {},
                 BroadcastTag tag = {});
  // The same with a room list shared by many broadcasts (not copied). REQUIRES: rooms != null.
  void broadcast(SharedPacket packet, std::shared_ptr<const std::vector<std::string>> rooms, SocketRef except = {},
                 BroadcastTag tag = {});
  // Encodes EVENT [event, ...args] here, then broadcast().
  void emit(std::string_view event, const boost::json::array& args, std::vector<std::string> rooms = {},
            SocketRef except = {});
  std::int64_t socket_count() const noexcept { return sockets_.load(std::memory_order_relaxed); }

  // ---- IO threads (used by Client and Socket) ----
  RoomIndex& rooms(int thread) { return per_thread_[static_cast<std::size_t>(thread)]->rooms; }
  void on_socket_added(Socket& socket);
  void on_socket_removed(Socket& socket);
  void dispatch_connect(ConnectRequest request);
  void dispatch_connection(Socket& socket, const boost::json::value& auth);
  void dispatch_event(Socket& socket, const Packet& packet);
  void dispatch_disconnect(Socket& socket, DisconnectReason reason);

 private:
  struct BroadcastJob {
    SharedPacket packet;
    std::shared_ptr<const std::vector<std::string>> rooms;  // never null; empty: every socket
    SocketRef except;
    BroadcastTag tag;
  };
  struct PerThread {
    RoomIndex rooms;
    std::vector<RoomMember*> scratch;  // recipients of the broadcast being delivered
    std::atomic<std::int64_t> sockets{0};
    PerThread(RoomPresence* presence, std::size_t thread) : rooms(presence, thread) {}
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  void deliver(std::size_t thread, const BroadcastJob& job);

  Server& server_;
  std::string name_;
  ConnectHandler connect_handler_;
  ConnectionHandler connection_handler_;
  std::unordered_map<std::string, EventHandler, Hash, std::equal_to<>> event_handlers_;
  std::unordered_set<std::string, Hash, std::equal_to<>> own_slow_log_;  // events whose handler logs slowness
  EventHandler any_handler_;
  DisconnectHandler disconnect_handler_;
  BroadcastObserver* observer_ = nullptr;
  RoomPresence presence_;
  std::vector<std::unique_ptr<PerThread>> per_thread_;
  std::atomic<std::int64_t> sockets_{0};
};

}  // namespace parley::socketio
