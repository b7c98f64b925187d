#include "store/sqlite/reader_pool.hpp"

#include <sqlite3.h>

#include <algorithm>

namespace parley::store::sqlite {

Result<std::unique_ptr<ReaderPool>> ReaderPool::open(const std::string& path, int size,
                                                     const std::function<Status(Connection&)>& setup) {
  std::unique_ptr<ReaderPool> pool(new ReaderPool());
  for (int i = 0; i < std::max(1, size); ++i) {
    auto db = Connection::open(path, SQLITE_OPEN_READONLY);
    if (!db) return db.error();
    if (Status s = setup(**db); !s) return s.error();
    pool->idle_.push_back(db->get());
    pool->all_.push_back(std::move(db).value());
  }
  return pool;
}

ReaderPool::~ReaderPool() {
  std::unique_lock lock(mu_);
  returned_.wait(lock, [&] { return idle_.size() == all_.size(); });
}

ReaderPool::Lease ReaderPool::acquire() {
  std::unique_lock lock(mu_);
  returned_.wait(lock, [&] { return !idle_.empty(); });
  Connection* db = idle_.back();
  idle_.pop_back();
  return Lease(this, db);
}

void ReaderPool::release(Connection* db) {
  {
    std::lock_guard lock(mu_);
    idle_.push_back(db);
  }
  returned_.notify_all();
}

}  // namespace parley::store::sqlite
