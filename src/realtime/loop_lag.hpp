#pragma once
// Event-loop lag of each IO thread: a timer per thread, re-armed every
// `period`, measures how late its handler runs (the time that thread's queue
// took to reach it). A thread busy with a long handler, or starved of CPU,
// shows here before anything else does. Recorded as
// parley_event_loop_lag_seconds{thread="<index>"} (histogram; thread indexes
// are 0..--threads-1, so the label set is bounded).
//
// Thread-safety: construct and start() on the main thread before or after the
// IO threads run; each timer lives on its own thread afterwards. stop() from
// the main thread, before the IO threads are asked to finish.
// Ownership: borrows the IO threads and the registry's histograms; destroy it
// after the IO threads have stopped (its timers belong to their io_contexts).

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "metrics/registry.hpp"
#include "realtime/io/thread_context.hpp"

namespace parley::realtime {

class LoopLagProbe {
 public:
  LoopLagProbe(IoThreads& threads, metrics::Registry& registry,
               std::chrono::milliseconds period = std::chrono::milliseconds(500));
  ~LoopLagProbe();
  LoopLagProbe(const LoopLagProbe&) = delete;
  LoopLagProbe& operator=(const LoopLagProbe&) = delete;

  void start();
  // Before the server stops: the IO threads' run() returns only once no timer
  // is pending. Cancels each timer on its own thread.
  void stop();

 private:
  struct Probe {
    explicit Probe(boost::asio::io_context& io) : timer(io) {}
    boost::asio::steady_timer timer;
    metrics::Histogram* lag = nullptr;
  };
  void arm(Probe& probe);

  std::chrono::milliseconds period_;
  std::vector<std::unique_ptr<Probe>> probes_;
  std::atomic<bool> stopping_{false};
};

}  // namespace parley::realtime
