#pragma once
// SQL for the durable jobs (docs/media.md, "Background work"). Every call is a
// write and runs on the writer thread, claims included: the single writer is
// what makes a claim exclusive (no two claims run at once), so SQLite needs no
// row locks for it.
//
// Thread-safety: none of their own; each uses the Connection it is given.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/records.hpp"
#include "store/sqlite/connection.hpp"

namespace parley::store::sqlite {

// Nothing when a job of the same (kind, subject_id) exists.
Result<std::monostate> enqueue_job(Connection& db, const JobRow& job);
Result<std::optional<JobRow>> claim_job(Connection& db, const std::vector<std::string>& kinds, TimeMs now,
                                        TimeMs lease_until);
// Each of these is a success when the job is gone already (another holder
// finished it after this one's lease ran out, or the sweep purged its subject).
Result<std::monostate> complete_job(Connection& db, Id job_id);
Result<std::monostate> retry_job(Connection& db, Id job_id, TimeMs run_after, std::string_view error);
Result<std::monostate> reschedule_job(Connection& db, Id job_id, TimeMs run_after);

}  // namespace parley::store::sqlite
