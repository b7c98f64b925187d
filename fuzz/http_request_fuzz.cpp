// Feeds untrusted request parts to the HTTP helpers Parley wrote itself (the
// HTTP/1.1 parser is Beast's): target splitting, percent-decoding, query
// parsing, the router, and the JSON body reader.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/json_io.hpp"
#include "http/request.hpp"
#include "http/router.hpp"

namespace {

const parley::http::Router& router() {
  static const parley::http::Router instance = [] {
    parley::http::Router r;
    auto ok = [](parley::http::Request&) { return parley::http::Response{}; };
    r.add("GET", "/api/messages/:conversationId", ok);
    r.add("PUT", "/api/messages/:id/read", ok);
    r.add("GET", "/api/users/search", ok);
    r.add("GET", "/api/users/:id/status", ok);
    return r;
  }();
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto question = input.find('?');
  if (auto path = parley::http::decode_path(input.substr(0, question))) {
    (void)router().match("GET", *path);
    (void)router().match("PUT", *path);
  }
  if (question != std::string_view::npos) (void)parley::http::parse_query(input.substr(question + 1));
  parley::http::Request request;
  request.content_type = "application/json";
  request.body = std::string(input);
  (void)parley::http::parse_json_object(request);
  return 0;
}
