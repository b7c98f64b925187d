#include "store/sqlite/attachment_queries.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <unordered_map>

#include "store/sqlite/errors.hpp"
#include "store/sqlite/job_queries.hpp"
#include "store/sqlite/message_queries.hpp"
#include "store/sqlite/rows.hpp"

namespace parley::store::sqlite {

namespace {

Result<std::vector<AttachmentRow>> all_attachments(Stmt& st, const char* context) {
  std::vector<AttachmentRow> out;
  while (st.step() == SQLITE_ROW) out.push_back(read_attachment(st, 0));
  if (st.rc() != SQLITE_DONE) return st.error(context);
  return out;
}

}  // namespace

std::string json_id_list(std::span<const Id> ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(ids[i]);
  }
  out += ']';
  return out;
}

std::vector<Id> distinct_attachment_ids(const MessageRow& draft) {
  std::vector<Id> ids;
  ids.reserve(draft.attachments.size());
  for (const AttachmentRow& a : draft.attachments) ids.push_back(a.id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

Status fill_attachments(Connection& db, std::span<MessageRow* const> messages) {
  std::vector<Id> wanted;
  for (MessageRow* m : messages) {
    if (m != nullptr && !m->attachments.empty()) wanted.push_back(m->id);
  }
  if (wanted.empty()) return Status::success();  // the common page: no query at all
  std::unordered_map<Id, std::vector<AttachmentRow>> by_message;
  {
    Stmt st = db.prepare("SELECT " PARLEY_ATTACHMENT_COLUMNS("a") " FROM attachments a"
                         " WHERE a.message_id IN (SELECT value FROM json_each(?1)) AND a.deleted_at IS NULL"
                         " ORDER BY a.message_id, a.id");
    st.bind(1, json_id_list(wanted));
    while (st.step() == SQLITE_ROW) {
      AttachmentRow a = read_attachment(st, 0);
      Id message = a.message_id.value_or(0);
      by_message[message].push_back(std::move(a));
    }
    if (st.rc() != SQLITE_DONE) return st.error("attachments of messages");
  }
  for (MessageRow* m : messages) {
    if (m == nullptr || m->attachments.empty()) continue;
    auto found = by_message.find(m->id);
    if (found == by_message.end()) {
      m->attachments.clear();
    } else {
      m->attachments = std::move(found->second);
    }
  }
  return Status::success();
}

Status fill_attachments(Connection& db, std::vector<MessageRow>& messages) {
  std::vector<MessageRow*> pointers;
  for (MessageRow& m : messages) {
    if (!m.attachments.empty()) pointers.push_back(&m);
  }
  return fill_attachments(db, pointers);
}

Status fill_attachments(Connection& db, MessageRow& message) {
  MessageRow* one[] = {&message};
  return fill_attachments(db, one);
}

Result<std::vector<AttachmentRow>> claim_attachments(Connection& db, Id message, Id conversation, Id sender,
                                                     std::span<const Id> ids) {
  if (ids.empty()) return std::vector<AttachmentRow>{};
  // (RETURNING may not name an alias: the table's name qualifies the columns.)
  Stmt st = db.prepare("UPDATE attachments SET message_id = ?1"
                       " WHERE id IN (SELECT value FROM json_each(?2)) AND conversation_id = ?3"
                       " AND uploader_id = ?4 AND message_id IS NULL AND deleted_at IS NULL"
                       " RETURNING " PARLEY_ATTACHMENT_COLUMNS("attachments"));
  st.bind(1, message).bind(2, json_id_list(ids)).bind(3, conversation).bind(4, sender);
  auto claimed = all_attachments(st, "append_message: attachments");
  if (!claimed) return claimed.error();
  if (claimed->size() != ids.size()) {
    return Error::conflict("attachment_unavailable",
                           "an attachment is not an unused upload of the sender into this conversation");
  }
  std::sort(claimed->begin(), claimed->end(), [](const AttachmentRow& a, const AttachmentRow& b) { return a.id < b.id; });
  return claimed;
}

Status mark_attachments_deleted(Connection& db, Id message, TimeMs at) {
  Stmt st = db.prepare("UPDATE attachments SET deleted_at = coalesce(deleted_at, ?2) WHERE message_id = ?1");
  st.bind(1, message).bind(2, at);
  if (!st.run()) return st.error("soft_delete_message: attachments");
  return Status::success();
}

Result<std::int64_t> uploaded_bytes_since(Connection& db, Id user, TimeMs since) {
  Stmt st = db.prepare("SELECT coalesce(sum(size), 0) FROM attachments WHERE uploader_id = ?1 AND created_at >= ?2");
  st.bind(1, user).bind(2, since);
  if (st.step() != SQLITE_ROW) return st.error("uploaded_bytes_since");
  return st.i64(0);
}

Result<std::monostate> insert_attachment(Connection& db, const AttachmentRow& row, TimeMs quota_since,
                                         std::int64_t quota_bytes, const std::optional<JobRow>& preview_job) {
  // The writer is the only one: no other upload can slip in between the sum and the insert.
  auto used = uploaded_bytes_since(db, row.uploader_id, quota_since);
  if (!used) return used.error();
  if (row.size > quota_bytes - *used) {
    return Error::conflict("upload_quota_exceeded", "the daily upload quota would be exceeded");
  }
  {
    Stmt st = db.prepare(
        "INSERT INTO attachments (id, conversation_id, uploader_id, message_id, name, content_type, size, sha256,"
        " blob_key, preview, width, height, thumb_small_key, thumb_large_key, preview_error, created_at, deleted_at)"
        " VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, NULL)");
    st.bind(1, row.id)
        .bind(2, row.conversation_id)
        .bind(3, row.uploader_id)
        .bind(4, row.name)
        .bind(5, row.content_type)
        .bind(6, row.size)
        .bind(7, row.sha256)
        .bind(8, row.blob_key)
        .bind(9, preview_text(row.preview))
        .bind_opt(10, row.width ? std::optional<std::int64_t>(*row.width) : std::nullopt)
        .bind_opt(11, row.height ? std::optional<std::int64_t>(*row.height) : std::nullopt)
        .bind(12, row.thumb_small_key)
        .bind(13, row.thumb_large_key)
        .bind(14, row.preview_error)
        .bind(15, row.created_at);
    if (!st.run()) {
      if (st.rc() == SQLITE_CONSTRAINT_FOREIGNKEY) return Error::not_found("no such conversation or user");
      if (is_constraint(st.rc())) return Error::conflict("id_taken", "an attachment with this id exists");
      return st.error("insert_attachment");
    }
  }
  if (preview_job) return enqueue_job(db, *preview_job);
  return std::monostate{};
}

Result<std::optional<AttachmentRow>> attachment_by_id(Connection& db, Id id) {
  Stmt st = db.prepare("SELECT " PARLEY_ATTACHMENT_COLUMNS("a") " FROM attachments a WHERE a.id = ?1");
  st.bind(1, id);
  int rc = st.step();
  if (rc == SQLITE_ROW) return std::optional<AttachmentRow>(read_attachment(st, 0));
  if (rc == SQLITE_DONE) return std::optional<AttachmentRow>();
  return st.error("attachment_by_id");
}

Result<std::optional<MessageRow>> finish_preview(Connection& db, Id attachment, const AttachmentRow& outcome,
                                                 Id job_id) {
  std::optional<Id> message;
  {
    Stmt st = db.prepare(
        "UPDATE attachments SET preview = ?2, width = ?3, height = ?4, thumb_small_key = ?5, thumb_large_key = ?6,"
        " preview_error = ?7 WHERE id = ?1 RETURNING message_id, deleted_at");
    st.bind(1, attachment)
        .bind(2, preview_text(outcome.preview))
        .bind_opt(3, outcome.width ? std::optional<std::int64_t>(*outcome.width) : std::nullopt)
        .bind_opt(4, outcome.height ? std::optional<std::int64_t>(*outcome.height) : std::nullopt)
        .bind(5, outcome.thumb_small_key)
        .bind(6, outcome.thumb_large_key)
        .bind(7, outcome.preview_error);
    int rc = st.step();
    if (rc == SQLITE_DONE) return Error::not_found("no such attachment");
    if (rc != SQLITE_ROW) return st.error("finish_preview");
    if (st.is_null(1)) message = st.opt_i64(0);
    if (st.step() != SQLITE_DONE) return st.error("finish_preview");
  }
  if (auto done = complete_job(db, job_id); !done) return done.error();
  if (!message) return std::optional<MessageRow>();
  auto row = message_by_id(db, *message);  // fills its attachments
  if (!row) return row.error();
  if (!*row || (*row)->deleted_at) return std::optional<MessageRow>();
  return row;
}

Result<std::vector<AttachmentRow>> reclaimable_attachments(Connection& db, TimeMs unattached_before, int limit) {
  if (limit <= 0) return std::vector<AttachmentRow>{};
  // The first term is attachments_reclaimable's WHERE, verbatim, so that SQLite uses that index.
  Stmt st = db.prepare("SELECT " PARLEY_ATTACHMENT_COLUMNS("a") " FROM attachments a"
                       " WHERE (a.deleted_at IS NOT NULL OR a.message_id IS NULL)"
                       " AND (a.deleted_at IS NOT NULL OR a.created_at < ?1)"
                       " ORDER BY a.created_at, a.id LIMIT ?2");
  st.bind(1, unattached_before).bind(2, limit);
  return all_attachments(st, "reclaimable_attachments");
}

Result<std::monostate> purge_attachments(Connection& db, const std::vector<Id>& ids) {
  if (ids.empty()) return std::monostate{};
  const std::string list = json_id_list(ids);
  {
    Stmt st = db.prepare("DELETE FROM attachments WHERE id IN (SELECT value FROM json_each(?1))"
                         " AND (deleted_at IS NOT NULL OR message_id IS NULL)");
    st.bind(1, list);
    if (!st.run()) return st.error("purge_attachments");
  }
  Stmt st = db.prepare("DELETE FROM jobs WHERE kind = 'preview' AND subject_id IN (SELECT value FROM json_each(?1))"
                       " AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.id = jobs.subject_id)");
  st.bind(1, list);
  if (!st.run()) return st.error("purge_attachments: jobs");
  return std::monostate{};
}

}  // namespace parley::store::sqlite
