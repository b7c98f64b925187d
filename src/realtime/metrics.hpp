#pragma once
// Exposes the real-time layer's counters (realtime::StatsSnapshot) as
// Prometheus metrics read at scrape time (the *_total ones as counters).
//
// Thread-safety: call at start-up; the callbacks read atomics from any thread.
// Ownership: the registry keeps references to `threads`, which must outlive it
// or at least every render() call.

#include "metrics/registry.hpp"
#include "realtime/io/thread_context.hpp"

namespace parley::realtime {

void register_metrics(metrics::Registry& registry, const IoThreads& threads);

}  // namespace parley::realtime
