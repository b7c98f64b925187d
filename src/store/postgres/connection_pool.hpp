#pragma once
// A fixed number of connections lent out one call at a time. A connection that
// broke is replaced on a later acquire. After a failed connect no slot tries
// again before a backoff period (50 ms doubling to 2 s) has passed, so that
// while the server is away callers fail fast with unavailable instead of each
// waiting for a connect timeout.
//
// Thread-safety: acquire() from any thread; a Lease belongs to the thread that
// acquired it and must be destroyed before the pool.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "store/postgres/pg_connection.hpp"

namespace parley::store::postgres {

class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool* pool, int slot, std::unique_ptr<Connection> conn)
        : pool_(pool), slot_(slot), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept : pool_(other.pool_), slot_(other.slot_), conn_(std::move(other.conn_)) {
      other.pool_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() { return *conn_; }
    Connection* operator->() { return conn_.get(); }

   private:
    ConnectionPool* pool_;
    int slot_;
    std::unique_ptr<Connection> conn_;
  };

  // `first` (may be null) fills slot 0, so that opening the store does not connect twice.
  ConnectionPool(std::string conninfo, int size, int acquire_timeout_ms, int connect_timeout_s,
                 std::unique_ptr<Connection> first);

  // A connection, waiting at most acquire_timeout_ms for a free one. unavailable
  // when none frees up in time, or when (re)connecting fails or is backing off.
  Result<Lease> acquire();

 private:
  using Clock = std::chrono::steady_clock;
  struct Slot {
    std::unique_ptr<Connection> conn;
    bool busy = false;
    Clock::time_point next_attempt{};
    std::chrono::milliseconds backoff{0};
  };
  void give_back(int slot, std::unique_ptr<Connection> conn);
  int take_free_slot();  // REQUIRES: mu_ held; -1 if none

  const std::string conninfo_;
  const std::chrono::milliseconds acquire_timeout_;
  const int connect_timeout_s_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<Slot> slots_;  // GUARDED_BY(mu_)
  Clock::time_point next_attempt_{};  // GUARDED_BY(mu_): after a failed connect, for every slot
};

}  // namespace parley::store::postgres
