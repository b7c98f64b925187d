#pragma once
// SQL for messages and read state. Writes run on the writer thread inside a
// job's savepoint; reads on a reader connection.
//
// Thread-safety: none of their own; each uses the Connection it is given.

#include <cstdint>
#include <optional>
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
Result<MessageRow> soft_delete_message(Connection& db, Id message, TimeMs at);
// Watermark = max(current, min(seq, last_seq)). not_found if not a member.
Result<ReadState> advance_read(Connection& db, ConversationSeqs& seqs, Id conversation, Id user, Seq seq);

Result<std::optional<MessageRow>> message_by_id(Connection& db, Id id);
Result<std::vector<MessageRow>> messages(Connection& db, Id conversation, std::optional<Seq> before,
                                         std::optional<Seq> after, int limit);
// 0 for a non-member.
Result<std::int64_t> unread_count(Connection& db, Id conversation, Id user);

}  // namespace parley::store::sqlite
