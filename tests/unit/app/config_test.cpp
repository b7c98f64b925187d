#include "app/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace parley::app {
namespace {

std::variant<Command, ParseError> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "parley");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

ServeConfig serve_config(std::vector<std::string> args) {
  auto result = parse(std::move(args));
  EXPECT_TRUE(std::holds_alternative<Command>(result)) << std::get<ParseError>(result).message;
  return std::get<ServeConfig>(std::get<Command>(result));
}

TEST(ParseDuration, AcceptsUnits) {
  EXPECT_EQ(parse_duration("90"), std::chrono::seconds(90));
  EXPECT_EQ(parse_duration("90s"), std::chrono::seconds(90));
  EXPECT_EQ(parse_duration("15m"), std::chrono::seconds(900));
  EXPECT_EQ(parse_duration("24h"), std::chrono::seconds(86400));
  EXPECT_EQ(parse_duration("7d"), std::chrono::seconds(604800));
  for (const char* bad : {"", "0", "-5", "5x", "h", "1.5h", "99999999999999d"})
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
}

TEST(Config, Defaults) {
  auto c = serve_config({"serve"});
  EXPECT_EQ(c.listen_host, "127.0.0.1");
  EXPECT_EQ(c.listen_port, 8080);
  EXPECT_EQ(c.data_dir, "./data");
  EXPECT_GE(c.threads, 1);
  EXPECT_EQ(c.token_ttl, std::chrono::hours(24 * 7));
  EXPECT_TRUE(c.rate_limit);
  EXPECT_EQ(c.rate_burst, 20);
  EXPECT_EQ(c.node_id, -1) << "not given: leased on PostgreSQL, 0 on SQLite";
  EXPECT_EQ(c.route, "") << "not given: the port the node listens on";
}

TEST(Config, NodeIdAndRoute) {
  auto c = serve_config({"serve", "--node-id", "12", "--route", "node-a_1"});
  EXPECT_EQ(c.node_id, 12);
  EXPECT_EQ(c.route, "node-a_1");
}

TEST(Config, Flags) {
  auto c = serve_config({"serve", "--listen", "0.0.0.0:9000", "--data-dir", "/tmp/x", "--threads", "3",
                         "--token-ttl", "2h", "--log-format", "json", "--rate-limit", "off",
                         "--typing-timeout", "500ms"});
  EXPECT_EQ(c.listen_host, "0.0.0.0");
  EXPECT_EQ(c.listen_port, 9000);
  EXPECT_EQ(c.data_dir, "/tmp/x");
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(c.token_ttl, std::chrono::hours(2));
  EXPECT_EQ(c.log_format, "json");
  EXPECT_FALSE(c.rate_limit);
  EXPECT_EQ(c.typing_timeout, std::chrono::milliseconds(500));
}

TEST(Config, EnvironmentAndFlagPrecedence) {
  setenv("PARLEY_LISTEN", "127.0.0.1:7000", 1);
  setenv("PARLEY_RATE_LIMIT", "5,0.5", 1);
  auto from_env = serve_config({"serve"});
  EXPECT_EQ(from_env.listen_port, 7000);
  EXPECT_EQ(from_env.rate_burst, 5);
  EXPECT_DOUBLE_EQ(from_env.rate_per_second, 0.5);
  auto flag_wins = serve_config({"serve", "--listen", "127.0.0.1:7001"});
  EXPECT_EQ(flag_wins.listen_port, 7001);
  unsetenv("PARLEY_LISTEN");
  unsetenv("PARLEY_RATE_LIMIT");
}

