#pragma once
// The HTTP request and response as the application sees them: plain values with
// no Beast types, so that route handlers compile without Beast headers.
//
// Thread-safety: plain values. A Request is built on the connection's IO thread,
// then handed (moved) to the worker that runs its handler.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/trace_context.hpp"

namespace parley::media {
class BlobReader;
}

namespace parley::http {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;          // "GET"
  std::string path;            // percent-decoded, without the query
  Fields query;                // decoded query parameters, in order
  Fields params;               // path parameters filled by the router (":id" → "id")
  std::string body;
  std::string content_type;    // as sent, may be empty
  std::string authorization;   // as sent, may be empty
  std::string origin;          // the Origin header, for CORS
  bool accepts_gzip = false;   // Accept-Encoding names gzip
  std::optional<std::int64_t> content_length;  // as sent; absent for a chunked body
  std::string range;           // the Range header, may be empty
  std::string if_none_match;   // the If-None-Match header, may be empty
  // This request's trace: the `traceparent` header's trace continued, or a new
  // one; span_id is this server's (sent back in the response's traceparent).
  trace::TraceContext trace;

  // The first query parameter with this name.
  std::optional<std::string_view> query_param(std::string_view name) const;
  // A path parameter; empty if the route has none by that name.
  std::string_view param(std::string_view name) const;
  // True when the content type is application/json (parameters ignored).
  bool has_json_body() const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // When set, sent instead of `body` without a copy (a cached page shared by
  // many responses).
  std::shared_ptr<const std::string> shared_body;
  Fields headers;  // extra headers (Allow, Retry-After, Cache-Control, ...)
  // When set, the body is `stream_length` bytes of this blob from
  // `stream_offset` instead of `body`: a download, read on the worker pool in
  // chunks as the client takes them (a fixed buffer, whatever the size).
  std::shared_ptr<media::BlobReader> stream;
  std::int64_t stream_offset = 0;
  std::int64_t stream_length = 0;
};

// Splits "a=1&b=x%20y" into decoded pairs ('+' is a space). Malformed escapes
// are kept literally rather than rejected.
Fields parse_query(std::string_view query);
// Percent-decodes a path; nullopt on a malformed escape or an encoded NUL.
std::optional<std::string> decode_path(std::string_view path);

}  // namespace parley::http
