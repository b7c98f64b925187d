#include "app/worker.hpp"

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <spdlog/spdlog.h>
#include <thread>

#include "app/logging.hpp"
#include "chat/media_jobs.hpp"
#include "chat/member_cache.hpp"
#include "cluster/redis/redis_bus.hpp"
#include "media/blob_store.hpp"
#include "media/preview_sandbox.hpp"
#include "store/open_store.hpp"
#include "store/postgres/node_lease.hpp"

namespace parley::app {

namespace {

int fail(const std::string& message, int code = 1) {
  std::fprintf(stderr, "parley worker: %s\n", message.c_str());
  return code;
}

// The servers change memberships; the bus brings their invalidations here, so
// that message_updated goes to the members of now, not of 5 s ago.
class MemberInvalidations final : public cluster::BusSubscriber {
 public:
  explicit MemberInvalidations(chat::MemberCache& members) : members_(members) {}
  void on_invalidation(const cluster::Invalidation& invalidation) override {
    if (invalidation.cache == cluster::Invalidation::Cache::members) members_.invalidate(invalidation.id);
  }

 private:
  chat::MemberCache& members_;
};

// Why a worker needs a cluster: the servers learn that a preview finished only
// through the bus (message_updated, and the invalidation of the history pages
// they cache), and a SQLite file is one server's alone. Empty when fine.
std::string cluster_requirement(const WorkerConfig& config, const store::StoreConfig& store_config) {
  const char* why =
      "the servers hear of finished previews only through the Redis bus, and share the store only on PostgreSQL";
  const auto target = store::parse_store_url(store_config);
  if (!target || target->backend != store::StoreBackend::postgres)
    return std::string("needs a PostgreSQL --store and --bus redis://HOST:PORT, like the cluster nodes it serves (") +
           why + ")";
  if (config.bus == "local")
    return std::string("needs --bus redis://HOST:PORT, the cluster nodes' bus (") + why + ")";
  return {};
}

}  // namespace

int run_worker(const WorkerConfig& config) {
  store::StoreConfig store_config;
  store_config.url = config.store;
  store_config.data_dir = config.data_dir;
  // The nodes' setting: opening with another would build or drop the index under them.
  store_config.search.enabled = config.search_index;
  if (auto refused = cluster_requirement(config, store_config); !refused.empty()) return fail(refused, 2);

  auto access_log = setup_logging(config.log_level, config.log_format);
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return fail("cannot create data dir " + config.data_dir + ": " + ec.message());

  auto opened = store::open_store(store_config);
  if (!opened) return fail(opened.error().message);
  std::unique_ptr<store::Store> store = std::move(*opened);
  // Its ids must not collide with the servers': it leases a node id as they do.
  std::unique_ptr<store::postgres::NodeLease> node_lease;
  {
    store::postgres::NodeLeaseOptions options;
    options.conninfo = store::parse_store_url(store_config)->location;
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
  IdGenerator ids(node_lease->node_id(), node_lease->floor_unix_ms());
  auto endpoint = cluster::redis::parse_redis_url(config.bus);
  if (!endpoint) return fail(endpoint.error().message, 2);
  cluster::redis::RedisBusOptions bus_options;
  bus_options.endpoint = std::move(*endpoint);
  auto bus = std::make_unique<cluster::redis::RedisBus>(std::move(bus_options));
  // The bus brings the servers' membership invalidations; the 5 s age is the
  // repair for one that Redis lost, as on the nodes in cluster mode.
  chat::MemberCache members(*store, 10'000, &clock, std::chrono::seconds(5));
  MemberInvalidations member_invalidations(members);
  bus->subscribe(member_invalidations);
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
  bus->start();
  // What the bus is handed before it has connected is dropped (redis_bus.hpp),
  // and nothing repairs a lost message_updated of a worker: the jobs wait for
  // the connection, a bounded time (a Redis that is down is only logged).
  for (int i = 0; i < 250 && !bus->connected(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!bus->connected()) spdlog::warn("the Redis bus {} is not connected yet: the jobs start anyway", config.bus);
  node_lease->start([&ids] { return ids.last_unix_ms(); }, [](const std::string& reason) {
    spdlog::critical("{}: exiting so that no id is issued twice", reason);
    spdlog::default_logger()->flush();
    std::_Exit(3);
  });
  jobs->start();
  spdlog::info("parley worker {}: PostgreSQL store, bus {}, media {}, {} job thread(s)", PARLEY_VERSION, config.bus,
               blobs->describe(), config.preview_workers);
  std::printf("parley worker is running\n");
  std::fflush(stdout);
  signals.async_wait([](const boost::system::error_code& error, int signal) {
    if (!error) spdlog::info("received {}, stopping the jobs", signal == SIGINT ? "SIGINT" : "SIGTERM");
  });
  main_io.run();

  jobs->stop(config.shutdown_timeout);
  jobs.reset();  // waits for a job that outlived the deadline, before the store goes
  bus->stop();
  store.reset();
  node_lease->release(ids.last_unix_ms());
  spdlog::info("worker stopped cleanly");
  return 0;
}

}  // namespace parley::app
