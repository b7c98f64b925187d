#include "store/postgres/migrations.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <string>

namespace parley::store::postgres {

namespace {

// 'parl' in ASCII: the advisory lock key every Parley node takes while migrating.
constexpr const char* lock_sql = "SELECT pg_advisory_xact_lock(1885434476)";

// Version 1. Same tables and meaning as SQLite's (docs/storage.md). The *_key
// columns hold values with ASCII letters lowered, computed by the code exactly
// as the SQLite store does, in the "C" collation so that uniqueness, prefix
// range scans and ordering compare bytes. Messages are keyed by (conversation_id,
// seq) and every unique index on them starts with conversation_id, so that the
// table can become hash-partitioned by conversation (the sharding path).
// Messages carry no foreign keys: the only writer of new rows (the appender)
// checks membership, which implies that the sender and the conversation exist,
// with the conversation row locked, and nothing deletes users or conversations.
// The two per-row foreign-key checks cost 40% of the append throughput
// (docs/storage.md), and would tie messages to tables a shard does not hold.
constexpr const char* schema_v1 = R"sql(
CREATE TABLE users (
  id               bigint  PRIMARY KEY,
  username         text    NOT NULL,
  username_key     text    COLLATE "C" NOT NULL,
  email            text    NOT NULL,
  email_key        text    COLLATE "C" NOT NULL,
  display_name     text    NOT NULL,
  display_name_key text    COLLATE "C" NOT NULL,
  password_hash    text    NOT NULL,
  created_at       bigint  NOT NULL,
  last_seen_at     bigint  NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX users_by_username ON users (username_key);
CREATE UNIQUE INDEX users_by_email ON users (email_key);
CREATE INDEX users_by_display_name ON users (display_name_key);

CREATE TABLE conversations (
  id               bigint  PRIMARY KEY,
  type             text    NOT NULL CHECK (type IN ('direct', 'group')),
  title            text    NOT NULL DEFAULT '',
  direct_key       text,
  created_by       bigint  NOT NULL,
  created_at       bigint  NOT NULL,
  last_seq         bigint  NOT NULL DEFAULT 0,
  last_activity_at bigint  NOT NULL
);
CREATE UNIQUE INDEX conversations_by_direct_key ON conversations (direct_key) WHERE direct_key IS NOT NULL;

CREATE TABLE members (
  conversation_id  bigint  NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  user_id          bigint  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role             text    NOT NULL CHECK (role IN ('member', 'admin')),
  last_read_seq    bigint  NOT NULL DEFAULT 0,
  joined_at        bigint  NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX members_by_user ON members (user_id, conversation_id);

CREATE TABLE messages (
  conversation_id  bigint  NOT NULL,
  seq              bigint  NOT NULL CHECK (seq > 0),
  id               bigint  NOT NULL,
  sender_id        bigint  NOT NULL,
  client_msg_id    text    NOT NULL,
  created_at       bigint  NOT NULL,
  deleted_at       bigint,
  body             text    NOT NULL,
  PRIMARY KEY (conversation_id, seq)
);
CREATE UNIQUE INDEX messages_by_id ON messages (id);
CREATE UNIQUE INDEX messages_by_client_id ON messages (conversation_id, sender_id, client_msg_id);
)sql";

// Version 2: cluster identity (store/postgres/node_lease.hpp) and settings shared
// by every node, such as the JWT secret (store/postgres/shared_secret.hpp).
constexpr const char* schema_v2_cluster = R"sql(
CREATE TABLE parley_node_leases (
  node_id      integer      PRIMARY KEY CHECK (node_id BETWEEN 0 AND 1023),
  holder       text         NOT NULL,
  holder_info  text         NOT NULL,
  expires_at   timestamptz  NOT NULL,
  used_ms      bigint       NOT NULL DEFAULT 0,
  released     boolean      NOT NULL DEFAULT false
);
CREATE TABLE parley_settings (
  name   text  PRIMARY KEY,
  value  text  NOT NULL
);
)sql";

// Version 3: attachments and durable jobs, as in SQLite (docs/storage.md).
// messages.attachment_count lets a page without attachments skip their lookup
// (and its round trip); adding a column with a constant default rewrites no
// row (PostgreSQL 11 and later). Attachments keep no foreign keys to messages,
// as messages keep none: the claim checks conversation and uploader itself.
// Jobs are shared by every node: a claim takes the next runnable row with
// FOR UPDATE SKIP LOCKED (job_queries.cpp).
constexpr const char* schema_v3_media = R"sql(
ALTER TABLE messages ADD COLUMN attachment_count integer NOT NULL DEFAULT 0;

CREATE TABLE attachments (
  id               bigint   PRIMARY KEY,
  conversation_id  bigint   NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  uploader_id      bigint   NOT NULL REFERENCES users (id),
  message_id       bigint,
  name             text     NOT NULL,
  content_type     text     NOT NULL,
  size             bigint   NOT NULL CHECK (size >= 0),
  sha256           text     NOT NULL,
  blob_key         text     NOT NULL,
  preview          text     NOT NULL CHECK (preview IN ('none', 'pending', 'ready', 'failed')),
  width            integer,
  height           integer,
  thumb_small_key  text     NOT NULL DEFAULT '',
  thumb_large_key  text     NOT NULL DEFAULT '',
  preview_error    text     NOT NULL DEFAULT '',
  created_at       bigint   NOT NULL,
  deleted_at       bigint
);
CREATE INDEX attachments_by_message ON attachments (message_id, id) WHERE message_id IS NOT NULL;
CREATE INDEX attachments_by_uploader ON attachments (uploader_id, created_at);
CREATE INDEX attachments_by_conversation ON attachments (conversation_id);
CREATE INDEX attachments_reclaimable ON attachments (created_at, id)
  WHERE deleted_at IS NOT NULL OR message_id IS NULL;

CREATE TABLE jobs (
  id               bigint   PRIMARY KEY,
  kind             text     COLLATE "C" NOT NULL,
  subject_id       bigint   NOT NULL,
  attempts         integer  NOT NULL DEFAULT 0,
  run_after        bigint   NOT NULL,
  leased_until     bigint   NOT NULL DEFAULT 0,
  last_error       text     NOT NULL DEFAULT '',
  created_at       bigint   NOT NULL
);
CREATE UNIQUE INDEX jobs_by_subject ON jobs (kind, subject_id);
CREATE INDEX jobs_by_run_after ON jobs (run_after, id);
)sql";

// Version 4: the conversation features (docs/features.md). Each conversation
// gets a change sequence beside seq; existing messages take change_seq = seq
// (their send was their latest change) and conversations last_change_seq =
// last_seq, so clients catching up with changedAfter see a consistent past.
// messages.mentions holds a message's mentioned users (read with the row, no
// extra query); the mentions table holds the same pairs keyed for counting a
// member's unread mentions with an index range (the sender is never counted).
// reaction_count, like attachment_count, lets a page skip the reactions
// lookup. reactions.ord (an identity) keeps the order of first use.
// search_vector was maintained by the store in the write's transaction
// (version 5 moved it to message_search); its GIN index was created and
// dropped at open by apply_search_index, never here. The text search configuration
// parley_search is 'simple' (case folded, no stemming) with accents folded by
// the unaccent extension (trusted: a database owner may create it); where the
// extension cannot be created, it is plain 'simple' and a NOTICE says so.
// reactions.first_ord: the ord of the emoji's first use on the message
// (NULL: this row is it), so that an emoji keeps its place while any of its
// reactions remains.
constexpr const char* schema_v4_features = R"sql(
ALTER TABLE conversations ADD COLUMN last_change_seq bigint NOT NULL DEFAULT 0;
UPDATE conversations SET last_change_seq = last_seq WHERE last_seq <> 0;
ALTER TABLE members ADD COLUMN muted boolean NOT NULL DEFAULT false;
ALTER TABLE messages
  ADD COLUMN change_seq bigint NOT NULL DEFAULT 0,
  ADD COLUMN edited_at bigint,
  ADD COLUMN reply_to_id bigint,
  ADD COLUMN mentions bigint[] NOT NULL DEFAULT '{}',
  ADD COLUMN reaction_count integer NOT NULL DEFAULT 0,
  ADD COLUMN search_vector tsvector;
UPDATE messages SET change_seq = seq;
CREATE INDEX messages_by_change ON messages (conversation_id, change_seq);

CREATE TABLE reactions (
  message_id  bigint  NOT NULL,
  user_id     bigint  NOT NULL,
  emoji       text    COLLATE "C" NOT NULL,
  created_at  bigint  NOT NULL,
  ord         bigint  GENERATED ALWAYS AS IDENTITY,
  first_ord   bigint,
  PRIMARY KEY (message_id, user_id, emoji)
);
CREATE INDEX reactions_by_message ON reactions (message_id, ord);

DO $$
BEGIN
  BEGIN
    CREATE EXTENSION IF NOT EXISTS unaccent;
  EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'parley: the unaccent extension is not available (%); search will not fold accents', SQLERRM;
  END;
  CREATE TEXT SEARCH CONFIGURATION parley_search (COPY = simple);
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent') THEN
    ALTER TEXT SEARCH CONFIGURATION parley_search
      ALTER MAPPING FOR word, hword, hword_part, asciiword, asciihword, hword_asciipart WITH unaccent, simple;
  END IF;
END $$;

CREATE TABLE mentions (
  conversation_id  bigint  NOT NULL,
  user_id          bigint  NOT NULL,
  seq              bigint  NOT NULL,
  message_id       bigint  NOT NULL,
  PRIMARY KEY (conversation_id, user_id, seq)
);
)sql";

