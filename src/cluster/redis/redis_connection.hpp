#pragma once
// RedisConnection: one blocking hiredis connection with a connect timeout and
// a command timeout, for the background threads of the Redis-backed cluster
// services (RedisPresence, RedisTyping, RedisRateLimiter). Lua scripts are
// loaded (SCRIPT LOAD) on every (re)connection and run with EVALSHA, so that a
// restarted Redis, which has forgotten them, gets them again before use.
//
// A failed command closes the connection: the owner reconnects (with its own
// backoff) and treats what was in flight as failed. A NOSCRIPT answer (SCRIPT
// FLUSH on a live server) is such a failure too, so the scripts get loaded again.
//
// Thread-safety: none; one thread owns a connection.

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/redis/redis_bus.hpp"

namespace parley::cluster::redis {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct RedisConnectionOptions {
  RedisEndpoint endpoint;
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds command_timeout{1000};
};

class RedisConnection {
 public:
  // `scripts`: Lua sources, loaded on connect(); run_script(i, ...) runs scripts[i].
  RedisConnection(RedisConnectionOptions options, std::vector<std::string> scripts = {});
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects and loads the scripts; true when usable. Closes a previous connection first.
  bool connect();
  void close();
  bool is_open() const { return context_ != nullptr; }
  // Why the last connect or command failed.
  const std::string& error() const { return error_; }

  // One command; nullptr (and the connection closed) on a network failure,
  // a timeout or an error reply.
  Reply command(const std::vector<std::string>& argv);
  // Pipelining: queue commands, then read their replies in order. get_reply()
  // fails like command().
  void append(const std::vector<std::string>& argv);
  void append_script(std::size_t script, const std::vector<std::string>& args);
  Reply get_reply();
  Reply run_script(std::size_t script, const std::vector<std::string>& args);

 private:
  Reply fail(std::string why);
  std::vector<std::string> evalsha_argv(std::size_t script, const std::vector<std::string>& args) const;

  const RedisConnectionOptions options_;
  const std::vector<std::string> scripts_;
  std::vector<std::string> shas_;
  redisContext* context_ = nullptr;
  std::string error_;
};

// Reply helpers: nullopt when the reply is not of that kind.
std::optional<long long> reply_integer(const redisReply* reply);
std::optional<std::string_view> reply_string(const redisReply* reply);

}  // namespace parley::cluster::redis
