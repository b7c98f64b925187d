#include "chat/search.hpp"

#include <algorithm>
#include <charconv>

#include "chat/validation.hpp"
#include "common/utf8.hpp"

namespace parley::chat {

namespace {

constexpr std::string_view kCursorPrefix = "o:";

std::string_view trim_space(std::string_view text) {
  constexpr std::string_view space = " \t\r\n\v\f";
  const auto first = text.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(space) - first + 1);
}

std::optional<int> parse_small(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace

std::string Search::encode_cursor(int offset) { return std::string(kCursorPrefix) + std::to_string(offset); }

std::optional<int> Search::decode_cursor(std::string_view cursor) {
  if (!cursor.starts_with(kCursorPrefix)) return std::nullopt;
  const std::string_view digits = cursor.substr(kCursorPrefix.size());
  // Only what encode_cursor writes: no sign, no leading zero.
  if (digits.size() > 1 && digits.front() == '0') return std::nullopt;
  auto offset = parse_small(digits);
  if (!offset || *offset < 1 || *offset >= kMaxOffset) return std::nullopt;
  return offset;
}

Result<store::SearchQuery> Search::query(Id caller, const SearchInput& input) {
  store::SearchQuery query;
  query.user = caller;
  const std::string_view text = trim_space(input.q);
  const auto chars = utf8_length(text);
  if (!chars || *chars == 0 || *chars > kMaxSearchQueryChars || text.find('\0') != std::string_view::npos)
    return Error::bad_request("invalid_query", "q must be 1 to 200 characters of text");
  query.text = std::string(text);
  if (input.limit) {
    auto limit = parse_small(*input.limit);
    if (!limit || *limit < 1 || *limit > kMaxLimit)
      return Error::bad_request("invalid_limit", "limit must be between 1 and 50");
    query.limit = *limit;
  } else {
    query.limit = kDefaultLimit;
  }
  if (input.cursor && !input.cursor->empty()) {
    auto offset = decode_cursor(*input.cursor);
    if (!offset) return Error::bad_request("invalid_cursor", "cursor is not one this server issued");
    query.offset = *offset;
  }
  if (input.before && !input.before->empty()) {
    auto before = parse_id(*input.before);
    if (!before) return Error::bad_request("invalid_before", "before must be a message id");
    query.before = *before;
  }
  if (input.conversation_id && !input.conversation_id->empty()) {
    auto conversation = parse_id(*input.conversation_id);
    if (!conversation) return Error::not_found("conversation not found");
    query.conversation = *conversation;
  }
  return query;
}

Result<SearchPage> Search::search(Id caller, const SearchInput& input) {
  auto query = this->query(caller, input);
  if (!query) return query.error();
  if (query->conversation) {
    // The store's query is limited to the caller's conversations anyway; this
    // read turns "not a member" into the 404 the API promises instead of an
    // empty page.
    auto member = store_.membership(*query->conversation, caller);
    if (!member) return member.error();
    if (!member->has_value()) return Error::not_found("conversation not found");
  }
  // Never past kMaxOffset results; one more than the page tells whether
  // another page follows.
  const int page = std::min(query->limit, kMaxOffset - query->offset);
  query->limit = page + 1;
  auto hits = store_.search_messages(*query);
  if (!hits) return hits.error();
  SearchPage result;
  const bool more = static_cast<int>(hits->size()) > page;
  if (more) hits->resize(static_cast<std::size_t>(page));
  result.hits = std::move(*hits);
  const int next = query->offset + page;
  if (more && next < kMaxOffset) result.next_cursor = encode_cursor(next);
  return result;
}

}  // namespace parley::chat
