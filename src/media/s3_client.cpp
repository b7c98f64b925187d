#include "media/s3_client.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

namespace parley::media {
namespace {

constexpr std::size_t kMaxErrorBody = 16 * 1024;
constexpr std::size_t kMaxIdleHandles = 8;

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

std::string xml_field(std::string_view body, std::string_view name) {
  const std::string open = "<" + std::string(name) + ">";
  const std::string close = "</" + std::string(name) + ">";
  auto start = body.find(open);
  if (start == std::string_view::npos) return {};
  start += open.size();
  auto end = body.find(close, start);
  if (end == std::string_view::npos) return {};
  return std::string(body.substr(start, end - start));
}

bool header_is(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  return std::equal(name.begin(), name.end(), line.begin(),
                    [](char n, char l) { return std::tolower(static_cast<unsigned char>(l)) == n; });
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

}  // namespace

// One request and its response, shared with libcurl's callbacks.
struct S3Client::Exchange {
  enum class Method { get, put, del, head } method = Method::get;
  std::string key;           // empty: the bucket itself
  std::string content_sha;   // x-amz-content-sha256
  std::vector<std::string> headers;
  bool total_timeout = true;
  // PUT body: from a file descriptor or from memory.
  int fd = -1;
  off_t fd_start = 0;        // where the body starts in fd
  std::string_view bytes;    // what is left to send
  std::string_view all_bytes;
  std::int64_t upload_size = 0;
  // GET body: into this span, never past it.
  std::span<char> sink;
  std::size_t got = 0;
  bool overflow = false;
  // Response.
  CURL* curl = nullptr;
  long status = 0;
  std::int64_t range_total = -1;  // from Content-Range: bytes a-b/TOTAL or */TOTAL
  bool empty_object = false;      // 206 with a total of 0: stopped after the headers
  std::string error_body;

  std::string what(const S3Config& config) const {
    static constexpr const char* kNames[] = {"GET", "PUT", "DELETE", "HEAD"};
    return std::string("S3 ") + kNames[static_cast<int>(method)] + " " + config.endpoint + "/" + config.bucket +
           (key.empty() ? "" : "/" + key);
  }
};

namespace {

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* x = static_cast<S3Client::Exchange*>(user);
  const std::size_t len = size * count;
  long status = 0;
  curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
  if (status / 100 != 2) {
    x->error_body.append(data, std::min(len, kMaxErrorBody - std::min(kMaxErrorBody, x->error_body.size())));
    return len;
  }
  if (x->method != S3Client::Exchange::Method::get) return len;
  if (x->got + len > x->sink.size()) {
    x->overflow = true;  // more than asked for (a server that ignored Range): stop here
    return 0;
  }
  std::memcpy(x->sink.data() + x->got, data, len);
  x->got += len;
  return len;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* x = static_cast<S3Client::Exchange*>(user);
  const std::size_t len = size * count;
  std::string_view line(data, len);
  if (header_is(line, "content-range")) {
    auto slash = line.rfind('/');
    if (slash != std::string_view::npos) {
      std::int64_t total = 0;
      bool digits = false;
      for (char c : line.substr(slash + 1)) {
        if (c < '0' || c > '9') break;
        total = total * 10 + (c - '0');
        digits = true;
      }
      if (digits) x->range_total = total;
    }
    // s3rver answers a Range request on an empty object with "206, bytes
    // 0-0/0, Content-Length: 1" and never sends that byte: the headers say
    // all there is to know, so stop here instead of waiting for it.
    long status = 0;
    curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status == 206 && x->range_total == 0) {
      x->empty_object = true;
      return 0;
    }
  }
  return len;
}

size_t on_upload(char* buffer, size_t size, size_t count, void* user) {
  auto* x = static_cast<S3Client::Exchange*>(user);
  const std::size_t room = size * count;
  if (x->fd < 0) {
    std::size_t n = std::min(room, x->bytes.size());
    std::memcpy(buffer, x->bytes.data(), n);
    x->bytes.remove_prefix(n);
    return n;
  }
  for (;;) {
    ssize_t n = ::read(x->fd, buffer, room);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return CURL_READFUNC_ABORT;
  }
}

// libcurl rewinds the body when it must send it again: a reused connection
// that the server had closed, or a redirect.
int on_seek(void* user, curl_off_t offset, int origin) {
  auto* x = static_cast<S3Client::Exchange*>(user);
  if (origin != SEEK_SET || offset < 0 || offset > x->upload_size) return CURL_SEEKFUNC_CANTSEEK;
  if (x->fd < 0) {
    x->bytes = x->all_bytes.substr(static_cast<std::size_t>(offset));
    return CURL_SEEKFUNC_OK;
  }
  return ::lseek(x->fd, x->fd_start + static_cast<off_t>(offset), SEEK_SET) < 0 ? CURL_SEEKFUNC_FAIL
                                                                                 : CURL_SEEKFUNC_OK;
}

}  // namespace

