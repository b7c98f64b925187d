#pragma once
// The write counters behind Store::stats(), shared by the appenders and the
// store's own write calls.
//
// Thread-safety: atomics; any thread updates and reads them.

#include <atomic>
#include <cstdint>

#include "store/store.hpp"

namespace parley::store::postgres {

struct WriteCounters {
  std::atomic<std::int64_t> queued{0};
  std::atomic<std::uint64_t> transactions{0};
  std::atomic<std::uint64_t> failed_transactions{0};
  std::atomic<std::uint64_t> jobs{0};
  std::atomic<std::uint64_t> largest_batch{0};
  std::atomic<std::uint64_t> commit_ns{0};
  // Appender transactions committed: the sends the search indexer yields to
  // (the jobs runner's polls and other single writes are not counted).
  std::atomic<std::uint64_t> append_transactions{0};

  void committed(std::uint64_t batch, std::uint64_t nanoseconds) {
    transactions.fetch_add(1, std::memory_order_relaxed);
    commit_ns.fetch_add(nanoseconds, std::memory_order_relaxed);
    std::uint64_t seen = largest_batch.load(std::memory_order_relaxed);
    while (batch > seen && !largest_batch.compare_exchange_weak(seen, batch, std::memory_order_relaxed)) {
    }
  }

  StoreStats snapshot() const {
    StoreStats s;
    std::int64_t q = queued.load(std::memory_order_relaxed);
    s.queued_writes = q > 0 ? static_cast<std::uint64_t>(q) : 0;
    s.write_transactions = transactions.load(std::memory_order_relaxed);
    s.failed_write_transactions = failed_transactions.load(std::memory_order_relaxed);
    s.write_jobs = jobs.load(std::memory_order_relaxed);
    s.largest_write_batch = largest_batch.load(std::memory_order_relaxed);
    s.commit_seconds = static_cast<double>(commit_ns.load(std::memory_order_relaxed)) / 1e9;
    return s;
  }
};

}  // namespace parley::store::postgres
