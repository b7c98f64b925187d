#pragma once
// Helpers for the SQLite-specific store tests: a temporary directory (under
// $PARLEY_TEST_TMP, else /tmp) removed afterwards, a way to hold the writer,
// and a fixture that opens a real SQLite store in the directory (with the
// builders of store_builders.hpp). Behaviour every backend shares is tested in
// conformance_*_test.cpp instead.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/sqlite/connection.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/sqlite_store_impl.hpp"
#include "store/sqlite/writer.hpp"
#include "store/store.hpp"
#include "store_builders.hpp"
#include "temp_dir.hpp"

namespace parley::store::testing {

// Rows in `t` of the database at `path`, read through a fresh read-only
// connection on the default VFS (what another process would see); -1 on error.
inline std::int64_t count_rows_of_t(const std::string& path) {
  auto db = sqlite::Connection::open(path, SQLITE_OPEN_READONLY);
  if (!db.ok()) return -1;
  auto n = (*db)->query_int("SELECT count(*) FROM t");
  return n.ok() ? *n : -1;
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A write job that holds the writer thread until released: jobs submitted
// meanwhile queue up and go into the next batch together. The job owns the
// "started" promise, so it outlives its set_value().
class GateJob final : public sqlite::WriteJob {
 public:
  explicit GateJob(std::shared_future<void> gate) : gate_(std::move(gate)) {}
  std::future<void> started() { return started_.get_future(); }
  bool run(sqlite::Connection&) override {
    started_.set_value();
    gate_.wait();
    return true;
  }
  void complete(const Error*) override {}

 private:
  std::shared_future<void> gate_;
  std::promise<void> started_;
};

// Submits a GateJob through `submit` and waits until the writer runs it.
// Fulfil the returned promise to let the writer go on.
template <class Submit>
std::promise<void> hold_writer(Submit submit) {
  std::promise<void> gate;
  auto job = std::make_unique<GateJob>(gate.get_future().share());
  std::future<void> started = job->started();
  EXPECT_TRUE(submit(std::move(job)));
  started.wait();
  return gate;
}

class StoreTest : public ::testing::Test, public StoreBuilders {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    open();
  }

  SqliteOptions options() const {
    SqliteOptions o;
    o.path = path();
    return o;
  }
  std::string path() const { return dir_.file("parley.db"); }

  void open(const SqliteOptions& o) {
    auto opened = open_sqlite_store(o);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }
  void open() { open(options()); }
  void reopen() {
    store_.reset();
    open();
  }
  sqlite::SqliteStore& impl() { return dynamic_cast<sqlite::SqliteStore&>(*store_); }

  Store& store() override { return *store_; }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

using GroupOfTwoTest = WithGroupOfTwo<StoreTest>;

}  // namespace parley::store::testing
