#include "app/conformance.hpp"

#include <cstdio>

namespace parley::app {

int run_conformance(const ConformanceConfig&) {
  std::fprintf(stderr, "parley: conformance mode is being built (issue 4)\n");
  return 1;
}

}  // namespace parley::app
