#include "app/worker.hpp"

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <spdlog/spdlog.h>

#include "app/logging.hpp"
#include "chat/media_jobs.hpp"
#include "chat/member_cache.hpp"
#include "cluster/local_bus.hpp"
#include "cluster/redis/redis_bus.hpp"
#include "media/blob_store.hpp"
#include "media/preview_sandbox.hpp"
#include "store/open_store.hpp"
#include "store/postgres/node_lease.hpp"

namespace parley::app {

namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "parley worker: %s\n", message.c_str());
  return 1;
}

}  // namespace

int run_worker(const WorkerConfig& config) {
  auto access_log = setup_logging(config.log_level, config.log_format);
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return fail("cannot create data dir " + config.data_dir + ": " + ec.message());

  store::StoreConfig store_config;
  store_config.url = config.store;
  store_config.data_dir = config.data_dir;
  auto opened = store::open_store(store_config);
  if (!opened) return fail(opened.error().message);
  std::unique_ptr<store::Store> store = std::move(*opened);
  const auto target = store::parse_store_url(store_config);
  std::unique_ptr<store::postgres::NodeLease> node_lease;
  if (target && target->backend == store::StoreBackend::postgres) {
    store::postgres::NodeLeaseOptions options;
    options.conninfo = target->location;
    if (config.node_id >= 0) options.node_id = config.node_id;
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    options.holder_info = std::string(host) + " pid " + std::to_string(::getpid()) + " (parley worker)";
    auto lease = store::postgres::NodeLease::acquire(std::move(options));
    if (!lease) return fail("node id: " + lease.error().message);
    node_lease = std::move(*lease);
  }
  auto blobs_opened = media::open_blob_store(config.media_store, config.data_dir);
  if (!blobs_opened) return fail("--media-store: " + blobs_opened.error().message);
  std::unique_ptr<media::BlobStore> blobs = std::move(*blobs_opened);

  const Clock& clock = SystemClock::instance();
  IdGenerator ids(node_lease ? node_lease->node_id() : std::max(config.node_id, 0),
                  node_lease ? node_lease->floor_unix_ms() : 0);
  std::unique_ptr<cluster::Bus> bus;
  cluster::redis::RedisBus* redis_bus = nullptr;
  if (config.bus == "local") {
    bus = std::make_unique<cluster::LocalBus>();
  } else {
    auto endpoint = cluster::redis::parse_redis_url(config.bus);
    if (!endpoint) return fail(endpoint.error().message);
    cluster::redis::RedisBusOptions bus_options;
    bus_options.endpoint = std::move(*endpoint);
    auto owned = std::make_unique<cluster::redis::RedisBus>(std::move(bus_options));
    redis_bus = owned.get();
    bus = std::move(owned);
  }
  // No membership invalidations reach a worker on a local bus (the servers
  // change memberships): its lists of members age out instead.
  chat::MemberCache members(*store, 10'000, &clock, std::chrono::seconds(5));
  media::PreviewSandbox sandbox("/proc/self/exe", media::PreviewLimits{}, config.preview_workers);
  chat::MediaJobsDeps deps;
  deps.store = store.get();
  deps.blobs = blobs.get();
  deps.previews = [&sandbox](const std::filesystem::path& image, const std::vector<int>& sides) {
    return sandbox.run(image, sides);
  };
  deps.members = &members;
  deps.bus = bus.get();
  deps.ids = &ids;
  deps.clock = &clock;
  chat::MediaJobsOptions options;
  options.workers = config.preview_workers;
  auto jobs = std::make_unique<chat::MediaJobs>(std::move(deps), options);

  boost::asio::io_context main_io;
  boost::asio::signal_set signals(main_io, SIGINT, SIGTERM);
  std::signal(SIGPIPE, SIG_IGN);
  if (redis_bus) redis_bus->start();
  if (node_lease) {
    node_lease->start([&ids] { return ids.last_unix_ms(); }, [](const std::string& reason) {
      spdlog::critical("{}: exiting so that no id is issued twice", reason);
      spdlog::default_logger()->flush();
      std::_Exit(3);
    });
  }
  jobs->start();
  spdlog::info("parley worker {}: {} store, media {}, {} job thread(s)", PARLEY_VERSION,
               node_lease ? "PostgreSQL" : "SQLite", blobs->describe(), config.preview_workers);
  std::printf("parley worker is running\n");
  std::fflush(stdout);
  signals.async_wait([](const boost::system::error_code& error, int signal) {
    if (!error) spdlog::info("received {}, stopping the jobs", signal == SIGINT ? "SIGINT" : "SIGTERM");
  });
  main_io.run();

  jobs->stop(config.shutdown_timeout);
  jobs.reset();  // waits for a job that outlived the deadline, before the store goes
  if (redis_bus) redis_bus->stop();
  store.reset();
  if (node_lease) node_lease->release(ids.last_unix_ms());
  spdlog::info("worker stopped cleanly");
  return 0;
}

}  // namespace parley::app
