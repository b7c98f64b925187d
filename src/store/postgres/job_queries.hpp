#pragma once
// The durable jobs' SQL (docs/media.md, "Background work"), shared by every
// node: claim_job takes the next runnable job with FOR UPDATE SKIP LOCKED, so
// concurrent claimers (other threads, nodes, `parley worker`s) never wait for
// each other and never take the same job while its lease lasts. Same
// semantics as the SQLite store's job_queries (store.hpp).
//
// Thread-safety: the caller holds the Connection for the call.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/records.hpp"

namespace parley::store::postgres {

// Nothing when a job of the same (kind, subject_id) exists.
Status enqueue_job(Connection& db, const JobRow& job);
Result<std::optional<JobRow>> claim_job(Connection& db, const std::vector<std::string>& kinds, TimeMs now,
                                        TimeMs lease_until);
// Each is a success when the job is gone already.
Status complete_job(Connection& db, Id job_id);
Status retry_job(Connection& db, Id job_id, TimeMs run_after, std::string_view error);
Status reschedule_job(Connection& db, Id job_id, TimeMs run_after);

}  // namespace parley::store::postgres
