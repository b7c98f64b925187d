#pragma once
// The JSON shapes of the API (docs/api.md), rendered once for REST answers and
// socket events alike. Ids are strings; times ISO 8601 UTC with milliseconds.
// The message shape has one renderer, the text one below (the hot path:
// history pages, broadcasts, acks); every answer that embeds a message uses it.
//
// Thread-safety: pure functions.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/records.hpp"

namespace parley::chat {

// {id, username, displayName, createdAt}
boost::json::object user_view(const store::UserRow& user);
// user_view + email: only for the caller's own profile.
boost::json::object self_view(const store::UserRow& user);
// {id, conversationId, seq, changeSeq, senderId, body, clientMsgId, createdAt,
// deletedAt, editedAt, replyToId, replyTo, mentions, reactions, attachments},
// written straight to text; appends to `out`. A deleted message has body "",
// no attachments, mentions or reactions. replyTo: {id, seq, senderId, body
// (at most 200 characters, "…" when shortened; "" when deleted), deleted} or
// null; reactions: [{emoji, count, userIds}] (docs/features.md).
void append_message_json(std::string& out, const store::MessageRow& message);
std::string message_json(const store::MessageRow& message);
// The Attachment of docs/media.md: {id, name, size, contentType, [width,
// height,] preview, url[, thumbnailUrl, previewUrl]}; width/height once known,
// the thumbnail URLs once the preview is ready. Appends to `out`.
void append_attachment_json(std::string& out, const store::AttachmentRow& attachment);
std::string attachment_json(const store::AttachmentRow& attachment);
const char* preview_name(store::PreviewState state);
// [message, ...]
void append_messages_json(std::string& out, const std::vector<store::MessageRow>& messages);
// {"messages":[...],"nextCursor":N|null}
std::string message_page_json(const std::vector<store::MessageRow>& messages, std::optional<store::Seq> next_cursor);
// {conversationId, messageId, changeSeq, reactions} (the reaction_updated event
// and the reaction routes' answer).
std::string reactions_json(const store::MessageRow& message);
// {"results":[{message, snippet}], "nextCursor": "..."|null}; snippet: the
// store's marked text as HTML: escaped, the matches in <mark>…</mark> (marks
// kept balanced whatever the body holds).
std::string search_page_json(const std::vector<store::SearchHit>& hits, const std::optional<std::string>& next_cursor);
// A store snippet (kSnippetOpen/kSnippetClose around matches) as HTML: every
// character escaped (& < > " '), the marks as <mark>…</mark>, never nested,
// never left open; a broken UTF-8 sequence becomes U+FFFD.
std::string snippet_html(std::string_view marked);
// {"messages":[...], "nextCursor": N|null} for changedAfter pages (N: a changeSeq).
std::string change_page_json(const std::vector<store::MessageRow>& messages, std::optional<store::Seq> next_cursor);
// user_view + {role, lastReadSeq}
boost::json::object member_view(const store::MemberView& member);
// {id, type, title, members, createdAt, lastMessage, lastSeq, lastChangeSeq,
// lastReadSeq, unreadCount, mentionCount, muted}
boost::json::object conversation_view(const store::ConversationSummary& summary,
                                      const std::vector<store::MemberView>& members);

const char* type_name(store::ConversationType type);
const char* role_name(store::MemberRole role);

}  // namespace parley::chat
