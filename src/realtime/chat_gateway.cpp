#include "realtime/chat_gateway.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "chat/views.hpp"
#include "realtime/socketio/outgoing.hpp"
#include "realtime/socketio/socket.hpp"

namespace parley::realtime {

namespace json = boost::json;

namespace {

// Room names: a prefix and the id in base 36, at most 15 characters, so that
// every name fits std::string's inline buffer: no heap allocation per room
// name, in the room index (one per connected user) or in a broadcast's room list.
std::string room_name(char prefix, Id id) {
  char buf[16];
  char* end = buf + sizeof buf;
  char* p = end;
  auto value = static_cast<std::uint64_t>(id);
  do {
    *--p = "0123456789abcdefghijklmnopqrstuvwxyz"[value % 36];
    value /= 36;
  } while (value != 0);
  *--p = ':';
  *--p = prefix;
  return std::string(p, end);
}

std::string user_room(Id user) { return room_name('u', user); }
std::string conversation_room(Id conversation) { return room_name('c', conversation); }

json::array ok(json::value data = nullptr) { return json::array{json::object{{"ok", true}, {"data", std::move(data)}}}; }

json::array failed(const Error& error) {
  json::object detail{{"code", error.code}, {"message", error.message}};
  if (error.kind == ErrorKind::rate_limited) detail["retryAfterMs"] = error.retry_after_ms;
  return json::array{json::object{{"ok", false}, {"error", std::move(detail)}}};
}

// The conversation id of an event's payload {conversationId}, as text.
std::optional<std::string> conversation_arg(const socketio::Event& event) {
  const auto& payload = event.arg(0);
  if (!payload.is_object()) return std::nullopt;
  const auto* id = payload.as_object().if_contains("conversationId");
  if (!id || !id->is_string()) return std::nullopt;
  return std::string(id->as_string());
}

std::optional<std::string> string_field(const json::value& payload, std::string_view name) {
  if (!payload.is_object()) return std::nullopt;
  const auto* value = payload.as_object().if_contains(name);
  if (!value || !value->is_string()) return std::nullopt;
  return std::string(value->as_string());
}

const Error kBadPayload = Error::bad_request("invalid_payload", "expected {conversationId: string}");

store::UserRow caller(Id user) {
  store::UserRow row;
  row.id = user;
  return row;
}

}  // namespace

ChatGateway::ChatGateway(socketio::Server& io, boost::asio::thread_pool& workers, ChatServices services,
                         ChatGatewayOptions options)
    : io_(io), workers_(workers), services_(services), options_(options) {}

ChatGateway::~ChatGateway() { stop(); }

template <class F>
void ChatGateway::offload(F&& work) {
  boost::asio::post(workers_, [work = std::forward<F>(work)]() mutable {
    try {
      work();
    } catch (const std::exception& e) {
      spdlog::error("realtime: worker task failed: {}", e.what());
    }
  });
}

void ChatGateway::install() {
  nsp_ = &io_.of("/");
  nsp_->on_connect([this](socketio::ConnectRequest request) { on_connect(std::move(request)); });
  nsp_->on_connection([this](socketio::Socket& socket, const json::value&) { on_connection(socket); });
  nsp_->on_disconnect([this](socketio::Socket& socket, socketio::DisconnectReason) { on_disconnect(socket); });
  nsp_->on("join_conversation", [this](socketio::Socket& s, socketio::Event& e) { on_join(s, e); });
  nsp_->on("leave_conversation", [this](socketio::Socket& s, socketio::Event& e) { on_leave(s, e); });
  nsp_->on("typing", [this](socketio::Socket& s, socketio::Event& e) { on_typing(s, e, true); });
  nsp_->on("stop_typing", [this](socketio::Socket& s, socketio::Event& e) { on_typing(s, e, false); });
  nsp_->on("new_message", [this](socketio::Socket& s, socketio::Event& e) { on_new_message(s, e); });
  nsp_->on("message_read", [this](socketio::Socket& s, socketio::Event& e) { on_message_read(s, e); });
  nsp_->on_any([](socketio::Socket&, socketio::Event& e) {
    if (e.ack()) e.ack().send(failed(Error::bad_request("unknown_event", "no such event")));
  });
}

void ChatGateway::start() {
  sweeper_ = std::thread([this] {
    std::unique_lock lock(sweep_mutex_);
    while (!stopping_) {
      sweep_cv_.wait_for(lock, options_.sweep_interval);
      if (stopping_) break;
      lock.unlock();
      sweep();
      lock.lock();
    }
  });
}

void ChatGateway::stop() {
  {
    std::lock_guard lock(sweep_mutex_);
    stopping_ = true;
  }
  sweep_cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

// ---- connections

void ChatGateway::on_connect(socketio::ConnectRequest request) {
  const auto* auth = request.auth().is_object() ? request.auth().as_object().if_contains("token") : nullptr;
  if (!auth || !auth->is_string()) {
    request.refuse_with_message("unauthorized");
    return;
  }
  // A known user's valid token is accepted right here on the IO thread: a
  // hop to the worker pool and back was the largest cost of a handshake.
  const auto accept_as = [](const socketio::ConnectRequest& request, Id user) {
    socketio::SocketData data;
    data.user_id = user;
    request.accept(std::move(data));
  };
  if (auto user = services_.accounts->authenticate_token_in_memory(auth->as_string())) {
    accept_as(request, *user);
    return;
  }
  offload([this, request, accept_as, token = std::string(auth->as_string())] {
    auto user = services_.accounts->authenticate_token(token);
    if (!user) {
      request.refuse_with_message("unauthorized");
      return;
    }
    accept_as(request, user->id);
  });
}

void ChatGateway::on_connection(socketio::Socket& socket) {
  const Id user = socket.data().user_id;
  socket.join(user_room(user));
  if (services_.presence->connected(user)) queue_presence(user, true);
}

void ChatGateway::on_disconnect(socketio::Socket& socket) {
  // Offline comes later, after the grace period (sweep), so reconnects do not flap.
  services_.presence->disconnected(socket.data().user_id);
}

void ChatGateway::queue_presence(Id user, bool online) {
  {
    std::lock_guard lock(presence_mutex_);
    presence_queue_.emplace_back(user, online);
    if (presence_draining_) return;
    presence_draining_ = true;
  }
  offload([this] { drain_presence(); });
}

void ChatGateway::drain_presence() {
  std::vector<std::pair<Id, bool>> batch;
  for (;;) {
    {
      std::lock_guard lock(presence_mutex_);
      batch.swap(presence_queue_);
      if (batch.empty()) {
        presence_draining_ = false;
        return;
      }
    }
    for (const auto& [user, online] : batch) {
      try {
        announce_presence(user, online);
      } catch (const std::exception& e) {
        spdlog::error("realtime: presence announcement failed: {}", e.what());
      }
    }
    batch.clear();
  }
}

void ChatGateway::announce_presence(Id user, bool online) {
  const auto state = services_.presence->state(user);
  if (state.online != online) return;  // changed again meanwhile; that change announces itself
  if (!online && state.last_seen_at) (void)services_.store->set_last_seen(user, *state.last_seen_at);
  json::object payload{{"userId", id_to_string(user)}, {"online", online}};
  if (state.last_seen_at) payload["lastSeenAt"] = format_iso8601(*state.last_seen_at);
  else payload["lastSeenAt"] = nullptr;
  std::vector<std::string> rooms;
  // Not the user's own room: announced online, the user has just opened its
  // only connection (a second one finds it online already); announced offline,
  // it has none. That frame was one write per handshake for nobody.
  for (Id contact : services_.store->contacts_of(user)) rooms.push_back(user_room(contact));
  emit_to_rooms("user_status", json::serialize(payload), std::move(rooms));
}

// ---- client events

void ChatGateway::on_join(socketio::Socket& socket, socketio::Event& event) {
  auto conversation = conversation_arg(event);
  if (!conversation) {
    if (event.ack()) event.ack().send(failed(kBadPayload));
    return;
  }
  offload([this, ref = socket.ref(), user = socket.data().user_id, ack = event.ack(), cid = *conversation] {
    auto member = services_.conversations->require_member(user, cid);
    if (!member) {
      ack.send(failed(member.error()));
      return;
    }
    const Id conversation_id = member->conversation_id;
    io_.run_on_socket(ref, [ack, conversation_id](socketio::Socket* socket) {
      if (!socket) return;
      if (!socket->join(conversation_room(conversation_id))) {
        ack.send(failed(Error::bad_request("too_many_rooms", "this connection has joined too many conversations")));
        return;
      }
      ack.send(ok(json::object{{"conversationId", id_to_string(conversation_id)}}));
    });
  });
}

void ChatGateway::on_leave(socketio::Socket& socket, socketio::Event& event) {
  auto conversation = conversation_arg(event);
  auto id = conversation ? parse_id(*conversation) : std::nullopt;
  if (!id) {
    if (event.ack()) event.ack().send(failed(kBadPayload));
    return;
  }
  socket.leave(conversation_room(*id));
  const Id user = socket.data().user_id;
  if (services_.typing->stopped({*id, user})) {
    json::object payload{{"conversationId", id_to_string(*id)}, {"userId", id_to_string(user)}};
    emit_to_rooms("stop_typing", json::serialize(payload), {conversation_room(*id)}, socket.ref());
  }
  if (event.ack()) event.ack().send(ok(json::object{{"conversationId", id_to_string(*id)}}));
}

void ChatGateway::on_typing(socketio::Socket& socket, socketio::Event& event, bool typing) {
  auto conversation = conversation_arg(event);
  auto id = conversation ? parse_id(*conversation) : std::nullopt;
  if (!id) {
    if (event.ack()) event.ack().send(failed(kBadPayload));
    return;
  }
  // Joining checked membership; a socket outside the room cannot signal there.
  if (!socket.in(conversation_room(*id))) {
    if (event.ack())
      event.ack().send(failed(Error::bad_request("not_joined", "join_conversation first")));
    return;
  }
  const Id user = socket.data().user_id;
  const bool changed = typing ? services_.typing->started({*id, user}) : services_.typing->stopped({*id, user});
  if (changed) {
    json::object payload{{"conversationId", id_to_string(*id)}, {"userId", id_to_string(user)}};
    emit_to_rooms(typing ? "typing" : "stop_typing", json::serialize(payload), {conversation_room(*id)},
                  socket.ref());
  }
  if (event.ack()) event.ack().send(ok());
}

void ChatGateway::on_new_message(socketio::Socket& socket, socketio::Event& event) {
  const auto& payload = event.arg(0);
  auto conversation = string_field(payload, "conversationId");
  auto body = string_field(payload, "body");
  auto client_msg_id = string_field(payload, "clientMsgId");
  if (!conversation || !body || !client_msg_id) {
    if (event.ack())
      event.ack().send(failed(Error::bad_request("invalid_payload", "expected {conversationId, body, clientMsgId}")));
    return;
  }
  const Id user = socket.data().user_id;
  const auto decision = services_.rate_limiter->try_acquire(user);
  if (!decision.allowed) {
    Error limited{ErrorKind::rate_limited, "rate_limited", "too many messages; slow down"};
    limited.retry_after_ms = decision.retry_after_ms;
    if (event.ack()) event.ack().send(failed(limited));
    return;
  }
  chat::SendInput input{*conversation, *body, *client_msg_id};
  auto id = parse_id(input.conversation_id);
  if (!id) {
    if (event.ack()) event.ack().send(failed(Error::not_found("conversation not found")));
    return;
  }
  // The member list decides who gets the broadcast; when it is cached the send
  // goes straight to the store's writer from here, without a worker thread.
  if (auto members = services_.members->peek(*id)) {
    send_message(user, std::move(input), std::move(members), event.ack());
    return;
  }
  offload([this, user, ack = event.ack(), input = std::move(input), conversation_id = *id]() mutable {
    send_message(user, std::move(input), services_.members->get(conversation_id), ack);
  });
}

void ChatGateway::send_message(Id user, chat::SendInput input, chat::MemberList members, socketio::Ack ack) {
  const Id conversation = parse_id(input.conversation_id).value_or(0);
  services_.messages->send_async(
      user, input, std::move(members),
      [this, user, conversation, ack](Result<store::AppendResult> sent, const std::string& message_json) {
        if (!sent) {
          ack.send(failed(sent.error()));
          return;
        }
        if (services_.typing->stopped({conversation, user})) {
          json::object payload{{"conversationId", id_to_string(conversation)}, {"userId", id_to_string(user)}};
          emit_to_rooms("stop_typing", json::serialize(payload), {conversation_room(conversation)});
        }
        // {"ok":true,"data":<message>} around the text already rendered for the broadcast.
        std::string reply;
        reply.reserve(message_json.size() + 20);
        reply.append(R"({"ok":true,"data":)").append(message_json).push_back('}');
        ack.send_raw(reply);
      });
}

void ChatGateway::on_message_read(socketio::Socket& socket, socketio::Event& event) {
  const auto& payload = event.arg(0);
  auto conversation = string_field(payload, "conversationId");
  auto message = string_field(payload, "messageId");
  if (!conversation || !message) {
    if (event.ack())
      event.ack().send(failed(Error::bad_request("invalid_payload", "expected {conversationId, messageId}")));
    return;
  }
  offload([this, user = socket.data().user_id, ack = event.ack(), cid = *conversation, mid = *message] {
    auto state = services_.messages->mark_read_in(caller(user), cid, mid);
    if (!state) {
      ack.send(failed(state.error()));
      return;
    }
    ack.send(ok(json::object{{"conversationId", id_to_string(state->conversation_id)},
                             {"lastReadSeq", state->last_read_seq},
                             {"unreadCount", state->unread_count}}));
  });
}

// ---- delivery

void ChatGateway::emit_to_rooms(std::string_view event, const std::string& payload, std::vector<std::string> rooms,
                                socketio::SocketRef except) {
  if (!nsp_ || rooms.empty()) return;
  auto packet = socketio::share(socketio::encode_event_raw(nsp_->name(), event, payload));
  nsp_->broadcast(std::move(packet), std::move(rooms), except);
}

ChatGateway::RoomList ChatGateway::member_rooms(Id conversation, const std::shared_ptr<const std::vector<Id>>& members) {
  {
    std::lock_guard lock(rooms_mutex_);
    auto it = room_lists_.find(conversation);
    if (it != room_lists_.end() && it->second.first == members) return it->second.second;
  }
  auto rooms = std::make_shared<std::vector<std::string>>();
  rooms->reserve(members->size());
  for (Id user : *members) rooms->push_back(user_room(user));
  RoomList shared = std::move(rooms);
  std::lock_guard lock(rooms_mutex_);
  if (room_lists_.size() >= kMaxRoomLists) room_lists_.clear();
  room_lists_.insert_or_assign(conversation, std::make_pair(members, shared));
  return shared;
}

void ChatGateway::publish(chat::Event event) {
  if (event.audience == chat::Event::Audience::members && event.members && event.user_ids.empty() &&
      event.removed_user_ids.empty()) {
    if (!nsp_ || event.members->empty()) return;
    auto packet = socketio::share(socketio::encode_event_raw(nsp_->name(), event.name, *event.json));
    nsp_->broadcast(std::move(packet), member_rooms(event.conversation_id, event.members));
    return;
  }
  std::vector<std::string> rooms;
  if (event.audience == chat::Event::Audience::room) {
    rooms.push_back(conversation_room(event.conversation_id));
  } else {
    rooms.reserve(event.user_ids.size());
    for (Id user : event.user_ids) rooms.push_back(user_room(user));
    if (event.members)
      for (Id user : *event.members) rooms.push_back(user_room(user));
  }
  emit_to_rooms(event.name, *event.json, std::move(rooms));
  for (Id user : event.removed_user_ids) leave_room_everywhere(user, event.conversation_id);
}

void ChatGateway::leave_room_everywhere(Id user, Id conversation) {
  io_.run_on_each_thread([this, user, conversation](int thread) {
    std::vector<socketio::RoomMember*> members;
    const std::string room = user_room(user);
    nsp_->rooms(thread).collect(std::span<const std::string>(&room, 1), nullptr, members);
    for (auto* member : members) static_cast<socketio::Socket*>(member)->leave(conversation_room(conversation));
  });
}

void ChatGateway::sweep() {
  for (const auto& key : services_.typing->expire()) {
    json::object payload{{"conversationId", id_to_string(key.conversation_id)},
                         {"userId", id_to_string(key.user_id)}};
    emit_to_rooms("stop_typing", json::serialize(payload), {conversation_room(key.conversation_id)});
  }
  for (Id user : services_.presence->expire_offline(options_.presence_grace.count()))
    queue_presence(user, false);
}

}  // namespace parley::realtime
