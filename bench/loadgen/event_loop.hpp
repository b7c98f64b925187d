#pragma once
// EventLoop: a bare epoll loop for one worker process. The generator must cost the
// machine less than the server it measures, so it has no threads, no timers beyond the
// poll timeout, and no allocation per event: each registered fd carries a Handler
// pointer. Descriptors are registered edge-triggered; a handler reads or writes until
// the kernel says EAGAIN (or a short read proves the socket drained).
//
// Ownership: handlers are owned elsewhere and must outlive their registration; a
// handler closing its fd must remove() it first.
// Thread-safety: one thread (the worker process is single-threaded).

#include <cstdint>
#include <sys/epoll.h>
#include <vector>

namespace parley::bench {

class EventLoop {
 public:
  class Handler {
   public:
    virtual void on_events(std::uint32_t events) = 0;

   protected:
    ~Handler() = default;
  };

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Edge-triggered EPOLLIN | EPOLLOUT | EPOLLRDHUP. Returns false if epoll refuses.
  bool add(int fd, Handler* handler) noexcept;
  void remove(int fd) noexcept;
  // Waits at most timeout_ms (0: no wait) and dispatches what is ready, then what was
  // deferred; returns the number of events dispatched.
  int poll_once(int timeout_ms) noexcept;
  // Calls handler->on_events(EPOLLIN) after this batch: for a reader that stopped at its
  // per-event bound with data left, since edge-triggered epoll will not report it again.
  void defer_read(Handler* handler) { deferred_.push_back(handler); }
  bool has_deferred() const noexcept { return !deferred_.empty(); }

 private:
  static constexpr int kMaxEvents = 512;
  int epoll_fd_ = -1;
  epoll_event events_[kMaxEvents];
  std::vector<Handler*> deferred_;
  std::vector<Handler*> running_;
};

}  // namespace parley::bench
