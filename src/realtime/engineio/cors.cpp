#include "realtime/engineio/cors.hpp"

#include <algorithm>

namespace parley::engineio {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

CorsPolicy CorsPolicy::parse(std::string_view origins) {
  CorsPolicy policy;
  while (!origins.empty()) {
    const auto comma = origins.find(',');
    const std::string_view entry = trim(origins.substr(0, comma));
    if (entry == "*") {
      policy.any_ = true;
    } else if (!entry.empty()) {
      std::string origin(entry);
      while (!origin.empty() && origin.back() == '/') origin.pop_back();
      policy.origins_.push_back(std::move(origin));
    }
    if (comma == std::string_view::npos) break;
    origins.remove_prefix(comma + 1);
  }
  return policy;
}

bool CorsPolicy::allows(std::string_view origin) const {
  if (any_) return true;
  return std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

void CorsPolicy::add_headers(http::Fields& headers, std::string_view origin) const {
  if (any_) {
    headers.emplace_back("Access-Control-Allow-Origin", "*");
    return;
  }
  if (origin.empty() || !allows(origin)) return;
  headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
  headers.emplace_back("Access-Control-Allow-Credentials", "true");
  headers.emplace_back("Vary", "Origin");
}

void CorsPolicy::add_preflight_headers(http::Fields& headers, std::string_view origin) const {
  add_headers(headers, origin);
  if (!any_ && (origin.empty() || !allows(origin))) return;
  headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  headers.emplace_back("Access-Control-Allow-Headers", "Content-Type, Authorization");
  headers.emplace_back("Access-Control-Max-Age", "600");
}

bool CorsPolicy::allows_websocket(std::string_view origin) const {
  if (any_ || origins_.empty() || origin.empty()) return true;
  return allows(origin);
}

}  // namespace parley::engineio
