#pragma once
// Plain rows the Store reads and writes. No behaviour; the chat layer owns the rules.
// Times are milliseconds since the Unix epoch (UTC). Ids are snowflakes (common/ids.hpp).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/ids.hpp"

namespace parley::store {

using Seq = std::int64_t;

struct UserRow {
  Id id = 0;
  std::string username;       // as typed at registration; unique ignoring case
  std::string email;          // unique ignoring case
  std::string display_name;
  std::string password_hash;  // argon2id string; never leaves the server
  TimeMs created_at = 0;
  TimeMs last_seen_at = 0;    // 0 = never
};

enum class ConversationType { direct, group };
enum class MemberRole { member, admin };

struct ConversationRow {
  Id id = 0;
  ConversationType type = ConversationType::group;
  std::string title;  // empty for direct conversations
  Id created_by = 0;
  TimeMs created_at = 0;
  Seq last_seq = 0;            // seq of the newest message, 0 if none
  TimeMs last_activity_at = 0; // newest message's time, else created_at; sorts the list
  // The conversation's change sequence (docs/features.md): the change_seq of
  // its latest change (a message sent, edited, reacted to or deleted); 0 if none.
  Seq last_change_seq = 0;
};

struct MemberRow {
  Id conversation_id = 0;
  Id user_id = 0;
  MemberRole role = MemberRole::member;
  Seq last_read_seq = 0;
  TimeMs joined_at = 0;
  bool muted = false;  // no notification, no badge beyond a dot (docs/features.md)
};

// A file uploaded into a conversation (docs/media.md). An upload is unattached
// (message_id empty) until a message of its uploader claims it; a message's
// soft delete sets deleted_at, and the sweep later removes row and bytes.
enum class PreviewState : std::uint8_t {
  none,     // not an image we preview (or a preview is not wanted)
  pending,  // a thumbnail job is queued or running
  ready,    // thumbnails exist: thumb_small_key / thumb_large_key
  failed,   // the image was refused or the job gave up: shown as a file
};

struct AttachmentRow {
  Id id = 0;
  Id conversation_id = 0;
  Id uploader_id = 0;
  std::optional<Id> message_id;  // set once attached (in the message's transaction)
  std::string name;              // sanitized file name, as shown and downloaded
  std::string content_type;      // sniffed from the bytes, never the client's claim
  std::int64_t size = 0;         // bytes
  std::string sha256;            // hex of the content: the ETag, part of the blob key
  std::string blob_key;          // where the bytes are in the media store (media/blob_store.hpp)
  PreviewState preview = PreviewState::none;
  std::optional<int> width;      // pixels, after EXIF orientation; images only, once known
  std::optional<int> height;
  std::string thumb_small_key;   // blob key of the ~320 px thumbnail; empty if none
  std::string thumb_large_key;   // blob key of the ~1280 px preview; empty if none
  std::string preview_error;     // why the preview failed (for logs and the uploader)
  TimeMs created_at = 0;
  std::optional<TimeMs> deleted_at;  // its message was deleted: no access, bytes reclaimed later
};

// The message a reply quotes, as it is now (read with the reply, never stored
// in it): a deleted parent has deleted = true and an empty body.
struct ReplyQuote {
  Id id = 0;
  Seq seq = 0;
  Id sender_id = 0;
  std::string body;  // the parent's whole body; the view shortens it
  bool deleted = false;
};

// One emoji on a message and who put it there (each user at most once per emoji).
struct ReactionRow {
  std::string emoji;          // as validated by the chat layer (chat/validation.hpp)
  std::vector<Id> user_ids;   // in the order they reacted; count = size()
};

struct MessageRow {
  Id id = 0;
  Id conversation_id = 0;
  Seq seq = 0;
  Id sender_id = 0;
  std::string body;            // empty once deleted
  std::string client_msg_id;
  TimeMs created_at = 0;
  std::optional<TimeMs> deleted_at;
  // In ascending id order (upload order). In a draft for append_message only
  // the ids are set; every read fills whole rows. Empty once deleted.
  std::vector<AttachmentRow> attachments;
  // ---- conversation features (docs/features.md), schema v4
  // The conversation's change sequence at this message's latest change (its
  // send, edit, reaction change or deletion). Assigned by the store.
  Seq change_seq = 0;
  std::optional<TimeMs> edited_at;   // last edit; cleared never (a deleted message keeps it)
  std::optional<Id> reply_to_id;     // the message it replies to, same conversation
  std::optional<ReplyQuote> reply_to;  // filled by every read when reply_to_id is set and the parent exists
  // The users mentioned (resolved by the chat layer from @username, members
  // only), ascending, distinct. Empty once deleted.
  std::vector<Id> mentions;
  // In the order each emoji was first used on the message. Empty once deleted.
  std::vector<ReactionRow> reactions;
};

// One search result: the message and its body with the matched terms marked
// (kSnippetOpen / kSnippetClose around each match, at most ~32 tokens around
// the best match, "…" where shortened).
struct SearchHit {
  MessageRow message;
  std::string snippet;
};
// A body may contain these characters itself; the view (chat/views.hpp) keeps
// its marks balanced, so such a snippet is at worst marked oddly, never unsafe.
inline constexpr char kSnippetOpen = '\x02';
inline constexpr char kSnippetClose = '\x03';

// Durable background work (docs/media.md): thumbnail jobs and the media sweep.
// Any node may run any job; a claim is a lease, so a job whose node died is
// claimed again once the lease runs out.
struct JobRow {
  Id id = 0;
  std::string kind;            // "preview" (subject: an attachment) or "media_sweep" (subject 0)
  Id subject_id = 0;
  int attempts = 0;            // claims so far, this one included
  TimeMs run_after = 0;        // not claimed before this time
  TimeMs leased_until = 0;     // 0: not claimed; else claimed until then
  std::string last_error;      // of the previous attempt
  TimeMs created_at = 0;
};

// A member joined with the public part of its user, for rendering member lists.
struct MemberView {
  MemberRow member;
  UserRow user;  // password_hash and email are left empty by the store
};

// One entry of a user's conversation list.
struct ConversationSummary {
  ConversationRow conversation;
  MemberRow self;                          // the caller's membership (lastReadSeq)
  std::optional<MessageRow> last_message;  // tombstone if the newest was deleted
  std::int64_t unread_count = 0;
  // Messages after self.last_read_seq, not deleted, that mention the caller.
  std::int64_t mention_count = 0;
};

// Keyset cursor for the conversation list: strictly older than (activity, id).
struct ActivityCursor {
  TimeMs last_activity_at = 0;
  Id conversation_id = 0;
};

}  // namespace parley::store
