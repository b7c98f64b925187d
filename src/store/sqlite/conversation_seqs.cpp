#include "store/sqlite/conversation_seqs.hpp"

#include <sqlite3.h>

#include <algorithm>

namespace parley::store::sqlite {

const ConversationSeqs::Entry* ConversationSeqs::find(Id conversation) const {
  auto it = entries_.find(conversation);
  return it == entries_.end() ? nullptr : &it->second;
}

void ConversationSeqs::appended(Id conversation, Seq seq, TimeMs at, Seq change_seq) {
  auto [it, inserted] = entries_.try_emplace(conversation);
  undo_.emplace_back(conversation, inserted ? std::nullopt : std::optional<Entry>(it->second));
  it->second.last_seq = seq;
  it->second.last_activity_at = std::max(it->second.last_activity_at, at);
  it->second.last_change_seq = change_seq;
}

Result<Seq> ConversationSeqs::next_change(Connection& db, Id conversation) {
  auto it = entries_.find(conversation);
  if (it != entries_.end()) {
    undo_.emplace_back(conversation, it->second);
    return ++it->second.last_change_seq;
  }
  Entry entry;
  {
    Stmt st = db.prepare("SELECT last_seq, last_change_seq FROM conversations WHERE id = ?1");
    st.bind(1, conversation);
    int rc = st.step();
    if (rc == SQLITE_DONE) return Error::not_found("no such conversation");
    if (rc != SQLITE_ROW) return st.error("conversation last_change_seq");
    entry.last_seq = st.i64(0);
    entry.last_change_seq = st.i64(1) + 1;
  }
  undo_.emplace_back(conversation, std::nullopt);
  entries_.emplace(conversation, entry);
  return entry.last_change_seq;
}

Status ConversationSeqs::sync(Connection& db, Id conversation) {
  auto it = entries_.find(conversation);
  if (it == entries_.end()) return Status::success();
  return write(db, conversation, it->second);
}

Status ConversationSeqs::before_commit(Connection& db) {
  for (const auto& [conversation, entry] : entries_) {
    if (Status s = write(db, conversation, entry); !s) return s;
  }
  return Status::success();
}

void ConversationSeqs::job_released() { undo_.clear(); }

void ConversationSeqs::job_rolled_back() {
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    if (it->second) {
      entries_[it->first] = *it->second;
    } else {
      entries_.erase(it->first);
    }
  }
  undo_.clear();
}

void ConversationSeqs::transaction_ended() {
  entries_.clear();
  undo_.clear();
}

Status ConversationSeqs::write(Connection& db, Id conversation, const Entry& entry) {
  Stmt st = db.prepare(
      "UPDATE conversations SET last_seq = ?2, last_activity_at = max(last_activity_at, ?3), last_change_seq = ?4"
      " WHERE id = ?1");
  st.bind(1, conversation).bind(2, entry.last_seq).bind(3, entry.last_activity_at).bind(4, entry.last_change_seq);
  if (!st.run()) return st.error("conversation last_seq");
  return Status::success();
}

}  // namespace parley::store::sqlite
