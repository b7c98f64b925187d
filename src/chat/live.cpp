#include "chat/live.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "chat/views.hpp"
#include "common/clock.hpp"

namespace parley::chat {

namespace json = boost::json;

Live::Live(LiveDeps deps, LiveOptions options) : deps_(std::move(deps)), options_(options) {}

Live::~Live() { stop(); }

void Live::start() {
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

void Live::stop() {
  {
    std::lock_guard lock(sweep_mutex_);
    stopping_ = true;
  }
  sweep_cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

// ---- connections

std::optional<Id> Live::authenticate_in_memory(std::string_view token) const {
  return deps_.accounts->authenticate_token_in_memory(token);
}

void Live::authenticate(std::string token, Done<Id> done) {
  deps_.offload([this, token = std::move(token), done = std::move(done)] {
    auto user = deps_.accounts->authenticate_token(token);
    if (!user) return done(user.error());
    done(user->id);
  });
}

void Live::connected(Id user) {
  if (deps_.presence->connected(user)) queue_presence(user, true);
}

void Live::disconnected(Id user) {
  // Offline comes later, after the grace period (sweep), so reconnects do not flap.
  deps_.presence->disconnected(user);
}

void Live::queue_presence(Id user, bool online) {
  {
    std::lock_guard lock(presence_mutex_);
    presence_queue_.emplace_back(user, online);
    if (presence_draining_) return;
    presence_draining_ = true;
  }
  deps_.offload([this] { drain_presence(); });
}

void Live::drain_presence() {
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
    for (const auto& [user, online] : batch) announce_presence(user, online);
    batch.clear();
  }
}

void Live::announce_presence(Id user, bool online) {
  const auto state = deps_.presence->state(user);
  if (state.online != online) return;  // changed again meanwhile; that change announces itself
  if (!online && state.last_seen_at) {
    if (auto status = deps_.store->set_last_seen(user, *state.last_seen_at); !status)
      spdlog::warn("user {}: lastSeenAt not stored: {}", user, status.error().message);
  }
  auto contacts = deps_.store->contacts_of(user);
  if (!contacts) {
    spdlog::warn("user {}: user_status not announced: {}", user, contacts.error().message);
    return;
  }
  // Not the user's own connections: announced online, the user has just opened
  // its only connection (a second one finds it online already); announced
  // offline, it has none.
  if (contacts->empty()) return;
  json::object payload{{"userId", id_to_string(user)}, {"online", online}};
  if (state.last_seen_at) payload["lastSeenAt"] = format_iso8601(*state.last_seen_at);
  else payload["lastSeenAt"] = nullptr;
  cluster::Delivery delivery;
  delivery.event = "user_status";
  delivery.payload = std::make_shared<const std::string>(json::serialize(payload));
  delivery.audience = cluster::Delivery::Audience::members;
  delivery.user_ids = std::make_shared<const std::vector<Id>>(std::move(*contacts));
  deps_.bus->publish(std::move(delivery));
}

// ---- conversations

void Live::join(Id user, std::string conversation_id, Done<Id> done) {
  deps_.offload([this, user, conversation_id = std::move(conversation_id), done = std::move(done)] {
    auto member = deps_.conversations->require_member(user, conversation_id);
    if (!member) return done(member.error());
    done(member->conversation_id);
  });
}

void Live::announce_typing(Id user, Id conversation, bool on, std::string except) {
  json::object payload{{"conversationId", id_to_string(conversation)}, {"userId", id_to_string(user)}};
  cluster::Delivery delivery;
  delivery.event = on ? "typing" : "stop_typing";
  delivery.payload = std::make_shared<const std::string>(json::serialize(payload));
  delivery.audience = cluster::Delivery::Audience::room;
  delivery.conversation_id = conversation;
  delivery.except_connection = std::move(except);
  deps_.bus->publish(std::move(delivery));
}

void Live::left(Id user, Id conversation, std::string origin) {
  if (deps_.typing->stopped({conversation, user})) announce_typing(user, conversation, false, std::move(origin));
}

void Live::typing(Id user, Id conversation, bool on, std::string origin) {
  const bool changed = on ? deps_.typing->started({conversation, user}) : deps_.typing->stopped({conversation, user});
  if (changed) announce_typing(user, conversation, on, std::move(origin));
}

void Live::send(Id user, SendInput input, Messages::SendDone done) {
  deps_.messages->send_async(user, std::move(input), [this, user, done = std::move(done)](Result<Sent> sent) {
    // Sending ends the sender's typing there; every connection hears it, the sender's too.
    if (sent && deps_.typing->stopped({sent->message.conversation_id, user}))
      announce_typing(user, sent->message.conversation_id, false, {});
    done(std::move(sent));
  });
}

void Live::mark_read(Id user, std::string conversation_id, std::string message_id, Done<store::ReadState> done) {
  deps_.offload([this, user, conversation_id = std::move(conversation_id), message_id = std::move(message_id),
                 done = std::move(done)] { done(deps_.messages->mark_read_in(user, conversation_id, message_id)); });
}

void Live::edit(Id user, std::string message_id, std::string body, Done<std::string> done) {
  deps_.offload([this, user, message_id = std::move(message_id), body = std::move(body), done = std::move(done)] {
    auto edited = deps_.messages->edit(user, message_id, body);
    if (!edited) return done(edited.error());
    done(message_json(*edited));
  });
}

void Live::react(Id user, std::string message_id, std::string emoji, bool on, Done<std::string> done) {
  deps_.offload([this, user, message_id = std::move(message_id), emoji = std::move(emoji), on,
                 done = std::move(done)] {
    auto change = deps_.messages->react(user, message_id, emoji, on);
    if (!change) return done(change.error());
    done(reactions_json(change->message));
  });
}

// ---- clocks

void Live::sweep() {
  for (const auto& key : deps_.typing->expire()) announce_typing(key.user_id, key.conversation_id, false, {});
  // Decided across the cluster in the background (cluster mode); nothing in one process.
  for (const auto& key : deps_.typing->take_started()) announce_typing(key.user_id, key.conversation_id, true, {});
  for (Id user : deps_.presence->take_came_online()) queue_presence(user, true);
  for (Id user : deps_.presence->expire_offline(options_.presence_grace.count())) queue_presence(user, false);
}

}  // namespace parley::chat
