#include "realtime/io/thread_context.hpp"

#include <spdlog/spdlog.h>

#include <sys/random.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace parley::realtime {
namespace {

thread_local ThreadContext* tls_current = nullptr;

}  // namespace

ThreadContext::ThreadContext(boost::asio::io_context& io, int index, Clock::duration tick)
    : io_(io),
      index_(index),
      wheel_(tick, Clock::now()),
      tick_timer_(io),
      read_buffer_(new char[kReadBufferSize]) {}

ThreadContext::~ThreadContext() = default;

ThreadContext* ThreadContext::current() noexcept { return tls_current; }

void ThreadContext::enter() noexcept { tls_current = this; }

void ThreadContext::schedule(TimerNode& node, Clock::time_point deadline) {
  wheel_.schedule(node, deadline);
  ensure_ticking();
}

void ThreadContext::ensure_ticking() {
  if (tick_armed_) return;
  if (wheel_.empty() && lingering_.empty()) return;
  tick_armed_ = true;
  tick_timer_.expires_at(wheel_.next_tick_time());
  tick_timer_.async_wait([this](boost::system::error_code ec) { on_tick(ec); });
}

void ThreadContext::on_tick(boost::system::error_code ec) {
  tick_armed_ = false;
  if (ec) return;
  enter();
  const auto now = Clock::now();
  wheel_.advance(now);
  if (!lingering_.empty()) {
    // Take the expired ones out first: linger_expired() may add new ones.
    std::vector<std::shared_ptr<Lingering>> expired;
    auto keep = std::partition(lingering_.begin(), lingering_.end(),
                               [now](const auto& entry) { return entry.first > now; });
    for (auto it = keep; it != lingering_.end(); ++it) expired.push_back(std::move(it->second));
    lingering_.erase(keep, lingering_.end());
    for (auto& connection : expired) connection->linger_expired();
  }
  ensure_ticking();
}

void ThreadContext::schedule_flush(Flushable& target) {
  if (target.flush_scheduled_) return;
  target.flush_scheduled_ = true;
  flush_list_.push_back(&target);
  post_batch();
}

void ThreadContext::dispose(std::unique_ptr<Disposable> object) {
  graveyard_.push_back(std::move(object));
  post_batch();
}

void ThreadContext::linger(std::shared_ptr<Lingering> connection, Clock::time_point deadline) {
  lingering_.emplace_back(deadline, std::move(connection));
  ensure_ticking();
}

void ThreadContext::drain_inbox() {
  enter();
  {
    std::lock_guard lock(inbox_mutex_);
    draining_.swap(inbox_);
    inbox_posted_ = false;
  }
  for (auto& task : draining_) {
    try {
      task();
    } catch (const std::exception& e) {
      spdlog::error("realtime: a task posted to IO thread {} failed: {}", index_, e.what());
    }
  }
  draining_.clear();
}

void ThreadContext::post_batch() {
  if (batch_posted_) return;
  batch_posted_ = true;
  boost::asio::post(io_, [this] { run_batch(); });
}

void ThreadContext::run_batch() {
  batch_posted_ = false;
  enter();
  std::vector<Flushable*> flushing;
  std::vector<std::unique_ptr<Disposable>> dead;
  // Flushing may dispose of objects and disposing may (through destructors) flush others:
  // repeat until both lists stay empty.
  while (!flush_list_.empty() || !graveyard_.empty()) {
    flushing.swap(flush_list_);
    for (Flushable* target : flushing) {
      target->flush_scheduled_ = false;
      target->flush();
    }
    flushing.clear();
    dead.swap(graveyard_);
    dead.clear();
  }
}

std::uint64_t ThreadContext::random_u64() {
  if (random_pos_ + sizeof(std::uint64_t) > sizeof random_pool_) {
    std::size_t filled = 0;
    while (filled < sizeof random_pool_) {
      const ssize_t n = ::getrandom(random_pool_ + filled, sizeof random_pool_ - filled, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error("getrandom failed");
      }
      filled += static_cast<std::size_t>(n);
    }
    random_pos_ = 0;
  }
  std::uint64_t value;
  std::memcpy(&value, random_pool_ + random_pos_, sizeof value);
  random_pos_ += sizeof value;
  return value;
}

void ThreadContext::shutdown(Clock::duration grace) {
  stopping_ = true;
  // Lingering closes get a short grace; the tick timer keeps running until they are gone,
  // then stops (the wheel is empty once every session is closed), so io_context::run()
  // returns.
  const auto deadline = Clock::now() + grace;
  for (auto& entry : lingering_) entry.first = std::min(entry.first, deadline);
}

IoThreads::IoThreads(const std::vector<boost::asio::io_context*>& contexts, std::chrono::milliseconds tick) {
  threads_.reserve(contexts.size());
  for (std::size_t i = 0; i < contexts.size(); ++i)
    threads_.push_back(std::make_unique<ThreadContext>(*contexts[i], static_cast<int>(i), tick));
}

StatsSnapshot IoThreads::snapshot() const {
  StatsSnapshot out;
  constexpr auto relaxed = std::memory_order_relaxed;
  out.sessions = shared_.sessions.load(relaxed);
  out.websocket_sessions = shared_.websocket_sessions.load(relaxed);
  out.handshakes = shared_.handshakes.load(relaxed);
  out.upgrades = shared_.upgrades.load(relaxed);
  out.slow_consumer_disconnects = shared_.slow_consumer_disconnects.load(relaxed);
  out.broadcasts = shared_.broadcasts.load(relaxed);
  for (const auto& thread : threads_) {
    const ThreadCounters& c = thread->counters();
    out.frames_sent += c.frames_sent.load(relaxed);
    out.bytes_sent += c.bytes_sent.load(relaxed);
    out.write_calls += c.write_calls.load(relaxed);
    out.messages_received += c.messages_received.load(relaxed);
    out.bytes_received += c.bytes_received.load(relaxed);
  }
  return out;
}

std::chrono::milliseconds wheel_tick_for(std::initializer_list<std::chrono::milliseconds> intervals) {
  std::chrono::milliseconds shortest{100 * 20};
  for (auto interval : intervals)
    if (interval.count() > 0) shortest = std::min(shortest, interval);
  return std::clamp(shortest / 20, std::chrono::milliseconds(5), std::chrono::milliseconds(100));
}

}  // namespace parley::realtime
