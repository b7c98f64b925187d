#include "realtime/io/thread_context.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace parley::realtime {
namespace {

using namespace std::chrono_literals;

TEST(ThreadContextPost, TasksFromAnotherThreadRunInOrderOnTheContextsThread) {
  boost::asio::io_context io;
  ThreadContext context(io, 0, 10ms);
  std::vector<int> ran;
  std::thread::id runner;
  std::thread producer([&] {
    for (int i = 0; i < 1000; ++i) context.post([&ran, &runner, i] {
      ran.push_back(i);
      runner = std::this_thread::get_id();
    });
  });
  producer.join();
  const std::size_t handlers = io.run();
  ASSERT_EQ(ran.size(), 1000u);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(ran[i], i);
  EXPECT_EQ(runner, std::this_thread::get_id());
  EXPECT_LT(handlers, 10u) << "posted tasks share one wake-up (handler) per batch, not one each";
}

TEST(ThreadContextPost, ATaskMayPostMoreAndMoveOnlyCapturesWork) {
  boost::asio::io_context io;
  ThreadContext context(io, 0, 10ms);
  std::vector<int> ran;
  auto owned = std::make_unique<int>(7);
  context.post([&, owned = std::move(owned)] {
    ran.push_back(*owned);
    context.post([&] { ran.push_back(8); });
  });
  io.run();
  EXPECT_EQ(ran, (std::vector<int>{7, 8}));
  EXPECT_EQ(ThreadContext::current(), &context) << "tasks run with their context entered";
}

TEST(ThreadContextPost, AThrowingTaskDoesNotLoseTheOthers) {
  boost::asio::io_context io;
  ThreadContext context(io, 0, 10ms);
  int ran = 0;
  context.post([&] { ++ran; });
  context.post([] { throw std::runtime_error("boom"); });
  context.post([&] { ++ran; });
  io.run();
  EXPECT_EQ(ran, 2);
}

}  // namespace
}  // namespace parley::realtime
