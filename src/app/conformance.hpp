#pragma once
// `parley conformance`: the server the official Engine.IO and Socket.IO protocol
// test suites expect (docs/protocol.md): an Engine.IO echo server at /engine.io/
// and a Socket.IO server at /socket.io/ with the suites' settings.
//
// Thread-safety: call once, from the main thread.

#include "app/config.hpp"

namespace parley::app {

// Runs until SIGINT/SIGTERM; returns the exit code.
int run_conformance(const ConformanceConfig& config);

}  // namespace parley::app
