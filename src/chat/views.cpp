#include "chat/views.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "common/clock.hpp"
#include "common/ids.hpp"
#include "common/json_writer.hpp"
#include "common/utf8.hpp"

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

namespace {

constexpr std::size_t kQuoteChars = 200;

// The first `max_chars` code points of valid UTF-8 `text`, or the first
// max_chars - 1 and "…" when it is longer.
std::string_view utf8_prefix(std::string_view text, std::size_t max_chars, bool& cut) {
  std::size_t chars = 0, i = 0, keep = 0;
  while (i < text.size()) {
    if (chars == max_chars - 1) keep = i;
    if (chars == max_chars) break;
    const auto byte = static_cast<unsigned char>(text[i]);
    i += byte < 0x80 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4;
    ++chars;
  }
  cut = i < text.size();
  return cut ? text.substr(0, keep) : text;
}

void append_quote_json(std::string& out, const store::ReplyQuote& quote) {
  out += "{\"id\":";
  json_text::append_id(out, quote.id);
  out += ",\"seq\":";
  json_text::append_int(out, quote.seq);
  out += ",\"senderId\":";
  json_text::append_id(out, quote.sender_id);
  out += ",\"body\":";
  if (quote.deleted) {
    out += "\"\"";
  } else {
    bool cut = false;
    const std::string_view kept = utf8_prefix(quote.body, kQuoteChars, cut);
    if (cut) json_text::append_string(out, std::string(kept) + "\u2026");
    else json_text::append_string(out, kept);
  }
  out += quote.deleted ? ",\"deleted\":true}" : ",\"deleted\":false}";
}

void append_ids_json(std::string& out, const std::vector<Id>& ids) {
  out.push_back('[');
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) out.push_back(',');
    json_text::append_id(out, ids[i]);
  }
  out.push_back(']');
}

void append_reactions_json(std::string& out, const std::vector<store::ReactionRow>& reactions) {
  out.push_back('[');
  for (std::size_t i = 0; i < reactions.size(); ++i) {
    if (i) out.push_back(',');
    out += "{\"emoji\":";
    json_text::append_string(out, reactions[i].emoji);
    out += ",\"count\":";
    json_text::append_int(out, static_cast<std::int64_t>(reactions[i].user_ids.size()));
    out += ",\"userIds\":";
    append_ids_json(out, reactions[i].user_ids);
    out.push_back('}');
  }
  out.push_back(']');
}

}  // namespace

void append_message_json(std::string& out, const store::MessageRow& message) {
  const bool deleted = message.deleted_at.has_value();
  out += "{\"id\":";
  json_text::append_id(out, message.id);
  out += ",\"conversationId\":";
  json_text::append_id(out, message.conversation_id);
  out += ",\"seq\":";
  json_text::append_int(out, message.seq);
  out += ",\"changeSeq\":";
  json_text::append_int(out, message.change_seq);
  out += ",\"senderId\":";
  json_text::append_id(out, message.sender_id);
  out += ",\"body\":";
  json_text::append_string(out, deleted ? std::string_view() : std::string_view(message.body));
  out += ",\"clientMsgId\":";
  json_text::append_string(out, message.client_msg_id);
  out += ",\"createdAt\":";
  json_text::append_time(out, message.created_at);
  out += ",\"deletedAt\":";
  if (deleted) json_text::append_time(out, *message.deleted_at);
  else out += "null";
  out += ",\"editedAt\":";
  if (message.edited_at) json_text::append_time(out, *message.edited_at);
  else out += "null";
  out += ",\"replyToId\":";
  if (message.reply_to_id) json_text::append_id(out, *message.reply_to_id);
  else out += "null";
  out += ",\"replyTo\":";
  if (message.reply_to_id && message.reply_to) append_quote_json(out, *message.reply_to);
  else out += "null";
  out += ",\"mentions\":";
  if (deleted) out += "[]";
  else append_ids_json(out, message.mentions);
  out += ",\"reactions\":";
  if (deleted) out += "[]";
  else append_reactions_json(out, message.reactions);
  out += ",\"attachments\":[";
  if (!deleted) {
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
  out.reserve(360 + message.body.size() + 400 * message.attachments.size());
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
  for (const auto& m : messages) size += 380 + m.body.size() + 400 * m.attachments.size();
  out.reserve(size);
  out += "{\"messages\":";
  append_messages_json(out, messages);
  out += ",\"nextCursor\":";
  if (next_cursor) json_text::append_int(out, *next_cursor);
  else out += "null";
  out.push_back('}');
  return out;
}

std::string reactions_json(const store::MessageRow& message) {
  std::string out;
  out.reserve(120 + 60 * message.reactions.size());
  out += "{\"conversationId\":";
  json_text::append_id(out, message.conversation_id);
  out += ",\"messageId\":";
  json_text::append_id(out, message.id);
  out += ",\"changeSeq\":";
  json_text::append_int(out, message.change_seq);
  out += ",\"reactions\":";
  if (message.deleted_at) out += "[]";
  else append_reactions_json(out, message.reactions);
  out.push_back('}');
  return out;
}

std::string snippet_html(std::string_view marked) {
  std::string out;
  out.reserve(marked.size() + 64);
  bool open = false;
  std::size_t i = 0;
  while (i < marked.size()) {
    const char c = marked[i];
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) {
      // Copied whole when well-formed; a broken sequence (a snippet cut
      // mid-character) becomes U+FFFD, so the JSON stays valid UTF-8.
      const std::size_t len = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1;
      const std::string_view sequence = marked.substr(i, len);
      if (len > 1 && sequence.size() == len && is_valid_utf8(sequence)) {
        out += sequence;
        i += len;
      } else {
        out += "\xEF\xBF\xBD";
        ++i;
      }
      continue;
    }
    ++i;
    switch (c) {
      case store::kSnippetOpen:
        if (!open) out += "<mark>";
        open = true;
        break;
      case store::kSnippetClose:
        if (open) out += "</mark>";
        open = false;
        break;
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  if (open) out += "</mark>";
  return out;
}

std::string search_page_json(const std::vector<store::SearchHit>& hits, const std::optional<std::string>& next_cursor) {
  std::string out;
  std::size_t size = 40;
  for (const auto& h : hits) size += 420 + h.message.body.size() + 2 * h.snippet.size();
  out.reserve(size);
  out += "{\"results\":[";
  for (std::size_t i = 0; i < hits.size(); ++i) {
    if (i) out.push_back(',');
    out += "{\"message\":";
    append_message_json(out, hits[i].message);
    out += ",\"snippet\":";
    json_text::append_string(out, snippet_html(hits[i].snippet));
    out.push_back('}');
  }
  out += "],\"nextCursor\":";
  if (next_cursor) json_text::append_string(out, *next_cursor);
  else out += "null";
  out.push_back('}');
  return out;
}

std::string change_page_json(const std::vector<store::MessageRow>& messages, std::optional<store::Seq> next_cursor) {
  // The same shape as a history page; the cursor is a changeSeq.
  return message_page_json(messages, next_cursor);
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
  out["lastChangeSeq"] = c.last_change_seq;
  out["lastReadSeq"] = summary.self.last_read_seq;
  out["unreadCount"] = summary.unread_count;
  out["mentionCount"] = summary.mention_count;
  out["muted"] = summary.self.muted;
  return out;
}

}  // namespace parley::chat
