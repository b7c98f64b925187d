// TimedStore on a real SQLite store: each call is counted under its operation,
// an async append when its `done` runs, and answers pass through unchanged
// (errors included).
#include "app/timed_store.hpp"

#include <gtest/gtest.h>

#include <future>
#include <sstream>
#include <thread>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "common/trace_context.hpp"
#include "store/faulty_store.hpp"

#include "store/sqlite/sqlite_store.hpp"
#include "store/temp_dir.hpp"

namespace parley::app {
namespace {

using namespace std::chrono_literals;

// A real SQLite store in `dir`, quick to open (no fsync, no integrity check).
Result<std::unique_ptr<store::Store>> open_test_store(store::testing::TempDir& dir) {
  store::SqliteOptions options;
  options.path = dir.file("parley.db");
  options.synchronous_full = false;
  options.quick_check = false;
  return store::open_sqlite_store(options);
}

bool has(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

TEST(TimedStore, CountsEachCallUnderItsOperationAndPassesAnswersThrough) {
  store::testing::TempDir dir;
  auto opened = open_test_store(dir);
  ASSERT_TRUE(opened) << opened.error().message;
  metrics::Registry registry;
  TimedStore timed(std::move(*opened), registry);

  EXPECT_TRUE(timed.ping());
  EXPECT_TRUE(timed.ping());
  auto missing = timed.user_by_id(42);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  // An append to a conversation that does not exist: not_found, through the async path.
  store::MessageRow draft;
  draft.id = 7;
  draft.conversation_id = 99;
  draft.sender_id = 42;
  draft.body = "hi";
  draft.client_msg_id = "c1";
  draft.created_at = 1;
  std::promise<Result<store::AppendResult>> done;
  timed.append_message_async(draft, [&done](Result<store::AppendResult> r) { done.set_value(std::move(r)); });
  auto appended = done.get_future().get();
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.error().kind, ErrorKind::not_found);

  const std::string text = registry.render();
  EXPECT_TRUE(has(text, R"(parley_store_operation_seconds_count{operation="ping"} 2)")) << text;
  EXPECT_TRUE(has(text, R"(parley_store_operation_seconds_count{operation="user_by_id"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(parley_store_operation_seconds_count{operation="append_message"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(parley_store_operation_seconds_count{operation="messages"} 0)")) << text;
  EXPECT_EQ(timed.stats().write_jobs, 1u) << "stats() is the wrapped store's";
}

// The slow-operation log (--slow-ms): a store call slower than the threshold is
// logged once at warn with its operation; an async append when it completes.
TEST(TimedStore, LogsAStoreCallSlowerThanTheThresholdOnce) {
  store::testing::TempDir dir;
  auto opened = open_test_store(dir);
  ASSERT_TRUE(opened) << opened.error().message;
  auto faulty = std::make_unique<store::testing::FaultyStore>(std::move(*opened));
  auto* held = faulty.get();
  metrics::Registry registry;
  TimedStore timed(std::move(faulty), registry);

  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("slow", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  trace::set_slow_threshold_ms(5);
  held->hold_appends(true);
  store::MessageRow draft;
  draft.id = 7;
  draft.conversation_id = 99;
  draft.sender_id = 42;
  draft.body = "hi";
  draft.client_msg_id = "c1";
  std::promise<void> completed;
  timed.append_message_async(draft, [&](Result<store::AppendResult>) { completed.set_value(); });
  std::this_thread::sleep_for(20ms);  // holds the append's completion; nothing asserts on time
  held->hold_appends(false);
  for (auto& append : held->take_held_appends()) append.done(std::move(append.result));
  completed.get_future().wait();
  trace::set_slow_threshold_ms(0);
  std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(timed.ping());  // the log is off: never logged
  spdlog::set_default_logger(previous);
  trace::set_slow_threshold_ms(200);

  const std::string text = log.str();
  EXPECT_NE(text.find("slow store operation: append_message took"), std::string::npos) << text;
  EXPECT_EQ(text.find("slow store operation"), text.rfind("slow store operation")) << text;
}

}  // namespace
}  // namespace parley::app
