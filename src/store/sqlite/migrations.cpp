#include "store/sqlite/migrations.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <string>

namespace parley::store::sqlite {

namespace {

// Version 1: the tables of docs/storage.md (Schema). STRICT tables reject values of the
// wrong type; *_key columns hold the ASCII-folded values (text_keys.hpp) so that
// uniqueness and prefix search ignore case with plain BINARY indexes.
constexpr const char* schema_v1 = R"sql(
PRAGMA application_id = 1349676153;

CREATE TABLE users (
  id               INTEGER PRIMARY KEY,
  username         TEXT    NOT NULL,
  username_key     TEXT    NOT NULL,
  email            TEXT    NOT NULL,
  email_key        TEXT    NOT NULL,
  display_name     TEXT    NOT NULL,
  display_name_key TEXT    NOT NULL,
  password_hash    TEXT    NOT NULL,
  created_at       INTEGER NOT NULL,
  last_seen_at     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX users_by_username ON users(username_key);
CREATE UNIQUE INDEX users_by_email ON users(email_key);
CREATE INDEX users_by_display_name ON users(display_name_key);

CREATE TABLE conversations (
  id               INTEGER PRIMARY KEY,
  type             TEXT    NOT NULL CHECK (type IN ('direct', 'group')),
  title            TEXT    NOT NULL DEFAULT '',
  direct_key       TEXT,             -- 'minId:maxId' for a direct pair, else NULL
  created_by       INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  last_seq         INTEGER NOT NULL DEFAULT 0,
  last_activity_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX conversations_by_direct_key ON conversations(direct_key) WHERE direct_key IS NOT NULL;

CREATE TABLE members (
  conversation_id  INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role             TEXT    NOT NULL CHECK (role IN ('member', 'admin')),
  last_read_seq    INTEGER NOT NULL DEFAULT 0,
  joined_at        INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX members_by_user ON members(user_id, conversation_id);

-- Clustered by (conversation_id, seq): a history page is one contiguous range.
CREATE TABLE messages (
  conversation_id  INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  seq              INTEGER NOT NULL CHECK (seq > 0),
  id               INTEGER NOT NULL,
  sender_id        INTEGER NOT NULL REFERENCES users(id),
  client_msg_id    TEXT    NOT NULL,
  created_at       INTEGER NOT NULL,
  deleted_at       INTEGER,
  body             TEXT    NOT NULL,
  PRIMARY KEY (conversation_id, seq)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX messages_by_id ON messages(id);
CREATE UNIQUE INDEX messages_by_client_id ON messages(sender_id, client_msg_id);
)sql";

// Version 2: clientMsgId is unique per (conversation, sender), as in the
// PostgreSQL store, where a key that includes the conversation is what hash
// partitioning by conversation can enforce (docs/storage.md). Version 1 keyed
// it per sender, which also implies the new key, so existing rows satisfy it.
constexpr const char* schema_v2 = R"sql(
DROP INDEX messages_by_client_id;
CREATE UNIQUE INDEX messages_by_client_id ON messages(conversation_id, sender_id, client_msg_id);
)sql";

// Version 3: attachments and durable jobs (docs/media.md, docs/storage.md).
// messages.attachment_count says how many attachments a message has, so that
// a history page without any costs no attachment lookup at all; it is set
// when the message is stored and zeroed when it is deleted (a tombstone shows
// none). Adding a column with a constant default rewrites no row.
constexpr const char* schema_v3 = R"sql(
ALTER TABLE messages ADD COLUMN attachment_count INTEGER NOT NULL DEFAULT 0;

CREATE TABLE attachments (
  id               INTEGER PRIMARY KEY,
  conversation_id  INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  uploader_id      INTEGER NOT NULL REFERENCES users(id),
  message_id       INTEGER,          -- NULL until a message claims it
  name             TEXT    NOT NULL,
  content_type     TEXT    NOT NULL,
  size             INTEGER NOT NULL CHECK (size >= 0),
  sha256           TEXT    NOT NULL,
  blob_key         TEXT    NOT NULL,
  preview          TEXT    NOT NULL CHECK (preview IN ('none', 'pending', 'ready', 'failed')),
  width            INTEGER,
  height           INTEGER,
  thumb_small_key  TEXT    NOT NULL DEFAULT '',
  thumb_large_key  TEXT    NOT NULL DEFAULT '',
  preview_error    TEXT    NOT NULL DEFAULT '',
  created_at       INTEGER NOT NULL,
  deleted_at       INTEGER
) STRICT;
CREATE INDEX attachments_by_message ON attachments(message_id, id) WHERE message_id IS NOT NULL;
CREATE INDEX attachments_by_uploader ON attachments(uploader_id, created_at);
CREATE INDEX attachments_by_conversation ON attachments(conversation_id);
-- What the sweep may reclaim: deleted, or never attached. Attached live files
-- (nearly all of them) stay out of this index.
CREATE INDEX attachments_reclaimable ON attachments(created_at, id)
  WHERE deleted_at IS NOT NULL OR message_id IS NULL;

CREATE TABLE jobs (
  id               INTEGER PRIMARY KEY,
  kind             TEXT    NOT NULL,
  subject_id       INTEGER NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  run_after        INTEGER NOT NULL,
  leased_until     INTEGER NOT NULL DEFAULT 0,
  last_error       TEXT    NOT NULL DEFAULT '',
  created_at       INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX jobs_by_subject ON jobs(kind, subject_id);
CREATE INDEX jobs_by_run_after ON jobs(run_after, id);
)sql";


// Version 4: the conversation features (docs/features.md). Each conversation
// gets a change sequence; each message the change_seq of its latest change,
// edited_at and reply_to_id. Existing rows take change_seq = seq (and
// last_change_seq = last_seq), so a client that catches up with changedAfter
// sees old messages as it sees new ones; seqs are unique per conversation, so
// change_seqs are too.
// messages.mentions: the mentioned users ("1,2,3", ascending; NULL if none),
// read with the row (no lookup); the mentions table has one row per (member,
// message) that counts toward the member's mention count, keyed so that the
// count after a watermark is a range of its primary key. messages.reaction_count
// (rows in reactions) works as attachment_count: a page without any reaction
// costs no reaction lookup. Order: reactions.id (the rowid) grows with each
// reaction, which orders an emoji's users; emoji_rank orders the emoji of a
// message by first use: a new emoji takes the message's highest rank + 1, a
// user joining an emoji takes its rank, so it keeps its place while anyone
// still uses it (and goes last when it comes back after everyone removed it).
// The search index is not part of the schema: it lives in its own file,
// `<db>-search.db`, kept by a thread (search_indexer.hpp); an earlier build's
// in-file message_search is dropped at open (search_index.hpp).
constexpr const char* schema_v4 = R"sql(
ALTER TABLE messages ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN edited_at INTEGER;
ALTER TABLE messages ADD COLUMN reply_to_id INTEGER;
ALTER TABLE messages ADD COLUMN mentions TEXT;
ALTER TABLE messages ADD COLUMN reaction_count INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET change_seq = seq;
CREATE INDEX messages_by_change ON messages(conversation_id, change_seq);

ALTER TABLE conversations ADD COLUMN last_change_seq INTEGER NOT NULL DEFAULT 0;
UPDATE conversations SET last_change_seq = last_seq;

ALTER TABLE members ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;

CREATE TABLE reactions (
  id               INTEGER PRIMARY KEY,
  message_id       INTEGER NOT NULL,
  user_id          INTEGER NOT NULL,
  emoji            TEXT    NOT NULL,
  emoji_rank       INTEGER NOT NULL,
  created_at       INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX reactions_by_message ON reactions(message_id, user_id, emoji);

CREATE TABLE mentions (
  conversation_id  INTEGER NOT NULL,
  user_id          INTEGER NOT NULL,
  seq              INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, user_id, seq)
) STRICT, WITHOUT ROWID;
)sql";

constexpr Migration all_migrations[] = {
    {1, "initial schema", schema_v1},
    {2, "clientMsgId unique per conversation", schema_v2},
    {3, "attachments and jobs", schema_v3},
    {4, "edits, reactions, replies, mentions, mute", schema_v4},
};

static_assert(parley_application_id == 1349676153, "schema_v1 spells the application id in decimal");

}  // namespace

std::span<const Migration> migrations() { return all_migrations; }

int latest_schema_version() { return all_migrations[std::size(all_migrations) - 1].version; }

Status apply_migrations(Connection& db) {
  const std::string& path = db.path();
  for (const Migration& step : migrations()) {
    if (Status s = db.exec_status("BEGIN IMMEDIATE", "begin migration on " + path); !s) return s;
    auto current = db.query_int("PRAGMA user_version");
    if (!current) {
      db.exec("ROLLBACK");
      return current.error();
    }
    if (*current > latest_schema_version()) {
      db.exec("ROLLBACK");
      return Error{ErrorKind::unavailable, "schema_too_new",
                   path + ": database schema version " + std::to_string(*current) +
                       " is newer than this build supports (" + std::to_string(latest_schema_version()) +
                       "); upgrade parley"};
    }
    if (*current >= step.version) {
      db.exec("COMMIT");
      continue;
    }
    std::string context =
        path + ": migration " + std::to_string(step.version) + " (" + step.name + ") failed";
    std::string set_version = "PRAGMA user_version = " + std::to_string(step.version);
    Status s = db.exec_status(step.sql, context);
    if (s) s = db.exec_status(set_version.c_str(), context);
    if (s) s = db.exec_status("COMMIT", context);
    if (!s) {
      if (db.in_transaction()) db.exec("ROLLBACK");
      return s;
    }
    spdlog::info("sqlite: {} migrated to schema version {} ({})", path, step.version, step.name);
  }
  return Status::success();
}

}  // namespace parley::store::sqlite
