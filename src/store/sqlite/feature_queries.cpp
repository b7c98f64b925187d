#include "store/sqlite/feature_queries.hpp"

#include <sqlite3.h>

#include "store/sqlite/message_details.hpp"
#include "store/sqlite/message_queries.hpp"
#include "store/sqlite/rows.hpp"

namespace parley::store::sqlite {

namespace {

Result<MessageRow> whole_message(Connection& db, Id message) {
  auto row = message_by_id(db, message);
  if (!row) return row.error();
  if (!*row) return Error::not_found("no such message");
  return std::move(**row);
}

Error deleted_error() { return Error::conflict("message_deleted", "the message was deleted"); }

}  // namespace

Result<MessageRow> edit_message(Connection& db, ConversationSeqs& seqs, Id message,
                                std::string_view body,
                                const std::vector<Id>& given_mentions, TimeMs at) {
  std::vector<Id> mentions = given_mentions;
  normalize_mentions(mentions);
  auto live = live_message(db, message, "edit_message");
  if (!live) return live.error();
  if (live->deleted) return deleted_error();
  if (live->body == body && live->mentions == mentions) return whole_message(db, message);
  auto change = seqs.next_change(db, live->conversation_id);
  if (!change) return change.error();
  {
    const std::optional<std::string> text = mentions_text(mentions);
    Stmt st = db.prepare("UPDATE messages SET body = ?2, mentions = ?3, edited_at = ?4, change_seq = ?5 WHERE id = ?1");
    st.bind(1, message).bind_static(2, body).bind(4, at).bind(5, *change);
    if (text) {
      st.bind(3, *text);
    } else {
      st.bind_null(3);
    }
    if (!st.run()) return st.error("edit_message");
  }
  if (live->mentions != mentions) {
    if (Status s = delete_mentions(db, live->conversation_id, live->seq, live->mentions); !s) return s.error();
    if (Status s = insert_mentions(db, live->conversation_id, live->seq, live->sender_id, mentions); !s) {
      return s.error();
    }
  }
  return whole_message(db, message);
}

Result<ReactionChange> set_reaction(Connection& db, ConversationSeqs& seqs, Id message, Id user,
                                    std::string_view emoji, bool on, TimeMs at, int max_distinct) {
  Id conversation = 0;
  {
    Stmt st = db.prepare("SELECT conversation_id, deleted_at IS NOT NULL FROM messages WHERE id = ?1");
    st.bind(1, message);
    int rc = st.step();
    if (rc == SQLITE_DONE) return Error::not_found("no such message");
    if (rc != SQLITE_ROW) return st.error("set_reaction");
    if (st.i64(1) != 0) return deleted_error();
    conversation = st.i64(0);
  }
  bool changed = false;
  if (on) {
    bool mine = false;
    bool present = false;
    std::int64_t distinct = 0;
    {
      Stmt st = db.prepare("SELECT coalesce(max(user_id = ?2 AND emoji = ?3), 0), coalesce(max(emoji = ?3), 0),"
                           " count(DISTINCT emoji) FROM reactions WHERE message_id = ?1");
      st.bind(1, message).bind(2, user).bind_static(3, emoji);
      if (st.step() != SQLITE_ROW) return st.error("set_reaction");
      mine = st.i64(0) != 0;
      present = st.i64(1) != 0;
      distinct = st.i64(2);
    }
    if (!mine) {
      if (!present && distinct >= max_distinct) {
        return Error::conflict("too_many_reactions", "this message has as many different reactions as it may");
      }
      // The emoji's rank when someone uses it already, else after every other one.
      Stmt st = db.prepare(
          "INSERT INTO reactions (message_id, user_id, emoji, created_at, emoji_rank) VALUES (?1, ?2, ?3, ?4,"
          " coalesce((SELECT min(emoji_rank) FROM reactions WHERE message_id = ?1 AND emoji = ?3),"
          "  (SELECT coalesce(max(emoji_rank), 0) + 1 FROM reactions WHERE message_id = ?1)))");
      st.bind(1, message).bind(2, user).bind_static(3, emoji).bind(4, at);
      if (!st.run()) return st.error("set_reaction");
      changed = true;
    }
  } else {
    Stmt st = db.prepare("DELETE FROM reactions WHERE message_id = ?1 AND user_id = ?2 AND emoji = ?3");
    st.bind(1, message).bind(2, user).bind_static(3, emoji);
    if (!st.run()) return st.error("set_reaction");
    changed = db.changes() > 0;
  }
  if (changed) {
    auto change = seqs.next_change(db, conversation);
    if (!change) return change.error();
    Stmt st = db.prepare("UPDATE messages SET change_seq = ?2, reaction_count = max(0, reaction_count + ?3)"
                         " WHERE id = ?1");
    st.bind(1, message).bind(2, *change).bind(3, std::int64_t{on ? 1 : -1});
    if (!st.run()) return st.error("set_reaction");
  }
  auto row = whole_message(db, message);
  if (!row) return row.error();
  return ReactionChange{std::move(*row), changed};
}

Result<std::vector<MessageRow>> changed_messages(Connection& db, Id conversation, Seq after_change, int limit) {
  std::vector<MessageRow> out;
  if (limit <= 0) return out;
  Stmt st = db.prepare("SELECT " PARLEY_MESSAGE_COLUMNS("m") " FROM messages m WHERE m.conversation_id = ?1"
                       " AND m.change_seq > ?2 ORDER BY m.change_seq ASC LIMIT ?3");
  st.bind(1, conversation).bind(2, after_change).bind(3, limit);
  while (st.step() == SQLITE_ROW) out.push_back(read_message(st, 0));
  if (st.rc() != SQLITE_DONE) return st.error("changed_messages");
  { Stmt done = std::move(st); }  // frees the cached statement for the detail queries
  if (Status s = fill_message_details(db, out); !s) return s.error();
  return out;
}

Result<std::monostate> set_muted(Connection& db, Id conversation, Id user, bool muted) {
  Stmt st = db.prepare("UPDATE members SET muted = ?3 WHERE conversation_id = ?1 AND user_id = ?2");
  st.bind(1, conversation).bind(2, user).bind(3, std::int64_t{muted ? 1 : 0});
  if (!st.run()) return st.error("set_muted");
  // changes() counts a matched row even when the value was already so.
  if (db.changes() == 0) return Error::not_found("not a member of this conversation");
  return std::monostate{};
}

}  // namespace parley::store::sqlite
