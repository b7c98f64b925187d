#include "http/compression.hpp"

#include <zlib.h>

#include "common/header_tokens.hpp"

namespace parley::http {
namespace {

// "q=0", "q=0.0", "q=0.000": the coding is refused (RFC 9110 §12.4.2).
bool refused(std::string_view params) {
  while (!params.empty()) {
    const std::size_t semi = params.find(';');
    const std::string_view p = trim_ows(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (p.size() < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') continue;
    std::string_view q = trim_ows(p.substr(2));
    if (q.empty() || q[0] != '0') return false;
    q.remove_prefix(1);
    if (!q.empty() && q[0] == '.') q.remove_prefix(1);
    return q.find_first_not_of('0') == std::string_view::npos;
  }
  return false;
}

bool has_header(const Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (iequals_ascii(key, name)) return true;
  }
  return false;
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) {
  bool any = false, gzip_listed = false, gzip_ok = false;
  while (!accept_encoding.empty()) {
    const std::size_t comma = accept_encoding.find(',');
    const std::string_view item = trim_ows(accept_encoding.substr(0, comma));
    accept_encoding = comma == std::string_view::npos ? std::string_view{} : accept_encoding.substr(comma + 1);
    const std::size_t semi = item.find(';');
    const std::string_view coding = trim_ows(item.substr(0, semi));
    const std::string_view params = semi == std::string_view::npos ? std::string_view{} : item.substr(semi + 1);
    if (iequals_ascii(coding, "gzip") || iequals_ascii(coding, "x-gzip")) {
      gzip_listed = true;
      gzip_ok = !refused(params);
    } else if (coding == "*") {
      any = !refused(params);
    }
  }
  return gzip_listed ? gzip_ok : any;
}

std::string gzip(std::string_view input, int level) {
  z_stream stream{};
  // windowBits 15 + 16: a gzip wrapper rather than zlib's.
  if (deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&stream, input.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return rc == Z_STREAM_END ? out : std::string();
}

void gzip_json_response(Response& response, bool client_accepts_gzip, std::size_t min_bytes) {
  if (min_bytes == 0 || !response.content_type.starts_with("application/json")) return;
  if (response.status == 204 || response.status == 304 || has_header(response, "Content-Encoding")) return;
  const std::string& body = response.shared_body ? *response.shared_body : response.body;
  if (body.size() < min_bytes) return;
  response.headers.emplace_back("Vary", "Accept-Encoding");
  if (!client_accepts_gzip) return;
  // zlib's default level, as express's compression middleware: most of level 9's gain
  // for a fraction of its time, paid once per answer.
  std::string packed = gzip(body, Z_DEFAULT_COMPRESSION);
  if (packed.empty() || packed.size() >= body.size()) return;
  response.body = std::move(packed);
  response.shared_body.reset();
  response.headers.emplace_back("Content-Encoding", "gzip");
}

}  // namespace parley::http
