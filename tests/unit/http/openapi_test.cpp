// The router and docs/openapi.yaml must list the same routes: a route added to
// one and not the other fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <string>

#include "http/api/api.hpp"
#include "http/router.hpp"

namespace parley::http {
namespace {

// Reads the paths section: "  /api/x/{id}:" lines, then "    get:" lines under them.
// (Plain string parsing: std::regex trips GCC 12's -Wmaybe-uninitialized under ASan.)
std::set<std::string> documented_routes() {
  std::ifstream in(std::string(PARLEY_SOURCE_DIR) + "/docs/openapi.yaml");
  EXPECT_TRUE(in) << "docs/openapi.yaml is missing";
  std::set<std::string> routes;
  std::string line, current;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (line == "paths:") {
      in_paths = true;
      continue;
    }
    if (!in_paths) continue;
    if (!line.empty() && line[0] != ' ') break;
    if (line.rfind("  /", 0) == 0 && line.back() == ':') {
      current.clear();
      for (std::size_t i = 2; i + 1 < line.size(); ++i) {
        if (line[i] == '{') current += ':';
        else if (line[i] != '}') current += line[i];
      }
      continue;
    }
    for (const char* method : {"get", "put", "post", "delete", "patch"}) {
      const std::string prefix = std::string("    ") + method + ":";
      if (!current.empty() && line.rfind(prefix, 0) == 0) {
        std::string upper(method);
        std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
        routes.insert(upper + " " + current);
      }
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
