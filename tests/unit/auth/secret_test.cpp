#include "auth/secret.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "temp_dir.hpp"

namespace parley::auth {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const fs::path& p, std::string_view text, mode_t mode) {
  std::ofstream(p, std::ios::binary) << text;
  ASSERT_EQ(::chmod(p.c_str(), mode), 0);
}

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_mode & 07777;
}

bool is_lower_hex(std::string_view s) {
  return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

TEST(Secret, CreatedOnFirstCallWithMode0600) {
  test::TempDir dir;
  const auto secret = load_or_create_secret(dir.path());
  ASSERT_TRUE(secret.ok()) << secret.error().message;
  EXPECT_EQ(secret->size(), 64u);
  EXPECT_TRUE(is_lower_hex(*secret)) << *secret;
  const fs::path file = dir.path() / "jwt-secret";
  EXPECT_EQ(read_file(file), *secret + "\n");
  EXPECT_EQ(mode_of(file), 0600u);
  // Nothing else is left behind (no temporary files).
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(Secret, ModeIs0600WhateverTheUmask) {
  test::TempDir dir;
  const mode_t old = ::umask(0);
  const auto secret = load_or_create_secret(dir.path());
  ::umask(old);
  ASSERT_TRUE(secret.ok()) << secret.error().message;
  EXPECT_EQ(mode_of(dir.path() / "jwt-secret"), 0600u);
}

TEST(Secret, ReusedOnLaterCalls) {
  test::TempDir dir;
  const auto first = load_or_create_secret(dir.path());
  const auto second = load_or_create_secret(dir.path());
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, *second);
  test::TempDir other;
  EXPECT_NE(*first, *load_or_create_secret(other.path()));  // random, not fixed
}

TEST(Secret, CreatesAMissingDataDir) {
  test::TempDir dir;
  const fs::path nested = dir.path() / "a" / "b";
  const auto secret = load_or_create_secret(nested);
  ASSERT_TRUE(secret.ok()) << secret.error().message;
  EXPECT_TRUE(fs::is_regular_file(nested / "jwt-secret"));
}

TEST(Secret, HandWrittenSecretIsTrimmedAndUsed) {
  test::TempDir dir;
  const std::string text = "a-hand-written-secret-of-40-characters!!";
  write_file(dir.path() / "jwt-secret", "  " + text + "\r\n\n", 0600);
  const auto secret = load_or_create_secret(dir.path());
  ASSERT_TRUE(secret.ok()) << secret.error().message;
  EXPECT_EQ(*secret, text);
}

TEST(Secret, GroupOrWorldAccessibleFileIsRefused) {
  for (mode_t mode : {0640, 0604, 0644, 0660, 0602, 0666}) {
    test::TempDir dir;
    const fs::path file = dir.path() / "jwt-secret";
    write_file(file, std::string(64, 'a') + "\n", mode);
    const auto secret = load_or_create_secret(dir.path());
    ASSERT_FALSE(secret.ok()) << std::oct << mode;
    EXPECT_NE(secret.error().message.find("chmod 600"), std::string::npos) << secret.error().message;
    EXPECT_NE(secret.error().message.find(file.string()), std::string::npos) << secret.error().message;
    EXPECT_EQ(read_file(file), std::string(64, 'a') + "\n");  // left untouched
  }
}

TEST(Secret, EmptyOrShortFileIsRefused) {
  for (const std::string& text : {std::string(), std::string("\n"), std::string("short\n"), std::string(31, 'x')}) {
    test::TempDir dir;
    write_file(dir.path() / "jwt-secret", text, 0600);
    const auto secret = load_or_create_secret(dir.path());
    ASSERT_FALSE(secret.ok()) << "'" << text << "'";
    EXPECT_NE(secret.error().message.find("shorter than 32"), std::string::npos) << secret.error().message;
    EXPECT_EQ(read_file(dir.path() / "jwt-secret"), text);  // never silently replaced
  }
  test::TempDir dir;
  write_file(dir.path() / "jwt-secret", std::string(32, 'x'), 0600);
  EXPECT_TRUE(load_or_create_secret(dir.path()).ok());
}

TEST(Secret, OversizedOrBinaryFileIsRefused) {
  test::TempDir big;
  write_file(big.path() / "jwt-secret", std::string(5000, 'x'), 0600);
  EXPECT_FALSE(load_or_create_secret(big.path()).ok());
  test::TempDir binary;
  write_file(binary.path() / "jwt-secret", std::string(40, 'x') + '\0' + std::string(40, 'y'), 0600);
  EXPECT_FALSE(load_or_create_secret(binary.path()).ok());
}

TEST(Secret, DirectoryInPlaceOfTheFileIsRefused) {
  test::TempDir dir;
  fs::create_directory(dir.path() / "jwt-secret");
  const auto secret = load_or_create_secret(dir.path());
  ASSERT_FALSE(secret.ok());
  EXPECT_NE(secret.error().message.find("not a regular file"), std::string::npos) << secret.error().message;
}

TEST(Secret, DataDirThatCannotBeCreatedIsAClearError) {
  test::TempDir dir;
  write_file(dir.path() / "plain-file", "x", 0600);
  const auto secret = load_or_create_secret(dir.path() / "plain-file" / "data");
  ASSERT_FALSE(secret.ok());
  EXPECT_NE(secret.error().message.find("plain-file"), std::string::npos) << secret.error().message;
}

TEST(Secret, UnwritableDataDirIsAClearError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes into read-only directories";
  test::TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0500), 0);
  const auto secret = load_or_create_secret(dir.path());
  ASSERT_FALSE(secret.ok());
  EXPECT_NE(secret.error().message.find(dir.path().string()), std::string::npos) << secret.error().message;
  EXPECT_NE(secret.error().message.find("Permission denied"), std::string::npos) << secret.error().message;
}

TEST(Secret, ConcurrentFirstStartsAgreeOnOneSecret) {
  for (int round = 0; round < 20; ++round) {
    test::TempDir dir;
    std::vector<std::string> seen(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        auto s = load_or_create_secret(dir.path());
        seen[t] = s.ok() ? *s : "error: " + s.error().message;
      });
    for (auto& th : threads) th.join();
    for (const auto& s : seen) EXPECT_EQ(s, seen[0]);
    EXPECT_EQ(seen[0].size(), 64u) << seen[0];
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
  }
}

TEST(Secret, ValidateSecretFromTheCommandLine) {
  EXPECT_FALSE(validate_secret("").ok());
  EXPECT_FALSE(validate_secret(std::string(31, 'x')).ok());
  EXPECT_EQ(validate_secret("short").error().kind, ErrorKind::bad_request);
  EXPECT_TRUE(validate_secret(std::string(32, 'x')).ok());
  EXPECT_FALSE(validate_secret(std::string(40, 'x') + "\n").ok());
  EXPECT_FALSE(validate_secret(std::string(40, 'x') + '\0').ok());
}

}  // namespace
}  // namespace parley::auth
