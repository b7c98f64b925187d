#pragma once
// SQL for messages and read state. Writes run on the writer thread inside a
// job's savepoint; reads on a reader connection.
//
// Thread-safety: none of their own; each uses the Connection it is given.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "store/records.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/conversation_seqs.hpp"
#include "store/store.hpp"

namespace parley::store::sqlite {

// Store::append_message, in the writer's transaction. A repeat of
// (conversation_id, sender_id, client_msg_id) returns the stored row
// (created = false); the key is scoped to the conversation, so the same
// clientMsgId in another conversation is another message. The conversation's
// last_seq / last_activity_at move in `seqs`, written to the row before COMMIT.
// `draft` is taken by value: it becomes the stored row without copying its text.
Result<AppendResult> append_message(Connection& db, ConversationSeqs& seqs, MessageRow draft);
// The first deletion takes a change_seq (seqs) and drops reactions, mentions
// (the search indexer follows through change_seq: search_indexer.hpp); a
// repeat changes nothing.
Result<MessageRow> soft_delete_message(Connection& db, ConversationSeqs& seqs, Id message,
                                       TimeMs at);
// Watermark = max(current, min(seq, last_seq)). not_found if not a member.
Result<ReadState> advance_read(Connection& db, ConversationSeqs& seqs, Id conversation, Id user, Seq seq);

Result<std::optional<MessageRow>> message_by_id(Connection& db, Id id);
Result<std::vector<MessageRow>> messages(Connection& db, Id conversation, std::optional<Seq> before,
                                         std::optional<Seq> after, int limit);
// What the feature writes check first about a message. not_found if absent.
struct LiveMessage {
  Id conversation_id = 0;
  Seq seq = 0;
  Id sender_id = 0;
  bool deleted = false;
  std::string body;
  std::vector<Id> mentions;
};
Result<LiveMessage> live_message(Connection& db, Id message, const char* context);
// The mentions table: one row per mentioned user (never the sender) of message `seq`.
Status insert_mentions(Connection& db, Id conversation, Seq seq, Id sender, const std::vector<Id>& users);
Status delete_mentions(Connection& db, Id conversation, Seq seq, const std::vector<Id>& users);

// 0 for a non-member.
Result<std::int64_t> unread_count(Connection& db, Id conversation, Id user);

}  // namespace parley::store::sqlite
