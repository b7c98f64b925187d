#pragma once
// FunctionJob<T>: a WriteJob made of a function that does the work inside the
// transaction and a callback that receives its Result once the transaction ended
// (the job's own Result if committed or rolled back on its own; the writer's
// error if the transaction failed).
//
// Thread-safety: both functions run on the writer thread; `done` must be quick
// and must not call the store (it would wait for the thread it runs on).

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/result.hpp"
#include "store/sqlite/writer.hpp"

namespace parley::store::sqlite {

// The completion every job with a Result<T> shares: the transaction's failure
// if it failed, else the job's own result, else `not_run` (the writer refused
// the job, or completed it without running it).
template <class T>
class ResultJob : public WriteJob {
 public:
  using Done = std::function<void(Result<T>)>;

  void complete(const Error* failure) override {
    if (failure != nullptr) {
      done_(*failure);
    } else if (result_) {
      done_(std::move(*result_));
    } else {
      done_(not_run_);
    }
  }

 protected:
  ResultJob(Done done, Error not_run) : done_(std::move(done)), not_run_(std::move(not_run)) {}
  std::optional<Result<T>> result_;  // set by run()

 private:
  Done done_;
  Error not_run_;
};

template <class T>
class FunctionJob final : public ResultJob<T> {
 public:
  using Work = std::function<Result<T>(Connection&)>;
  using typename ResultJob<T>::Done;

  FunctionJob(Work work, Done done)
      : ResultJob<T>(std::move(done), Error::internal("write job completed without running")), work_(std::move(work)) {}

  bool run(Connection& db) override {
    this->result_.emplace(work_(db));
    return this->result_->ok();
  }

 private:
  Work work_;
};

template <class T>
std::unique_ptr<WriteJob> make_job(typename FunctionJob<T>::Work work, typename FunctionJob<T>::Done done) {
  return std::make_unique<FunctionJob<T>>(std::move(work), std::move(done));
}

}  // namespace parley::store::sqlite
