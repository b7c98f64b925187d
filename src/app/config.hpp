#pragma once
// Command line and environment: every `parley serve` flag has a PARLEY_* twin
// (the flag wins). Parsing only; nothing here touches the disk or the network.
//
// Thread-safety: plain values.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace parley::app {

struct ServeConfig {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::string data_dir = "./data";
  std::string store = "";       // "sqlite:PATH"; empty = sqlite in data_dir
  std::string store_replica;    // a streaming replica of a PostgreSQL --store; empty = none
  int threads = 0;              // IO threads; 0 = one per core
  int workers = 0;              // blocking pool for store work; 0 = automatic
  std::string jwt_secret;       // empty = generated once, kept in data_dir
  std::chrono::seconds token_ttl{std::chrono::hours(24 * 7)};
  std::string log_level = "info";
  std::string log_format = "text";  // text | json
  // A request, socket event or store operation slower than this is logged
  // once at warn with its stages (common/trace_context.hpp); 0: off.
  std::int64_t slow_ms = 200;
  std::string web_dir;          // static client files; empty = API only
  std::size_t max_body_bytes = 1 << 20;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds shutdown_timeout{10'000};
  std::string password_cost = "interactive";  // interactive | minimal (tests, benchmarks)
  int max_group_size = 1000;
  // 0-1023, part of every id. -1 (not given): 0 on SQLite; on PostgreSQL a free
  // one leased from the database (store/postgres/node_lease.hpp).
  int node_id = -1;
  // This node's tag in Engine.IO sids, which the load balancer routes on
  // (docs/deploy-cluster.md). Empty (not given): the port the node listens on
  // (the one it got, with --listen HOST:0).
  std::string route;
  std::string bus = "local";     // "local" (one process) or "redis://HOST:PORT" (cluster: RedisBus)

  // Real-time (Socket.IO) settings.
  std::string cors_origins = "";  // comma-separated allowed origins; "*" = any; empty = same origin only
  std::chrono::milliseconds ping_interval{25'000};
  std::chrono::milliseconds ping_timeout{20'000};
  std::size_t max_payload_bytes = 1'000'000;
  std::size_t send_queue_bytes = 1 << 20;  // per connection; a client that lets more pile up is cut off
  int max_rooms_per_socket = 1000;
  bool ws_compression = false;                // permessage-deflate, off as in socket.io
  std::size_t ws_compression_threshold = 1024;  // smaller frames go uncompressed
  std::size_t http_compression_threshold = 1024;  // JSON answers this large may be gzipped; 0: never
  std::chrono::milliseconds typing_timeout{5'000};
  std::chrono::milliseconds presence_grace{10'000};
  bool rate_limit = true;
  int rate_burst = 20;          // messages
  double rate_per_second = 2;   // refill

  // Media (docs/media.md).
  std::string media_store;                   // empty: local disk in <data_dir>/media; or s3://BUCKET?endpoint=...
  std::int64_t max_upload_bytes = 25LL << 20;  // per file
  std::int64_t upload_quota_bytes = 1LL << 30;  // per user per 24 h
  bool jobs = true;                          // run the media jobs (previews, sweep) in this process
  int preview_workers = 1;                   // job runner threads

  // Conversation features (docs/features.md).
  bool search_index = true;                  // keep the full-text index (off: search answers 503)
  std::string notify_webhook;                // empty: none; else an http(s) URL that gets notifications
  std::string notify_secret;                 // HMAC-SHA256 key of the webhook's signature
  int notify_queue = 10'000;                 // notifications waiting for the webhook; beyond: dropped, counted
};

// `parley worker`: the media job runner alone (no HTTP), against the same
// store and media store as the servers (docs/media.md, "Background work").
struct WorkerConfig {
  std::string data_dir = "./data";
  std::string store;          // as ServeConfig::store; run_worker refuses all but PostgreSQL
  std::string media_store;    // as ServeConfig::media_store
  std::string bus = "local";  // run_worker refuses all but redis://HOST:PORT (the nodes' bus)
  int node_id = -1;           // as ServeConfig::node_id
  int preview_workers = 1;
  bool search_index = true;   // as ServeConfig::search_index: the worker's store also keeps the index
  std::string log_level = "info";
  std::string log_format = "text";
  std::chrono::milliseconds shutdown_timeout{30'000};
};

// `parley conformance`: the protocol test-suite server (docs/protocol.md).
struct ConformanceConfig {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 3000;
  int threads = 1;
  std::string log_level = "warn";
};

// `parley backup` / `parley restore` (app/backup.hpp, docs/operations.md).
struct BackupConfig {
  std::string data_dir = "./data";
  std::string to;            // the backup directory to create
  int step_pages = 1024;     // database pages copied per step
  int pause_ms = 2;          // pause between steps
};

struct RestoreConfig {
  std::string from;          // a backup directory
  std::string data_dir = "./data";
  bool force = false;        // replace what a non-empty (but not live) data folder holds
};

struct VersionCommand {};
struct HelpShown {};  // --help printed; exit 0

using Command = std::variant<ServeConfig, ConformanceConfig, WorkerConfig, BackupConfig, RestoreConfig, VersionCommand,
                             HelpShown>;

struct ParseError {
  std::string message;  // one line for stderr
};

// Parses argv (and PARLEY_* variables). Prints --help output itself.
std::variant<Command, ParseError> parse_command_line(int argc, char** argv);

// "1048576", "512K", "25M", "1G" (also KiB/MiB/GiB; binary multiples) → bytes;
// nullopt if malformed, <= 0 or over 1 TiB.
std::optional<std::int64_t> parse_size(const std::string& text);

// "90", "90s", "15m", "24h", "7d" → seconds; nullopt if malformed or <= 0.
std::optional<std::chrono::seconds> parse_duration(const std::string& text);

}  // namespace parley::app
