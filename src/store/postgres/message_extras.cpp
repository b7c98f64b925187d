#include "store/postgres/message_extras.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "store/postgres/attachment_queries.hpp"

namespace parley::store::postgres {

namespace {

// Each emoji at its first use (first_ord, kept while any of its reactions
// remains), its users in the order they reacted: grouping in C++ keeps both.
const Statement reactions_sql{"reactions_of_messages",
                              "SELECT message_id, emoji, user_id FROM reactions WHERE message_id = ANY ($1::bigint[])"
                              " ORDER BY message_id, coalesce(first_ord, ord), ord"};
const Statement quotes_sql{"messages_quotes",
                           "SELECT id, seq, sender_id, body, deleted_at IS NOT NULL FROM messages"
                           " WHERE id = ANY ($1::bigint[])"};

}  // namespace

Status fill_reactions(Connection& db, std::span<MessageRow* const> messages) {
  std::vector<Id> wanted;
  for (MessageRow* m : messages) {
    if (m != nullptr && !m->reactions.empty()) wanted.push_back(m->id);
  }
  if (wanted.empty()) return Status::success();
  auto r = db.run(reactions_sql, Params{}.add(int_array(wanted)));
  if (!r) return r.error();
  std::unordered_map<Id, std::vector<ReactionRow>> by_message;
  for (int i = 0; i < r->rows(); ++i) {
    std::vector<ReactionRow>& list = by_message[r->i64(i, 0)];
    std::string emoji = r->text(i, 1);
    auto same = std::find_if(list.begin(), list.end(), [&](const ReactionRow& x) { return x.emoji == emoji; });
    if (same == list.end()) {
      list.push_back(ReactionRow{std::move(emoji), {}});
      same = list.end() - 1;
    }
    same->user_ids.push_back(r->i64(i, 2));
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

Status fill_replies(Connection& db, std::span<MessageRow* const> messages) {
  std::vector<Id> wanted;
  for (MessageRow* m : messages) {
    if (m != nullptr && m->reply_to_id) wanted.push_back(*m->reply_to_id);
  }
  if (wanted.empty()) return Status::success();
  auto r = db.run(quotes_sql, Params{}.add(int_array(wanted)));
  if (!r) return r.error();
  std::unordered_map<Id, ReplyQuote> quotes;
  for (int i = 0; i < r->rows(); ++i) {
    ReplyQuote q;
    q.id = r->i64(i, 0);
    q.seq = r->i64(i, 1);
    q.sender_id = r->i64(i, 2);
    q.deleted = r->boolean(i, 4);
    if (!q.deleted) q.body = r->text(i, 3);
    quotes.emplace(q.id, std::move(q));
  }
  for (MessageRow* m : messages) {
    if (m == nullptr || !m->reply_to_id) continue;
    auto found = quotes.find(*m->reply_to_id);
    if (found == quotes.end()) {
      m->reply_to.reset();
    } else {
      m->reply_to = found->second;
    }
  }
  return Status::success();
}

Status complete_messages(Connection& db, std::span<MessageRow* const> messages) {
  if (Status s = fill_attachments(db, messages); !s) return s;
  if (Status s = fill_reactions(db, messages); !s) return s;
  return fill_replies(db, messages);
}

Status complete_messages(Connection& db, std::vector<MessageRow>& messages) {
  std::vector<MessageRow*> pointers;
  pointers.reserve(messages.size());
  for (MessageRow& m : messages) pointers.push_back(&m);
  return complete_messages(db, pointers);
}

Status complete_messages(Connection& db, MessageRow& message) {
  MessageRow* one[] = {&message};
  return complete_messages(db, one);
}

}  // namespace parley::store::postgres
