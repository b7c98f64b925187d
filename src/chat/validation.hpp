#pragma once
// The input rules of the API, in one place. Each check returns the normalized
// value or a bad_request Error naming the field.
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>
#include <vector>

#include "common/ids.hpp"

#include "common/result.hpp"

namespace parley::chat {

constexpr std::size_t kMaxBodyChars = 4000;
constexpr std::size_t kMaxClientMsgIdChars = 64;
constexpr std::size_t kMaxAttachmentsPerMessage = 10;  // docs/media.md
constexpr std::size_t kMaxTitleChars = 100;
constexpr std::size_t kMaxDisplayNameChars = 64;
constexpr std::size_t kMinPasswordChars = 8;
constexpr std::size_t kMaxPasswordBytes = 1024;
constexpr int kMaxDistinctReactions = 20;        // distinct emoji per message (docs/features.md)
constexpr std::size_t kMaxEmojiBytes = 32;
constexpr std::size_t kMaxSearchQueryChars = 200;

// 3–32 of [a-z0-9_.]; uppercase letters are folded to lowercase first, so that
// usernames are unique ignoring case.
Result<std::string> normalize_username(std::string_view username);
// A well-formed address (local@domain.tld), at most 254 bytes, kept as typed.
Result<std::string> normalize_email(std::string_view email);
// At least 8 characters, at most 1024 bytes.
Status check_password(std::string_view password);
// Trimmed, 1–64 characters of valid UTF-8 without control characters.
Result<std::string> normalize_display_name(std::string_view name);
// Trimmed, 1–100 characters of valid UTF-8 without control characters.
Result<std::string> normalize_title(std::string_view title);
// 1–4000 characters of valid UTF-8, no NUL, not only whitespace. Kept as typed.
Status check_message_body(std::string_view body);
// 1–64 characters of printable ASCII.
Status check_client_msg_id(std::string_view id);
// A reaction: 1–32 bytes of valid UTF-8 without any ASCII byte (so no
// letters, digits, spaces, punctuation or control characters: an emoji,
// possibly with modifiers, joiners and variation selectors) and without C1
// controls. bad_request "invalid_emoji".
Status check_emoji(std::string_view emoji);
// The user ids a body mentions: every "@name" (name per normalize_username,
// preceded by start or a non-word character) that is the username of one of
// `members` (ignoring case), distinct, ascending. Bodies mentioning someone
// else stay as typed; they just mention nobody.
struct MentionCandidate {
  Id id = 0;
  std::string username;
};
std::vector<Id> resolve_mentions(std::string_view body, const std::vector<MentionCandidate>& members);
// The usernames (lowercase, distinct, in order of appearance) that "@name"
// tokens of `body` could mention: what to look up before resolve_mentions.
// A token ending in '.' also yields the name without its trailing dots ("hi
// @bob." may mean "bob"). Empty when the body has no '@' (the common case:
// one scan, no allocation).
std::vector<std::string> mention_names(std::string_view body);

}  // namespace parley::chat
