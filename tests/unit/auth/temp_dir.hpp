#pragma once
// A fresh directory for one test, removed with everything in it at scope exit.
// Lives under $PARLEY_TEST_TMP (set by CMake) or the system temp directory.

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <stdlib.h>

namespace parley::test {

class TempDir {
 public:
  TempDir() {
    const char* base_env = std::getenv("PARLEY_TEST_TMP");
    const std::filesystem::path base = base_env && *base_env ? base_env : std::filesystem::temp_directory_path();
    std::filesystem::create_directories(base);
    std::string templ = (base / "parley-auth-XXXXXX").string();
    if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed in " + base.string());
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace parley::test
