#pragma once
// Offload: runs a job on the worker pool, where blocking (store reads, waiting
// for a networked service) is allowed. The chat layer's non-blocking entry
// points (Messages::send_async, Live) take one so that they can be called on
// an IO thread and move their blocking parts off it. The composition root
// (app/serve.cpp) posts to its boost::asio::thread_pool; tests may run jobs
// inline or on threads of their own.
//
// Thread-safety: callable from any thread. A job must not throw (the pool
// logs and drops what escapes).

#include <functional>

namespace parley::chat {

using Offload = std::function<void(std::function<void()> job)>;

}  // namespace parley::chat
