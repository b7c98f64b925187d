#include "chat/validation.hpp"

#include <algorithm>
#include <optional>

#include "common/utf8.hpp"

namespace parley::chat {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool has_control_chars(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

Result<std::string> normalize_name(std::string_view text, std::string_view field, std::size_t max_chars) {
  const std::string_view trimmed = trim(text);
  const auto length = utf8_length(trimmed);
  if (!length) return Error::bad_request("invalid_" + std::string(field), std::string(field) + " must be valid UTF-8");
  if (*length == 0 || *length > max_chars)
    return Error::bad_request("invalid_" + std::string(field),
                              std::string(field) + " must be 1 to " + std::to_string(max_chars) + " characters");
  if (has_control_chars(trimmed))
    return Error::bad_request("invalid_" + std::string(field), std::string(field) + " must not contain control characters");
  return std::string(trimmed);
}

}  // namespace

Result<std::string> normalize_username(std::string_view username) {
  std::string out(username);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  const bool allowed = std::all_of(out.begin(), out.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
  });
  if (out.size() < 3 || out.size() > 32 || !allowed)
    return Error::bad_request("invalid_username", "username must be 3 to 32 characters of a-z, 0-9, '_' and '.'");
  return out;
}

Result<std::string> normalize_email(std::string_view email) {
  const Error invalid = Error::bad_request("invalid_email", "email must be a valid address like name@example.com");
  if (email.size() < 6 || email.size() > 254) return invalid;
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos) return invalid;
  const std::string_view local = email.substr(0, at);
  const std::string_view domain = email.substr(at + 1);
  if (local.size() > 64) return invalid;
  const auto printable = [](std::string_view part, std::string_view extra) {
    return std::all_of(part.begin(), part.end(), [&](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             extra.find(c) != std::string_view::npos;
    });
  };
  if (!printable(local, ".!#$%&'*+/=?^_`{|}~-") || !printable(domain, ".-")) return invalid;
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) return invalid;
  const auto dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 2 > domain.size()) return invalid;
  if (domain.front() == '.' || domain.front() == '-' || domain.back() == '-' || domain.find("..") != std::string_view::npos)
    return invalid;
  return std::string(email);
}

Status check_password(std::string_view password) {
  const auto length = utf8_length(password);
  const std::size_t chars = length ? *length : password.size();
  if (chars < kMinPasswordChars)
    return Error::bad_request("invalid_password", "password must be at least 8 characters");
  if (password.size() > kMaxPasswordBytes)
    return Error::bad_request("invalid_password", "password must be at most 1024 bytes");
  return Status::success();
}

Result<std::string> normalize_display_name(std::string_view name) {
  return normalize_name(name, "displayName", kMaxDisplayNameChars);
}

Result<std::string> normalize_title(std::string_view title) { return normalize_name(title, "title", kMaxTitleChars); }

Status check_message_body(std::string_view body) {
  const auto length = utf8_length(body);
  if (!length) return Error::bad_request("invalid_body", "body must be valid UTF-8");
  if (*length == 0 || *length > kMaxBodyChars)
    return Error::bad_request("invalid_body", "body must be 1 to 4000 characters");
  if (body.find('\0') != std::string_view::npos) return Error::bad_request("invalid_body", "body must not contain NUL");
  if (trim(body).find_first_not_of("\r\n") == std::string_view::npos)
    return Error::bad_request("invalid_body", "body must not be blank");
  return Status::success();
}

Status check_client_msg_id(std::string_view id) {
  const bool printable = std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (id.empty() || id.size() > kMaxClientMsgIdChars || !printable)
    return Error::bad_request("invalid_client_msg_id", "clientMsgId must be 1 to 64 printable ASCII characters");
  return Status::success();
}

}  // namespace parley::chat

namespace parley::chat {

Status check_emoji(std::string_view emoji) {
  const Error invalid = Error::bad_request("invalid_emoji", "emoji must be 1 to 32 bytes of UTF-8 emoji characters");
  if (emoji.empty() || emoji.size() > kMaxEmojiBytes || !is_valid_utf8(emoji)) return invalid;
  for (std::size_t i = 0; i < emoji.size(); ++i) {
    const auto byte = static_cast<unsigned char>(emoji[i]);
    if (byte < 0x80) return invalid;
    // U+0080..U+009F (C1 controls) are C2 80..C2 9F.
    if (byte == 0xC2 && i + 1 < emoji.size() && static_cast<unsigned char>(emoji[i + 1]) < 0xA0) return invalid;
  }
  return Status::success();
}

namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Calls `visit(full, trimmed)` for each "@name" token of `body`: the name
// lowercase, and the same without trailing dots when it had any (else empty);
// either is empty when it is not 3–32 characters. A token counts only at the
// start or after a byte that is not an ASCII letter, digit, '_' or '.' (so
// "a@b.c", an address, mentions nobody); non-ASCII text before the '@' does
// not prevent a mention.
template <class Visit>
void for_each_mention_token(std::string_view body, Visit&& visit) {
  const auto valid = [](std::string_view n) { return n.size() >= 3 && n.size() <= 32; };
  std::size_t at = body.find('@');
  while (at != std::string_view::npos) {
    std::size_t end = at + 1;
    while (end < body.size() && name_char(body[end])) ++end;
    if (at == 0 || !name_char(body[at - 1])) {
      std::string name(body.substr(at + 1, end - at - 1));
      for (char& c : name) c = lower(c);
      std::string_view trimmed = name;
      while (!trimmed.empty() && trimmed.back() == '.') trimmed.remove_suffix(1);
      if (trimmed.size() == name.size() || !valid(trimmed)) trimmed = {};
      const std::string_view full = valid(name) ? std::string_view(name) : std::string_view();
      if (!full.empty() || !trimmed.empty()) visit(full, trimmed);
    }
    at = body.find('@', end);
  }
}

}  // namespace

std::vector<std::string> mention_names(std::string_view body) {
  std::vector<std::string> names;
  if (body.find('@') == std::string_view::npos) return names;
  const auto add = [&](std::string_view name) {
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
  };
  for_each_mention_token(body, [&](std::string_view full, std::string_view trimmed) {
    add(full);
    add(trimmed);
  });
  return names;
}

std::vector<Id> resolve_mentions(std::string_view body, const std::vector<MentionCandidate>& members) {
  std::vector<Id> ids;
  if (members.empty() || body.find('@') == std::string_view::npos) return ids;
  const auto find = [&](std::string_view name) -> std::optional<Id> {
    if (name.empty()) return std::nullopt;
    for (const auto& member : members) {
      if (member.username.size() != name.size()) continue;
      bool same = true;
      for (std::size_t i = 0; i < name.size() && same; ++i) same = lower(member.username[i]) == name[i];
      if (same) return member.id;
    }
    return std::nullopt;
  };
  // "@bob." names "bob." when that is a member, else "bob".
  for_each_mention_token(body, [&](std::string_view full, std::string_view trimmed) {
    auto id = find(full);
    if (!id) id = find(trimmed);
    if (id) ids.push_back(*id);
  });
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

}  // namespace parley::chat
