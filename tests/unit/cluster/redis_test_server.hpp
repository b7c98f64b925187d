#pragma once
// A real redis-server for the unit tests of the Redis-backed cluster services:
// a child process on a free loopback port, without persistence, killed with
// the object. Tests skip when the binary is not installed.

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

namespace parley::cluster::redis::redis_testing {

using namespace std::chrono_literals;

inline std::string find_redis_server() {
  for (const char* path : {"/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"})
    if (access(path, X_OK) == 0) return path;
  return {};
}

inline int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

inline bool can_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// One redis-server child process, without persistence, killed with the fixture.
class RedisServer {
 public:
  explicit RedisServer(std::string binary) : binary_(std::move(binary)), port_(free_port()) {}
  ~RedisServer() { kill(); }

  bool start() {
    pid_ = fork();
    if (pid_ == 0) {
      const std::string port = std::to_string(port_);
      freopen("/dev/null", "w", stdout);
      freopen("/dev/null", "w", stderr);
      execl(binary_.c_str(), binary_.c_str(), "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", "/tmp", "--loglevel", "warning", static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100; ++i) {
      if (can_connect(port_)) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  // Stops answering without closing connections: a stalled Redis.
  void pause() { ::kill(pid_, SIGSTOP); }
  void resume() { ::kill(pid_, SIGCONT); }
  int port() const { return port_; }

 private:
  std::string binary_;
  int port_;
  pid_t pid_ = -1;
};

// Polls `predicate` every 10 ms until it holds or `limit` passed.
template <class Predicate>
inline bool eventually(Predicate predicate, std::chrono::milliseconds limit = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return predicate();
}

// A test with its own redis-server (`server_`), started before each test;
// skipped when redis-server is not installed.
class RedisServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The log registry is a function-local static inside libspdlog, whose
    // initialization guard ThreadSanitizer cannot see: created here, before the
    // threads of the service under test would both log first (the server sets
    // logging up at start).
    spdlog::default_logger();
    const std::string binary = find_redis_server();
    if (binary.empty()) GTEST_SKIP() << "redis-server is not installed (Debian package redis-server)";
    server_ = std::make_unique<RedisServer>(binary);
    ASSERT_TRUE(server_->start()) << "redis-server did not start on port " << server_->port();
  }

  std::unique_ptr<RedisServer> server_;
};

}  // namespace parley::cluster::redis::redis_testing
