#pragma once
// A temporary directory for one test, under $PARLEY_TEST_TMP (else /tmp),
// removed with everything in it when the object dies.
//
// Thread-safety: const methods from any thread. Ownership: owns the directory.

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace parley::store::testing {

class TempDir {
 public:
  TempDir() {
    const char* env = std::getenv("PARLEY_TEST_TMP");
    std::filesystem::path base = env != nullptr && *env != '\0' ? env : "/tmp";
    std::filesystem::create_directories(base);
    std::string pattern = (base / "parley-store-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed under " + base.string());
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace parley::store::testing
