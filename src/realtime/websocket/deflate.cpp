#include "realtime/websocket/deflate.hpp"

#include <zlib.h>

#include <array>
#include <cstring>
#include <vector>

#include "common/header_tokens.hpp"

namespace parley::websocket {
namespace {

constexpr int kWindowBits = 15;
constexpr std::array<unsigned char, 4> kTail{0x00, 0x00, 0xFF, 0xFF};

// A window-bits value: 8..15, no leading zero, optionally quoted (RFC 7692 §7.1.2).
bool valid_bits(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty() || v.size() > 2 || v.front() == '0') return false;
  int n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  return n >= 8 && n <= 15;
}

std::optional<DeflateParams> accept_offer(std::string_view offer) {
  DeflateParams params;
  bool seen_server_nct = false, seen_client_nct = false, seen_client_bits = false;
  std::size_t start = 0;
  bool first = true;
  while (start <= offer.size()) {
    const std::size_t semi = offer.find(';', start);
    const std::string_view part = trim_ows(offer.substr(start, semi == std::string_view::npos ? std::string_view::npos : semi - start));
    start = semi == std::string_view::npos ? offer.size() + 1 : semi + 1;
    if (first) {
      if (!iequals_ascii(part, "permessage-deflate")) return std::nullopt;
      first = false;
      continue;
    }
    const std::size_t eq = part.find('=');
    const std::string_view name = trim_ows(part.substr(0, eq));
    const std::string_view value = eq == std::string_view::npos ? std::string_view{} : trim_ows(part.substr(eq + 1));
    if (iequals_ascii(name, "server_no_context_takeover") && eq == std::string_view::npos && !seen_server_nct) {
      seen_server_nct = true;
    } else if (iequals_ascii(name, "client_no_context_takeover") && eq == std::string_view::npos && !seen_client_nct) {
      seen_client_nct = true;
    } else if (iequals_ascii(name, "client_max_window_bits") && !seen_client_bits &&
               (eq == std::string_view::npos || valid_bits(value))) {
      // The client may use up to 15 bits; answering without the parameter keeps that.
      seen_client_bits = true;
    } else if (iequals_ascii(name, "server_max_window_bits") && eq != std::string_view::npos && valid_bits(value) &&
               (value == "15" || value == "\"15\"")) {
      // Only the full window is accepted: every frame is compressed once, with 15 bits.
    } else {
      return std::nullopt;  // unknown, repeated or unacceptable parameter: decline this offer
    }
  }
  return params;
}

struct Deflater {
  z_stream stream{};
  bool ready = false;
  Deflater() {
    // Level 6 (zlib's default), memLevel 8: ≈ 256 KiB per IO thread, not per connection.
    ready = deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -kWindowBits, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~Deflater() {
    if (ready) deflateEnd(&stream);
  }
};

struct SharedInflater {
  z_stream stream{};
  bool ready = false;
  SharedInflater() { ready = inflateInit2(&stream, -kWindowBits) == Z_OK; }
  ~SharedInflater() {
    if (ready) inflateEnd(&stream);
  }
};

Inflater::Result run_inflate(z_stream& stream, std::string_view compressed, std::string& out, std::size_t max_bytes) {
  out.clear();
  std::array<char, 16 * 1024> chunk{};
  // The message, then the tail the sender stripped (RFC 7692 §7.2.2).
  const std::array<std::string_view, 2> inputs{compressed,
                                               {reinterpret_cast<const char*>(kTail.data()), kTail.size()}};
  for (std::string_view input : inputs) {
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    stream.avail_in = static_cast<uInt>(input.size());
    do {
      stream.next_out = reinterpret_cast<Bytef*>(chunk.data());
      stream.avail_out = static_cast<uInt>(chunk.size());
      const int rc = inflate(&stream, Z_SYNC_FLUSH);
      if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) return Inflater::Result::corrupt;
      const std::size_t produced = chunk.size() - stream.avail_out;
      if (out.size() + produced > max_bytes) return Inflater::Result::too_big;
      out.append(chunk.data(), produced);
      if (rc == Z_STREAM_END || (rc == Z_BUF_ERROR && produced == 0)) break;
    } while (stream.avail_in > 0 || stream.avail_out == 0);
  }
  return Inflater::Result::ok;
}

}  // namespace

std::optional<DeflateParams> negotiate_deflate(std::string_view offers) {
  // Offers are comma-separated; parameter values never contain a comma.
  std::size_t start = 0;
  while (start <= offers.size()) {
    const std::size_t comma = offers.find(',', start);
    const std::string_view offer =
        trim_ows(offers.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (auto params = accept_offer(offer)) return params;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return std::nullopt;
}

std::string deflate_response_header(const DeflateParams& params) {
  std::string line = "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover";
  if (params.client_no_context_takeover) line += "; client_no_context_takeover";
  line += "\r\n";
  return line;
}

bool deflate_message(std::string_view payload, std::string& out) {
  thread_local Deflater deflater;
  if (!deflater.ready) return false;
  z_stream& stream = deflater.stream;
  deflateReset(&stream);  // no context takeover: every message on its own
  const std::size_t base = out.size();
  out.resize(base + deflateBound(&stream, payload.size()) + 16);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
  stream.avail_in = static_cast<uInt>(payload.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data() + base);
  stream.avail_out = static_cast<uInt>(out.size() - base);
  if (deflate(&stream, Z_SYNC_FLUSH) != Z_OK || stream.avail_in != 0 || stream.avail_out == 0) {
    out.resize(base);
    return false;
  }
  std::size_t size = out.size() - base - stream.avail_out;
  if (size >= kTail.size() && std::memcmp(out.data() + base + size - kTail.size(), kTail.data(), kTail.size()) == 0) {
    size -= kTail.size();
  }
  out.resize(base + size);
  return true;
}

Inflater::~Inflater() {
  if (own_ != nullptr) {
    inflateEnd(own_);
    delete own_;
  }
}

Inflater::Result Inflater::inflate(std::string_view compressed, std::string& out, std::size_t max_bytes) {
  if (!takeover_) {
    thread_local SharedInflater shared;
    if (!shared.ready) return Result::corrupt;
    inflateReset(&shared.stream);
    return run_inflate(shared.stream, compressed, out, max_bytes);
  }
  if (own_ == nullptr) {
    own_ = new z_stream{};
    if (inflateInit2(own_, -kWindowBits) != Z_OK) {
      delete own_;
      own_ = nullptr;
      return Result::corrupt;
    }
  }
  return run_inflate(*own_, compressed, out, max_bytes);
}

}  // namespace parley::websocket
