#pragma once
// SQL for the conversation features (docs/features.md): edits, reactions, the
// change feed, mute. Writes run on the writer thread inside a job's savepoint
// (several statements each) and take change_seqs from `seqs`; reads on a
// reader connection.
//
// Thread-safety: none of their own; each uses the Connection it is given.

#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/records.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/conversation_seqs.hpp"
#include "store/store.hpp"

namespace parley::store::sqlite {

// Store::edit_message. The same body and mentions again change nothing (the
// row is returned as it is, no change_seq taken).
Result<MessageRow> edit_message(Connection& db, ConversationSeqs& seqs, Id message,
                                std::string_view body,
                                const std::vector<Id>& mentions, TimeMs at);
Result<ReactionChange> set_reaction(Connection& db, ConversationSeqs& seqs, Id message, Id user,
                                    std::string_view emoji, bool on, TimeMs at, int max_distinct);
Result<std::vector<MessageRow>> changed_messages(Connection& db, Id conversation, Seq after_change, int limit);
Result<std::monostate> set_muted(Connection& db, Id conversation, Id user, bool muted);

}  // namespace parley::store::sqlite
