#include "store/postgres/attachment_queries.hpp"

#include <unordered_map>

#include "store/postgres/job_queries.hpp"
#include "store/postgres/message_queries.hpp"
#include "store/postgres/pg_rows.hpp"

namespace parley::store::postgres {

namespace {

const Statement of_messages_sql{"attachments_of_messages",
                                "SELECT " PARLEY_PG_ATTACHMENT_COLUMNS("a") " FROM attachments a"
                                " WHERE a.message_id = ANY ($1::bigint[]) AND a.deleted_at IS NULL"
                                " ORDER BY a.message_id, a.id"};
const Statement claim_sql{
    "attachments_claim",
    "UPDATE attachments a SET message_id = v.m"
    " FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[]) AS v(aid, m, c, u)"
    " WHERE a.id = v.aid AND a.conversation_id = v.c AND a.uploader_id = v.u"
    " AND a.message_id IS NULL AND a.deleted_at IS NULL"
    " RETURNING " PARLEY_PG_ATTACHMENT_COLUMNS("a")};
// Serializes one uploader's quota checks across connections and nodes (the
// two-key form: a key space apart from the migration lock's one-key form).
const Statement quota_lock_sql{"attachments_quota_lock",
                               "SELECT pg_advisory_xact_lock(1885434476, ($1::bigint % 2147483647)::integer)"};
const Statement uploaded_sql{"attachments_uploaded_since",
                             "SELECT coalesce(sum(size), 0)::bigint FROM attachments"
                             " WHERE uploader_id = $1 AND created_at >= $2"};
const Statement insert_sql{
    "attachments_insert",
    "INSERT INTO attachments (id, conversation_id, uploader_id, message_id, name, content_type, size, sha256,"
    " blob_key, preview, width, height, thumb_small_key, thumb_large_key, preview_error, created_at, deleted_at)"
    " VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULL)"};
const Statement by_id_sql{"attachments_by_id",
                          "SELECT " PARLEY_PG_ATTACHMENT_COLUMNS("a") " FROM attachments a WHERE a.id = $1"};
const Statement finish_sql{
    "attachments_finish_preview",
    "UPDATE attachments SET preview = $2, width = $3, height = $4, thumb_small_key = $5, thumb_large_key = $6,"
    " preview_error = $7 WHERE id = $1 RETURNING message_id, deleted_at"};
// The first term is attachments_reclaimable's predicate, verbatim.
const Statement reclaimable_sql{"attachments_reclaimable",
                                "SELECT " PARLEY_PG_ATTACHMENT_COLUMNS("a") " FROM attachments a"
                                " WHERE (a.deleted_at IS NOT NULL OR a.message_id IS NULL)"
                                " AND (a.deleted_at IS NOT NULL OR a.created_at < $1)"
                                " ORDER BY a.created_at, a.id LIMIT $2"};
// One statement: both parts see the rows as they were before it, so the jobs
// of rows it deletes are found through `gone`, and leftover jobs of rows purged
// earlier through NOT EXISTS.
const Statement purge_sql{
    "attachments_purge",
    "WITH gone AS (DELETE FROM attachments WHERE id = ANY ($1::bigint[])"
    "  AND (deleted_at IS NOT NULL OR message_id IS NULL) RETURNING id)"
    " DELETE FROM jobs j WHERE j.kind = 'preview' AND j.subject_id = ANY ($1::bigint[])"
    "  AND (j.subject_id IN (SELECT id FROM gone)"
    "   OR NOT EXISTS (SELECT 1 FROM attachments a WHERE a.id = j.subject_id))"};

Params& add_opt_int(Params& p, std::optional<int> v) {
  return v ? p.add(std::int64_t{*v}) : p.add_null();
}

// BEGIN, body, COMMIT; ROLLBACK on any failure. A failed COMMIT is unavailable
// (outcome unknown).
template <class T, class Body>
Result<T> in_transaction(Connection& db, Body body) {
  if (auto r = db.exec("BEGIN"); !r) return r.error();
  Result<T> out = body();
  if (!out) {
    db.rollback();
    return out;
  }
  if (auto r = db.exec("COMMIT"); !r) return r.error();
  return out;
}

}  // namespace

Status fill_attachments(Connection& db, std::span<MessageRow* const> messages) {
  std::vector<Id> wanted;
  for (MessageRow* m : messages) {
    if (m != nullptr && !m->attachments.empty()) wanted.push_back(m->id);
  }
  if (wanted.empty()) return Status::success();  // the common page: no round trip
  auto r = db.run(of_messages_sql, Params{}.add(int_array(wanted)));
  if (!r) return r.error();
  std::unordered_map<Id, std::vector<AttachmentRow>> by_message;
  for (int i = 0; i < r->rows(); ++i) {
    AttachmentRow a = read_attachment(*r, i, 0);
    Id message = a.message_id.value_or(0);
    by_message[message].push_back(std::move(a));
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

Result<std::vector<AttachmentRow>> claim_attachments(Connection& db, const std::vector<Id>& ids,
                                                     const std::vector<Id>& messages,
                                                     const std::vector<Id>& conversations,
                                                     const std::vector<Id>& senders) {
  std::vector<AttachmentRow> out;
  if (ids.empty()) return out;
  auto r = db.run(claim_sql, Params{}
                                 .add(int_array(ids))
                                 .add(int_array(messages))
                                 .add(int_array(conversations))
                                 .add(int_array(senders)));
  if (!r) return r.error();
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(read_attachment(*r, i, 0));
  return out;
}

Result<std::int64_t> uploaded_bytes_since(Connection& db, Id user, TimeMs since) {
  auto r = db.run(uploaded_sql, Params{}.add(user).add(since));
  if (!r) return r.error();
  return r->i64(0, 0);
}

Status insert_attachment(Connection& db, const AttachmentRow& row, TimeMs quota_since, std::int64_t quota_bytes,
                         const std::optional<JobRow>& preview_job) {
  auto done = in_transaction<std::monostate>(db, [&]() -> Result<std::monostate> {
    if (auto r = db.run(quota_lock_sql, Params{}.add(row.uploader_id)); !r) return r.error();
    auto used = uploaded_bytes_since(db, row.uploader_id, quota_since);
    if (!used) return used.error();
    if (row.size > quota_bytes - *used) {
      return Error::conflict("upload_quota_exceeded", "the daily upload quota would be exceeded");
    }
    Params p;
    p.add(row.id).add(row.conversation_id).add(row.uploader_id).add(row.name).add(row.content_type).add(row.size);
    p.add(row.sha256).add(row.blob_key).add(preview_text(row.preview));
    add_opt_int(p, row.width);
    add_opt_int(p, row.height);
    p.add(row.thumb_small_key).add(row.thumb_large_key).add(row.preview_error).add(row.created_at);
    if (auto r = db.run(insert_sql, p); !r) {
      if (db.last_sqlstate() == "23505") return Error::conflict("id_taken", "an attachment with this id exists");
      if (r.error().kind == ErrorKind::not_found) return Error::not_found("no such conversation or user");
      return r.error();
    }
    if (preview_job) {
      if (Status s = enqueue_job(db, *preview_job); !s) return s.error();
    }
    return std::monostate{};
  });
  if (!done) return done.error();
  return Status::success();
}

Result<std::optional<AttachmentRow>> attachment_by_id(Connection& db, Id id) {
  auto r = db.run(by_id_sql, Params{}.add(id));
  if (!r) return r.error();
  if (r->rows() == 0) return std::optional<AttachmentRow>();
  return std::optional<AttachmentRow>(read_attachment(*r, 0, 0));
}

Result<std::optional<MessageRow>> finish_preview(Connection& db, Id attachment, const AttachmentRow& outcome,
                                                 Id job_id) {
  return in_transaction<std::optional<MessageRow>>(db, [&]() -> Result<std::optional<MessageRow>> {
    Params p;
    p.add(attachment).add(preview_text(outcome.preview));
    add_opt_int(p, outcome.width);
    add_opt_int(p, outcome.height);
    p.add(outcome.thumb_small_key).add(outcome.thumb_large_key).add(outcome.preview_error);
    auto r = db.run(finish_sql, p);
    if (!r) return r.error();
    if (r->rows() == 0) return Error::not_found("no such attachment");
    std::optional<Id> message;
    if (r->is_null(0, 1)) message = r->opt_i64(0, 0);
    if (Status s = complete_job(db, job_id); !s) return s.error();
    if (!message) return std::optional<MessageRow>();
    auto row = message_by_id(db, *message);  // fills its attachments
    if (!row) return row.error();
    if (!*row || (*row)->deleted_at) return std::optional<MessageRow>();
    return row;
  });
}

Result<std::vector<AttachmentRow>> reclaimable_attachments(Connection& db, TimeMs unattached_before, int limit) {
  std::vector<AttachmentRow> out;
  if (limit <= 0) return out;
  auto r = db.run(reclaimable_sql, Params{}.add(unattached_before).add(std::int64_t{limit}));
  if (!r) return r.error();
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(read_attachment(*r, i, 0));
  return out;
}

Status purge_attachments(Connection& db, const std::vector<Id>& ids) {
  if (ids.empty()) return Status::success();
  auto r = db.run(purge_sql, Params{}.add(int_array(ids)));
  if (!r) return r.error();
  return Status::success();
}

}  // namespace parley::store::postgres
