#include "http/router.hpp"

#include <algorithm>

namespace parley::http {

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  if (!path.empty() && path.front() == '/') start = 1;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string_view::npos ? path.size() : slash;
    parts.push_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

// Routes with more literal segments first, so "/api/users/search" beats "/api/users/:id".
int specificity(const std::vector<std::string>& segments) {
  int literal = 0;
  for (const auto& s : segments) literal += s.starts_with(':') ? 0 : 1;
  return literal;
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler, InMemoryHandler in_memory) {
  insert(std::move(method), std::move(pattern), std::move(handler), std::move(in_memory), {});
}

void Router::add_streaming(std::string method, std::string pattern, StreamingHandler handler) {
  insert(std::move(method), std::move(pattern), {}, {}, std::move(handler));
}

void Router::insert(std::string method, std::string pattern, Handler handler, InMemoryHandler in_memory,
                    StreamingHandler streaming) {
  std::vector<std::string> segments;
  for (auto part : split_path(pattern)) segments.emplace_back(part);
  routes_.push_back({std::move(method), std::move(pattern), std::move(segments), std::move(handler),
                     std::move(in_memory), std::move(streaming)});
  std::stable_sort(routes_.begin(), routes_.end(), [](const Route& a, const Route& b) {
    return specificity(a.segments) > specificity(b.segments);
  });
}

bool Router::match_segments(const Route& route, const std::vector<std::string_view>& parts, Fields* params) {
  if (route.segments.size() != parts.size()) return false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& segment = route.segments[i];
    if (segment.starts_with(':')) {
      if (parts[i].empty()) return false;
      if (params) params->emplace_back(segment.substr(1), std::string(parts[i]));
    } else if (segment != parts[i]) {
      return false;
    }
  }
  return true;
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  const auto parts = split_path(path);
  Match result;
  std::vector<std::string> allowed;
  for (const auto& route : routes_) {
    if (!match_segments(route, parts, nullptr)) continue;
    // HEAD is served by the GET handler (the session drops the body).
    if (route.method == method || (method == "HEAD" && route.method == "GET")) {
      if (result.outcome == Outcome::found) continue;
      result.outcome = Outcome::found;
      result.handler = &route.handler;
      if (route.in_memory) result.in_memory = &route.in_memory;
      if (route.streaming) result.streaming = &route.streaming;
      match_segments(route, parts, &result.params);
      return result;
    }
    if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end()) allowed.push_back(route.method);
  }
  if (!allowed.empty()) {
    result.outcome = Outcome::method_not_allowed;
    std::sort(allowed.begin(), allowed.end());
    for (const auto& m : allowed) {
      if (!result.allow.empty()) result.allow += ", ";
      result.allow += m;
    }
  }
  return result;
}

std::vector<std::string> Router::describe() const {
  std::vector<std::string> out;
  for (const auto& route : routes_) out.push_back(route.method + " " + route.pattern);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace parley::http
