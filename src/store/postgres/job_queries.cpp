#include "store/postgres/job_queries.hpp"

#include "store/postgres/pg_rows.hpp"

namespace parley::store::postgres {

namespace {

const Statement enqueue_sql{
    "jobs_enqueue",
    "INSERT INTO jobs (id, kind, subject_id, attempts, run_after, leased_until, last_error, created_at)"
    " VALUES ($1, $2, $3, 0, $4, 0, '', $5) ON CONFLICT (kind, subject_id) DO NOTHING"};
// The inner SELECT locks the first runnable row no one else has locked
// (SKIP LOCKED: a concurrent claimer moves on to the next instead of waiting).
// A row another claimer leased and committed meanwhile is checked again
// against the WHERE on its newest version, and skipped: its lease now holds.
const Statement claim_sql{
    "jobs_claim",
    "UPDATE jobs j SET leased_until = $3, attempts = j.attempts + 1"
    " WHERE j.id = (SELECT c.id FROM jobs c WHERE c.kind = ANY ($1::text[]) AND c.run_after <= $2"
    "  AND c.leased_until <= $2 ORDER BY c.run_after, c.id LIMIT 1 FOR UPDATE SKIP LOCKED)"
    " RETURNING " PARLEY_PG_JOB_COLUMNS("j")};
const Statement complete_sql{"jobs_complete", "DELETE FROM jobs WHERE id = $1"};
const Statement retry_sql{"jobs_retry",
                          "UPDATE jobs SET leased_until = 0, run_after = $2, last_error = $3 WHERE id = $1"};
const Statement reschedule_sql{
    "jobs_reschedule",
    "UPDATE jobs SET leased_until = 0, run_after = $2, attempts = 0, last_error = '' WHERE id = $1"};

Status as_status(const Result<PgResult>& r) {
  if (!r) return r.error();
  return Status::success();
}

}  // namespace

Status enqueue_job(Connection& db, const JobRow& job) {
  auto r = db.run(enqueue_sql,
                  Params{}.add(job.id).add(job.kind).add(job.subject_id).add(job.run_after).add(job.created_at));
  if (!r && db.last_sqlstate() == "23505") return Error::conflict("id_taken", "a job with this id exists");
  return as_status(r);
}

Result<std::optional<JobRow>> claim_job(Connection& db, const std::vector<std::string>& kinds, TimeMs now,
                                        TimeMs lease_until) {
  if (kinds.empty()) return std::optional<JobRow>();
  std::vector<std::string_view> names(kinds.begin(), kinds.end());
  auto r = db.run(claim_sql, Params{}.add(text_array(names)).add(now).add(lease_until));
  if (!r) return r.error();
  if (r->rows() == 0) return std::optional<JobRow>();
  return std::optional<JobRow>(read_job(*r, 0, 0));
}

Status complete_job(Connection& db, Id job_id) { return as_status(db.run(complete_sql, Params{}.add(job_id))); }

Status retry_job(Connection& db, Id job_id, TimeMs run_after, std::string_view error) {
  return as_status(db.run(retry_sql, Params{}.add(job_id).add(run_after).add(error)));
}

Status reschedule_job(Connection& db, Id job_id, TimeMs run_after) {
  return as_status(db.run(reschedule_sql, Params{}.add(job_id).add(run_after)));
}

}  // namespace parley::store::postgres