TEST(Config, SlowMsFlagAndEnvironment) {
  EXPECT_EQ(serve_config({"serve"}).slow_ms, 200);
  EXPECT_EQ(serve_config({"serve", "--slow-ms", "0"}).slow_ms, 0);
  EXPECT_EQ(serve_config({"serve", "--slow-ms", "1500"}).slow_ms, 1500);
  setenv("PARLEY_SLOW_MS", "50", 1);
  EXPECT_EQ(serve_config({"serve"}).slow_ms, 50);
  EXPECT_EQ(serve_config({"serve", "--slow-ms", "7"}).slow_ms, 7);
  unsetenv("PARLEY_SLOW_MS");
  for (const char* bad : {"-1", "soon", "1.5"})
    EXPECT_TRUE(std::holds_alternative<ParseError>(parse({"serve", "--slow-ms", bad}))) << bad;
}

TEST(Config, BadInputIsAParseError) {
  for (std::vector<std::string> args : {std::vector<std::string>{"serve", "--listen", "nope"},
                                        {"serve", "--listen", "127.0.0.1:99999"},
                                        {"serve", "--listen", ":80"},
                                        {"serve", "--threads", "-1"},
                                        {"serve", "--token-ttl", "soon"},
                                        {"serve", "--rate-limit", "20"},
                                        {"serve", "--rate-limit", "0,1"},
                                        {"serve", "--rate-limit", "3,nan"},
                                        {"serve", "--bus", "redis"},
                                        {"serve", "--bus", "memcached://127.0.0.1:1"},
                                        {"serve", "--rate-limit", "3,inf"},
                                        {"serve", "--rate-limit", "3,1e-300"},
                                        {"serve", "--rate-limit", " 3,1"},
                                        {"serve", "--rate-limit", "3,0.000001"},
                                        {"serve", "--log-level", "loud"},
                                        {"serve", "--node-id", "1024"},
                                        {"serve", "--node-id", "-1"},
                                        {"serve", "--route", "a.b"},
                                        {"serve", "--route", "a/b"},
                                        {"serve", "--route", std::string(33, 'x')},
                                        {"serve", "--unknown"},
                                        {"bogus"}}) {
    auto result = parse(args);
    EXPECT_TRUE(std::holds_alternative<ParseError>(result)) << args.back();
  }
}

TEST(Config, RateLimitKeepsItsValue) {
  const ServeConfig config = serve_config({"serve", "--rate-limit", "5,0.5"});
  EXPECT_TRUE(config.rate_limit);
  EXPECT_EQ(config.rate_burst, 5);
  EXPECT_DOUBLE_EQ(config.rate_per_second, 0.5);
}

TEST(Config, BusIsLocalUnlessRedisIsNamed) {
  EXPECT_EQ(serve_config({"serve"}).bus, "local");
  EXPECT_EQ(serve_config({"serve", "--bus", "redis://127.0.0.1:6379"}).bus, "redis://127.0.0.1:6379");
}

TEST(Config, Subcommands) {
  EXPECT_TRUE(std::holds_alternative<VersionCommand>(std::get<Command>(parse({"version"}))));
  auto conformance = parse({"conformance", "--listen", "127.0.0.1:3001"});
  auto& c = std::get<ConformanceConfig>(std::get<Command>(conformance));
  EXPECT_EQ(c.listen_port, 3001);
}

TEST(ParseSize, AcceptsBinaryUnits) {
  EXPECT_EQ(parse_size("1048576"), 1048576);
  EXPECT_EQ(parse_size("512K"), 512 * 1024);
  EXPECT_EQ(parse_size("25M"), 25LL << 20);
  EXPECT_EQ(parse_size("25MiB"), 25LL << 20);
  EXPECT_EQ(parse_size("1G"), 1LL << 30);
  for (const char* bad : {"", "0", "-1", "M", "1.5M", "10T", "2000G", "5 M", "5Mb"})
    EXPECT_FALSE(parse_size(bad).has_value()) << bad;
}

