#pragma once
// `parley serve`: the composition root. Builds every component from the config,
// runs until SIGINT/SIGTERM, then shuts down in order: stop accepting, finish
// in-flight requests, stop the workers, close the store.
//
// Thread-safety: call once, from the main thread.

#include "app/config.hpp"

namespace parley::app {

// Returns the process exit code. Start-up failures print one line on stderr.
int serve(const ServeConfig& config);

}  // namespace parley::app
