#include "chat/users.hpp"

#include "common/utf8.hpp"

namespace parley::chat {

Users::Users(store::Store& store, const cluster::PresenceService& presence) : store_(store), presence_(presence) {}

Result<std::vector<store::UserRow>> Users::search(Id caller, std::string_view query,
                                                  std::optional<std::string_view> limit_text) {
  while (!query.empty() && query.front() == ' ') query.remove_prefix(1);
  while (!query.empty() && query.back() == ' ') query.remove_suffix(1);
  if (query.empty() || query.size() > 64 || !is_valid_utf8(query))
    return Error::bad_request("invalid_query", "q must be 1 to 64 bytes of text");
  int limit = 20;
  if (limit_text) {
    auto parsed = parse_id(*limit_text);
    if (!parsed || *parsed < 1 || *parsed > 50) return Error::bad_request("invalid_limit", "limit must be between 1 and 50");
    limit = static_cast<int>(*parsed);
  }
  auto users = store_.search_users(query, caller, limit);
  if (!users) return users.error();
  for (auto& user : *users) {
    user.password_hash.clear();
    user.email.clear();
  }
  return users;
}

Result<UserStatus> Users::status(std::string_view user_id) {
  auto id = parse_id(user_id);
  if (!id) return Error::not_found("user not found");
  auto user = store_.user_by_id(*id);
  if (!user) return user.error();
  if (!user->has_value()) return Error::not_found("user not found");
  const auto state = presence_.state(*id);
  UserStatus status{*id, state.online, state.last_seen_at};
  if (!status.last_seen_at && (*user)->last_seen_at > 0) status.last_seen_at = (*user)->last_seen_at;
  return status;
}

}  // namespace parley::chat
