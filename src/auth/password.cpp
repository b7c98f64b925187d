#include "auth/password.hpp"

#include <sodium.h>

#include <array>
#include <charconv>
#include <new>
#include <optional>
#include <stdexcept>

#include "auth/sodium.hpp"

namespace parley::auth {
namespace {

constexpr std::string_view argon2id_prefix = "$argon2id$v=19$m=";
// Bounds on what a stored hash may ask of verify: libsodium's SENSITIVE setting is
// m = 1 GiB, t = 4. Anything beyond is corruption or an attack on availability.
constexpr unsigned long long max_memlimit_kib = 1024ULL * 1024ULL;
constexpr unsigned long long max_opslimit = 16;

struct HashParams {
  unsigned long long memlimit_kib = 0;
  unsigned long long opslimit = 0;
};

// Reads "<digits>" at the front of `s` up to `stop`, leaving `s` after `stop`.
std::optional<unsigned long long> take_number(std::string_view& s, char stop) {
  const auto end = s.find(stop);
  if (end == std::string_view::npos || end == 0 || end > 10) return std::nullopt;
  unsigned long long v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + end, v);
  if (ec != std::errc() || ptr != s.data() + end) return std::nullopt;
  s.remove_prefix(end + 1);
  return v;
}

// A cheap structural check before libsodium sees the string: argon2id, v=19,
// NUL-free, short enough for libsodium's fixed buffer, parameters within bounds.
std::optional<HashParams> parse_hash(std::string_view hash) {
  if (hash.size() >= crypto_pwhash_STRBYTES) return std::nullopt;
  if (hash.find('\0') != std::string_view::npos) return std::nullopt;
  if (!hash.starts_with(argon2id_prefix)) return std::nullopt;
  std::string_view rest = hash.substr(argon2id_prefix.size());
  if (rest.size() < 2) return std::nullopt;
  HashParams p;
  const auto m = take_number(rest, ',');
  if (!m || !rest.starts_with("t=")) return std::nullopt;
  rest.remove_prefix(2);
  const auto t = take_number(rest, ',');
  if (!t || !rest.starts_with("p=")) return std::nullopt;
  rest.remove_prefix(2);
  const auto par = take_number(rest, '$');
  if (!par || *par != 1) return std::nullopt;
  if (*m == 0 || *m > max_memlimit_kib || *t == 0 || *t > max_opslimit) return std::nullopt;
  p.memlimit_kib = *m;
  p.opslimit = *t;
  return p;
}

}  // namespace

PasswordCost PasswordCost::interactive() {
  return {crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE, crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
}

PasswordCost PasswordCost::minimal() {
  return {crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN};
}

std::string hash_password(std::string_view password, PasswordCost cost) {
  if (cost.opslimit < crypto_pwhash_argon2id_OPSLIMIT_MIN || cost.memlimit < crypto_pwhash_argon2id_MEMLIMIT_MIN)
    throw std::invalid_argument("password cost below libsodium's minimum");
  detail::ensure_sodium();
  std::array<char, crypto_pwhash_STRBYTES> out{};
  // Past the check above, libsodium fails only when it cannot allocate memlimit.
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), cost.opslimit, cost.memlimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::bad_alloc();
  return std::string(out.data());
}

bool verify_password(std::string_view password, std::string_view hash) {
  if (!parse_hash(hash)) return false;
  detail::ensure_sodium();
  const std::string terminated(hash);  // libsodium reads a NUL-terminated string
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

bool needs_rehash(std::string_view hash, PasswordCost cost) {
  if (!parse_hash(hash)) return true;
  detail::ensure_sodium();
  const std::string terminated(hash);
  return crypto_pwhash_str_needs_rehash(terminated.c_str(), cost.opslimit, cost.memlimit) != 0;
}

void burn_verification_time(PasswordCost cost) {
  detail::ensure_sodium();
  // Verifying recomputes argon2id over the stored salt with the stored parameters;
  // one raw argon2id derivation with the same parameters is the same work.
  static constexpr std::string_view dummy_password = "parley-dummy-password";
  std::array<unsigned char, crypto_pwhash_SALTBYTES> salt{};
  std::array<unsigned char, 32> out{};  // a typical derived-key size
  randombytes_buf(salt.data(), salt.size());
  const int rc = crypto_pwhash(out.data(), out.size(), dummy_password.data(), dummy_password.size(),
                               salt.data(), cost.opslimit, cost.memlimit, crypto_pwhash_ALG_ARGON2ID13);
  (void)rc;  // out of memory: the real verify would have failed the same way
}

}  // namespace parley::auth
