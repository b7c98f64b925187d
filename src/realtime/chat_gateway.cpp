#include "realtime/chat_gateway.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <charconv>
#include <spdlog/spdlog.h>

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


std::optional<std::string> string_field(const json::value& payload, std::string_view name) {
  if (!payload.is_object()) return std::nullopt;
  const auto* value = payload.as_object().if_contains(name);
  if (!value || !value->is_string()) return std::nullopt;
  return std::string(value->as_string());
}

// An optional array of strings (attachmentIds): absent → empty; anything else
// than an array of at most `max` strings → nullopt. Longer arrays are refused
// here, before a copy, and by the chat layer with its own message.
std::optional<std::vector<std::string>> string_list_field(const json::value& payload, std::string_view name,
                                                          std::size_t max) {
  std::vector<std::string> out;
  const auto* value = payload.is_object() ? payload.as_object().if_contains(name) : nullptr;
  if (!value || value->is_null()) return out;
  if (!value->is_array() || value->as_array().size() > max) return std::nullopt;
  out.reserve(value->as_array().size());
  for (const auto& item : value->as_array()) {
    if (!item.is_string()) return std::nullopt;
    out.emplace_back(item.as_string());
  }
  return out;
}

const Error kBadPayload = Error::bad_request("invalid_payload", "expected {conversationId: string}");

bool parse_u64(std::string_view& text, std::uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end == text.data()) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return true;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

ChatGateway::ChatGateway(socketio::Server& io, chat::Live& live, metrics::ChatMetrics* metrics)
    : io_(io), live_(live), metrics_(metrics) {}

json::array ChatGateway::failed(const Error& error) const {
  if (metrics_) metrics_->refused(metrics::Transport::socket, error.kind);
  json::object detail{{"code", error.code}, {"message", error.message}};
  if (error.kind == ErrorKind::rate_limited) detail["retryAfterMs"] = error.retry_after_ms;
  return json::array{json::object{{"ok", false}, {"error", std::move(detail)}}};
}

// The conversation of an event's payload {conversationId} that names one by a
// well-formed id; answers invalid_payload otherwise.
std::optional<Id> ChatGateway::conversation_of(socketio::Event& event) const {
  auto text = string_field(event.arg(0), "conversationId");
  auto id = text ? parse_id(*text) : std::nullopt;
  if (!id && event.ack()) event.ack().send(failed(kBadPayload));
  return id;
}

std::string ChatGateway::connection_id(const socketio::SocketRef& ref) {
  return std::to_string(ref.thread) + "." + std::to_string(ref.session) + "." + std::to_string(ref.socket);
}

socketio::SocketRef ChatGateway::parse_connection_id(std::string_view id) {
  std::uint64_t thread = 0, session = 0, socket = 0;
  if (!parse_u64(id, thread) || id.empty() || id.front() != '.') return {};
  id.remove_prefix(1);
  if (!parse_u64(id, session) || id.empty() || id.front() != '.') return {};
  id.remove_prefix(1);
  if (!parse_u64(id, socket) || !id.empty() || thread > UINT32_MAX) return {};
  return socketio::SocketRef{static_cast<std::uint32_t>(thread), session, socket};
}

void ChatGateway::install() {
  nsp_ = &io_.of("/");
  if (metrics_) nsp_->set_broadcast_observer(this);
  nsp_->on_connect([this](socketio::ConnectRequest request) { on_connect(std::move(request)); });
  nsp_->on_connection([this](socketio::Socket& socket, const json::value&) { on_connection(socket); });
  nsp_->on_disconnect([this](socketio::Socket& socket, socketio::DisconnectReason) { on_disconnect(socket); });
  nsp_->on("join_conversation", [this](socketio::Socket& s, socketio::Event& e) { on_join(s, e); });
  nsp_->on("leave_conversation", [this](socketio::Socket& s, socketio::Event& e) { on_leave(s, e); });
  nsp_->on("typing", [this](socketio::Socket& s, socketio::Event& e) { on_typing(s, e, true); });
  nsp_->on("stop_typing", [this](socketio::Socket& s, socketio::Event& e) { on_typing(s, e, false); });
  // A slow send is logged by the chat layer with its stages (rate limit, members, commit, release).
  nsp_->on("new_message", [this](socketio::Socket& s, socketio::Event& e) { on_new_message(s, e); },
           socketio::Namespace::SlowLog::by_handler);
  nsp_->on("message_read", [this](socketio::Socket& s, socketio::Event& e) { on_message_read(s, e); });
  nsp_->on("edit_message", [this](socketio::Socket& s, socketio::Event& e) { on_edit_message(s, e); });
  nsp_->on("add_reaction", [this](socketio::Socket& s, socketio::Event& e) { on_reaction(s, e, true); });
  nsp_->on("remove_reaction", [this](socketio::Socket& s, socketio::Event& e) { on_reaction(s, e, false); });
  nsp_->on_any([this](socketio::Socket&, socketio::Event& e) {
    if (e.ack()) e.ack().send(failed(Error::bad_request("unknown_event", "no such event")));
  });
}