// Version 5: the search index moves off the write path (docs/storage.md,
// "Search"). A write no longer computes a tsvector or touches a GIN index in
// its transaction (that halved persisted sends on the benchmark machine): the
// store's search indexer (search_indexer.hpp) catches each conversation up
// after its commits through the change sequence, like SQLite's indexer.
// message_search holds one entry per indexed message (tsv NULL once deleted),
// with the message's change_seq when it was indexed, so that a later state
// always wins whichever indexer commits first; search_progress holds, per
// conversation, the change_seq up to which every change is in message_search.
// The vectors of version 4 move over; progress and the GIN index
// (message_search_tsv) are made at open by apply_search_index.
constexpr const char* schema_v5_search_index = R"sql(
CREATE TABLE message_search (
  message_id       bigint  PRIMARY KEY,
  conversation_id  bigint  NOT NULL,
  change_seq       bigint  NOT NULL,
  tsv              tsvector
);
CREATE TABLE search_progress (
  conversation_id  bigint  PRIMARY KEY,
  change_seq       bigint  NOT NULL
);
INSERT INTO message_search (message_id, conversation_id, change_seq, tsv)
  SELECT id, conversation_id, change_seq, search_vector FROM messages WHERE search_vector IS NOT NULL;
DROP INDEX IF EXISTS messages_search;
ALTER TABLE messages DROP COLUMN search_vector;
)sql";

