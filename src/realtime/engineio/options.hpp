#pragma once
// Configuration of one Engine.IO server (one path).
//
// Thread-safety: plain values, read-only once the server runs.

#include <chrono>
#include <cstddef>
#include <string>

#include "realtime/engineio/cors.hpp"

namespace parley::engineio {

struct ServerOptions {
  std::string path = "/socket.io/";  // also served without the trailing slash
  std::chrono::milliseconds ping_interval{25'000};
  std::chrono::milliseconds ping_timeout{20'000};
  std::size_t max_payload = 1'000'000;      // largest POST body and WebSocket message
  std::size_t send_queue_bytes = 1 << 20;   // per session; more waiting to be sent closes it
  bool allow_polling = true;
  bool allow_websocket = true;
  bool allow_upgrades = true;
  // permessage-deflate (websocket/deflate.hpp), off by default as in socket.io; frames
  // with a payload smaller than the threshold go out uncompressed (socket.io: 1024).
  bool ws_compression = false;
  std::size_t ws_compression_threshold = 1024;
  CorsPolicy cors;
  // This node's route tag, the first part of every sid (sid.hpp); empty = none.
  // Requests naming another route are answered "Session ID unknown".
  std::string route;
};

}  // namespace parley::engineio
