#include "store/sqlite/message_details.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <unordered_map>

#include "store/sqlite/attachment_queries.hpp"
#include "store/sqlite/rows.hpp"

namespace parley::store::sqlite {

namespace {

// The parents of the replies, as they are now (an edit shows, a deleted one
// has an empty body already).
Status fill_replies(Connection& db, std::span<MessageRow* const> messages) {
  std::vector<Id> wanted;
  for (MessageRow* m : messages) {
    if (m != nullptr && m->reply_to_id) wanted.push_back(*m->reply_to_id);
  }
  if (wanted.empty()) return Status::success();
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  std::unordered_map<Id, ReplyQuote> parents;
  {
    Stmt st = db.prepare("SELECT p.id, p.seq, p.sender_id, p.body, p.deleted_at IS NOT NULL FROM messages p"
                         " WHERE p.id IN (SELECT value FROM json_each(?1))");
    st.bind(1, json_id_list(wanted));
    while (st.step() == SQLITE_ROW) {
      ReplyQuote q;
      q.id = st.i64(0);
      q.seq = st.i64(1);
      q.sender_id = st.i64(2);
      q.deleted = st.i64(4) != 0;
      if (!q.deleted) q.body = st.text(3);
      parents.emplace(q.id, std::move(q));
    }
    if (st.rc() != SQLITE_DONE) return st.error("replied-to messages");
  }
  for (MessageRow* m : messages) {
    if (m == nullptr || !m->reply_to_id) continue;
    auto found = parents.find(*m->reply_to_id);
    if (found == parents.end()) {
      m->reply_to.reset();  // the parent is gone (not possible through the Store; bad data)
    } else {
      m->reply_to = found->second;
    }
  }
  return Status::success();
}

// Reactions in the order of use: emoji by emoji_rank (first use), users by
// reactions.id (grows with each insert).
Status fill_reactions(Connection& db, std::span<MessageRow* const> messages) {
  std::vector<Id> wanted;
  for (MessageRow* m : messages) {
    if (m != nullptr && !m->reactions.empty()) wanted.push_back(m->id);
  }
  if (wanted.empty()) return Status::success();
  std::unordered_map<Id, std::vector<ReactionRow>> by_message;
  {
    Stmt st = db.prepare("SELECT r.message_id, r.emoji, r.user_id FROM reactions r"
                         " WHERE r.message_id IN (SELECT value FROM json_each(?1)) ORDER BY r.message_id, r.emoji_rank, r.id");
    st.bind(1, json_id_list(wanted));
    while (st.step() == SQLITE_ROW) {
      std::vector<ReactionRow>& list = by_message[st.i64(0)];
      std::string emoji = st.text(1);
      auto it = std::find_if(list.begin(), list.end(), [&](const ReactionRow& r) { return r.emoji == emoji; });
      if (it == list.end()) {
        list.push_back(ReactionRow{std::move(emoji), {}});
        it = list.end() - 1;
      }
      it->user_ids.push_back(st.i64(2));
    }
    if (st.rc() != SQLITE_DONE) return st.error("reactions of messages");
  }
  for (MessageRow* m : messages) {
    if (m == nullptr || m->reactions.empty()) continue;
    auto found = by_message.find(m->id);
    if (found == by_message.end()) {
      m->reactions.clear();
    } else {
      m->reactions = std::move(found->second);
    }
  }
  return Status::success();
}

}  // namespace

Status fill_message_details(Connection& db, std::span<MessageRow* const> messages) {
  if (Status s = fill_attachments(db, messages); !s) return s;
  if (Status s = fill_replies(db, messages); !s) return s;
  return fill_reactions(db, messages);
}

Status fill_message_details(Connection& db, std::vector<MessageRow>& messages) {
  std::vector<MessageRow*> pointers;
  pointers.reserve(messages.size());
  for (MessageRow& m : messages) pointers.push_back(&m);
  return fill_message_details(db, pointers);
}

Status fill_message_details(Connection& db, MessageRow& message) {
  MessageRow* one[] = {&message};
  return fill_message_details(db, one);
}

}  // namespace parley::store::sqlite
