#pragma once
// The fixture of the conformance suite: behaviour that every Store backend must
// share (store.hpp's contract), run once per backend of all_backends().
// Each conformance_*_test.cpp declares its suites as subclasses of
// ConformanceTest and instantiates them with CONFORMANCE_OVER_ALL_BACKENDS.
// Backend-specific behaviour (SQLite's writer, checkpoints, open checks) is
// tested in that backend's own files (sqlite_*_test.cpp).
//
// Every test starts from an empty store of its own.

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "backends.hpp"
#include "store_builders.hpp"

namespace parley::store::testing {

class ConformanceTest : public ::testing::TestWithParam<Backend>, public StoreBuilders {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    const Backend& backend = GetParam();
    if (backend.unavailable) {
      std::string why = backend.unavailable();
      if (!why.empty()) GTEST_SKIP() << backend.name << ": " << why;
    }
    handle_ = backend.open();
    ASSERT_NE(handle_, nullptr) << "backend " << backend.name << " did not open";
    store_ = &handle_->store();
  }

  void TearDown() override {
    store_ = nullptr;
    handle_.reset();  // closes the store, then removes its database
  }

  Store& store() override { return *store_; }

  std::unique_ptr<TestStore> handle_;
  Store* store_ = nullptr;
};

using ConformanceGroupOfTwo = WithGroupOfTwo<ConformanceTest>;

}  // namespace parley::store::testing

// Runs the TEST_Ps of `suite` against every backend, each instance named after
// its backend (Backends/ConformanceUsers.InsertAndReadBack/sqlite).
#define CONFORMANCE_OVER_ALL_BACKENDS(suite)                                                              \
  INSTANTIATE_TEST_SUITE_P(Backends, suite, ::testing::ValuesIn(::parley::store::testing::all_backends()), \
                           ::parley::store::testing::BackendName())
