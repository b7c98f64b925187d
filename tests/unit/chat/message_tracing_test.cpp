// A send's trace (common/trace_context.hpp) follows it to its delivery, and a
// slow send is logged once at warn with its stages, under its trace id.
#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chat/chat_fixture.hpp"
#include "chat/messages.hpp"
#include "common/trace_context.hpp"

namespace parley::chat {
namespace {

using testing::ChatOptions;
using testing::ChatWorld;

// Records each line with the trace the logging thread had then (what the
// server's log pattern prints as trace_id).
class RecordingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  struct Line {
    spdlog::level::level_enum level;
    std::string text;
    std::string trace;  // hex, empty for none
  };
  std::vector<Line> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const auto* trace = trace::current_trace();
    lines_.push_back({msg.level, std::string(msg.payload.data(), msg.payload.size()), trace ? trace->hex() : ""});
  }
  void flush_() override {}

 private:
  std::vector<Line> lines_;
};

// Installs a recording default logger at debug for the test's lifetime.
struct CapturedLog {
  std::shared_ptr<RecordingSink> sink = std::make_shared<RecordingSink>();
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  CapturedLog() {
    auto logger = std::make_shared<spdlog::logger>("test", sink);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() {
    spdlog::set_default_logger(previous);
    trace::set_slow_threshold_ms(200);
  }
  std::vector<RecordingSink::Line> matching(const std::string& text) {
    std::vector<RecordingSink::Line> out;
    for (auto& line : sink->lines())
      if (line.text.find(text) != std::string::npos) out.push_back(line);
    return out;
  }
};

struct Room {
  ChatWorld& world;
  Id alice = world.user("alice");
  Id bob = world.user("bob");
  Id conversation = world.group(alice, {bob});
};

TEST(MessageTracing, AnAsyncSendCarriesItsTraceToTheCommitAndTheDelivery) {
  CapturedLog log;
  ChatWorld world;
  Room room{world};
  world.recorder.clear();
  SendInput input{id_to_string(room.conversation), "traced", "cm-1"};
  input.trace = trace::continue_or_start(std::string_view("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  testing::Answer<Sent> answer;
  world.messages.send_async(room.alice, std::move(input), answer.done());
  ASSERT_TRUE(answer.wait());
  ASSERT_TRUE(answer.result->ok());
  const auto deliveries = world.recorder.deliveries("new_message");
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].trace_id.hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  const auto committed = log.matching("committed message " + id_to_string((*answer.result)->message.id));
  ASSERT_EQ(committed.size(), 1u);
  EXPECT_EQ(committed[0].level, spdlog::level::debug);
  EXPECT_EQ(committed[0].trace, "4bf92f3577b34da6a3ce929d0e0e4736");
  const auto released = log.matching("released new_message");
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].trace, "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(MessageTracing, ABlockingSendTakesTheThreadsTraceOrStartsOne) {
  CapturedLog log;
  ChatWorld world;
  Room room{world};
  world.recorder.clear();
  const auto request_trace = trace::new_trace_id();
  {
    trace::TraceScope scope(request_trace);  // as a REST handler runs
    ASSERT_TRUE(world.send(room.alice, room.conversation, "in a request").ok());
  }
  ASSERT_TRUE(world.send(room.alice, room.conversation, "outside any").ok());
  const auto deliveries = world.recorder.deliveries("new_message");
  ASSERT_EQ(deliveries.size(), 2u);
  EXPECT_EQ(deliveries[0].trace_id, request_trace);
  EXPECT_TRUE(deliveries[1].trace_id.valid());
  EXPECT_NE(deliveries[1].trace_id, request_trace);
}

TEST(MessageTracing, ASlowSendIsLoggedOnceAtWarnWithItsStagesAndTrace) {
  CapturedLog log;
  trace::set_slow_threshold_ms(1);
  // The member list is not cached: its load is held (a busy worker pool) well
  // past the threshold.
  ChatWorld world(ChatOptions{.hold_offloaded = true});
  Room room{world};
  world.members.invalidate(room.conversation);
  SendInput input{id_to_string(room.conversation), "slow", "cm-slow"};
  input.trace = trace::continue_or_start(std::nullopt);
  const auto trace_hex = input.trace.trace_id.hex();
  testing::Answer<Sent> answer;
  world.messages.send_async(room.alice, std::move(input), answer.done());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  world.run_held_last_first();
  ASSERT_TRUE(answer.wait());
  ASSERT_TRUE(answer.result->ok());
  const auto slow = log.matching("slow send:");
  ASSERT_EQ(slow.size(), 1u);
  EXPECT_EQ(slow[0].level, spdlog::level::warn);
  EXPECT_EQ(slow[0].trace, trace_hex);
  for (const char* stage : {"total=", " rate_limit=", " members=", " lane=", " commit=", " release="})
    EXPECT_NE(slow[0].text.find(stage), std::string::npos) << stage << " in " << slow[0].text;
  EXPECT_NE(slow[0].text.find("seq=1 sent"), std::string::npos) << slow[0].text;
}

TEST(MessageTracing, NothingIsLoggedAsSlowWhenTheLogIsOff) {
  CapturedLog log;
  trace::set_slow_threshold_ms(0);
  ChatWorld world(ChatOptions{.hold_offloaded = true});
  Room room{world};
  world.members.invalidate(room.conversation);
  testing::Answer<Sent> answer;
  world.messages.send_async(room.alice, {id_to_string(room.conversation), "off", "cm-off"}, answer.done());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  world.run_held_last_first();
  ASSERT_TRUE(answer.wait());
  EXPECT_TRUE(log.matching("slow send:").empty());
  EXPECT_EQ(log.matching("committed message").size(), 1u);
}

}  // namespace
}  // namespace parley::chat