constexpr Migration all_migrations[] = {
    {1, "initial schema", schema_v1},
    {2, "node leases and shared settings", schema_v2_cluster},
    {3, "attachments and jobs", schema_v3_media},
    {4, "edits, reactions, replies, mentions, search, mute", schema_v4_features},
    {5, "search index off the write path", schema_v5_search_index},
};

constexpr const char* version_table_sql =
    "CREATE TABLE IF NOT EXISTS parley_schema (version integer PRIMARY KEY, name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

const Statement current_version{"parley_schema_version", "SELECT coalesce(max(version), 0) FROM parley_schema"};
const Statement record_version{"parley_schema_record", "INSERT INTO parley_schema (version, name) VALUES ($1, $2)"};

Status migrate_locked(Connection& db) {
  if (auto r = db.exec(lock_sql); !r) return r.error();
  if (auto r = db.exec(version_table_sql); !r) return r.error();
  auto current = db.run(current_version, Params{});
  if (!current) return current.error();
  std::int64_t version = current->i64(0, 0);
  if (version > latest_schema_version()) {
    return Error{ErrorKind::unavailable, "schema_too_new",
                 db.target() + ": database schema version " + std::to_string(version) +
                     " is newer than this build supports (" + std::to_string(latest_schema_version()) +
                     "); upgrade parley"};
  }
  for (const Migration& step : migrations()) {
    if (step.version <= version) continue;
    if (auto r = db.exec(step.sql); !r) {
      Error e = r.error();
      e.message = db.target() + ": migration " + std::to_string(step.version) + " (" + step.name +
                  ") failed: " + e.message;
      return e;
    }
    if (auto r = db.run(record_version, Params{}.add(std::int64_t{step.version}).add(step.name)); !r) return r.error();
    spdlog::info("postgres: {} migrated to schema version {} ({})", db.target(), step.version, step.name);
  }
  return Status::success();
}

