#include "app/store_metrics.hpp"

namespace parley::app {

void register_store_metrics(metrics::Registry& registry, const store::Store& store) {
  using Stats = store::StoreStats;
  using Metric = metrics::SnapshotMetric<Stats>;
  static constexpr Metric fields[] = {
      {"parley_store_queued_writes", "Write jobs waiting for the writer thread",
       [](const Stats& s) { return static_cast<double>(s.queued_writes); }},
      {"parley_store_write_transactions_total", "Write transactions committed (one fsync each)",
       [](const Stats& s) { return static_cast<double>(s.write_transactions); }},
      {"parley_store_failed_write_transactions_total", "Write transactions that failed as a whole",
       [](const Stats& s) { return static_cast<double>(s.failed_write_transactions); }},
      {"parley_store_write_jobs_total", "Writes completed (jobs per transaction = group commit)",
       [](const Stats& s) { return static_cast<double>(s.write_jobs); }},
      {"parley_store_largest_write_batch", "Most jobs committed in one transaction since start",
       [](const Stats& s) { return static_cast<double>(s.largest_write_batch); }},
      {"parley_store_commit_seconds_total", "Time spent committing, WAL write and fsync included",
       [](const Stats& s) { return s.commit_seconds; }},
      {"parley_store_checkpoints_total", "WAL checkpoints completed",
       [](const Stats& s) { return static_cast<double>(s.checkpoints); }},
      {"parley_store_checkpoint_pages_total", "Pages checkpoints copied into the database file",
       [](const Stats& s) { return static_cast<double>(s.checkpoint_pages); }},
      {"parley_store_wal_pages", "WAL frames after the latest commit",
       [](const Stats& s) { return static_cast<double>(s.wal_pages); }},
      {"parley_store_replica_reads_total", "History and list reads answered by the read replica (--store-replica)",
       [](const Stats& s) { return static_cast<double>(s.replica_reads); }},
      {"parley_store_replica_not_fresh_total", "Routed reads sent to the primary: the replica had not replayed what they need",
       [](const Stats& s) { return static_cast<double>(s.replica_not_fresh); }},
      {"parley_store_replica_unavailable_total", "Routed reads sent to the primary: the replica failed, was too slow or busy",
       [](const Stats& s) { return static_cast<double>(s.replica_unavailable); }},
  };
  metrics::add_snapshot_metrics<Stats>(registry, fields, [&store] { return store.stats(); });
}

}  // namespace parley::app
