#include "metrics/chat_metrics.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <fcntl.h>
#include <unistd.h>

#include "metrics/process_metrics.hpp"

namespace parley::metrics {
namespace {

bool has(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

TEST(Registry, LabelledHistogramsAndCallbacksRenderTheirLabels) {
  Registry registry;
  auto* a = registry.add_histogram("x_seconds", "X", {0.1}, R"(op="a")");
  registry.add_histogram("x_seconds", "X", {0.1}, R"(op="b")");
  registry.add_callback_gauge("x_info", "Info", [] { return 1.0; }, label("version", "1.2\"3"));
  a->observe(0.05);
  const std::string text = registry.render();
  EXPECT_TRUE(has(text, R"(x_seconds_bucket{op="a",le="0.1"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(x_seconds_bucket{op="a",le="+Inf"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(x_seconds_count{op="a"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(x_seconds_sum{op="b"} 0)")) << text;
  EXPECT_TRUE(has(text, R"(x_info{version="1.2\"3"} 1)")) << text;
  EXPECT_EQ(text.find("# TYPE x_seconds histogram"), text.rfind("# TYPE x_seconds histogram")) << "described once";
}

TEST(ChatMetrics, HttpErrorsCountAsRefusedByTheirKindAnd401AsAuthFailure) {
  Registry registry;
  ChatMetrics metrics(registry);
  metrics.http_answered(200);
  metrics.http_answered(429);
  metrics.http_answered(503);
  metrics.http_answered(401);
  metrics.http_answered(405);  // no ErrorKind answers 405
  const std::string text = registry.render();
  EXPECT_TRUE(has(text, R"(parley_requests_refused_total{transport="rest",reason="rate_limited"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(parley_requests_refused_total{transport="rest",reason="unavailable"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(parley_requests_refused_total{transport="rest",reason="unauthorized"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(parley_requests_refused_total{transport="rest",reason="other"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(parley_requests_refused_total{transport="rest",reason="bad_request"} 0)")) << text;
  EXPECT_TRUE(has(text, R"(parley_auth_failures_total{transport="rest"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(parley_auth_failures_total{transport="socket"} 0)")) << text;
}

TEST(ChatMetrics, SocketRefusalsAcceptedMessagesAndDeliveries) {
  Registry registry;
  ChatMetrics metrics(registry);
  metrics.refused(Transport::socket, ErrorKind::unauthorized);
  metrics.refused(Transport::socket, ErrorKind::rate_limited);
  metrics.message_accepted(Transport::socket, 0.003);
  metrics.delivered(ChatMetrics::event_index("new_message"), 3);
  metrics.delivered(ChatMetrics::event_index("something_new"), 2);
  metrics.delivered(ChatMetrics::event_index("typing"), 0);
  metrics.delivery_latency(0.002);
  const std::string text = registry.render();
  EXPECT_TRUE(has(text, R"(parley_requests_refused_total{transport="socket",reason="unauthorized"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(parley_requests_refused_total{transport="socket",reason="rate_limited"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(parley_auth_failures_total{transport="socket"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(parley_messages_accepted_total{transport="socket"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(parley_message_ack_seconds_bucket{transport="socket",le="0.005"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(parley_message_ack_seconds_bucket{transport="socket",le="0.0025"} 0)")) << text;
  EXPECT_TRUE(has(text, R"(parley_events_delivered_total{event="new_message"} 3)")) << text;
  EXPECT_TRUE(has(text, R"(parley_events_delivered_total{event="other"} 2)")) << text;
  EXPECT_TRUE(has(text, R"(parley_events_delivered_total{event="typing"} 0)")) << text;
  EXPECT_TRUE(has(text, R"(parley_message_delivery_seconds_count 1)")) << text;
}

TEST(ProcessMetrics, ReadThisProcess) {
  const auto before = sample_process();
  const int fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  const auto after = sample_process();
  ::close(fd);
  EXPECT_EQ(after.open_fds, before.open_fds + 1);
  EXPECT_GT(after.max_fds, after.open_fds);
  EXPECT_GT(after.resident_bytes, 1 << 20);
  EXPECT_GE(after.virtual_bytes, after.resident_bytes);
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(after.start_time_seconds, now + 1);
  EXPECT_GT(after.start_time_seconds, now - 3600) << "this test process started within the hour";
  // Burn some CPU: the counter must move.
  volatile double x = 0;
  for (int i = 0; i < 50'000'000; ++i) x = x + i * 0.5;
  EXPECT_GT(sample_process().cpu_seconds, before.cpu_seconds);

  Registry registry;
  register_process_metrics(registry);
  register_build_info(registry, "9.9.9");
  const std::string text = registry.render();
  for (const char* name : {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_virtual_memory_bytes ",
                           "process_open_fds ", "process_max_fds ", "process_start_time_seconds "})
    EXPECT_NE(text.find(std::string("\n") + name), std::string::npos) << name << " in " << text;
  EXPECT_TRUE(has(text, R"(parley_build_info{version="9.9.9"} 1)")) << text;
}

}  // namespace
}  // namespace parley::metrics
