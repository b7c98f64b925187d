#include "auth/password.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace parley::auth {
namespace {

const PasswordCost cheap = PasswordCost::minimal();

TEST(Password, RoundTrip) {
  const std::string hash = hash_password("correct horse battery staple", cheap);
  EXPECT_TRUE(verify_password("correct horse battery staple", hash));
}

TEST(Password, WrongPasswordIsRefused) {
  const std::string hash = hash_password("correct horse battery staple", cheap);
  EXPECT_FALSE(verify_password("correct horse battery stapler", hash));
  EXPECT_FALSE(verify_password("Correct horse battery staple", hash));
  EXPECT_FALSE(verify_password("", hash));
}

TEST(Password, EveryByteCounts) {
  const std::string with_nul("pass\0word", 9);
  const std::string hash = hash_password(with_nul, cheap);
  EXPECT_TRUE(verify_password(with_nul, hash));
  EXPECT_FALSE(verify_password("pass", hash));  // no truncation at NUL
  const std::string utf8 = "pässwörd-密码-🔑";
  EXPECT_TRUE(verify_password(utf8, hash_password(utf8, cheap)));
  EXPECT_TRUE(verify_password("", hash_password("", cheap)));
}

TEST(Password, HashIsSaltedArgon2idPhcString) {
  const std::string a = hash_password("same password", cheap);
  const std::string b = hash_password("same password", cheap);
  EXPECT_NE(a, b);
  EXPECT_TRUE(a.starts_with("$argon2id$v=19$m=8,t=1,p=1$")) << a;
  EXPECT_TRUE(verify_password("same password", a));
  EXPECT_TRUE(verify_password("same password", b));
}

TEST(Password, InteractiveCostIsLibsodiumInteractive) {
  const PasswordCost cost = PasswordCost::interactive();
  EXPECT_EQ(cost.opslimit, 2u);
  EXPECT_EQ(cost.memlimit, 64u * 1024 * 1024);
  const std::string hash = hash_password("hunter2hunter2", cost);
  EXPECT_TRUE(hash.starts_with("$argon2id$v=19$m=65536,t=2,p=1$")) << hash;
  EXPECT_TRUE(verify_password("hunter2hunter2", hash));
  EXPECT_FALSE(verify_password("hunter3hunter3", hash));
}

TEST(Password, MalformedHashesAreRefusedWithoutThrowing) {
  const std::string good = hash_password("pw", cheap);
  std::vector<std::string> bad = {
      "",
      "garbage",
      "$argon2id$",
      "$argon2id$v=19$",
      "$argon2id$v=19$m=8,t=1,p=1$",
      "$argon2id$v=19$m=8,t=1,p=1$$",
      good.substr(0, good.size() / 2),
      good.substr(0, good.size() - 1),
      good + "A",
      good + std::string(200, 'A'),  // beyond libsodium's fixed buffer
      std::string(good).replace(good.size() - 3, 3, "!!!"),
      std::string(good).replace(0, 9, "$argon2i$"),
      std::string(good).replace(1, 8, "ARGON2ID"),
      "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",  // bcrypt
      "plaintext-password",
      std::string(good).insert(20, 1, '\0'),
      std::string(good).replace(good.find("m=8"), 3, "m=x"),
      std::string(good).replace(good.find("t=1"), 3, "t=0"),
      std::string(good).replace(good.find("p=1"), 3, "p=2"),
      std::string(good).replace(good.find("v=19"), 4, "v=16"),
      std::string(good).replace(good.find("m=8"), 3, "m=-8"),
      std::string(good).replace(good.find("m=8"), 3, "m=99999999999999999999"),
  };
  for (const std::string& h : bad) EXPECT_FALSE(verify_password("pw", h)) << h;
  EXPECT_TRUE(verify_password("pw", good));
  // needs_rehash reads only the parameters: it says true for what it cannot read.
  for (const std::string& h : {std::string(), std::string("garbage"), bad[11], bad[13], bad[15], bad[18], bad[19]})
    EXPECT_TRUE(needs_rehash(h, cheap)) << h;
}

TEST(Password, HostileParametersAreRefusedQuickly) {
  // A corrupted or planted row asking for 4 GiB or a million passes must not stall a login.
  const std::string good = hash_password("pw", cheap);
  const std::string big_m = std::string(good).replace(good.find("m=8"), 3, "m=4194304");
  const std::string big_t = std::string(good).replace(good.find("t=1"), 3, "t=1000000");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(verify_password("pw", big_m));
  EXPECT_FALSE(verify_password("pw", big_t));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(Password, NeedsRehashWhenCostChanges) {
  const std::string hash = hash_password("pw", cheap);
  EXPECT_FALSE(needs_rehash(hash, cheap));
  EXPECT_TRUE(needs_rehash(hash, PasswordCost::interactive()));
  EXPECT_TRUE(needs_rehash(hash, PasswordCost{cheap.opslimit + 1, cheap.memlimit}));
}

TEST(Password, CostBelowMinimumIsAProgrammingError) {
  EXPECT_THROW((void)hash_password("pw", PasswordCost{}), std::invalid_argument);
  EXPECT_THROW((void)hash_password("pw", PasswordCost{1, 1024}), std::invalid_argument);
}

TEST(Password, BurnTakesAboutAsLongAsAVerify) {
  // Loose bounds on the fastest of a few runs: this checks that the dummy work is
  // argon2id at the same cost, not a precise timing (benchmarks do that).
  const PasswordCost cost = PasswordCost::interactive();
  const std::string hash = hash_password("the real password", cost);
  using clock = std::chrono::steady_clock;
  auto fastest = [](auto&& fn) {
    auto best = clock::duration::max();
    for (int i = 0; i < 3; ++i) {
      const auto start = clock::now();
      fn();
      best = std::min(best, clock::now() - start);
    }
    return std::chrono::duration<double>(best).count();
  };
  const double verify_s = fastest([&] { EXPECT_FALSE(verify_password("a wrong password", hash)); });
  const double burn_s = fastest([&] { burn_verification_time(cost); });
  EXPECT_GT(burn_s, verify_s * 0.25) << "burn " << burn_s << " s, verify " << verify_s << " s";
  EXPECT_LT(burn_s, verify_s * 4.0) << "burn " << burn_s << " s, verify " << verify_s << " s";
}

TEST(Password, ConcurrentUseFromManyThreads) {
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &ok] {
      for (int i = 0; i < 10; ++i) {
        const std::string pw = "password-" + std::to_string(t) + "-" + std::to_string(i);
        const std::string hash = hash_password(pw, cheap);
        if (verify_password(pw, hash) && !verify_password(pw + "x", hash)) ++ok[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int n : ok) EXPECT_EQ(n, 10);
}

}  // namespace
}  // namespace parley::auth
