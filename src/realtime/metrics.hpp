#pragma once
// Exposes the real-time layer's counters (realtime::StatsSnapshot) as
// Prometheus metrics read at scrape time (the *_total ones as counters).
//
// Thread-safety: call at start-up; the callbacks read atomics from any thread.
// Ownership: the registry keeps references to `threads`, which must outlive it
// or at least every render() call.

#include "cluster/presence.hpp"
#include "metrics/registry.hpp"
#include "realtime/io/thread_context.hpp"
#include "realtime/socketio/namespace.hpp"

namespace parley::realtime {

void register_metrics(metrics::Registry& registry, const IoThreads& threads);

// parley_connected_sockets (Socket.IO connections of `chat`, the namespace
// ChatGateway serves) and parley_connected_users (distinct users with one or
// more of them on this node). Both must outlive the registry's renders.
void register_connection_metrics(metrics::Registry& registry, const socketio::Namespace& chat,
                                 const cluster::PresenceService& presence);

}  // namespace parley::realtime
