#include "chat/messages.hpp"

#include <boost/json/serialize.hpp>
#include <future>

#include "chat/validation.hpp"
#include "chat/views.hpp"

namespace parley::chat {

namespace {

Result<std::optional<store::Seq>> parse_seq(const std::optional<std::string>& text, const char* name) {
  if (!text) return std::optional<store::Seq>();
  if (text->empty() || text->size() > 18 || text->find_first_not_of("0123456789") != std::string::npos)
    return Error::bad_request("invalid_cursor", std::string(name) + " must be a non-negative integer");
  return std::optional<store::Seq>(std::stoll(*text));
}

}  // namespace

Messages::Messages(store::Store& store, Conversations& conversations, MemberCache& members, IdGenerator& ids,
                   const Clock& clock, EventSink& events)
    : store_(store), conversations_(conversations), members_(members), ids_(ids), clock_(clock), events_(events) {}

void Messages::publish_to_members(const char* name, Id conversation, std::string json) {
  auto members = members_.get(conversation);
  if (!members) return;
  Event event;
  event.name = name;
  event.json = std::make_shared<const std::string>(std::move(json));
  event.audience = Event::Audience::members;
  event.conversation_id = conversation;
  event.members = std::move(members);
  events_.publish(std::move(event));
}

void Messages::send_async(Id sender, const SendInput& input, MemberList members, SendDone done) {
  static const std::string kNone;
  if (auto status = check_message_body(input.body); !status) return done(status.error(), kNone);
  if (auto status = check_client_msg_id(input.client_msg_id); !status) return done(status.error(), kNone);
  auto conversation = parse_id(input.conversation_id);
  if (!conversation || !MemberCache::contains(members, sender))
    return done(Error::not_found("conversation not found"), kNone);
  store::MessageRow draft;
  draft.id = ids_.next();
  draft.conversation_id = *conversation;
  draft.sender_id = sender;
  draft.body = input.body;
  draft.client_msg_id = input.client_msg_id;
  draft.created_at = clock_.now_ms();
  store_.append_message_async(
      std::move(draft), [this, members = std::move(members), done = std::move(done)](Result<store::AppendResult> appended) {
        if (!appended) {
          if (appended.error().kind == ErrorKind::not_found)
            return done(Error::not_found("conversation not found"), kNone);
          return done(std::move(appended), kNone);
        }
        // Rendered once, on the store's completion thread: the broadcast and the ack share it.
        auto json = std::make_shared<const std::string>(message_json(appended->message));
        if (appended->created) {
          pages_.invalidate(appended->message.conversation_id);
          // Here, on the completion thread in commit order: broadcasts leave in seq order.
          Event event;
          event.name = "new_message";
          event.json = json;
          event.audience = Event::Audience::members;
          event.conversation_id = appended->message.conversation_id;
          event.members = members;
          events_.publish(std::move(event));
        }
        done(std::move(appended), *json);
      });
}

Result<store::AppendResult> Messages::send(const store::UserRow& caller, const SendInput& input) {
  auto conversation = parse_id(input.conversation_id);
  MemberList members = conversation ? members_.get(*conversation) : nullptr;
  std::promise<Result<store::AppendResult>> promise;
  auto future = promise.get_future();
  send_async(caller.id, input, std::move(members),
             [&promise](Result<store::AppendResult> result, const std::string&) {
               promise.set_value(std::move(result));
             });
  return future.get();
}

Result<PageKey> Messages::page_key(const PageQuery& query) {
  auto before = parse_seq(query.before, "before");
  if (!before) return before.error();
  auto after = parse_seq(query.after, "after");
  if (!after) return after.error();
  PageKey key;
  key.before = before->value_or(-1);
  key.after = after->value_or(-1);
  key.limit = kDefaultPage;
  if (query.limit) {
    auto parsed = parse_seq(query.limit, "limit");
    if (!parsed || !*parsed || **parsed < 1 || **parsed > kMaxPage)
      return Error::bad_request("invalid_limit", "limit must be between 1 and 100");
    key.limit = static_cast<int>(**parsed);
  }
  return key;
}

MessagePage Messages::read_page(Id conversation, const PageKey& key) {
  const std::optional<store::Seq> before = key.before >= 0 ? std::optional(key.before) : std::nullopt;
  const std::optional<store::Seq> after = key.after >= 0 ? std::optional(key.after) : std::nullopt;
  MessagePage page;
  page.messages = store_.messages(conversation, before, after, key.limit);
  if (static_cast<int>(page.messages.size()) == key.limit) {
    // Forward pages continue after the newest; backward pages before the oldest.
    if (after) {
      const auto row = store_.conversation_by_id(conversation);
      const store::Seq newest = page.messages.back().seq;
      const store::Seq bound = before ? *before - 1 : (row ? row->last_seq : newest);
      if (newest < bound) page.next_cursor = newest;
    } else if (page.messages.front().seq > 1) {
      page.next_cursor = page.messages.front().seq;
    }
  }
  return page;
}

Result<MessagePage> Messages::page(const store::UserRow& caller, std::string_view conversation_id,
                                   const PageQuery& query) {
  auto member = conversations_.require_member(caller.id, conversation_id);
  if (!member) return member.error();
  auto key = page_key(query);
  if (!key) return key.error();
  return read_page(member->conversation_id, *key);
}

Result<PageCache::Page> Messages::page_json(Id caller, std::string_view conversation_id, const PageQuery& query) {
  auto id = parse_id(conversation_id);
  if (!id || !MemberCache::contains(members_.get(*id), caller)) return Error::not_found("conversation not found");
  auto key = page_key(query);
  if (!key) return key.error();
  const Id conversation = *id;
  if (auto cached = pages_.find(conversation, *key)) return cached;
  // Taken before the read: a change committed after it voids this page (see page_cache.hpp).
  const auto generation = pages_.generation(conversation);
  auto page = read_page(conversation, *key);
  auto json = std::make_shared<const std::string>(message_page_json(page.messages, page.next_cursor));
  pages_.put(conversation, generation, *key, json);
  return json;
}

PageCache::Page Messages::cached_page_json(Id caller, std::string_view conversation_id, const PageQuery& query) const {
  auto conversation = parse_id(conversation_id);
  if (!conversation || !MemberCache::contains(members_.peek(*conversation), caller)) return nullptr;
  auto key = page_key(query);
  if (!key) return nullptr;
  return pages_.find(*conversation, *key);
}

Result<store::MessageRow> Messages::visible_message(Id user, std::string_view message_id) {
  auto id = parse_id(message_id);
  if (!id) return Error::not_found("message not found");
  auto message = store_.message_by_id(*id);
  if (!message || !store_.membership(message->conversation_id, user)) return Error::not_found("message not found");
  return std::move(*message);
}

Result<store::ReadState> Messages::mark_read(const store::UserRow& caller, std::string_view message_id) {
  auto message = visible_message(caller.id, message_id);
  if (!message) return message.error();
  auto before = store_.membership(message->conversation_id, caller.id);
  auto state = store_.advance_read(message->conversation_id, caller.id, message->seq);
  if (!state) return state.error();
  if (before && state->last_read_seq > before->last_read_seq) {
    Event event;
    event.name = "message_read";
    boost::json::object payload{{"conversationId", id_to_string(message->conversation_id)},
                                {"userId", id_to_string(caller.id)},
                                {"seq", state->last_read_seq}};
    event.json = std::make_shared<const std::string>(boost::json::serialize(payload));
    event.audience = Event::Audience::room;
    event.conversation_id = message->conversation_id;
    events_.publish(std::move(event));
  }
  return state;
}

Result<store::ReadState> Messages::mark_read_in(const store::UserRow& caller, std::string_view conversation_id,
                                                std::string_view message_id) {
  auto message = visible_message(caller.id, message_id);
  if (!message) return message.error();
  if (id_to_string(message->conversation_id) != conversation_id) return Error::not_found("message not found");
  return mark_read(caller, message_id);
}

Result<store::MessageRow> Messages::remove(const store::UserRow& caller, std::string_view message_id) {
  auto message = visible_message(caller.id, message_id);
  if (!message) return message.error();
  if (message->sender_id != caller.id) {
    auto conversation = store_.conversation_by_id(message->conversation_id);
    auto member = store_.membership(message->conversation_id, caller.id);
    const bool group_admin = conversation && conversation->type == store::ConversationType::group && member &&
                             member->role == store::MemberRole::admin;
    if (!group_admin) return Error::forbidden("only the sender or a group admin may delete a message");
  }
  const bool already_deleted = message->deleted_at.has_value();
  auto tombstone = store_.soft_delete_message(message->id, clock_.now_ms());
  if (!tombstone) return tombstone.error();
  pages_.invalidate(tombstone->conversation_id);
  if (!already_deleted)
    publish_to_members("message_deleted", tombstone->conversation_id, message_json(*tombstone));
  return tombstone;
}

}  // namespace parley::chat
