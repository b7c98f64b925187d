#include "http/byte_range.hpp"

#include <charconv>

#include "common/header_tokens.hpp"

namespace parley::http {

namespace {

// Digits only (no sign, no spaces); false on overflow.
bool parse_position(std::string_view text, std::int64_t& out) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

RangeAnswer parse_range(std::string_view header, std::int64_t size) {
  RangeAnswer whole;
  header = trim_ows(header);
  constexpr std::string_view unit = "bytes=";
  if (header.size() < unit.size()) return whole;
  for (std::size_t i = 0; i < unit.size(); ++i)
    if ((header[i] | 0x20) != unit[i] && header[i] != unit[i]) return whole;
  const std::string_view spec = trim_ows(header.substr(unit.size()));
  if (spec.find(',') != std::string_view::npos) return whole;  // multi-range: served whole
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  const std::string_view first_text = trim_ows(spec.substr(0, dash));
  const std::string_view last_text = trim_ows(spec.substr(dash + 1));
  RangeAnswer answer;
  if (first_text.empty()) {
    // A suffix: the last N bytes.
    std::int64_t suffix = 0;
    if (!parse_position(last_text, suffix)) return whole;
    if (suffix == 0 || size == 0) return {RangeAnswer::Kind::unsatisfiable, 0, 0};
    answer.kind = RangeAnswer::Kind::partial;
    answer.length = std::min(suffix, size);
    answer.first = size - answer.length;
    return answer;
  }
  std::int64_t first = 0;
  if (!parse_position(first_text, first)) return whole;
  std::int64_t last = size - 1;
  if (!last_text.empty()) {
    if (!parse_position(last_text, last)) return whole;
    if (last < first) return whole;  // invalid: ignored
  }
  if (first >= size) return {RangeAnswer::Kind::unsatisfiable, 0, 0};
  if (last >= size) last = size - 1;
  answer.kind = RangeAnswer::Kind::partial;
  answer.first = first;
  answer.length = last - first + 1;
  return answer;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (etag.empty()) return false;
  std::string_view rest = if_none_match;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view tag = trim_ows(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

}  // namespace parley::http
