#include "app/serve.hpp"

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/post.hpp>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <spdlog/spdlog.h>

#include "app/allocator.hpp"
#include "app/data_dir_lock.hpp"
#include "app/live_services.hpp"
#include "auth/media_tokens.hpp"
#include "app/logging.hpp"
#include "app/store_metrics.hpp"
#include "app/timed_store.hpp"
#include "auth/secret.hpp"
#include "auth/tokens.hpp"
#include "chat/attachments.hpp"
#include "chat/chat_services.hpp"
#include "chat/media_jobs.hpp"
#include "chat/delivery_order.hpp"
#include "cluster/local_bus.hpp"
#include "cluster/redis/redis_bus.hpp"
#include "common/trace_context.hpp"
#include "realtime/chat_gateway.hpp"
#include "realtime/endpoint.hpp"
#include "realtime/io/rlimit.hpp"
#include "realtime/io/thread_context.hpp"
#include "realtime/loop_lag.hpp"
#include "realtime/metrics.hpp"
#include "realtime/socketio/server.hpp"
#include "http/api/api.hpp"
#include "http/http_metrics.hpp"
#include "metrics/chat_metrics.hpp"
#include "metrics/process_metrics.hpp"
#include "metrics/registry.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "media/blob_store.hpp"
#include "media/preview_sandbox.hpp"
#include "store/open_store.hpp"
#include "store/postgres/node_lease.hpp"
#include "store/postgres/shared_secret.hpp"

namespace parley::app {

namespace fs = std::filesystem;

namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "parley: %s\n", message.c_str());
  return 1;
}

Status prepare_data_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error::internal("cannot create data dir " + dir.string() + ": " + ec.message());
  // create_directories succeeds on an existing read-only folder: try a write.
  const fs::path probe = dir / ".write-test";
  {
    std::ofstream out(probe);
    if (!out) return Error::internal("data dir " + dir.string() + " is not writable");
  }
  fs::remove(probe, ec);
  return Status::success();
}



// --bus redis://...: what the node's bus and its delivery order count, for /metrics.
void register_bus_metrics(metrics::Registry& registry, const cluster::redis::RedisBus& bus,
                          const chat::DeliveryOrder& order) {
  using Bus = cluster::redis::RedisBusStats;
  using Order = chat::DeliveryOrderStats;
  static constexpr metrics::SnapshotMetric<Bus> bus_fields[] = {
      {"parley_bus_published_total", "Bus messages published to Redis", [](const Bus& s) { return double(s.published); }},
      {"parley_bus_received_total", "Bus messages of other nodes received from Redis", [](const Bus& s) { return double(s.received); }},
      {"parley_bus_dropped_total", "Bus messages not sent to Redis (queue full, Redis away)", [](const Bus& s) { return double(s.dropped); }},
      {"parley_bus_malformed_total", "Bus messages from Redis that did not decode", [](const Bus& s) { return double(s.malformed); }},
      {"parley_bus_reconnects_total", "Connections to Redis made again after a loss", [](const Bus& s) { return double(s.reconnects); }},
      {"parley_bus_redis_rtt_seconds", "The latest PING round trip to Redis", [](const Bus& s) { return s.rtt_seconds; }},
      {"parley_bus_redis_connected", "1 while both bus connections to Redis are up", [](const Bus& s) { return s.connected ? 1.0 : 0.0; }},
  };
  metrics::add_snapshot_metrics<Bus>(registry, bus_fields, [&bus] { return bus.stats(); });
  static constexpr metrics::SnapshotMetric<Order> order_fields[] = {
      {"parley_bus_ordered_deliveries_total", "new_message deliveries passed on in seq order", [](const Order& s) { return double(s.delivered); }},
      {"parley_bus_duplicates_total", "new_message deliveries dropped as already delivered", [](const Order& s) { return double(s.duplicates); }},
      {"parley_bus_gap_repairs_total", "Messages the bus lost, read from the store and delivered", [](const Order& s) { return double(s.repaired); }},
      {"parley_bus_gap_repair_failures_total", "Gap repairs whose store read failed (retried)", [](const Order& s) { return double(s.repair_failures); }},
      {"parley_bus_member_list_misses_total", "new_message deliveries whose member list (sent by reference) was not cached here; read from the store", [](const Order& s) { return double(s.member_misses); }},
      {"parley_bus_tracked_conversations", "Conversations whose delivery order is tracked", [](const Order& s) { return double(s.tracked); }},
  };
  metrics::add_snapshot_metrics<Order>(registry, order_fields, [&order] { return order.stats(); });
}

