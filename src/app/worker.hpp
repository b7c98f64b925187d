#pragma once
// `parley worker`: the media job runner (chat/media_jobs.hpp) alone, without
// HTTP: the seed's separable file-processing service. It opens the store and
// the media store the servers use, leases a node id on PostgreSQL (its ids
// must not collide with theirs), and, with --bus redis://..., announces
// message_updated to the cluster's clients. Runs until SIGINT/SIGTERM, then
// lets the job in progress finish (at most --shutdown-timeout).
//
// Thread-safety: call once, from the main thread.

#include "app/config.hpp"

namespace parley::app {

// Returns the process exit code. Start-up failures print one line on stderr.
int run_worker(const WorkerConfig& config);

}  // namespace parley::app
