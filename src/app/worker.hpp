#pragma once
// `parley worker`: the media job runner (chat/media_jobs.hpp) alone, without
// HTTP: the seed's separable file-processing service, beside cluster nodes
// (`parley serve --jobs off --bus redis://...`). It opens their PostgreSQL
// store and media store, leases a node id (its ids must not collide with
// theirs), and sends on their Redis bus the invalidation of the history pages
// and the message_updated of each finished preview. It refuses (exit 2) a
// SQLite store or a local bus: the servers would never hear of the preview
// (and keep serving a cached page with preview "pending"), and a SQLite file
// is one server's alone. Runs until SIGINT/SIGTERM, then lets the job in
// progress finish (at most --shutdown-timeout).
//
// Thread-safety: call once, from the main thread.

#include "app/config.hpp"

namespace parley::app {

// Returns the process exit code: 2 for a store or bus it refuses, 1 for another
// start-up failure (one line on stderr each), 0 after a clean stop.
int run_worker(const WorkerConfig& config);

}  // namespace parley::app
