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

template <class T>
class FunctionJob final : public WriteJob {
 public:
  using Work = std::function<Result<T>(Connection&)>;
  using Done = std::function<void(Result<T>)>;

  FunctionJob(Work work, Done done) : work_(std::move(work)), done_(std::move(done)) {}

  bool run(Connection& db) override {
    result_.emplace(work_(db));
    return result_->ok();
  }

  void complete(const Error* failure) override {
    if (failure != nullptr) {
      done_(*failure);
    } else if (result_) {
      done_(std::move(*result_));
    } else {
      done_(Error::internal("write job completed without running"));
    }
  }

 private:
  Work work_;
  Done done_;
  std::optional<Result<T>> result_;
};

template <class T>
std::unique_ptr<WriteJob> make_job(typename FunctionJob<T>::Work work, typename FunctionJob<T>::Done done) {
  return std::make_unique<FunctionJob<T>>(std::move(work), std::move(done));
}

}  // namespace parley::store::sqlite