// ---- connections

void ChatGateway::on_connect(socketio::ConnectRequest request) {
  const auto* auth = request.auth().is_object() ? request.auth().as_object().if_contains("token") : nullptr;
  if (!auth || !auth->is_string()) {
    if (metrics_) metrics_->refused(metrics::Transport::socket, ErrorKind::unauthorized);
    request.refuse_with_message("unauthorized");
    return;
  }
  const auto accept_as = [](const socketio::ConnectRequest& request, Id user) {
    socketio::SocketData data;
    data.user_id = user;
    request.accept(std::move(data));
  };
  // A known user's valid token is accepted right here on the IO thread: a
  // hop to the worker pool and back was the largest cost of a handshake.
  if (auto user = live_.authenticate_in_memory(auth->as_string())) {
    accept_as(request, *user);
    return;
  }
  live_.authenticate(std::string(auth->as_string()), [this, request, accept_as](Result<Id> user) {
    // A store that cannot answer is not a bad token: the client is told so.
    if (!user) {
      if (metrics_) metrics_->refused(metrics::Transport::socket, user.error().kind);
      request.refuse_with_message(user.error().kind == ErrorKind::unauthorized ? "unauthorized" : user.error().code);
      return;
    }
    accept_as(request, *user);
  });
}

void ChatGateway::on_connection(socketio::Socket& socket) {
  const Id user = socket.data().user_id;
  socket.join(user_room(user));
  live_.connected(user);
}

void ChatGateway::on_disconnect(socketio::Socket& socket) { live_.disconnected(socket.data().user_id); }

// ---- client events

void ChatGateway::on_join(socketio::Socket& socket, socketio::Event& event) {
  auto conversation = string_field(event.arg(0), "conversationId");
  if (!conversation) {
    if (event.ack()) event.ack().send(failed(kBadPayload));
    return;
  }
  live_.join(socket.data().user_id, std::move(*conversation),
             [this, ref = socket.ref(), ack = event.ack()](Result<Id> member) {
               if (!member) {
                 ack.send(failed(member.error()));
                 return;
               }
               io_.run_on_socket(ref, [this, ack, conversation = *member](socketio::Socket* socket) {
                 if (!socket) return;
                 if (!socket->join(conversation_room(conversation))) {
                   ack.send(failed(
                       Error::bad_request("too_many_rooms", "this connection has joined too many conversations")));
                   return;
                 }
                 ack.send(ok(json::object{{"conversationId", id_to_string(conversation)}}));
               });
             });
}

void ChatGateway::on_leave(socketio::Socket& socket, socketio::Event& event) {
  auto id = conversation_of(event);
  if (!id) return;
  socket.leave(conversation_room(*id));
  live_.left(socket.data().user_id, *id, connection_id(socket.ref()));
  if (event.ack()) event.ack().send(ok(json::object{{"conversationId", id_to_string(*id)}}));
}

void ChatGateway::on_typing(socketio::Socket& socket, socketio::Event& event, bool typing) {
  auto id = conversation_of(event);
  if (!id) return;
  // Joining checked membership; a socket outside the room cannot signal there.
  if (!socket.in(conversation_room(*id))) {
    if (event.ack()) event.ack().send(failed(Error::bad_request("not_joined", "join_conversation first")));
    return;
  }
  live_.typing(socket.data().user_id, *id, typing, connection_id(socket.ref()));
  if (event.ack()) event.ack().send(ok());
}

