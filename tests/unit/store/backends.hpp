#pragma once
// The store backends the conformance suite (conformance_*_test.cpp) runs
// against: every TEST_P there runs once per entry of all_backends().
//
// Adding a backend is one entry in all_backends() (backends.cpp): a name and
// a function that opens a fresh, empty, migrated store and returns it in a
// TestStore that also owns whatever the store lives in (a temporary folder, a
// database created on a server) and removes it when destroyed. owning_store()
// builds such a TestStore from the store and that owner. A backend that cannot
// run here (no server configured) says why in `unavailable`; its tests skip.
//
// Thread-safety: all_backends() from any thread; a TestStore belongs to one
// test, its store() is the Store under test (thread-safe as store.hpp says).

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "store/store.hpp"

namespace parley::store::testing {

// One store opened for one test, and what it lives in.
class TestStore {
 public:
  virtual ~TestStore() = default;
  virtual Store& store() = 0;
};

struct Backend {
  std::string name;  // in test names: letters, digits and '_' only
  // A fresh, empty store, or nullptr after reporting why with ADD_FAILURE().
  std::function<std::unique_ptr<TestStore>()> open;
  // Empty: the backend runs here. Else the reason its tests are skipped.
  std::function<std::string()> unavailable;
};

// Holds `store` and `owner` (anything movable: a temporary folder, a handle on
// a throwaway database); destroys the store first, then the owner.
template <class Owner>
std::unique_ptr<TestStore> owning_store(std::unique_ptr<Store> store, Owner owner) {
  class Owning final : public TestStore {
   public:
    Owning(std::unique_ptr<Store> store, Owner owner) : owner_(std::move(owner)), store_(std::move(store)) {}
    Store& store() override { return *store_; }

   private:
    Owner owner_;                   // declared first: destroyed last
    std::unique_ptr<Store> store_;
  };
  return std::make_unique<Owning>(std::move(store), std::move(owner));
}

// SQLite in a temporary folder, with default options.
Backend sqlite_backend();
Backend postgres_backend();

// Every backend, SQLite first.
std::vector<Backend> all_backends();

// How GoogleTest prints a Backend parameter.
inline void PrintTo(const Backend& backend, std::ostream* out) { *out << backend.name; }

// For INSTANTIATE_TEST_SUITE_P: names each instance after its backend.
struct BackendName {
  template <class ParamInfo>
  std::string operator()(const ParamInfo& info) const {
    return info.param.name;
  }
};

}  // namespace parley::store::testing
