#include "cluster/redis/redis_connection.hpp"

#include <charconv>
#include <optional>

namespace parley::cluster::redis {

namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

}  // namespace

RedisConnection::RedisConnection(RedisConnectionOptions options, std::vector<std::string> scripts)
    : options_(std::move(options)), scripts_(std::move(scripts)) {}

RedisConnection::~RedisConnection() { close(); }

void RedisConnection::close() {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
}

Reply RedisConnection::fail(std::string why) {
  error_ = std::move(why);
  close();
  return nullptr;
}

bool RedisConnection::connect() {
  close();
  context_ = redisConnectWithTimeout(options_.endpoint.host.c_str(), options_.endpoint.port,
                                     to_timeval(options_.connect_timeout));
  std::string why;
  if (context_ == nullptr) why = "out of memory";
  else if (context_->err != 0) why = context_->errstr;
  else if (redisSetTimeout(context_, to_timeval(options_.command_timeout)) != REDIS_OK) why = "cannot set the command timeout";
  if (!why.empty()) {
    fail(std::move(why));
    return false;
  }
  redisEnableKeepAlive(context_);
  shas_.clear();
  for (const auto& source : scripts_) {
    auto reply = command({"SCRIPT", "LOAD", source});
    auto sha = reply_string(reply.get());
    if (!sha) return false;  // command() closed the connection
    shas_.emplace_back(*sha);
  }
  return true;
}

void RedisConnection::append(const std::vector<std::string>& argv) {
  if (context_ == nullptr) return;
  std::vector<const char*> args;
  std::vector<std::size_t> lengths;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  redisAppendCommandArgv(context_, static_cast<int>(args.size()), args.data(), lengths.data());
}

std::vector<std::string> RedisConnection::evalsha_argv(std::size_t script, const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"EVALSHA", shas_.at(script), "0"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

void RedisConnection::append_script(std::size_t script, const std::vector<std::string>& args) {
  if (context_ == nullptr) return;
  append(evalsha_argv(script, args));
}

Reply RedisConnection::get_reply() {
  if (context_ == nullptr) return nullptr;
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr)
    return fail(context_->err != 0 ? context_->errstr : "no reply");
  Reply reply(static_cast<redisReply*>(raw));
  if (reply->type == REDIS_REPLY_ERROR) return fail(std::string(reply->str, reply->len));
  return reply;
}

Reply RedisConnection::command(const std::vector<std::string>& argv) {
  append(argv);
  return get_reply();
}

Reply RedisConnection::run_script(std::size_t script, const std::vector<std::string>& args) {
  if (context_ == nullptr) return nullptr;
  return command(evalsha_argv(script, args));
}

std::optional<long long> reply_integer(const redisReply* reply) {
  if (reply == nullptr) return std::nullopt;
  if (reply->type == REDIS_REPLY_INTEGER) return reply->integer;
  if (reply->type == REDIS_REPLY_STRING) {
    long long value = 0;
    const auto [end, ec] = std::from_chars(reply->str, reply->str + reply->len, value);
    if (ec == std::errc() && end == reply->str + reply->len) return value;
  }
  return std::nullopt;
}

std::optional<std::string_view> reply_string(const redisReply* reply) {
  if (reply == nullptr || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS)) return std::nullopt;
  return std::string_view(reply->str, reply->len);
}

}  // namespace parley::cluster::redis
