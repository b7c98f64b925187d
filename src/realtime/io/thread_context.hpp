#pragma once
// ThreadContext: what the real-time layer keeps per IO thread (shared-nothing, see
// docs/architecture.md): the timer wheel and its single OS timer, the read buffer
// all connections of the thread share (an idle connection holds none), the
// end-of-batch work list (gather writes, deferred deletion), lingering closes,
// random bytes and hot counters.
// IoThreads: the set of them, one per HTTP server IO thread (same index).
//
// End of batch: work that should see everything the current handlers produced runs in one
// posted task: connections with new frames are flushed (one gather write each, however
// many frames were queued meanwhile), then objects disposed of during the batch are
// destroyed (never inside a call stack that may still use them).
//
// Thread-safety: a ThreadContext is used only on its thread, except post() (any thread)
// and the counters (read by any thread). current() is the context of the calling thread,
// set by every entry point of the real-time layer (enter()).
// Ownership: IoThreads owns the contexts; contexts own disposed objects until the batch
// ends and lingering connections until they close or expire.
// Destruction: a Disposable handed to dispose() and a Lingering handed to linger() are
// destroyed on this context's thread. The contexts themselves (IoThreads) are destroyed
// on the main thread after the IO threads have stopped.

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

#include "realtime/io/stats.hpp"
#include "realtime/io/timer_wheel.hpp"

namespace parley::realtime {

// Something with queued output to write at the end of the batch.
class Flushable {
 public:
  virtual void flush() = 0;

 protected:
  ~Flushable() = default;

 private:
  friend class ThreadContext;
  bool flush_scheduled_ = false;
};

// Something whose destruction is deferred to the end of the batch.
class Disposable {
 public:
  virtual ~Disposable() = default;
};

// A connection closing politely (close frame sent, waiting for the peer's); closed hard
// when its deadline passes.
class Lingering {
 public:
  virtual ~Lingering() = default;
  virtual void linger_expired() = 0;
};

class ThreadContext {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kReadBufferSize = 64 * 1024;

  ThreadContext(boost::asio::io_context& io, int index, Clock::duration tick);
  ThreadContext(const ThreadContext&) = delete;
  ThreadContext& operator=(const ThreadContext&) = delete;
  ~ThreadContext();

  boost::asio::io_context& io() noexcept { return io_; }
  int index() const noexcept { return index_; }

  // The calling thread's context (null outside real-time IO threads).
  static ThreadContext* current() noexcept;
  void enter() noexcept;
  bool is_current() const noexcept { return current() == this; }

  // Runs `fn` on this thread (from any thread), after the tasks posted before it.
  // Tasks wait in an inbox drained by one Asio handler: a producer that posts
  // many (the store's writer completing a commit of hundreds of messages: an ack
  // and a broadcast each) wakes this thread once, not once per task.
  template <class F>
  void post(F&& fn) {
    {
      std::lock_guard lock(inbox_mutex_);
      inbox_.emplace_back(std::forward<F>(fn));
      if (inbox_posted_) return;
      inbox_posted_ = true;
    }
    boost::asio::post(io_, [this] { drain_inbox(); });
  }

  // ---- on this thread only ----
  void schedule(TimerNode& node, Clock::time_point deadline);
  void schedule_flush(Flushable& target);
  void dispose(std::unique_ptr<Disposable> object);
  void linger(std::shared_ptr<Lingering> connection, Clock::time_point deadline);
  std::span<char> read_buffer() noexcept { return {read_buffer_.get(), kReadBufferSize}; }
  std::uint64_t random_u64();
  ThreadCounters& counters() noexcept { return counters_; }
  const ThreadCounters& counters() const noexcept { return counters_; }
  // Server shutdown: lingering closes end within `grace`.
  void shutdown(Clock::duration grace);
  bool stopping() const noexcept { return stopping_; }

 private:
  void ensure_ticking();
  void on_tick(boost::system::error_code ec);
  void post_batch();
  void run_batch();
  void drain_inbox();

  // A move-only callable (posted lambdas may own requests and callbacks).
  class Task {
   public:
    template <class F>
    explicit Task(F&& fn) : impl_(std::make_unique<Impl<std::decay_t<F>>>(std::forward<F>(fn))) {}
    void operator()() { impl_->run(); }

   private:
    struct Base {
      virtual ~Base() = default;
      virtual void run() = 0;
    };
    template <class F>
    struct Impl final : Base {
      explicit Impl(F&& f) : fn(std::move(f)) {}
      explicit Impl(const F& f) : fn(f) {}
      void run() override { fn(); }
      F fn;
    };
    std::unique_ptr<Base> impl_;
  };

  boost::asio::io_context& io_;
  int index_;
  TimerWheel wheel_;
  boost::asio::steady_timer tick_timer_;
  bool tick_armed_ = false;
  bool batch_posted_ = false;
  bool stopping_ = false;
  std::unique_ptr<char[]> read_buffer_;
  std::vector<Flushable*> flush_list_;
  std::vector<std::unique_ptr<Disposable>> graveyard_;
  std::vector<std::pair<Clock::time_point, std::shared_ptr<Lingering>>> lingering_;
  std::uint8_t random_pool_[256];
  std::size_t random_pos_ = sizeof random_pool_;
  ThreadCounters counters_;

  std::mutex inbox_mutex_;
  std::vector<Task> inbox_;    // GUARDED_BY(inbox_mutex_)
  bool inbox_posted_ = false;  // GUARDED_BY(inbox_mutex_): a drain_inbox() handler is queued
  std::vector<Task> draining_;  // this thread only: the tasks being run, capacity kept
};

class IoThreads {
 public:
  // One context per io_context, in the HTTP server's thread order. `tick`: the timer wheel
  // resolution (see TimerWheel: timers fire up to one tick early).
  IoThreads(const std::vector<boost::asio::io_context*>& contexts, std::chrono::milliseconds tick);

  std::size_t size() const noexcept { return threads_.size(); }
  ThreadContext& at(std::size_t index) { return *threads_.at(index); }
  SharedCounters& shared_counters() noexcept { return shared_; }
  // Sums every thread's counters (any thread).
  StatsSnapshot snapshot() const;

 private:
  std::vector<std::unique_ptr<ThreadContext>> threads_;
  SharedCounters shared_;
};

// A tick suited to these intervals: a twentieth of the shortest, between 5 and 100 ms.
std::chrono::milliseconds wheel_tick_for(std::initializer_list<std::chrono::milliseconds> intervals);

}  // namespace parley::realtime
