#pragma once
// The store's counters on /metrics (parley_store_*): the write queue, group
// commits and their time, checkpoints. Queue depth near its bound, or commit
// seconds per transaction rising, is the first sign that sends outrun the disk.
//
// Thread-safety: registration before serving; the registry reads
// Store::stats() (which never blocks) at each scrape. `store` must outlive
// the registry's use.

#include "metrics/registry.hpp"
#include "store/store.hpp"

namespace parley::app {

void register_store_metrics(metrics::Registry& registry, const store::Store& store);

}  // namespace parley::app
