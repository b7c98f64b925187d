#include "metrics/registry.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace parley::metrics {
namespace {

TEST(Registry, RendersPrometheusText) {
  Registry registry;
  auto* ok = registry.add_counter("parley_http_requests_total", "HTTP requests", R"(code="200")");
  auto* bad = registry.add_counter("parley_http_requests_total", "HTTP requests", R"(code="404")");
  auto* conns = registry.add_gauge("parley_connections", "Open connections");
  auto* latency = registry.add_histogram("parley_latency_seconds", "Latency", {0.001, 0.01});
  registry.add_callback_gauge("parley_answer", "Computed", [] { return 42.0; });
  registry.add_callback_counter("parley_commits_total", "Counted elsewhere", [] { return 9.0; });
  ok->inc(3);
  bad->inc();
  conns->set(7);
  latency->observe(0.0005);
  latency->observe(0.005);
  latency->observe(1);
  const std::string text = registry.render();
  EXPECT_NE(text.find("# TYPE parley_http_requests_total counter\n"), std::string::npos);
  EXPECT_EQ(text.find("# TYPE parley_http_requests_total counter\n"),
            text.rfind("# TYPE parley_http_requests_total counter\n")) << "described once";
  EXPECT_NE(text.find("parley_http_requests_total{code=\"200\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("parley_http_requests_total{code=\"404\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("parley_connections 7\n"), std::string::npos);
  EXPECT_NE(text.find("parley_latency_seconds_bucket{le=\"0.001\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("parley_latency_seconds_bucket{le=\"0.01\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("parley_latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("parley_latency_seconds_count 3\n"), std::string::npos);
  EXPECT_NE(text.find("parley_answer 42\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE parley_answer gauge\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE parley_commits_total counter\nparley_commits_total 9\n"), std::string::npos);
}

TEST(Registry, CountersAreExactUnderConcurrency) {
  Registry registry;
  auto* c = registry.add_counter("c", "c");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([c] {
      for (int i = 0; i < 100000; ++i) c->inc();
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(c->value(), 400000u);
}

}  // namespace
}  // namespace parley::metrics

namespace parley::metrics {
namespace {

struct FakeSnapshot {
  double sent = 0;
  double open = 0;
};

TEST(Registry, SnapshotMetricsAreCountersByTheirTotalSuffixAndReadAtRender) {
  Registry registry;
  FakeSnapshot current{5, 2};
  static constexpr SnapshotMetric<FakeSnapshot> metrics[] = {
      {"x_sent_total", "Sent", [](const FakeSnapshot& s) { return s.sent; }},
      {"x_open", "Open", [](const FakeSnapshot& s) { return s.open; }},
  };
  add_snapshot_metrics<FakeSnapshot>(registry, metrics, [&current] { return current; });
  current = {7, 3};  // read at render time, not at registration
  const std::string text = registry.render();
  EXPECT_NE(text.find("# TYPE x_sent_total counter\nx_sent_total 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE x_open gauge\nx_open 3\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace parley::metrics
