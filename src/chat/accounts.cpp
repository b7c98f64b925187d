#include "chat/accounts.hpp"

#include "chat/validation.hpp"

namespace parley::chat {

Accounts::Accounts(store::Store& store, const auth::TokenService& tokens, IdGenerator& ids, const Clock& clock,
                   auth::PasswordCost cost, KnownUsers& known)
    : store_(store), tokens_(tokens), ids_(ids), clock_(clock), cost_(cost), known_(known) {}

Result<LoginResult> Accounts::register_user(RegisterInput input) {
  auto username = normalize_username(input.username);
  if (!username) return username.error();
  auto email = normalize_email(input.email);
  if (!email) return email.error();
  if (auto status = check_password(input.password); !status) return status.error();
  std::string display_name = *username;
  if (!input.display_name.empty()) {
    auto name = normalize_display_name(input.display_name);
    if (!name) return name.error();
    display_name = std::move(*name);
  }
  // Cheap duplicate check before the expensive hash; the store's unique
  // indexes still decide races.
  auto by_name = store_.user_by_login(*username);
  if (!by_name) return by_name.error();
  if (by_name->has_value()) return Error::conflict("username_taken", "that username is already taken");
  auto by_email = store_.user_by_login(*email);
  if (!by_email) return by_email.error();
  if (by_email->has_value()) return Error::conflict("email_taken", "that email is already registered");

  store::UserRow user;
  user.id = ids_.next();
  user.username = std::move(*username);
  user.email = std::move(*email);
  user.display_name = std::move(display_name);
  user.password_hash = auth::hash_password(input.password, cost_);
  user.created_at = clock_.now_ms();
  if (auto status = store_.insert_user(user); !status) return status.error();
  known_.remember(user.id);
  user.password_hash.clear();
  return LoginResult{tokens_.issue(user.id), std::move(user)};
}

Result<LoginResult> Accounts::login(std::string_view login, std::string_view password) {
  const Error denied{ErrorKind::unauthorized, "invalid_credentials", "wrong username, email or password"};
  if (login.empty() || login.size() > 254 || password.size() > kMaxPasswordBytes) {
    auth::burn_verification_time(cost_);
    return denied;
  }
  auto found = store_.user_by_login(login);
  if (!found) return found.error();
  if (!found->has_value()) {
    auth::burn_verification_time(cost_);
    return denied;
  }
  store::UserRow& user = **found;
  if (!auth::verify_password(password, user.password_hash)) return denied;
  known_.remember(user.id);
  user.password_hash.clear();
  return LoginResult{tokens_.issue(user.id), std::move(user)};
}

namespace {

// The token of "Bearer <token>" (the scheme ignoring case).
Result<std::string_view> bearer_token(std::string_view header) {
  constexpr std::string_view scheme = "Bearer ";
  if (header.empty()) return Error::unauthorized("missing bearer token");
  if (header.size() <= scheme.size() || !std::equal(scheme.begin(), scheme.end(), header.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
      }))
    return Error::unauthorized("expected Authorization: Bearer <token>");
  return header.substr(scheme.size());
}

}  // namespace

Result<store::UserRow> Accounts::authenticate(std::string_view header) const {
  auto token = bearer_token(header);
  if (!token) return token.error();
  return authenticate_token(*token);
}

Result<store::UserRow> Accounts::authenticate_token(std::string_view token) const {
  auto claims = tokens_.verify(token);
  if (!claims) return claims.error();
  auto found = store_.user_by_id(claims->user_id);
  if (!found) return found.error();
  if (!found->has_value()) return Error::unauthorized("invalid token");
  store::UserRow& user = **found;
  known_.remember(user.id);
  user.password_hash.clear();
  return std::move(user);
}

std::optional<Id> Accounts::authenticate_in_memory(std::string_view header) const {
  auto token = bearer_token(header);
  if (!token) return std::nullopt;
  return authenticate_token_in_memory(*token);
}

std::optional<Id> Accounts::authenticate_token_in_memory(std::string_view token) const {
  auto claims = tokens_.verify(token);
  if (!claims || !known_.contains(claims->user_id)) return std::nullopt;
  return claims->user_id;
}

}  // namespace parley::chat