// The token secret: --jwt-secret; else on PostgreSQL one shared by every node
// (stored once in the database, docs/deploy-cluster.md); else DATA_DIR/jwt-secret.
Result<std::string> jwt_secret(const ServeConfig& config, const std::string& postgres_url) {
  if (!config.jwt_secret.empty()) return config.jwt_secret;
  if (postgres_url.empty()) return auth::load_or_create_secret(config.data_dir);
  auto shared = store::postgres::load_or_store_shared_secret(postgres_url, "jwt_secret", auth::new_secret());
  if (!shared) return Error::internal("cannot read the shared jwt secret: " + shared.error().message);
  if (auto valid = auth::validate_secret(*shared); !valid)
    return Error::internal("the shared jwt secret in parley_settings is unusable: " + valid.error().message);
  return shared;
}

// On PostgreSQL every node leases its node id (the configured one, or a free one).
Result<std::unique_ptr<store::postgres::NodeLease>> lease_node_id(const ServeConfig& config,
                                                                   const std::string& postgres_url, unsigned port) {
  store::postgres::NodeLeaseOptions options;
  options.conninfo = postgres_url;
  if (config.node_id >= 0) options.node_id = config.node_id;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  options.holder_info = std::string(host) + " pid " + std::to_string(::getpid()) + " listening on " +
                        config.listen_host + ":" + std::to_string(port);
  auto lease = store::postgres::NodeLease::acquire(std::move(options));
  if (!lease) return Error{lease.error().kind, lease.error().code, "node id: " + lease.error().message};
  spdlog::info("node id {} leased from PostgreSQL{}", (*lease)->node_id(),
               config.node_id >= 0 ? " (as configured)" : " (the lowest free one)");
  return lease;
}

}  // namespace

