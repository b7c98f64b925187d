#pragma once
// ServerMetrics: counters scraped from Parley's Prometheus endpoint (/metrics) around a
// measured window. The one the benchmark cares most about is frames per write call: how
// many queued WebSocket frames the server hands the kernel per sendmsg, the main lever
// of fan-out throughput (issue 7). The peer has no such endpoint; its figures stay empty.

#include <boost/json/object.hpp>
#include <map>
#include <string>

#include "options.hpp"

namespace parley::bench {

using MetricSample = std::map<std::string, double, std::less<>>;

// Every unlabelled `parley_realtime_*` sample; empty if the server has no /metrics.
MetricSample scrape_realtime_metrics(const Options& options);

// Deltas between two samples with the derived ratios (frames_per_write, bytes_per_frame).
boost::json::object metric_deltas(const MetricSample& before, const MetricSample& after);

}  // namespace parley::bench
