#include "chat/views.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "common/clock.hpp"
#include "common/ids.hpp"
#include "common/json_writer.hpp"

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

void append_message_json(std::string& out, const store::MessageRow& message) {
  out += "{\"id\":";
  json_text::append_id(out, message.id);
  out += ",\"conversationId\":";
  json_text::append_id(out, message.conversation_id);
  out += ",\"seq\":";
  json_text::append_int(out, message.seq);
  out += ",\"senderId\":";
  json_text::append_id(out, message.sender_id);
  out += ",\"body\":";
  json_text::append_string(out, message.deleted_at ? std::string_view() : std::string_view(message.body));
  out += ",\"clientMsgId\":";
  json_text::append_string(out, message.client_msg_id);
  out += ",\"createdAt\":";
  json_text::append_time(out, message.created_at);
  out += ",\"deletedAt\":";
  if (message.deleted_at) json_text::append_time(out, *message.deleted_at);
  else out += "null";
  out += ",\"attachments\":[";
  if (!message.deleted_at) {
    for (std::size_t i = 0; i < message.attachments.size(); ++i) {
      if (i) out.push_back(',');
      append_attachment_json(out, message.attachments[i]);
    }
  }
  out += "]}";
}

const char* preview_name(store::PreviewState state) {
  switch (state) {
    case store::PreviewState::pending: return "pending";
    case store::PreviewState::ready: return "ready";
    case store::PreviewState::failed: return "failed";
    case store::PreviewState::none: break;
  }
  return "none";
}

namespace {

// The last segment of a blob key (`<attachment id>/<sha256>.webp`): the name in
// the thumbnail's URL.
std::string_view last_segment(std::string_view key) {
  const auto slash = key.rfind('/');
  return slash == std::string_view::npos ? key : key.substr(slash + 1);
}

void append_thumbnail_url(std::string& out, std::string_view attachment_id, std::string_view key) {
  out += "\"/api/attachments/";
  out += attachment_id;
  out += "/thumbnails/";
  // Keys are [0-9a-z./_-] (media/blob_store.hpp): nothing to escape in JSON or a URL.
  out += last_segment(key);
  out.push_back('"');
}

}  // namespace

void append_attachment_json(std::string& out, const store::AttachmentRow& attachment) {
  const std::string id = id_to_string(attachment.id);
  out += "{\"id\":\"";
  out += id;
  out += "\",\"name\":";
  json_text::append_string(out, attachment.name);
  out += ",\"size\":";
  json_text::append_int(out, attachment.size);
  out += ",\"contentType\":";
  json_text::append_string(out, attachment.content_type);
  if (attachment.width && attachment.height) {
    out += ",\"width\":";
    json_text::append_int(out, *attachment.width);
    out += ",\"height\":";
    json_text::append_int(out, *attachment.height);
  }
  out += ",\"preview\":\"";
  out += preview_name(attachment.preview);
  out += "\",\"url\":\"/api/attachments/";
  out += id;
  out += "/file\"";
  if (attachment.preview == store::PreviewState::ready) {
    if (!attachment.thumb_small_key.empty()) {
      out += ",\"thumbnailUrl\":";
      append_thumbnail_url(out, id, attachment.thumb_small_key);
    }
    if (!attachment.thumb_large_key.empty()) {
      out += ",\"previewUrl\":";
      append_thumbnail_url(out, id, attachment.thumb_large_key);
    }
  }
  out.push_back('}');
}

std::string attachment_json(const store::AttachmentRow& attachment) {
  std::string out;
  out.reserve(400);
  append_attachment_json(out, attachment);
  return out;
}

std::string message_json(const store::MessageRow& message) {
  std::string out;
  out.reserve(220 + message.body.size() + 400 * message.attachments.size());
  append_message_json(out, message);
  return out;
}

void append_messages_json(std::string& out, const std::vector<store::MessageRow>& messages) {
  out.push_back('[');
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (i) out.push_back(',');
    append_message_json(out, messages[i]);
  }
  out.push_back(']');
}

std::string message_page_json(const std::vector<store::MessageRow>& messages, std::optional<store::Seq> next_cursor) {
  std::string out;
  std::size_t size = 40;
  for (const auto& m : messages) size += 240 + m.body.size() + 400 * m.attachments.size();
  out.reserve(size);
  out += "{\"messages\":";
  append_messages_json(out, messages);
  out += ",\"nextCursor\":";
  if (next_cursor) json_text::append_int(out, *next_cursor);
  else out += "null";
  out.push_back('}');
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
  // Parsed back from the one renderer of the message shape: a conversation
  // view is built as a value, and one small parse per conversation keeps a
  // second renderer (that could disagree) out of the code.
  if (summary.last_message) out["lastMessage"] = json::parse(message_json(*summary.last_message));
  else out["lastMessage"] = nullptr;
  out["lastSeq"] = c.last_seq;
  out["lastReadSeq"] = summary.self.last_read_seq;
  out["unreadCount"] = summary.unread_count;
  return out;
}

}  // namespace parley::chat
