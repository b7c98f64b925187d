#include "store/sqlite/job_queries.hpp"

#include <sqlite3.h>

#include "store/sqlite/errors.hpp"
#include "store/sqlite/rows.hpp"

namespace parley::store::sqlite {

namespace {

// A JSON array of strings, for `IN (SELECT value FROM json_each(?))`.
std::string json_text_list(const std::vector<std::string>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        constexpr char hex[] = "0123456789abcdef";
        out += "\\u00";
        out += hex[(c >> 4) & 0xF];
        out += hex[c & 0xF];
      } else {
        out += c;
      }
    }
    out += '"';
  }
  out += ']';
  return out;
}

Result<std::monostate> run_update(Stmt& st, const char* context) {
  if (!st.run()) return st.error(context);
  return std::monostate{};
}

}  // namespace

Result<std::monostate> enqueue_job(Connection& db, const JobRow& job) {
  Stmt st = db.prepare(
      "INSERT INTO jobs (id, kind, subject_id, attempts, run_after, leased_until, last_error, created_at)"
      " VALUES (?1, ?2, ?3, 0, ?4, 0, '', ?5) ON CONFLICT (kind, subject_id) DO NOTHING");
  st.bind(1, job.id).bind(2, job.kind).bind(3, job.subject_id).bind(4, job.run_after).bind(5, job.created_at);
  if (st.run()) return std::monostate{};
  if (is_constraint(st.rc())) return Error::conflict("id_taken", "a job with this id exists");
  return st.error("enqueue_job");
}

Result<std::optional<JobRow>> claim_job(Connection& db, const std::vector<std::string>& kinds, TimeMs now,
                                        TimeMs lease_until) {
  if (kinds.empty()) return std::optional<JobRow>();
  // leased_until <= now: never leased (0) or the lease ran out.
  Stmt st = db.prepare(
      "UPDATE jobs SET leased_until = ?3, attempts = attempts + 1"
      " WHERE id = (SELECT c.id FROM jobs c WHERE c.kind IN (SELECT value FROM json_each(?1))"
      "  AND c.run_after <= ?2 AND c.leased_until <= ?2 ORDER BY c.run_after, c.id LIMIT 1)"
      " RETURNING " PARLEY_JOB_COLUMNS("jobs"));
  st.bind(1, json_text_list(kinds)).bind(2, now).bind(3, lease_until);
  int rc = st.step();
  if (rc == SQLITE_DONE) return std::optional<JobRow>();
  if (rc != SQLITE_ROW) return st.error("claim_job");
  JobRow job = read_job(st, 0);
  if (st.step() != SQLITE_DONE) return st.error("claim_job");
  return std::optional<JobRow>(std::move(job));
}

Result<std::monostate> complete_job(Connection& db, Id job_id) {
  Stmt st = db.prepare("DELETE FROM jobs WHERE id = ?1");
  st.bind(1, job_id);
  return run_update(st, "complete_job");
}

Result<std::monostate> retry_job(Connection& db, Id job_id, TimeMs run_after, std::string_view error) {
  Stmt st = db.prepare("UPDATE jobs SET leased_until = 0, run_after = ?2, last_error = ?3 WHERE id = ?1");
  st.bind(1, job_id).bind(2, run_after).bind(3, error);
  return run_update(st, "retry_job");
}

Result<std::monostate> reschedule_job(Connection& db, Id job_id, TimeMs run_after) {
  Stmt st = db.prepare(
      "UPDATE jobs SET leased_until = 0, run_after = ?2, attempts = 0, last_error = '' WHERE id = ?1");
  st.bind(1, job_id).bind(2, run_after);
  return run_update(st, "reschedule_job");
}

}  // namespace parley::store::sqlite
