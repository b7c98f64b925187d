#pragma once
// Registration, login and token authentication.
//
// A store that cannot answer is never mistaken for bad credentials: a failed
// read during registration, login or authentication is its error
// (unavailable → 503, or an "unavailable" refusal of a socket), not a 401.
//
// Thread-safety: all methods may be called concurrently from worker threads
// (they block on the store and on argon2id). Never call them on an IO thread,
// except the *_in_memory ones, which never block.
// Ownership: borrows the store, token service, clock and known users, which
// outlive it.

#include <optional>
#include <string>
#include <string_view>

#include "auth/password.hpp"
#include "auth/tokens.hpp"
#include "chat/known_users.hpp"
#include "common/ids.hpp"
#include "common/result.hpp"
#include "store/store.hpp"

namespace parley::chat {

struct RegisterInput {
  std::string username;
  std::string email;
  std::string password;
  std::string display_name;  // empty: the username
};

// What registering or logging in yields: a fresh token and the user (without
// the password hash).
struct LoginResult {
  std::string token;
  store::UserRow user;
};

class Accounts {
 public:
  Accounts(store::Store& store, const auth::TokenService& tokens, IdGenerator& ids, const Clock& clock,
           auth::PasswordCost cost, KnownUsers& known);

  // 400 for a broken rule, 409 username_taken / email_taken.
  Result<LoginResult> register_user(RegisterInput input);
  // `login` is a username or an email. 401 invalid_credentials, the same answer
  // (and about the same time) whether the user exists or not.
  Result<LoginResult> login(std::string_view login, std::string_view password);
  // The user behind "Bearer <token>"; 401 for a missing, bad or expired token, or
  // a user that no longer exists; unavailable when the store cannot say.
  Result<store::UserRow> authenticate(std::string_view authorization_header) const;
  // Same, for a bare token (the Socket.IO CONNECT auth payload).
  Result<store::UserRow> authenticate_token(std::string_view token) const;

  // The user id behind a valid token of a user this process already knows
  // (KnownUsers); nullopt when that cannot be decided without the store (an
  // unknown user) or the token is not valid: the caller then takes the path
  // above on a worker, which also gives the error. Never reads the store.
  std::optional<Id> authenticate_in_memory(std::string_view authorization_header) const;
  std::optional<Id> authenticate_token_in_memory(std::string_view token) const;

 private:
  store::Store& store_;
  const auth::TokenService& tokens_;
  IdGenerator& ids_;
  const Clock& clock_;
  auth::PasswordCost cost_;
  KnownUsers& known_;
};

}  // namespace parley::chat
