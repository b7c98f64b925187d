#include "chat/views.hpp"

#include <boost/json/array.hpp>

#include "common/clock.hpp"
#include "common/ids.hpp"

namespace parley::chat {

namespace json = boost::json;

const char* type_name(store::ConversationType type) {
  return type == store::ConversationType::direct ? "direct" : "group";
}

const char* role_name(store::MemberRole role) { return role == store::MemberRole::admin ? "admin" : "member"; }

json::object user_view(const store::UserRow& user) {
  json::object out;
  out["id"] = id_to_string(user.id);
  out["username"] = user.username;
  out["displayName"] = user.display_name;
  out["createdAt"] = format_iso8601(user.created_at);
  return out;
}

json::object self_view(const store::UserRow& user) {
  json::object out = user_view(user);
  out["email"] = user.email;
  return out;
}

json::object message_view(const store::MessageRow& message) {
  json::object out;
  out["id"] = id_to_string(message.id);
  out["conversationId"] = id_to_string(message.conversation_id);
  out["seq"] = message.seq;
  out["senderId"] = id_to_string(message.sender_id);
  out["body"] = message.deleted_at ? std::string() : message.body;
  out["clientMsgId"] = message.client_msg_id;
  out["createdAt"] = format_iso8601(message.created_at);
  if (message.deleted_at) out["deletedAt"] = format_iso8601(*message.deleted_at);
  else out["deletedAt"] = nullptr;
  return out;
}

json::object member_view(const store::MemberView& member) {
  json::object out = user_view(member.user);
  out["role"] = role_name(member.member.role);
  out["lastReadSeq"] = member.member.last_read_seq;
  return out;
}

json::object conversation_view(const store::ConversationSummary& summary,
                               const std::vector<store::MemberView>& members) {
  const auto& c = summary.conversation;
  json::object out;
  out["id"] = id_to_string(c.id);
  out["type"] = type_name(c.type);
  if (c.type == store::ConversationType::group) out["title"] = c.title;
  else out["title"] = nullptr;
  json::array list;
  list.reserve(members.size());
  for (const auto& m : members) list.push_back(member_view(m));
  out["members"] = std::move(list);
  out["createdAt"] = format_iso8601(c.created_at);
  out["lastActivityAt"] = format_iso8601(c.last_activity_at);
  if (summary.last_message) out["lastMessage"] = message_view(*summary.last_message);
  else out["lastMessage"] = nullptr;
  out["lastSeq"] = c.last_seq;
  out["lastReadSeq"] = summary.self.last_read_seq;
  out["unreadCount"] = summary.unread_count;
  return out;
}

}  // namespace parley::chat
