#include "store/sqlite/completer.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <exception>

#include "store/sqlite/writer.hpp"

namespace parley::store::sqlite {

Completer::Completer(std::size_t max_pending, std::atomic<std::uint64_t>& completed)
    : max_pending_(max_pending < 1 ? 1 : max_pending), completed_(completed), thread_([this] { do_loop(); }) {}

Completer::~Completer() { stop(); }

void Completer::push(FinishedBatch batch) {
  {
    std::unique_lock lock(mu_);
    has_room_.wait(lock, [&] { return pending_.size() < max_pending_; });
    pending_.push_back(std::move(batch));
  }
  has_work_.notify_one();
}

void Completer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  has_work_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Completer::do_loop() {
  pthread_setname_np(pthread_self(), "sqlite-done");
  for (;;) {
    FinishedBatch batch;
    {
      std::unique_lock lock(mu_);
      has_work_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping, and everything pushed is completed
      batch = std::move(pending_.front());
      pending_.pop_front();
    }
    has_room_.notify_one();
    complete_all(batch);
  }
}

void Completer::complete_all(FinishedBatch& batch) {
  for (std::size_t i = 0; i < batch.jobs.size(); ++i) {
    const Error* e = batch.outcome[i] ? &*batch.outcome[i] : (batch.failure ? &*batch.failure : nullptr);
    completed_++;
    try {
      batch.jobs[i]->complete(e);
    } catch (const std::exception& ex) {
      spdlog::error("sqlite: a write completion threw: {}", ex.what());
    } catch (...) {
      spdlog::error("sqlite: a write completion threw");
    }
    batch.jobs[i].reset();
  }
}

}  // namespace parley::store::sqlite
