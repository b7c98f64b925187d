#pragma once
// The server's token-signing secret: given on the command line (--jwt-secret) or
// kept in "<data dir>/jwt-secret", created on first start.
//
// The file holds 32 random bytes as 64 lowercase hex digits and a newline, mode
// 0600. It appears atomically (written and fsynced under a temporary name, then
// hard-linked into place, which never overwrites), so a crash leaves no half-written
// secret and two servers starting on one data dir agree on one secret.
// An existing file is refused, with an error saying how to fix it, if it is not a
// regular file, holds fewer than min_secret_chars characters, or is readable or
// writable by group or others (as ssh treats private keys): a secret that others
// can read lets them mint tokens for any user.
//
// Thread-safety: free functions without shared state; call at start-up.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace parley::auth {

inline constexpr std::size_t min_secret_chars = 32;
inline constexpr std::string_view secret_file_name = "jwt-secret";

// The secret text from <data_dir>/jwt-secret (surrounding whitespace trimmed),
// creating the file, and data_dir itself, if absent. Errors (ErrorKind::internal)
// name the path and the cause: unreadable or unwritable paths, a refused file.
Result<std::string> load_or_create_secret(const std::filesystem::path& data_dir);

// A fresh secret as created above (64 hex digits), e.g. to offer to a shared store
// in cluster mode (store/postgres/shared_secret.hpp).
std::string new_secret();

// For a secret given on the command line: at least min_secret_chars characters,
// no control characters. Error::bad_request otherwise.
Status validate_secret(std::string_view secret);

}  // namespace parley::auth
