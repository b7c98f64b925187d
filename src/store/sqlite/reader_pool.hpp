#pragma once
// ReaderPool: N read-only connections, lent out one call at a time.
//
// In WAL mode a reader sees the last committed state and never waits for the
// writer; a caller waits only when all N readers are lent out.
//
// Ownership: owns the connections; a Lease borrows one and returns it when it
// dies. The destructor waits until every Lease has been returned.
// Thread-safety: acquire() from any thread; a Lease is used by one thread.

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "store/sqlite/connection.hpp"

namespace parley::store::sqlite {

class ReaderPool {
 public:
  class Lease {
   public:
    Lease(ReaderPool* pool, Connection* db) : pool_(pool), db_(db) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { pool_->release(db_); }
    Connection& operator*() const { return *db_; }
    Connection* operator->() const { return db_; }

   private:
    ReaderPool* pool_;
    Connection* db_;
  };

  // `setup` runs once on each new connection (pragmas).
  static Result<std::unique_ptr<ReaderPool>> open(const std::string& path, int size,
                                                  const std::function<Status(Connection&)>& setup);
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;
  ~ReaderPool();

  // Blocks until a connection is free.
  Lease acquire();

 private:
  ReaderPool() = default;
  void release(Connection* db);

  std::vector<std::unique_ptr<Connection>> all_;
  std::mutex mu_;
  std::condition_variable returned_;
  std::vector<Connection*> idle_;  // GUARDED_BY(mu_)
};

}  // namespace parley::store::sqlite
