// The router and docs/openapi.yaml must list the same routes: a route added to
// one and not the other fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <string>

#include "http/api/api.hpp"
#include "http/router.hpp"

namespace parley::http {
namespace {

std::set<std::string> documented_routes() {
  std::ifstream in(std::string(PARLEY_SOURCE_DIR) + "/docs/openapi.yaml");
  EXPECT_TRUE(in) << "docs/openapi.yaml is missing";
  std::set<std::string> routes;
  const std::regex path_line(R"(^  (/[^:]*):\s*$)");
  const std::regex method_line(R"(^    (get|put|post|delete|patch):)");
  const std::regex parameter(R"(\{([A-Za-z]+)\})");
  std::string line, current;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (line == "paths:") { in_paths = true; continue; }
    if (in_paths && !line.empty() && line[0] != ' ') break;
    std::smatch m;
    if (std::regex_match(line, m, path_line)) {
      current = std::regex_replace(m[1].str(), parameter, ":$1");
    } else if (!current.empty() && std::regex_search(line, m, method_line)) {
      std::string method = m[1].str();
      std::transform(method.begin(), method.end(), method.begin(), ::toupper);
      routes.insert(method + " " + current);
    }
  }
  return routes;
}

TEST(OpenApi, DocumentsExactlyTheRouterRoutes) {
  Router router;
  api::add_all_routes(router, api::ApiContext{});
  const auto described = router.describe();
  const std::set<std::string> served(described.begin(), described.end());
  const auto documented = documented_routes();
  for (const auto& route : served) EXPECT_TRUE(documented.count(route)) << "served but not documented: " << route;
  for (const auto& route : documented) EXPECT_TRUE(served.count(route)) << "documented but not served: " << route;
  EXPECT_GE(served.size(), 15u);
}

}  // namespace
}  // namespace parley::http
