// LoopLagProbe on a real io_context: a handler that blocks the loop shows up as
// lag of the thread's timer, and stop() lets run() return (no timer left).
#include "realtime/loop_lag.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>

namespace parley::realtime {
namespace {

using namespace std::chrono_literals;

TEST(LoopLagProbe, MeasuresHowLateTheTimerRunsAndStops) {
  boost::asio::io_context io;
  IoThreads threads({&io}, 5ms);
  metrics::Registry registry;
  LoopLagProbe probe(threads, registry, 20ms);
  probe.start();
  // A handler that holds the loop for 200 ms, posted once the probe's timer is armed.
  boost::asio::steady_timer block(io);
  block.expires_after(5ms);
  block.async_wait([](boost::system::error_code) { std::this_thread::sleep_for(200ms); });
  boost::asio::steady_timer end(io);
  end.expires_after(400ms);
  end.async_wait([&probe](boost::system::error_code) { probe.stop(); });
  io.run();  // returns only once the probe's timer is cancelled

  const std::string text = registry.render();
  EXPECT_NE(text.find("parley_event_loop_lag_seconds_bucket{thread=\"0\",le=\"0.1\"}"), std::string::npos) << text;
  // At least one run was over 100 ms late (the blocked one): the +Inf bucket counts more than le=0.1.
  const auto count_of = [&text](const std::string& le) {
    const std::string key = "parley_event_loop_lag_seconds_bucket{thread=\"0\",le=\"" + le + "\"} ";
    const auto at = text.find(key);
    return at == std::string::npos ? -1L : std::stol(text.substr(at + key.size()));
  };
  EXPECT_GT(count_of("+Inf"), count_of("0.1")) << text;
  EXPECT_GE(count_of("+Inf"), 2) << text;
}

}  // namespace
}  // namespace parley::realtime
