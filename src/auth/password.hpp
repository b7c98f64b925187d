#pragma once
// Password hashing: argon2id through libsodium, stored in the PHC string form
// "$argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash>" that carries its own parameters,
// so hashes made with older costs keep verifying (see needs_rehash).
//
// Cost: hashing and verifying take tens of milliseconds of CPU and `memlimit` bytes
// of memory each; callers must run them off the IO threads, on a bounded pool.
//
// Thread-safety: all functions are free of shared mutable state and may be called
// from any thread. None of them throws on bad input; hash_password throws
// std::bad_alloc only if the memory for the hash cannot be had, and
// std::invalid_argument for a cost below libsodium's minimum (a programming error).

#include <cstddef>
#include <string>
#include <string_view>

namespace parley::auth {

struct PasswordCost {
  unsigned long long opslimit = 0;  // argon2id passes (t)
  std::size_t memlimit = 0;         // bytes (m)

  // libsodium's INTERACTIVE limits (t=2, m=64 MiB): the production setting.
  static PasswordCost interactive();
  // libsodium's MIN limits (t=1, m=8 KiB). Offers no real protection: for tests and
  // benchmarks that must not spend the production cost. Never use it in a server.
  static PasswordCost minimal();

  friend bool operator==(const PasswordCost&, const PasswordCost&) = default;
};

// A fresh salted argon2id hash of `password` (any bytes, NUL included).
// REQUIRES: cost is at least PasswordCost::minimal() (else std::invalid_argument).
std::string hash_password(std::string_view password, PasswordCost cost);

// True iff `hash` is a well-formed argon2id string that matches `password`.
// False on anything malformed, and on hashes whose parameters exceed sane bounds
// (m > 1 GiB or t > 16), so a corrupted stored row cannot stall a login.
bool verify_password(std::string_view password, std::string_view hash);

// True if `hash` was not made with exactly `cost` (or is malformed): the login path
// then re-hashes the password it has just verified and stores the new hash.
bool needs_rehash(std::string_view hash, PasswordCost cost);

// Spends the same argon2id work as one verify_password against a hash made with
// `cost`. The login route calls it when the user does not exist, so that an
// unknown user and a wrong password answer the same 401 after the same time.
void burn_verification_time(PasswordCost cost);

}  // namespace parley::auth