int serve(const ServeConfig& config) {
  const std::string allocator = configure_allocator();  // before any thread starts
  auto access_log = setup_logging(config.log_level, config.log_format);
  trace::set_slow_threshold_ms(config.slow_ms);
  const auto files = realtime::raise_open_files_limit();
  if (files.after < 4096) spdlog::warn("open files limited to {}: few connections fit", files.after);

  // The listening port first: a busy port fails start-up before anything else
  // is created or logged.
  metrics::Registry registry;
  metrics::register_process_metrics(registry);
  metrics::register_build_info(registry, PARLEY_VERSION);
  metrics::ChatMetrics chat_metrics(registry);
  http::HttpMetrics http_metrics(registry, &chat_metrics);
  http::Router router;
  const int workers = config.workers > 0 ? config.workers : std::max(8, 4 * config.threads);
  boost::asio::thread_pool worker_pool(static_cast<std::size_t>(workers));
  http::ServerOptions server_options;
  server_options.host = config.listen_host;
  server_options.gzip_min_bytes = config.http_compression_threshold;
  server_options.port = config.listen_port;
  server_options.threads = config.threads;
  server_options.max_body_bytes = config.max_body_bytes;
  server_options.header_timeout = config.header_timeout;
  server_options.shutdown_timeout = config.shutdown_timeout;
  http::ServerServices services;
  services.router = &router;
  services.workers = &worker_pool;
  services.access_log = access_log.get();
  services.metrics = &http_metrics;
  http::Server server(server_options, services);
  if (auto status = server.bind(); !status) return fail(status.error().message);

  if (auto status = prepare_data_dir(config.data_dir); !status) return fail(status.error().message);
  store::StoreConfig store_config;
  store_config.url = config.store;
  store_config.data_dir = config.data_dir;
  store_config.replica_url = config.store_replica;
  store_config.search.enabled = config.search_index;
  if (config.bus != "local") {
    auto target = store::parse_store_url(store_config);
    if (target && target->backend != store::StoreBackend::postgres)
      return fail("--bus " + config.bus + " needs a PostgreSQL --store (nodes repair what the bus loses from the shared store)");
  }
  // On SQLite the data folder is this process's alone (a restore or a second
  // server is refused, app/data_dir_lock.hpp); released after the store closes.
  std::optional<DataDirLock> data_dir_lock;
  if (auto target = store::parse_store_url(store_config); target && target->backend == store::StoreBackend::sqlite) {
    auto locked = DataDirLock::acquire(config.data_dir);
    if (!locked) return fail(locked.error().message);
    data_dir_lock.emplace(std::move(*locked));
  }
  auto opened = store::open_store(store_config);
  if (!opened) return fail(opened.error().message);
  // Every store call timed for /metrics (parley_store_operation_seconds).
  std::unique_ptr<store::Store> store = std::make_unique<TimedStore>(std::move(*opened), registry);
  // After open_store: its migrations create the tables of the shared secret and the node leases.
  const auto target = store::parse_store_url(store_config);
  const bool on_postgres = target && target->backend == store::StoreBackend::postgres;
  auto secret = jwt_secret(config, on_postgres ? target->location : std::string());
  if (!secret) return fail(secret.error().message);
  std::unique_ptr<store::postgres::NodeLease> node_lease;
  if (on_postgres) {
    auto leased = lease_node_id(config, target->location, server.port());
    if (!leased) return fail(leased.error().message);
    node_lease = std::move(*leased);
  }

  std::unique_ptr<http::StaticFiles> static_files;
  if (!config.web_dir.empty()) {
    auto loaded = http::StaticFiles::load(config.web_dir);
    if (loaded) {
      static_files = std::move(*loaded);
    } else {
      spdlog::warn("web client not served: {}", loaded.error().message);
    }
  }
  if (!static_files) spdlog::info("serving the API only (no web client)");
  server.services().static_files = static_files.get();

  const Clock& clock = SystemClock::instance();
  IdGenerator ids(node_lease ? node_lease->node_id() : std::max(config.node_id, 0),
                  node_lease ? node_lease->floor_unix_ms() : 0);
  auth::TokenService tokens(*secret, config.token_ttl, clock);
  auth::MediaTokens media_tokens(*secret, clock);  // for ?access= on the media routes
  const auto cost = config.password_cost == "minimal" ? auth::PasswordCost::minimal() : auth::PasswordCost::interactive();
  // Everything for other connections and every cache invalidation goes through
  // the bus; in one process it calls its subscribers at once.
  // With --bus redis://... (cluster mode) a RedisBus, which also carries them to
  // the other nodes.
  std::unique_ptr<cluster::Bus> bus_owner;
  cluster::redis::RedisBus* redis_bus = nullptr;  // owned by bus_owner
  std::optional<cluster::redis::RedisEndpoint> redis_endpoint;
  if (config.bus == "local") {
    bus_owner = std::make_unique<cluster::LocalBus>();
  } else {
    auto endpoint = cluster::redis::parse_redis_url(config.bus);
    if (!endpoint) return fail(endpoint.error().message);
    redis_endpoint = *endpoint;
    cluster::redis::RedisBusOptions bus_options;
    bus_options.endpoint = std::move(*endpoint);
    auto owned = std::make_unique<cluster::redis::RedisBus>(std::move(bus_options));
    redis_bus = owned.get();
    bus_owner = std::move(owned);
  }
  cluster::Bus& bus = *bus_owner;
  // Presence, typing and rate limits: per process, or shared through Redis in cluster mode.
  std::function<bool()> bus_connected;
  if (redis_bus != nullptr) bus_connected = [redis_bus] { return redis_bus->connected(); };
  LiveServices live_services(config, clock, redis_endpoint ? &*redis_endpoint : nullptr, std::move(bus_connected));
  cluster::PresenceService& presence = live_services.presence();
  const chat::Offload offload = [&worker_pool](std::function<void()> job) {
    boost::asio::post(worker_pool, [job = std::move(job)] {
      try {
        job();
      } catch (const std::exception& e) {
        spdlog::error("worker job failed: {}", e.what());
      }
    });
  };
  chat::ChatServicesDeps chat_deps;
  chat_deps.store = store.get();
  chat_deps.tokens = &tokens;
  chat_deps.ids = &ids;
  chat_deps.clock = &clock;
  chat_deps.password_cost = cost;
  chat_deps.bus = &bus;
  chat_deps.presence = &presence;
  chat_deps.typing = &live_services.typing();
  chat_deps.send_limits = &live_services.send_limits();
  chat_deps.read_limits = &live_services.read_limits();
  chat_deps.offload = offload;
  chat_deps.max_group_size = config.max_group_size;
  chat_deps.live.presence_grace = config.presence_grace;
  // Cluster mode: another node's invalidations may come late or be lost, so
  // caches check against the store and age out (docs/replicas.md).
  if (config.bus != "local") chat_deps.cache_max_age = std::chrono::seconds(5);
  chat::ChatServices chat(chat_deps);
  chat::Live& live = chat.live;

  // Media (docs/media.md): the store of the bytes, uploads and downloads, and
  // (unless --jobs off) the job runner making thumbnails and sweeping.
  auto blobs_opened = media::open_blob_store(config.media_store, config.data_dir);
  if (!blobs_opened) return fail("--media-store: " + blobs_opened.error().message);
  std::unique_ptr<media::BlobStore> blobs = std::move(*blobs_opened);
  chat::AttachmentsDeps attachments_deps;
  attachments_deps.store = store.get();
  attachments_deps.blobs = blobs.get();
  attachments_deps.members = &chat.member_cache;
  attachments_deps.ids = &ids;
  attachments_deps.clock = &clock;
  attachments_deps.limits.max_upload_bytes = config.max_upload_bytes;
  attachments_deps.limits.daily_upload_bytes = config.upload_quota_bytes;
  chat::Attachments attachments(attachments_deps);
  std::unique_ptr<media::PreviewSandbox> sandbox;
  std::unique_ptr<chat::MediaJobs> media_jobs;
  if (config.jobs) {
    sandbox = std::make_unique<media::PreviewSandbox>("/proc/self/exe", media::PreviewLimits{}, config.preview_workers);
    chat::MediaJobsDeps jobs_deps;
    jobs_deps.store = store.get();
    jobs_deps.blobs = blobs.get();
    jobs_deps.previews = [sandbox = sandbox.get()](const fs::path& image, const std::vector<int>& sides) {
      return sandbox->run(image, sides);
    };
    jobs_deps.members = &chat.member_cache;
    jobs_deps.bus = &bus;
    jobs_deps.ids = &ids;
    jobs_deps.clock = &clock;
    jobs_deps.metrics = &registry;
    chat::MediaJobsOptions jobs_options;
    jobs_options.workers = config.preview_workers;
    media_jobs = std::make_unique<chat::MediaJobs>(std::move(jobs_deps), jobs_options);
  }

  http::api::ApiContext api;
  api.search = &chat.search;  // answers search_disabled itself under --search-index off
  api.accounts = &chat.accounts;
  api.conversations = &chat.conversations;
  api.messages = &chat.messages;
  api.users = &chat.users;
  api.presence = &presence;
  api.store = store.get();
  api.metrics = &registry;
  api.media_ping = [blobs = blobs.get()] { return blobs->ping(); };
  api.media_tokens = &media_tokens;
  api.attachments = &attachments;
  api.media_store = blobs.get();
  api.chat_metrics = &chat_metrics;
  if (redis_bus != nullptr) {
    api.degraded = [redis_bus]() -> std::optional<std::string> {
      if (redis_bus->connected()) return std::nullopt;
      return std::string("redis unreachable: live delivery to this node polls the store until it is back");
    };
  }
  http::api::add_all_routes(router, api);


  // Socket.IO at /socket.io/, on the HTTP server's IO threads.
  realtime::IoThreads io_threads(server.io_contexts(),
                                 realtime::wheel_tick_for({config.ping_interval, config.ping_timeout}));
  socketio::ServerOptions io_options;
  io_options.engine.path = "/socket.io/";
  io_options.engine.ping_interval = config.ping_interval;
  io_options.engine.ping_timeout = config.ping_timeout;
  io_options.engine.max_payload = config.max_payload_bytes;
  io_options.engine.send_queue_bytes = config.send_queue_bytes;
  io_options.engine.ws_compression = config.ws_compression;
  io_options.engine.ws_compression_threshold = config.ws_compression_threshold;
  io_options.engine.cors = engineio::CorsPolicy::parse(config.cors_origins);
  io_options.engine.route = config.route.empty() ? std::to_string(server.port()) : config.route;
  io_options.max_rooms_per_socket = static_cast<std::size_t>(config.max_rooms_per_socket);
  socketio::Server io(io_options, io_threads);
  realtime::ChatGateway gateway(io, live, &chat_metrics);
  gateway.install();
  // Before the server starts: nothing is published yet. Across nodes the
  // gateway gets new_message through a DeliveryOrder, which restores seq order
  // and repairs from the store what Redis lost.
  std::unique_ptr<chat::DeliveryOrder> delivery_order;
  if (redis_bus != nullptr) {
    chat::DeliveryOrderDeps order_deps;
    order_deps.store = store.get();
    order_deps.members = &chat.member_cache;
    order_deps.offload = offload;
    order_deps.downstream = &gateway;
    order_deps.bus_connected = [redis_bus] { return redis_bus->connected(); };
    delivery_order = std::make_unique<chat::DeliveryOrder>(std::move(order_deps));
    redis_bus->set_reconnect_listener([order = delivery_order.get()] { order->on_bus_reconnected(); });
    bus.subscribe(*delivery_order);
    register_bus_metrics(registry, *redis_bus, *delivery_order);
    live_services.register_metrics(registry);
  } else {
    bus.subscribe(gateway);
  }
  realtime::Endpoint endpoint(io_threads);
  endpoint.add(io.engine());
  server.services().realtime = &endpoint;
  realtime::register_metrics(registry, io_threads);
  realtime::register_connection_metrics(registry, io.of("/"), presence);
  realtime::LoopLagProbe loop_lag(io_threads, registry);
  register_store_metrics(registry, *store);  // read only while the server runs (store.reset() comes after)

  // Signals first, so that a SIGTERM during start-up is not lost.
  boost::asio::io_context main_io;
  boost::asio::signal_set signals(main_io, SIGINT, SIGTERM);
  std::signal(SIGPIPE, SIG_IGN);

  if (auto status = server.start(); !status) return fail(status.error().message);
  loop_lag.start();
  if (redis_bus != nullptr) {  // after the last early return: stopped explicitly below
    delivery_order->start();
    redis_bus->start();  // connects in the background: a node starts while Redis is away
  }
  live_services.start();  // the Redis ones connect in the background too
  if (node_lease) {
    node_lease->start([&ids] { return ids.last_unix_ms(); }, [](const std::string& reason) {
      // The id may be leased to another node soon: issuing one more could
      // duplicate its ids. Exit at once; a restart leases an id afresh.
      spdlog::critical("{}: exiting so that no id is issued twice", reason);
      spdlog::default_logger()->flush();
      std::fprintf(stderr, "parley: %s: exiting so that no id is issued twice\n", reason.c_str());
      std::fflush(stderr);
      std::_Exit(3);
    });
  }
  live.start();
  if (media_jobs) media_jobs->start();
  spdlog::info("media in {}; jobs {}", blobs->describe(), media_jobs ? "run here" : "off (--jobs off)");
  spdlog::info("parley {} listening on http://{}:{} ({} IO threads, {} workers, data in {}, {})", PARLEY_VERSION,
               config.listen_host, server.port(), config.threads, workers, config.data_dir, allocator);
  std::printf("parley is running at http://%s:%u/\n", config.listen_host.c_str(), server.port());
  std::fflush(stdout);

  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("received {}, shutting down", signal == SIGINT ? "SIGINT" : "SIGTERM");
  });
  main_io.run();

  live.stop();
  loop_lag.stop();  // its timers would keep the IO threads from finishing
  server.stop();
  // A thumbnail in progress may finish (its announcement still reaches the
  // gateway); one that does not is claimed again after its lease.
  if (media_jobs) media_jobs->stop(config.shutdown_timeout);
  live_services.stop();  // the limiters' last fallback answers run on the still running pool
  if (redis_bus != nullptr) {
    redis_bus->stop();
    delivery_order->stop();  // waits for its repair jobs, on the still running pool
  }
  worker_pool.join();
  gateway.close();  // the store's last completions deliver to nobody
  media_jobs.reset();  // joins a job that outlived the deadline, before the store goes
  store.reset();  // finishes queued writes, checkpoints, closes
  if (node_lease) node_lease->release(ids.last_unix_ms());  // after the last write that could carry an id
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace parley::app