const Statement search_index_exists{"parley_search_index_exists",
                                    "SELECT count(*) FROM pg_class WHERE oid = to_regclass('message_search_tsv')"};

Status search_index_locked(Connection& db, bool enabled) {
  if (auto r = db.exec(lock_sql); !r) return r.error();
  auto exists = db.run(search_index_exists, Params{});
  if (!exists) return exists.error();
  const bool present = exists->i64(0, 0) > 0;
  if (!enabled) {
    if (!present) return Status::success();
    // No indexer runs while off, so the entries would go stale: all of it
    // goes, and turning it on again rebuilds it.
    if (auto r = db.exec("DROP INDEX message_search_tsv; TRUNCATE message_search, search_progress"); !r) {
      return r.error();
    }
    spdlog::info("postgres: {} search index dropped (--search-index off)", db.target());
    return Status::success();
  }
  if (present) return Status::success();
  // No index: the live messages without an entry (all of them after a time
  // off; those version 4 kept no vector for after the version 5 migration) get
  // one, and each conversation's progress becomes its last_change_seq, read in
  // the same snapshot (one statement), so that a change committed by another
  // node meanwhile is above it and left to the indexers.
  const auto started = std::chrono::steady_clock::now();
  auto filled = db.exec(
      "WITH fresh AS (INSERT INTO message_search (message_id, conversation_id, change_seq, tsv)"
      "  SELECT id, conversation_id, change_seq, to_tsvector('parley_search', body) FROM messages m"
      "  WHERE deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM message_search s WHERE s.message_id = m.id)"
      "  RETURNING 1),"
      " progress AS (INSERT INTO search_progress (conversation_id, change_seq)"
      "  SELECT id, last_change_seq FROM conversations ORDER BY id"
      "  ON CONFLICT (conversation_id) DO UPDATE SET change_seq = greatest(search_progress.change_seq,"
      "  excluded.change_seq))"
      " SELECT count(*) FROM fresh");
  if (!filled) return filled.error();
  if (auto r = db.exec("CREATE INDEX message_search_tsv ON message_search USING gin (tsv)"); !r) return r.error();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("postgres: {} search index built in {} ms ({} messages indexed)", db.target(), ms,
               filled->i64(0, 0));
  return Status::success();
}

}  // namespace

Status apply_search_index(Connection& db, bool enabled) {
  if (auto r = db.exec("BEGIN"); !r) return r.error();
  Status s = search_index_locked(db, enabled);
  if (s) {
    if (auto r = db.exec("COMMIT"); !r) return r.error();
    return s;
  }
  db.rollback();
  Error e = s.error();
  e.message = db.target() + ": search index: " + e.message;
  return e;
}

std::span<const Migration> migrations() { return all_migrations; }

int latest_schema_version() { return all_migrations[std::size(all_migrations) - 1].version; }

Status apply_migrations(Connection& db) {
  if (auto r = db.exec("BEGIN"); !r) return r.error();
  Status s = migrate_locked(db);
  if (s) {
    if (auto r = db.exec("COMMIT"); !r) return r.error();
    return s;
  }
  db.rollback();
  return s;
}

}  // namespace parley::store::postgres
