#include "media/preview_protocol.hpp"

#include "common/utf8.hpp"

namespace parley::media::preview_protocol {
namespace {

class Writer {
 public:
  void u8(std::uint8_t v) { out_ += static_cast<char>(v); }
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xFF);
  }
  void i32(std::int32_t v) { u32(static_cast<std::uint32_t>(v)); }
  void i64(std::int64_t v) {
    const auto u = static_cast<std::uint64_t>(v);
    u32(static_cast<std::uint32_t>(u & 0xFFFFFFFFu));
    u32(static_cast<std::uint32_t>(u >> 32));
  }
  void str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_ += s;
  }
  // The payload behind its length prefix.
  std::string frame() const {
    Writer prefix;
    prefix.u32(static_cast<std::uint32_t>(out_.size()));
    return prefix.out_ + out_;
  }

 private:
  std::string out_;
};

// Reads from untrusted bytes: every read checks what remains; after the first
// failure every read fails (ok() false) and returns zeros.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool at_end() const { return ok_ && in_.empty(); }

  std::uint8_t u8() {
    if (!take(1)) return 0;
    return static_cast<std::uint8_t>(last_[0]);
  }
  std::uint32_t u32() {
    if (!take(4)) return 0;
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(last_[static_cast<std::size_t>(i)]);
    return v;
  }
  std::int32_t i32() { return static_cast<std::int32_t>(u32()); }
  std::int64_t i64() {
    const std::uint64_t low = u32(), high = u32();
    return static_cast<std::int64_t>(high << 32 | low);
  }
  std::string_view str(std::uint32_t cap) {
    const auto length = u32();
    if (!ok_ || length > cap || !take(length)) {
      ok_ = false;
      return {};
    }
    return last_;
  }

 private:
  bool take(std::size_t n) {
    if (!ok_ || in_.size() < n) {
      ok_ = false;
      return false;
    }
    last_ = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  std::string_view in_, last_;
  bool ok_ = true;
};

Error garbage(const char* what) {
  return Error::bad_request("image_refused", std::string("the preview process answered garbage: ") + what);
}

bool is_code(std::string_view code) {
  if (code.empty() || code.size() > 64) return false;
  for (char c : code)
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  return true;
}

}  // namespace

std::string encode_request(const Request& request) {
  Writer w;
  w.str(request.path);
  w.u32(static_cast<std::uint32_t>(request.max_sides.size()));
  for (int side : request.max_sides) w.i32(side);
  w.i64(request.max_pixels);
  w.i64(request.max_input_bytes);
  return w.frame();
}

std::optional<Request> decode_request(std::string_view payload) {
  Reader r(payload);
  Request request;
  request.path = std::string(r.str(4096));
  const auto count = r.u32();
  if (!r.ok() || count == 0 || count > 16) return std::nullopt;
  for (std::uint32_t i = 0; i < count; ++i) request.max_sides.push_back(r.i32());
  request.max_pixels = r.i64();
  request.max_input_bytes = r.i64();
  if (!r.at_end() || request.path.empty()) return std::nullopt;
  return request;
}

std::string encode_answer(const Result<Previews>& answer) {
  Writer w;
  if (!answer) {
    w.u8(0);
    w.u8(static_cast<std::uint8_t>(answer.error().kind));
    w.str(answer.error().code);
    w.str(answer.error().message.substr(0, 1024));
    return w.frame();
  }
  w.u8(1);
  w.i32(answer->width);
  w.i32(answer->height);
  w.u32(static_cast<std::uint32_t>(answer->thumbnails.size()));
  for (const auto& t : answer->thumbnails) {
    w.i32(t.max_side);
    w.i32(t.width);
    w.i32(t.height);
    w.str(t.content_type);
    w.str(t.bytes);
  }
  return w.frame();
}

std::optional<std::uint32_t> frame_length(std::string_view prefix4, std::uint32_t cap) {
  Reader r(prefix4);
  const auto length = r.u32();
  if (!r.at_end() || length > cap) return std::nullopt;
  return length;
}

Result<Previews> decode_answer(std::string_view payload, const std::vector<int>& max_sides) {
  Reader r(payload);
  const auto ok = r.u8();
  if (!r.ok()) return garbage("empty");
  if (ok == 0) {
    const auto kind = static_cast<ErrorKind>(r.u8());
    const auto code = r.str(64);
    const auto message = r.str(1024);
    if (!r.at_end()) return garbage("a malformed refusal");
    if ((kind != ErrorKind::bad_request && kind != ErrorKind::unsupported_media_type) || !is_code(code) ||
        !is_valid_utf8(message))
      return garbage("an unexpected refusal");
    return Error{kind, std::string(code), std::string(message)};
  }
  if (ok != 1) return garbage("an unknown answer");
  Previews previews;
  previews.width = r.i32();
  previews.height = r.i32();
  const auto count = r.u32();
  if (!r.ok() || previews.width < 1 || previews.height < 1 || count != max_sides.size())
    return garbage("bad dimensions or count");
  for (std::uint32_t i = 0; i < count; ++i) {
    Thumbnail t;
    t.max_side = r.i32();
    t.width = r.i32();
    t.height = r.i32();
    t.content_type = std::string(r.str(32));
    t.bytes = std::string(r.str(kMaxAnswerBytes));
    if (!r.ok()) return garbage("a truncated thumbnail");
    // The size asked for, within it, no larger than the original, and a WebP file.
    if (t.max_side != max_sides[i] || t.width < 1 || t.height < 1 || t.width > t.max_side ||
        t.height > t.max_side || t.width > previews.width || t.height > previews.height ||
        t.content_type != "image/webp" || t.bytes.size() < 12 || t.bytes.compare(0, 4, "RIFF") != 0 ||
        t.bytes.compare(8, 4, "WEBP") != 0)
      return garbage("an inconsistent thumbnail");
    previews.thumbnails.push_back(std::move(t));
  }
  if (!r.at_end()) return garbage("trailing bytes");
  return previews;
}

}  // namespace parley::media::preview_protocol