TEST(Config, MediaFlags) {
  auto defaults = serve_config({"serve"});
  EXPECT_EQ(defaults.media_store, "");
  EXPECT_EQ(defaults.max_upload_bytes, 25LL << 20);
  EXPECT_EQ(defaults.upload_quota_bytes, 1LL << 30);
  EXPECT_TRUE(defaults.jobs);
  EXPECT_EQ(defaults.preview_workers, 1);
  auto c = serve_config({"serve", "--media-store", "s3://b?endpoint=http://127.0.0.1:9000", "--max-upload", "5M",
                         "--upload-quota", "100M", "--jobs", "off", "--preview-workers", "3"});
  EXPECT_EQ(c.media_store, "s3://b?endpoint=http://127.0.0.1:9000");
  EXPECT_EQ(c.max_upload_bytes, 5LL << 20);
  EXPECT_EQ(c.upload_quota_bytes, 100LL << 20);
  EXPECT_FALSE(c.jobs);
  EXPECT_EQ(c.preview_workers, 3);
  for (std::vector<std::string> args : {std::vector<std::string>{"serve", "--max-upload", "big"},
                                        {"serve", "--upload-quota", "0"},
                                        {"serve", "--jobs", "maybe"},
                                        {"serve", "--preview-workers", "0"},
                                        {"worker", "--bus", "redis"}})
    EXPECT_TRUE(std::holds_alternative<ParseError>(parse(args))) << args[1];
}

TEST(Config, Worker) {
  // Parsing takes any store and bus; run_worker refuses (exit 2) all but
  // PostgreSQL and Redis (tests/integration/worker.test.mjs).
  auto parsed = parse({"worker", "--data-dir", "/tmp/w", "--store", "postgres://u@db/parley", "--bus",
                       "redis://10.0.0.5:6379", "--preview-workers", "2", "--shutdown-timeout", "5"});
  ASSERT_TRUE(std::holds_alternative<Command>(parsed)) << std::get<ParseError>(parsed).message;
  const auto& w = std::get<WorkerConfig>(std::get<Command>(parsed));
  EXPECT_EQ(w.data_dir, "/tmp/w");
  EXPECT_EQ(w.store, "postgres://u@db/parley");
  EXPECT_EQ(w.media_store, "");
  EXPECT_EQ(w.bus, "redis://10.0.0.5:6379");
  EXPECT_EQ(w.preview_workers, 2);
  EXPECT_EQ(w.shutdown_timeout, std::chrono::seconds(5));
  EXPECT_TRUE(w.search_index);
  auto off = parse({"worker", "--store", "postgres://u@db/parley", "--search-index", "off"});
  ASSERT_TRUE(std::holds_alternative<Command>(off)) << std::get<ParseError>(off).message;
  EXPECT_FALSE(std::get<WorkerConfig>(std::get<Command>(off)).search_index);
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse({"worker", "--search-index", "maybe"})));
}

TEST(Config, BackupAndRestore) {
  auto backup = parse({"backup", "--data-dir", "/srv/parley", "--to", "/srv/b1", "--step-pages", "64"});
  auto& b = std::get<BackupConfig>(std::get<Command>(backup));
  EXPECT_EQ(b.data_dir, "/srv/parley");
  EXPECT_EQ(b.to, "/srv/b1");
  EXPECT_EQ(b.step_pages, 64);
  EXPECT_EQ(b.pause_ms, 2);
  auto restore = parse({"restore", "--from", "/srv/b1", "--data-dir", "/srv/parley"});
  auto& r = std::get<RestoreConfig>(std::get<Command>(restore));
  EXPECT_EQ(r.from, "/srv/b1");
  EXPECT_FALSE(r.force);
  EXPECT_TRUE(std::get<RestoreConfig>(std::get<Command>(parse({"restore", "--from", "x", "--force"}))).force);
  // --to and --from are required; a step of 0 pages is refused.
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse({"backup", "--data-dir", "d"})));
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse({"restore", "--data-dir", "d"})));
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse({"backup", "--to", "b", "--step-pages", "0"})));
}

}  // namespace
}  // namespace parley::app
