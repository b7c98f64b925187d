#include "http/request.hpp"

#include <cctype>

namespace parley::http {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode_component(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::optional<std::string_view> Request::query_param(std::string_view name) const {
  for (const auto& [key, value] : query)
    if (key == name) return std::string_view(value);
  return std::nullopt;
}

std::string_view Request::param(std::string_view name) const {
  for (const auto& [key, value] : params)
    if (key == name) return value;
  return {};
}

bool Request::has_json_body() const {
  std::string_view type = content_type;
  const auto semi = type.find(';');
  if (semi != std::string_view::npos) type = type.substr(0, semi);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (type.size() != 16) return false;
  for (std::size_t i = 0; i < type.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(type[i])) != "application/json"[i]) return false;
  return true;
}

Fields parse_query(std::string_view query) {
  Fields out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(decode_component(pair), std::string());
    } else {
      out.emplace_back(decode_component(pair.substr(0, eq)), decode_component(pair.substr(eq + 1)));
    }
  }
  return out;
}

std::optional<std::string> decode_path(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (i + 2 >= path.size()) return std::nullopt;
    const int hi = hex_value(path[i + 1]);
    const int lo = hex_value(path[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    const char decoded = static_cast<char>(hi * 16 + lo);
    if (decoded == '\0') return std::nullopt;
    out.push_back(decoded);
    i += 2;
  }
  return out;
}

}  // namespace parley::http