S3Client::S3Client(S3Config config)
    : config_(std::move(config)), sigv4_("aws:amz:" + config_.region + ":s3") {
  global_init_once();
}

S3Client::~S3Client() {
  for (void* handle : idle_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* S3Client::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      void* handle = idle_.back();
      idle_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void S3Client::release(void* handle) {
  // reset forgets the options, keeps the connection cache and DNS cache.
  curl_easy_reset(static_cast<CURL*>(handle));
  std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdleHandles) {
    idle_.push_back(handle);
    return;
  }
  curl_easy_cleanup(static_cast<CURL*>(handle));
}

Status S3Client::perform(Exchange& x) {
  // Declared before the handle's guard, so that they outlive its reset.
  std::string url = config_.endpoint + "/" + config_.bucket;
  if (!x.key.empty()) url += "/" + x.key;
  Slist headers;
  char errbuf[CURL_ERROR_SIZE] = {0};

  CURL* curl = static_cast<CURL*>(acquire());
  if (curl == nullptr) return Error::unavailable("S3: curl_easy_init failed");
  struct Release {
    S3Client* self;
    CURL* curl;
    ~Release() { self->release(curl); }
  } release_on_exit{this, curl};
  x.curl = curl;

  auto add_header = [&headers](const std::string& line) {
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next == nullptr) return false;  // the list is unchanged, still owned
    (void)headers.release();            // `next` is that list, one longer
    headers.reset(next);
    return true;
  };
  bool headers_ok = add_header("x-amz-content-sha256: " + x.content_sha);
  for (const auto& line : x.headers) headers_ok = headers_ok && add_header(line);
  if (!headers_ok) return Error::unavailable(x.what(config_) + ": out of memory");

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, config_.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, config_.low_speed_bytes_per_second);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, config_.low_speed_seconds);
  if (x.total_timeout) curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, config_.request_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4_.c_str());
  curl_easy_setopt(curl, CURLOPT_USERNAME, config_.access_key_id.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, config_.secret_access_key.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &x);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &x);
  switch (x.method) {
    case Exchange::Method::get: break;
    case Exchange::Method::put:
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_upload);
      curl_easy_setopt(curl, CURLOPT_READDATA, &x);
      curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, on_seek);
      curl_easy_setopt(curl, CURLOPT_SEEKDATA, &x);
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(x.upload_size));
      break;
    case Exchange::Method::del: curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE"); break;
    case Exchange::Method::head: curl_easy_setopt(curl, CURLOPT_NOBODY, 1L); break;
  }

  requests_.fetch_add(1, std::memory_order_relaxed);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &x.status);
  if (rc == CURLE_WRITE_ERROR && x.empty_object) return Status::success();
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && x.overflow)) {
    return Error::unavailable(x.what(config_) + ": " + (errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc)));
  }
  if (x.overflow) return Error::unavailable(x.what(config_) + ": more bytes than asked for (Range ignored?)");
  return Status::success();
}

