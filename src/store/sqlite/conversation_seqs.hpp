#pragma once
// ConversationSeqs: the newest seq, change_seq (and activity time) of each
// conversation the current write transaction changed, so that append_message
// (and edits, reactions, deletions: they take change_seqs) write
// conversations.last_seq / last_change_seq once per conversation per
// transaction (before COMMIT) instead of once per message.
//
// Why it is correct: the writer thread is the only writer of the database, so
// inside one transaction the value here is the truth, and the row is brought up
// to date before the transaction commits:
//  - a job's changes are kept only if the job is kept (its savepoint released,
//    or an atomic() job that succeeded); when it is rolled back they are undone
//    here too (an undo log per job), so no seq is skipped or handed out twice;
//  - when the transaction ends (committed or not) everything is forgotten, so a
//    transaction that did not commit leaves nothing behind, and each
//    transaction reads last_seq from the table once per conversation;
//  - a write job that reads conversations.last_seq or last_activity_at inside
//    the transaction calls sync() first (advance_read does). sync() inside a job's
//    savepoint that is later rolled back is harmless: before_commit() writes every
//    entry again.
//
// Ownership: the SqliteStore owns it; the Writer and the append jobs borrow it.
// Thread-safety: none; the writer thread only.

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "store/records.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/writer.hpp"

namespace parley::store::sqlite {

class ConversationSeqs final : public TransactionState {
 public:
  struct Entry {
    Seq last_seq = 0;
    TimeMs last_activity_at = 0;  // the newest message's time (written as max with the row's)
    Seq last_change_seq = 0;
  };

  // The conversation's entry if this transaction appended to it already; null otherwise.
  const Entry* find(Id conversation) const;
  // The current job stored message `seq` (the entry's last_seq + 1, or the
  // row's when there is no entry yet) at time `at` in `conversation`.
  void appended(Id conversation, Seq seq, TimeMs at, Seq change_seq);
  // Takes the conversation's next change_seq for a change that is not an
  // append (edit, reaction, deletion): from the entry, else from the row (an
  // entry is made). not_found if the conversation is gone. The current job
  // owns it as for appended() (undone if the job rolls back).
  Result<Seq> next_change(Connection& db, Id conversation);

  // Writes the conversation's entry (if any) to its row now. REQUIRES: in the
  // writer's transaction.
  Status sync(Connection& db, Id conversation);

  // TransactionState
  Status before_commit(Connection& db) override;
  void job_released() override;
  void job_rolled_back() override;
  void transaction_ended() override;

  std::size_t size() const { return entries_.size(); }
  // Appends the conversations this transaction changed to `out` (before COMMIT).
  void conversations(std::vector<Id>& out) const {
    for (const auto& e : entries_) out.push_back(e.first);
  }

 private:
  Status write(Connection& db, Id conversation, const Entry& entry);

  std::unordered_map<Id, Entry> entries_;
  // What the current job changed: the entry before it (nullopt: there was none).
  std::vector<std::pair<Id, std::optional<Entry>>> undo_;
};

}  // namespace parley::store::sqlite
