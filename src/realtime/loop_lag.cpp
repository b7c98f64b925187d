#include "realtime/loop_lag.hpp"

#include <boost/asio/post.hpp>
#include <string>

namespace parley::realtime {

namespace {

// Lag worth telling apart: below a millisecond is an idle loop, above a
// second a stalled one.
std::vector<double> lag_buckets() { return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}; }

}  // namespace

LoopLagProbe::LoopLagProbe(IoThreads& threads, metrics::Registry& registry, std::chrono::milliseconds period)
    : period_(period) {
  for (std::size_t i = 0; i < threads.size(); ++i) {
    auto probe = std::make_unique<Probe>(threads.at(i).io());
    probe->lag = registry.add_histogram("parley_event_loop_lag_seconds",
                                        "How late a periodic timer ran on each IO thread (queueing in its event loop)",
                                        lag_buckets(), metrics::label("thread", std::to_string(i)));
    probes_.push_back(std::move(probe));
  }
}

LoopLagProbe::~LoopLagProbe() { stopping_.store(true, std::memory_order_relaxed); }

void LoopLagProbe::stop() {
  if (stopping_.exchange(true, std::memory_order_relaxed)) return;
  for (auto& probe : probes_)
    boost::asio::post(probe->timer.get_executor(), [p = probe.get()] { p->timer.cancel(); });
}

void LoopLagProbe::start() {
  for (auto& probe : probes_) {
    // Armed on its own thread: a timer is touched by one thread only.
    boost::asio::post(probe->timer.get_executor(), [this, p = probe.get()] {
      if (stopping_.load(std::memory_order_relaxed)) return;
      p->timer.expires_after(period_);
      arm(*p);
    });
  }
}

void LoopLagProbe::arm(Probe& probe) {
  probe.timer.async_wait([this, &probe](boost::system::error_code ec) {
    if (ec || stopping_.load(std::memory_order_relaxed)) return;
    const auto late = std::chrono::steady_clock::now() - probe.timer.expiry();
    probe.lag->observe(std::max(0.0, std::chrono::duration<double>(late).count()));
    probe.timer.expires_after(period_);
    arm(probe);
  });
}

}  // namespace parley::realtime
