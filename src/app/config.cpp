#include "app/config.hpp"

#include <CLI/CLI.hpp>
#include <charconv>
#include <iostream>
#include <thread>

#include "cluster/redis/redis_bus.hpp"
#include "realtime/engineio/sid.hpp"

namespace parley::app {

std::optional<std::chrono::seconds> parse_duration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  long long value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr == begin || value <= 0) return std::nullopt;
  std::string_view unit(ptr, static_cast<std::size_t>(end - ptr));
  long long scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  else if (unit == "m") scale = 60;
  else if (unit == "h") scale = 3600;
  else if (unit == "d") scale = 86400;
  else return std::nullopt;
  if (value > (1LL << 40) / scale) return std::nullopt;
  return std::chrono::seconds(value * scale);
}

std::optional<std::int64_t> parse_size(const std::string& text) {
  long long value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr == begin || value <= 0) return std::nullopt;
  std::string unit(ptr, end);
  if (unit.size() == 3 && unit.ends_with("iB")) unit.resize(1);
  long long scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "K" || unit == "k") scale = 1LL << 10;
  else if (unit == "M") scale = 1LL << 20;
  else if (unit == "G") scale = 1LL << 30;
  else return std::nullopt;
  if (value > (1LL << 40) / scale) return std::nullopt;
  return value * scale;
}

namespace {

template <class Config>
bool split_listen(const std::string& text, Config& config) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 >= text.size()) return false;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) return false;
  unsigned port = 0;
  const std::string port_text = text.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port > 65535) return false;
  config.listen_host = host;
  config.listen_port = static_cast<std::uint16_t>(port);
  return true;
}

}  // namespace

