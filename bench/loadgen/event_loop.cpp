#include "event_loop.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace parley::bench {

EventLoop::EventLoop() : epoll_fd_(epoll_create1(EPOLL_CLOEXEC)) {
  if (epoll_fd_ < 0) {
    std::perror("loadgen: epoll_create1");
    std::abort();
  }
}

EventLoop::~EventLoop() { ::close(epoll_fd_); }

bool EventLoop::add(int fd, Handler* handler) noexcept {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = handler;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void EventLoop::remove(int fd) noexcept { epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

int EventLoop::poll_once(int timeout_ms) noexcept {
  // Deferred readers have data waiting: do not sleep on them.
  const int n = epoll_wait(epoll_fd_, events_, kMaxEvents, deferred_.empty() ? timeout_ms : 0);
  if (n < 0) return 0;  // EINTR: the caller's loop checks its deadline and comes back
  for (int i = 0; i < n; ++i) static_cast<Handler*>(events_[i].data.ptr)->on_events(events_[i].events);
  running_.swap(deferred_);
  for (Handler* handler : running_) handler->on_events(EPOLLIN);
  running_.clear();
  return n;
}

}  // namespace parley::bench
