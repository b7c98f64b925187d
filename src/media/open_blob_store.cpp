// open_blob_store and valid_blob_key (blob_store.hpp): the `--media-store`
// value → a store.

#include <cstdlib>
#include <string>

#include "media/blob_store.hpp"
#include "media/local_blob_store.hpp"
#include "media/s3_blob_store.hpp"

namespace parley::media {
namespace {

constexpr std::size_t kMaxKeyBytes = 1024;  // S3's limit on object names

Error bad_spec(std::string message) { return Error::bad_request("invalid_media_store", std::move(message)); }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    int hi = i + 2 < in.size() ? hex_digit(in[i + 1]) : -1;
    int lo = hi >= 0 ? hex_digit(in[i + 2]) : -1;
    if (lo < 0) return bad_spec("--media-store: bad %-escape");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// S3's bucket naming rules, the DNS-safe subset.
bool valid_bucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return alnum(b.front()) && alnum(b.back());
}

bool valid_endpoint(std::string_view e) {
  if (!e.starts_with("http://") && !e.starts_with("https://")) return false;
  std::string_view rest = e.substr(e.find("//") + 2);
  if (rest.empty()) return false;
  for (char c : rest) {
    // Host, port and an optional path prefix; nothing that would change how
    // the URL or the signature is read.
    if (c <= ' ' || c >= 0x7f || c == '?' || c == '#' || c == '@' || c == '%' || c == '\\') return false;
  }
  return true;
}

bool valid_region(std::string_view r) {
  if (r.empty() || r.size() > 32) return false;
  for (char c : r) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

Result<S3Config> parse_s3_spec(std::string_view spec) {
  std::string_view rest = spec.substr(5);  // after "s3://"
  S3Config config;
  auto q = rest.find('?');
  config.bucket = std::string(rest.substr(0, q));
  if (!valid_bucket(config.bucket)) {
    return bad_spec("--media-store: bad bucket name '" + config.bucket + "' (3-63 of a-z 0-9 . -)");
  }
  std::string_view query = q == std::string_view::npos ? std::string_view{} : rest.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos) return bad_spec("--media-store: expected name=value, got '" + std::string(pair) + "'");
    auto value = percent_decode(pair.substr(eq + 1));
    if (!value) return value.error();
    std::string_view name = pair.substr(0, eq);
    if (name == "endpoint") {
      config.endpoint = *value;
    } else if (name == "region") {
      config.region = *value;
    } else {
      return bad_spec("--media-store: unknown parameter '" + std::string(name) + "' (endpoint, region)");
    }
  }
  if (!valid_region(config.region)) return bad_spec("--media-store: bad region '" + config.region + "'");
  if (config.endpoint.empty()) config.endpoint = "https://s3." + config.region + ".amazonaws.com";
  while (config.endpoint.ends_with('/')) config.endpoint.pop_back();
  if (!valid_endpoint(config.endpoint)) {
    return bad_spec("--media-store: endpoint must be http(s)://host[:port], got '" + config.endpoint + "'");
  }
  const char* key = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  if (key == nullptr || *key == '\0' || secret == nullptr || *secret == '\0') {
    return bad_spec("--media-store s3://…: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  config.access_key_id = key;
  config.secret_access_key = secret;
  return config;
}

}  // namespace

bool valid_blob_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes) return false;
  // Segments between '/' are non-empty and never start with '.', which rules
  // out "", ".", "..", hidden files, a leading '/', "//" and a trailing '/'.
  bool segment_start = true;
  for (char c : key) {
    const bool allowed = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '.' || c == '/' || c == '_' || c == '-';
    if (!allowed) return false;
    if (segment_start && (c == '/' || c == '.')) return false;
    segment_start = c == '/';
  }
  return !segment_start;
}

Result<std::unique_ptr<BlobStore>> open_blob_store(std::string_view spec, const std::filesystem::path& data_dir) {
  if (spec.empty()) {
    auto local = LocalBlobStore::create(data_dir / "media");
    if (!local) return local.error();
    return std::unique_ptr<BlobStore>(std::move(local.value()));
  }
  if (!spec.starts_with("s3://")) {
    return bad_spec("--media-store: expected empty (local disk) or s3://BUCKET?endpoint=URL&region=R");
  }
  auto config = parse_s3_spec(spec);
  if (!config) return config.error();
  auto s3 = S3BlobStore::create(std::move(config.value()), data_dir / "media" / "tmp");
  if (!s3) return s3.error();
  if (auto st = s3.value()->ping(); !st) return st.error();
  return std::unique_ptr<BlobStore>(std::move(s3.value()));
}

}  // namespace parley::media
