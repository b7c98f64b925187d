#pragma once
// RestClient: a blocking HTTP/1.1 keep-alive client for the benchmark's setup calls
// (register users, create conversations). Setup is not measured, so plain Beast over a
// synchronous socket is enough.
//
// Thread-safety: one thread per client; use one client per setup thread.

#include <memory>
#include <string>
#include <string_view>

namespace parley::bench {

struct RestAnswer {
  int status = 0;  // 0: transport error
  std::string body;
};

class RestClient {
 public:
  RestClient(std::string host, std::uint16_t port);
  ~RestClient();
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  // POSTs a JSON body, with a bearer token when `token` is not empty. Reconnects once if
  // the kept-alive connection was closed by the server.
  RestAnswer post(std::string_view target, std::string_view json, std::string_view token = {});
  // GETs `target` (no auth): for /metrics.
  RestAnswer get(std::string_view target);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::bench