namespace {

// "S3 PUT bucket/key: HTTP 403 InvalidAccessKeyId: The AWS Access Key Id …"
Error http_error(const std::string& what, long status, const std::string& body) {
  std::string message = what + ": HTTP " + std::to_string(status);
  std::string code = xml_field(body, "Code");
  if (!code.empty()) message += " " + code;
  std::string text = xml_field(body, "Message");
  if (!text.empty()) message += ": " + text;
  return Error::unavailable(std::move(message));
}

// A header value must not smuggle in another header.
bool safe_header_value(std::string_view value) {
  return value.find_first_of("\r\n") == std::string_view::npos;
}

}  // namespace

Status S3Client::put_stream(std::string_view key, int fd, std::int64_t size, std::string_view content_type) {
  Exchange x;
  x.method = Exchange::Method::put;
  x.key = key;
  x.content_sha = "UNSIGNED-PAYLOAD";
  x.total_timeout = false;  // a large upload takes its time; the low-speed limit catches a stall
  x.fd = fd;
  x.fd_start = ::lseek(fd, 0, SEEK_CUR);
  if (x.fd_start < 0) return Error::unavailable(x.what(config_) + ": the file cannot seek");
  x.upload_size = size;
  if (!content_type.empty() && safe_header_value(content_type)) {
    x.headers.push_back("Content-Type: " + std::string(content_type));
  }
  if (auto st = perform(x); !st) return st;
  if (x.status / 100 != 2) return http_error(x.what(config_), x.status, x.error_body);
  return Status::success();
}

Status S3Client::put_bytes(std::string_view key, std::string_view bytes, std::string_view content_type) {
  Exchange x;
  x.method = Exchange::Method::put;
  x.key = key;
  x.content_sha = sha256_hex(bytes);
  x.bytes = bytes;
  x.all_bytes = bytes;
  x.upload_size = static_cast<std::int64_t>(bytes.size());
  if (!content_type.empty() && safe_header_value(content_type)) {
    x.headers.push_back("Content-Type: " + std::string(content_type));
  }
  if (auto st = perform(x); !st) return st;
  if (x.status / 100 != 2) return http_error(x.what(config_), x.status, x.error_body);
  return Status::success();
}

Result<S3Client::Range> S3Client::get_range(std::string_view key, std::int64_t offset, std::span<char> out) {
  if (out.empty()) return Error::internal("S3 get_range of no bytes");
  Exchange x;
  x.method = Exchange::Method::get;
  x.key = key;
  x.content_sha = "UNSIGNED-PAYLOAD";
  x.sink = out;
  x.headers.push_back("Range: bytes=" + std::to_string(offset) + "-" +
                      std::to_string(offset + static_cast<std::int64_t>(out.size()) - 1));
  if (auto st = perform(x); !st) return st.error();
  if (x.status == 404) return Error::not_found("no such media blob");
  // 416 on a range starting at 0: the object exists and is empty.
  if (x.status == 416 && offset == 0) return Range{0, 0};
  if (x.status == 206 && x.range_total >= 0) return Range{x.got, x.range_total};
  if (x.status == 200 && offset == 0) return Range{x.got, static_cast<std::int64_t>(x.got)};  // Range ignored, all fit
  if (x.status / 100 == 2) return Error::unavailable(x.what(config_) + ": unexpected reply to a Range request");
  return http_error(x.what(config_), x.status, x.error_body);
}

Status S3Client::remove(std::string_view key) {
  Exchange x;
  x.method = Exchange::Method::del;
  x.key = key;
  x.content_sha = "UNSIGNED-PAYLOAD";
  if (auto st = perform(x); !st) return st;
  if (x.status / 100 == 2 || x.status == 404) return Status::success();
  return http_error(x.what(config_), x.status, x.error_body);
}

Status S3Client::head_bucket() {
  Exchange x;
  x.method = Exchange::Method::head;
  x.content_sha = "UNSIGNED-PAYLOAD";
  if (auto st = perform(x); !st) return st;
  if (x.status == 200) return Status::success();
  // A HEAD reply has no body, so no S3 error code: name the usual causes.
  std::string hint = x.status == 404 ? " (no such bucket)"
                     : x.status == 403 ? " (credentials refused)"
                                       : "";
  return Error::unavailable(x.what(config_) + ": HTTP " + std::to_string(x.status) + hint);
}

}  // namespace parley::media
