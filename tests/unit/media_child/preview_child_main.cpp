// The preview child for the sandbox tests: what `parley preview-child` runs.
// One test-only check: it fails (exit 42) when it finds PARLEY_TEST_SECRET in
// its environment, which the sandbox must not pass on.
#include <cstdlib>

#include "media/preview_sandbox.hpp"

int main() {
  if (std::getenv("PARLEY_TEST_SECRET")) return 42;
  return parley::media::run_preview_child();
}