std::variant<Command, ParseError> parse_command_line(int argc, char** argv) {
  CLI::App cli{"Parley: a self-hosted real-time chat server (REST + Socket.IO)", "parley"};
  cli.require_subcommand(0, 1);
  cli.set_version_flag("--version", std::string("parley ") + PARLEY_VERSION);

  ServeConfig config;
  std::string listen = "127.0.0.1:8080";
  std::string token_ttl = "7d";
  std::string header_timeout = "10";
  std::string shutdown_timeout = "10";

  auto* serve = cli.add_subcommand("serve", "Run the chat server");
  serve->add_option("--listen", listen, "Address to listen on, HOST:PORT")
      ->envname("PARLEY_LISTEN")->capture_default_str();
  serve->add_option("--data-dir", config.data_dir, "Folder for the database and the generated JWT secret")
      ->envname("PARLEY_DATA_DIR")->capture_default_str();
  serve->add_option("--store", config.store, "Storage backend: sqlite:PATH, postgres://USER:PASS@HOST:PORT/DB (or postgresql://, or libpq key=value); default: SQLite in the data dir")
      ->envname("PARLEY_STORE");
  serve->add_option("--store-replica", config.store_replica, "A streaming replica of the PostgreSQL --store (postgres://...): history and list reads go there when it is fresh enough (docs/replicas.md)")
      ->envname("PARLEY_STORE_REPLICA");
  serve->add_option("--threads", config.threads, "IO threads (0 = one per core)")
      ->envname("PARLEY_THREADS")->check(CLI::Range(0, 256))->capture_default_str();
  serve->add_option("--workers", config.workers, "Threads for database work (0 = automatic)")
      ->envname("PARLEY_WORKERS")->check(CLI::Range(0, 1024))->capture_default_str();
  serve->add_option("--jwt-secret", config.jwt_secret,
                    "HS256 signing secret (default: generated on first start, kept in DATA_DIR/jwt-secret)")
      ->envname("PARLEY_JWT_SECRET");
  serve->add_option("--token-ttl", token_ttl, "Token lifetime: 3600, 90m, 24h, 7d")
      ->envname("PARLEY_TOKEN_TTL")->capture_default_str();
  serve->add_option("--log-level", config.log_level, "trace, debug, info, warn, error, off")
      ->envname("PARLEY_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  serve->add_option("--log-format", config.log_format, "text or json")
      ->envname("PARLEY_LOG_FORMAT")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  serve->add_option("--slow-ms", config.slow_ms,
                    "Log a request, socket event or store operation slower than this, once, at warn, with its stages (0 = off)")
      ->envname("PARLEY_SLOW_MS")->check(CLI::Range(std::int64_t{0}, std::int64_t{86'400'000}))->capture_default_str();
  serve->add_option("--web-dir", config.web_dir, "Folder of the built web client (empty: API only)")
      ->envname("PARLEY_WEB_DIR");
  serve->add_option("--max-body", config.max_body_bytes, "Largest request body in bytes")
      ->envname("PARLEY_MAX_BODY")->check(CLI::Range(1024, 64 << 20))->capture_default_str();
  serve->add_option("--header-timeout", header_timeout, "Seconds a client has to send a request's headers")
      ->envname("PARLEY_HEADER_TIMEOUT")->capture_default_str();
  serve->add_option("--shutdown-timeout", shutdown_timeout, "Seconds to finish in-flight work on SIGTERM")
      ->envname("PARLEY_SHUTDOWN_TIMEOUT")->capture_default_str();
  serve->add_option("--password-cost", config.password_cost,
                    "argon2id cost: interactive (default), or minimal for tests and benchmarks only")
      ->envname("PARLEY_PASSWORD_COST")->check(CLI::IsMember({"interactive", "minimal"}))
      ->capture_default_str();
  serve->add_option("--max-group-size", config.max_group_size, "Largest number of members in a group")
      ->envname("PARLEY_MAX_GROUP_SIZE")->check(CLI::Range(2, 100000))->capture_default_str();
  serve->add_option("--node-id", config.node_id,
                    "This node's number in a cluster (0-1023), part of every id (default: 0 on SQLite; on PostgreSQL a free one leased from the database)")
      ->envname("PARLEY_NODE_ID")->check(CLI::Range(0, 1023));
  serve->add_option("--route", config.route,
                    "This node's tag in Socket.IO session ids, which the load balancer routes on: 1-32 of A-Z a-z 0-9 - _ (default: the listen port)")
      ->envname("PARLEY_ROUTE");
  serve->add_option("--bus", config.bus, "Event bus: local (one process) or redis://HOST:PORT (cluster mode, needs a PostgreSQL --store)")
      ->envname("PARLEY_BUS")
      ->check([](const std::string& value) -> std::string {
        if (value == "local" || cluster::redis::parse_redis_url(value).ok()) return {};
        return "expected local or redis://HOST:PORT";
      })
      ->capture_default_str();

  std::string ping_interval = "25000ms", ping_timeout = "20000ms", typing_timeout = "5s", presence_grace = "10s";
  std::string rate_limit = "20,2";
  serve->add_option("--cors-origins", config.cors_origins,
                    "Origins allowed to use the API and Socket.IO from a browser: comma-separated, or *")
      ->envname("PARLEY_CORS_ORIGINS");
  serve->add_option("--ping-interval", ping_interval, "Engine.IO heartbeat interval (e.g. 25s, 25000ms)")
      ->envname("PARLEY_PING_INTERVAL")->capture_default_str();
  serve->add_option("--ping-timeout", ping_timeout, "Engine.IO heartbeat timeout")
      ->envname("PARLEY_PING_TIMEOUT")->capture_default_str();
  serve->add_option("--max-payload", config.max_payload_bytes, "Largest Engine.IO packet or polling body, in bytes")
      ->envname("PARLEY_MAX_PAYLOAD")->check(CLI::Range(1024, 64 << 20))->capture_default_str();
  serve->add_flag("--ws-compression", config.ws_compression,
                  "Offer WebSocket permessage-deflate (off by default, as in socket.io; docs/operations.md)")
      ->envname("PARLEY_WS_COMPRESSION");
  serve->add_option("--ws-compression-threshold", config.ws_compression_threshold,
                    "With --ws-compression: frames with fewer payload bytes go uncompressed")
      ->envname("PARLEY_WS_COMPRESSION_THRESHOLD")->check(CLI::Range(0, 64 << 20))->capture_default_str();
  serve->add_option("--http-compression-threshold", config.http_compression_threshold,
                    "JSON answers of at least this many bytes go out gzipped to clients that accept it (0: never)")
      ->envname("PARLEY_HTTP_COMPRESSION_THRESHOLD")->check(CLI::Range(0, 64 << 20))->capture_default_str();
  serve->add_option("--send-queue", config.send_queue_bytes,
                    "Bytes a real-time connection may have waiting to be sent before it is cut off")
      ->envname("PARLEY_SEND_QUEUE")->check(CLI::Range(4096, 256 << 20))->capture_default_str();
  serve->add_option("--max-rooms", config.max_rooms_per_socket, "Conversations one connection may join at once")
      ->envname("PARLEY_MAX_ROOMS")->check(CLI::Range(1, 100000))->capture_default_str();
  serve->add_option("--typing-timeout", typing_timeout, "Typing expires after this without stop_typing")
      ->envname("PARLEY_TYPING_TIMEOUT")->capture_default_str();
  serve->add_option("--presence-grace", presence_grace, "Delay before a user whose last connection closed is offline")
      ->envname("PARLEY_PRESENCE_GRACE")->capture_default_str();
  serve->add_option("--rate-limit", rate_limit,
                    "Per-user send limit: BURST,PER_SECOND (default 20,2), or off")
      ->envname("PARLEY_RATE_LIMIT")->capture_default_str();

  std::string max_upload = "25M", upload_quota = "1G", jobs = "on", search_index = "on";
  serve->add_option("--media-store", config.media_store,
                    "Where attachments are kept: empty for DATA_DIR/media, or s3://BUCKET?endpoint=URL&region=R (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)")
      ->envname("PARLEY_MEDIA_STORE");
  serve->add_option("--max-upload", max_upload, "Largest uploaded file: bytes, or with K, M, G")
      ->envname("PARLEY_MAX_UPLOAD")->capture_default_str();
  serve->add_option("--upload-quota", upload_quota, "Bytes one user may upload per 24 hours (K, M, G)")
      ->envname("PARLEY_UPLOAD_QUOTA")->capture_default_str();
  serve->add_option("--jobs", jobs, "Run the media jobs (thumbnails, the sweep) in this process: on or off")
      ->envname("PARLEY_JOBS")->check(CLI::IsMember({"on", "off"}))->capture_default_str();
  serve->add_option("--preview-workers", config.preview_workers, "Threads running media jobs")
      ->envname("PARLEY_PREVIEW_WORKERS")->check(CLI::Range(1, 64))->capture_default_str();
  serve->add_option("--search-index", search_index,
                    "Keep the full-text index of messages (off: no indexing cost, search answers 503; on again: rebuilt, SQLite: in the background)")
      ->envname("PARLEY_SEARCH_INDEX")->check(CLI::IsMember({"on", "off"}))->capture_default_str();
  serve->add_option("--notify-webhook", config.notify_webhook,
                    "POST a signed notification here for members with no connection online (docs/features.md)")
      ->envname("PARLEY_NOTIFY_WEBHOOK");
  serve->add_option("--notify-secret", config.notify_secret,
                    "The HMAC-SHA256 key of the webhook's X-Parley-Signature (required with --notify-webhook)")
      ->envname("PARLEY_NOTIFY_SECRET");
  serve->add_option("--notify-queue", config.notify_queue, "Notifications waiting for the webhook; more are dropped and counted")
      ->envname("PARLEY_NOTIFY_QUEUE")->check(CLI::Range(1, 1'000'000))->capture_default_str();

  WorkerConfig worker;
  std::string worker_shutdown = "30";
  auto* work = cli.add_subcommand("worker", "Run the media jobs (thumbnails, the sweep) only, without serving HTTP");
  work->add_option("--data-dir", worker.data_dir, "Folder of the SQLite store and the local media store")
      ->envname("PARLEY_DATA_DIR")->capture_default_str();
  work->add_option("--store", worker.store, "The cluster nodes' PostgreSQL --store (required)")->envname("PARLEY_STORE");
  work->add_option("--media-store", worker.media_store, "The servers' --media-store")->envname("PARLEY_MEDIA_STORE");
  work->add_option("--bus", worker.bus, "The cluster nodes' redis://HOST:PORT (required: the nodes hear of finished previews through it)")
      ->envname("PARLEY_BUS")
      ->check([](const std::string& value) -> std::string {
        if (value == "local" || cluster::redis::parse_redis_url(value).ok()) return {};
        return "expected local or redis://HOST:PORT";
      })
      ->capture_default_str();
  work->add_option("--node-id", worker.node_id, "As for serve: 0-1023 (default: 0 on SQLite, leased on PostgreSQL)")
      ->envname("PARLEY_NODE_ID")->check(CLI::Range(0, 1023));
  work->add_option("--preview-workers", worker.preview_workers, "Threads running media jobs")
      ->envname("PARLEY_PREVIEW_WORKERS")->check(CLI::Range(1, 64))->capture_default_str();
  std::string worker_search_index = "on";
  work->add_option("--search-index", worker_search_index,
                   "The nodes' --search-index: on, the worker also indexes messages for search")
      ->envname("PARLEY_SEARCH_INDEX")->check(CLI::IsMember({"on", "off"}))->capture_default_str();
  work->add_option("--log-level", worker.log_level, "trace, debug, info, warn, error, off")
      ->envname("PARLEY_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  work->add_option("--log-format", worker.log_format, "text or json")
      ->envname("PARLEY_LOG_FORMAT")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  work->add_option("--shutdown-timeout", worker_shutdown, "Seconds a job in progress has to finish on SIGTERM")
      ->envname("PARLEY_SHUTDOWN_TIMEOUT")->capture_default_str();

  ConformanceConfig conformance;
  std::string conformance_listen = "127.0.0.1:3000";
  auto* conf = cli.add_subcommand("conformance",
                                  "Serve what the official Engine.IO / Socket.IO protocol test suites expect");
  conf->add_option("--listen", conformance_listen, "Address to listen on, HOST:PORT")->capture_default_str();
  conf->add_option("--threads", conformance.threads, "IO threads")->check(CLI::Range(1, 256))->capture_default_str();
  conf->add_option("--log-level", conformance.log_level, "trace, debug, info, warn, error, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();

  BackupConfig backup;
  auto* backup_cli = cli.add_subcommand("backup", "Copy the SQLite store, the JWT secret and the media of a data dir, while the server runs");
  backup_cli->add_option("--data-dir", backup.data_dir, "The server's data folder")
      ->envname("PARLEY_DATA_DIR")->capture_default_str();
  backup_cli->add_option("--to", backup.to, "The backup directory to create (must not exist)")->required();
  backup_cli->add_option("--step-pages", backup.step_pages, "Database pages copied per step")
      ->check(CLI::Range(1, 1 << 20))->capture_default_str();
  backup_cli->add_option("--pause-ms", backup.pause_ms, "Pause between steps, in milliseconds")
      ->check(CLI::Range(0, 10000))->capture_default_str();
  RestoreConfig restore;
  auto* restore_cli = cli.add_subcommand("restore", "Put a backup in place in a data dir no server uses");
  restore_cli->add_option("--from", restore.from, "A directory written by parley backup")->required();
  restore_cli->add_option("--data-dir", restore.data_dir, "The data folder to restore into")
      ->envname("PARLEY_DATA_DIR")->capture_default_str();
  restore_cli->add_flag("--force", restore.force, "Replace the database, secret and media of a non-empty data dir");

  cli.add_subcommand("version", "Print the version");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    cli.exit(e);
    return Command{HelpShown{}};
  } catch (const CLI::CallForVersion& e) {
    cli.exit(e);
    return Command{HelpShown{}};
  } catch (const CLI::ParseError& e) {
    return ParseError{e.what()};
  }

  if (cli.got_subcommand("version")) return Command{VersionCommand{}};
  if (cli.got_subcommand("conformance")) {
    if (!split_listen(conformance_listen, conformance))
      return ParseError{"--listen: expected HOST:PORT, got '" + conformance_listen + "'"};
    return Command{std::move(conformance)};
  }
  if (cli.got_subcommand("worker")) {
    auto shutdown = parse_duration(worker_shutdown);
    if (!shutdown) return ParseError{"--shutdown-timeout: expected a positive duration"};
    worker.shutdown_timeout = *shutdown;
    worker.search_index = worker_search_index == "on";
    if (worker.data_dir.empty()) return ParseError{"--data-dir must not be empty"};
    return Command{std::move(worker)};
  }
  if (cli.got_subcommand("backup")) {
    if (backup.data_dir.empty() || backup.to.empty()) return ParseError{"backup: --data-dir and --to must not be empty"};
    return Command{std::move(backup)};
  }
  if (cli.got_subcommand("restore")) {
    if (restore.data_dir.empty() || restore.from.empty()) return ParseError{"restore: --data-dir and --from must not be empty"};
    return Command{std::move(restore)};
  }
  if (!cli.got_subcommand("serve")) {
    std::cout << cli.help();
    return Command{HelpShown{}};
  }
  if (!split_listen(listen, config)) return ParseError{"--listen: expected HOST:PORT, got '" + listen + "'"};
  auto ttl = parse_duration(token_ttl);
  if (!ttl) return ParseError{"--token-ttl: expected a positive duration like 3600, 90m, 24h or 7d"};
  config.token_ttl = *ttl;
  auto header = parse_duration(header_timeout);
  if (!header) return ParseError{"--header-timeout: expected a positive duration"};
  config.header_timeout = *header;
  auto shutdown = parse_duration(shutdown_timeout);
  if (!shutdown) return ParseError{"--shutdown-timeout: expected a positive duration"};
  config.shutdown_timeout = *shutdown;
  auto parse_ms = [](const std::string& text) -> std::optional<std::chrono::milliseconds> {
    if (text.size() > 2 && text.ends_with("ms")) {
      auto value = parse_duration(text.substr(0, text.size() - 2));
      if (!value) return std::nullopt;
      return std::chrono::milliseconds(value->count());
    }
    auto value = parse_duration(text);
    if (!value) return std::nullopt;
    return std::chrono::duration_cast<std::chrono::milliseconds>(*value);
  };
  const std::pair<const std::string*, std::chrono::milliseconds*> durations[] = {
      {&ping_interval, &config.ping_interval},
      {&ping_timeout, &config.ping_timeout},
      {&typing_timeout, &config.typing_timeout},
      {&presence_grace, &config.presence_grace}};
  const char* duration_flags[] = {"--ping-interval", "--ping-timeout", "--typing-timeout", "--presence-grace"};
  for (std::size_t i = 0; i < std::size(durations); ++i) {
    auto value = parse_ms(*durations[i].first);
    if (!value) return ParseError{std::string(duration_flags[i]) + ": expected a positive duration like 5s or 500ms"};
    *durations[i].second = *value;
  }
  if (rate_limit == "off") {
    config.rate_limit = false;
  } else {
    const auto comma = rate_limit.find(',');
    int burst = 0;
    double rate = 0;
    try {
      // stoi/stod skip leading white space and stod takes "nan" and "inf":
      // only digits (and one decimal point in the rate) are a limit.
      if (rate_limit.find_first_not_of("0123456789.,") != std::string::npos) throw std::invalid_argument("chars");
      std::size_t used = 0;
      burst = std::stoi(rate_limit.substr(0, comma), &used);
      if (comma == std::string::npos || used != comma) throw std::invalid_argument("burst");
      rate = std::stod(rate_limit.substr(comma + 1), &used);
      if (used != rate_limit.size() - comma - 1) throw std::invalid_argument("rate");
    } catch (const std::exception&) {
      return ParseError{"--rate-limit: expected BURST,PER_SECOND (like 20,2) or off"};
    }
    if (burst < 1 || rate <= 0) return ParseError{"--rate-limit: burst and rate must be positive"};
    // A refill slower than one token per day is a typo, and would overflow the
    // retry-after milliseconds of a refusal.
    if (burst > 1'000'000 || rate < 1.0 / 86'400 || rate > 1e6)
      return ParseError{"--rate-limit: burst at most 1000000, rate between 1/86400 and 1000000 per second"};
    config.rate_burst = burst;
    config.rate_per_second = rate;
  }
  if (!config.route.empty() && !engineio::valid_route(config.route))
    return ParseError{"--route: expected 1 to 32 of A-Z a-z 0-9 - _, got '" + config.route + "'"};
  auto max_upload_bytes = parse_size(max_upload);
  if (!max_upload_bytes) return ParseError{"--max-upload: expected a size like 26214400, 25M or 1G"};
  config.max_upload_bytes = *max_upload_bytes;
  auto quota = parse_size(upload_quota);
  if (!quota) return ParseError{"--upload-quota: expected a size like 1G"};
  config.upload_quota_bytes = *quota;
  config.jobs = jobs == "on";
  config.search_index = search_index == "on";
  if (!config.notify_webhook.empty()) {
    if (!config.notify_webhook.starts_with("http://") && !config.notify_webhook.starts_with("https://"))
      return ParseError{"--notify-webhook: expected an http:// or https:// URL"};
    if (config.notify_secret.size() < 16)
      return ParseError{"--notify-webhook needs --notify-secret (at least 16 characters) to sign its requests"};
  }
  if (config.threads == 0) config.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (config.data_dir.empty()) return ParseError{"--data-dir must not be empty"};
  return Command{std::move(config)};
}

}  // namespace parley::app