void ChatGateway::on_new_message(socketio::Socket& socket, socketio::Event& event) {
  const auto& payload = event.arg(0);
  auto conversation = string_field(payload, "conversationId");
  auto body = string_field(payload, "body");
  auto client_msg_id = string_field(payload, "clientMsgId");
  // A generous cap: the chat layer answers too_many_attachments above its own limit.
  auto attachment_ids = string_list_field(payload, "attachmentIds", 100);
  // Optional: absent or null is not a reply; anything else than a string is refused.
  const auto* reply = payload.is_object() ? payload.as_object().if_contains("replyToId") : nullptr;
  const bool reply_ok = !reply || reply->is_null() || reply->is_string();
  if (!conversation || !body || !client_msg_id || !attachment_ids || !reply_ok) {
    if (event.ack())
      event.ack().send(failed(Error::bad_request(
          "invalid_payload",
          "expected {conversationId, body, clientMsgId, attachmentIds?: [string], replyToId?: string}")));
    return;
  }
  // Events carry no headers: a client may pass its trace context as an optional
  // `traceparent` field (docs/realtime.md); absent or invalid, a trace starts here.
  chat::SendInput input{std::move(*conversation), std::move(*body), std::move(*client_msg_id),
                        std::move(*attachment_ids)};
  if (reply && reply->is_string()) input.reply_to_id = std::string(reply->as_string());
  auto traceparent = string_field(payload, "traceparent");
  input.trace = trace::continue_or_start(traceparent ? std::optional<std::string_view>(*traceparent) : std::nullopt);
  input.timer = trace::StageTimer::start();
  if (spdlog::should_log(spdlog::level::debug)) {
    trace::TraceScope scope(input.trace.trace_id);
    spdlog::debug("new_message event: conversation={} traceparent {}", input.conversation_id,
                  !traceparent ? "absent (started)"
                  : trace::parse_traceparent(*traceparent) ? "continued"
                                                           : "invalid (started)");
  }
  live_.send(socket.data().user_id, std::move(input),
             [this, ack = event.ack(), start = std::chrono::steady_clock::now()](Result<chat::Sent> sent) {
               if (!sent) {
                 ack.send(failed(sent.error()));
                 return;
               }
               if (metrics_) metrics_->message_accepted(metrics::Transport::socket, seconds_since(start));
               // {"ok":true,"data":<message>} around the text already rendered for the broadcast.
               std::string reply;
               reply.reserve(sent->json->size() + 20);
               reply.append(R"({"ok":true,"data":)").append(*sent->json).push_back('}');
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
  live_.mark_read(socket.data().user_id, std::move(*conversation), std::move(*message),
                  [this, ack = event.ack()](Result<store::ReadState> state) {
                    if (!state) {
                      ack.send(failed(state.error()));
                      return;
                    }
                    ack.send(ok(json::object{{"conversationId", id_to_string(state->conversation_id)},
                                             {"lastReadSeq", state->last_read_seq},
                                             {"unreadCount", state->unread_count},
                                             {"mentionCount", state->mention_count}}));
                  });
}

namespace {

// {"ok":true,"data":<json>} around text the chat layer rendered.
void ack_rendered(const socketio::Ack& ack, const std::string& json) {
  std::string reply;
  reply.reserve(json.size() + 20);
  reply.append(R"({"ok":true,"data":)").append(json).push_back('}');
  ack.send_raw(reply);
}

}  // namespace

void ChatGateway::on_edit_message(socketio::Socket& socket, socketio::Event& event) {
  const auto& payload = event.arg(0);
  auto message = string_field(payload, "messageId");
  auto body = string_field(payload, "body");
  if (!message || !body) {
    if (event.ack()) event.ack().send(failed(Error::bad_request("invalid_payload", "expected {messageId, body}")));
    return;
  }
  live_.edit(socket.data().user_id, std::move(*message), std::move(*body),
             [this, ack = event.ack()](Result<std::string> edited) {
               if (!edited) {
                 ack.send(failed(edited.error()));
                 return;
               }
               ack_rendered(ack, *edited);
             });
}

void ChatGateway::on_reaction(socketio::Socket& socket, socketio::Event& event, bool on) {
  const auto& payload = event.arg(0);
  auto message = string_field(payload, "messageId");
  auto emoji = string_field(payload, "emoji");
  if (!message || !emoji) {
    if (event.ack()) event.ack().send(failed(Error::bad_request("invalid_payload", "expected {messageId, emoji}")));
    return;
  }
  live_.react(socket.data().user_id, std::move(*message), std::move(*emoji), on,
              [this, ack = event.ack()](Result<std::string> reactions) {
                if (!reactions) {
                  ack.send(failed(reactions.error()));
                  return;
                }
                ack_rendered(ack, *reactions);
              });
}

// ---- delivery

ChatGateway::RoomList ChatGateway::member_rooms(const cluster::Delivery& delivery) {
  const Id conversation = delivery.conversation_id;
  {
    std::lock_guard lock(rooms_mutex_);
    auto it = room_lists_.find(conversation);
    if (it != room_lists_.end() && it->second.first == delivery.members_digest) return it->second.second;
  }
  auto rooms = std::make_shared<std::vector<std::string>>();
  rooms->reserve(delivery.user_ids->size());
  for (Id user : *delivery.user_ids) rooms->push_back(user_room(user));
  RoomList shared = std::move(rooms);
  std::lock_guard lock(rooms_mutex_);
  if (room_lists_.size() >= kMaxRoomLists) room_lists_.clear();
  room_lists_.insert_or_assign(conversation, std::make_pair(delivery.members_digest, shared));
  return shared;
}

void ChatGateway::on_delivery(const cluster::Delivery& delivery) {
  if (delivery.trace_id.valid() && spdlog::should_log(spdlog::level::debug)) {
    trace::TraceScope scope(delivery.trace_id);
    spdlog::debug("fan-out {} conversation={} seq={} to {} users on this node", delivery.event,
                  delivery.conversation_id, delivery.seq, delivery.user_ids ? delivery.user_ids->size() : 0);
  }
  if (!nsp_ || !open_.load(std::memory_order_acquire)) return;
  const auto except = parse_connection_id(delivery.except_connection);
  socketio::BroadcastTag tag;
  if (metrics_) {
    tag.kind = static_cast<std::uint32_t>(metrics::ChatMetrics::event_index(delivery.event));
    tag.since = delivery.committed_at;
  }
  if (delivery.audience == cluster::Delivery::Audience::room) {
    auto packet = socketio::share(socketio::encode_event_raw(nsp_->name(), delivery.event, *delivery.payload));
    nsp_->broadcast(std::move(packet), std::vector<std::string>{conversation_room(delivery.conversation_id)}, except,
                    tag);
    return;
  }
  // An empty room list would mean every socket: never broadcast without recipients.
  if (delivery.user_ids && !delivery.user_ids->empty()) {
    auto packet = socketio::share(socketio::encode_event_raw(nsp_->name(), delivery.event, *delivery.payload));
    if (delivery.members_digest != 0 && delivery.conversation_id != 0) {
      nsp_->broadcast(std::move(packet), member_rooms(delivery), except, tag);
    } else {
      std::vector<std::string> rooms;
      rooms.reserve(delivery.user_ids->size());
      for (Id user : *delivery.user_ids) rooms.push_back(user_room(user));
      nsp_->broadcast(std::move(packet), std::move(rooms), except, tag);
    }
  }
  for (Id user : delivery.removed_user_ids) leave_room_everywhere(user, delivery.conversation_id);
}

// On an IO thread, for every broadcast it delivered.
void ChatGateway::on_delivered(const socketio::BroadcastTag& tag, std::size_t recipients) {
  metrics_->delivered(tag.kind, recipients);
  if (recipients > 0 && tag.since != std::chrono::steady_clock::time_point{})
    metrics_->delivery_latency(seconds_since(tag.since));
}

void ChatGateway::leave_room_everywhere(Id user, Id conversation) {
  io_.run_on_each_thread([this, user, conversation](int thread) {
    std::vector<socketio::RoomMember*> members;
    const std::string room = user_room(user);
    nsp_->rooms(thread).collect(std::span<const std::string>(&room, 1), nullptr, members);
    for (auto* member : members) static_cast<socketio::Socket*>(member)->leave(conversation_room(conversation));
  });
}

}  // namespace parley::realtime
