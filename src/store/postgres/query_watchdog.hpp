#pragma once
// QueryWatchdog: a deadline for a blocking libpq call. libpq's synchronous
// calls wait as long as the server takes; a server that is stopped (SIGSTOP,
// a hung VM) keeps its TCP connection up, so neither keepalives nor
// tcp_user_timeout end the wait. The replica router must never wait on a
// replica longer than it takes to ask the primary instead, so every replica
// call runs under an armed guard: when its deadline passes first, the
// watchdog's thread shuts the connection's socket down, the blocked call
// returns with the connection broken (unavailable), and the pool replaces it.
//
//   QueryWatchdog dog;
//   { auto guard = dog.arm(conn, std::chrono::milliseconds(300)); run(conn); }
//
// Thread-safety: arm() from any thread; a Guard belongs to the thread that
// armed it and must be destroyed before the Connection it watches and before
// the watchdog. Ownership: owns one thread, joined by the destructor.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

#include "store/postgres/pg_connection.hpp"

namespace parley::store::postgres {

class QueryWatchdog {
 public:
  class Guard {
   public:
    Guard(QueryWatchdog* dog, std::uint64_t id) : dog_(dog), id_(id) {}
    Guard(Guard&& other) noexcept : dog_(other.dog_), id_(other.id_) { other.dog_ = nullptr; }
    Guard& operator=(Guard&&) = delete;
    ~Guard();
    // True if the deadline passed and the connection was cut.
    bool fired() const;

   private:
    QueryWatchdog* dog_;
    std::uint64_t id_;
  };

  QueryWatchdog();
  ~QueryWatchdog();
  QueryWatchdog(const QueryWatchdog&) = delete;
  QueryWatchdog& operator=(const QueryWatchdog&) = delete;

  Guard arm(Connection& conn, std::chrono::milliseconds timeout);
  std::uint64_t fired_count() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Armed {
    Clock::time_point deadline;
    int socket = -1;
    bool fired = false;
  };
  void run();
  void disarm(std::uint64_t id);
  bool was_fired(std::uint64_t id) const;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::uint64_t, Armed> armed_;  // GUARDED_BY(mu_)
  std::map<std::uint64_t, bool> fired_;   // GUARDED_BY(mu_): ids whose guard still lives and was fired
  std::uint64_t next_id_ = 1;             // GUARDED_BY(mu_)
  std::uint64_t fired_count_ = 0;         // GUARDED_BY(mu_)
  bool stopping_ = false;                 // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace parley::store::postgres
