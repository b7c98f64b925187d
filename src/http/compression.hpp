#pragma once
// gzip for HTTP answers: the web client's files (compressed once, static_files.hpp) and
// JSON answers above a size (compressed per answer; history pages are the large ones).
//
// Thread-safety: pure functions.

#include <cstddef>
#include <string>
#include <string_view>

#include "http/request.hpp"

namespace parley::http {

// True when an Accept-Encoding value allows gzip: "gzip" (or "*") listed without q=0.
bool accepts_gzip(std::string_view accept_encoding);

// The gzip member (RFC 1952) of `input` at this zlib level; empty if zlib failed.
std::string gzip(std::string_view input, int level);

// JSON answers of at least `min_bytes` (0: never) vary by Accept-Encoding: they say so
// (Vary), and go out gzipped when the client accepts it and compression makes them
// smaller. Other answers, and answers that already carry a Content-Encoding, are left as
// they are.
void gzip_json_response(Response& response, bool client_accepts_gzip, std::size_t min_bytes);

}  // namespace parley::http
