#include "realtime/engineio/sid.hpp"

#include <cassert>

#include "common/base64.hpp"

namespace parley::engineio {
namespace {

std::string to_url_alphabet(std::string text) {
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return text;
}

void put_u64(char* out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((value >> (56 - 8 * i)) & 0xFF);
}

}  // namespace

bool valid_route(std::string_view route) {
  if (route.empty() || route.size() > kMaxRouteChars) return false;
  for (char c : route) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string encode_sid(std::string_view route, int thread, std::uint64_t key) {
  assert(thread >= 0 && thread < kMaxThreads);
  assert(route.empty() || valid_route(route));
  char bytes[9];
  bytes[0] = static_cast<char>(thread);
  put_u64(bytes + 1, key);
  std::string body = to_url_alphabet(base64_encode({bytes, sizeof bytes}));
  if (route.empty()) return body;
  std::string sid;
  sid.reserve(route.size() + 1 + body.size());
  sid.append(route).append(1, '.').append(body);
  return sid;
}

std::optional<SidParts> decode_sid(std::string_view sid) {
  std::string route;
  if (const auto dot = sid.find('.'); dot != std::string_view::npos) {
    route = std::string(sid.substr(0, dot));
    if (!valid_route(route)) return std::nullopt;
    sid.remove_prefix(dot + 1);
  }
  if (sid.size() != 12) return std::nullopt;
  std::string standard(sid);
  for (char& c : standard) {
    if (c == '+' || c == '/') return std::nullopt;
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  const auto bytes = base64_decode(standard);
  if (!bytes || bytes->size() != 9) return std::nullopt;
  SidParts parts;
  parts.route = std::move(route);
  parts.thread = static_cast<unsigned char>((*bytes)[0]);
  for (int i = 1; i < 9; ++i) parts.key = (parts.key << 8) | static_cast<unsigned char>((*bytes)[i]);
  return parts;
}

std::string encode_id(std::uint64_t id) {
  char bytes[8];
  put_u64(bytes, id);
  return to_url_alphabet(base64_encode({bytes, sizeof bytes}));
}

}  // namespace parley::engineio
