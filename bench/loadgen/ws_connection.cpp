#include "ws_connection.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.hpp"

namespace parley::bench {

ReadCounters g_read_counters;

namespace {

// One read buffer for the whole (single-threaded) process: only a partial frame left at
// its end is copied into the connection.
constexpr std::size_t kScratchSize = 256 * 1024;
char g_scratch[kScratchSize];

// Reads per readiness event before yielding to the other connections.
constexpr int kMaxReadsPerEvent = 16;
// Sends per flush; a socket that takes nothing more is resumed by EPOLLOUT.
constexpr int kMaxSendsPerFlush = 16;
// Larger messages than this are a protocol error for the generator.
constexpr std::uint64_t kMaxMessage = 64ull << 20;
// The upgrade answer must fit in this many bytes.
constexpr std::size_t kMaxUpgradeAnswer = 16 * 1024;

constexpr std::uint8_t kOpContinuation = 0x0;
constexpr std::uint8_t kOpText = 0x1;
constexpr std::uint8_t kOpClose = 0x8;
constexpr std::uint8_t kOpPing = 0x9;
constexpr std::uint8_t kOpPong = 0xA;

std::uint64_t read_be(const unsigned char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

WsConnection::~WsConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool WsConnection::start(const sockaddr_in& server, std::uint32_t source_ip, std::string_view host,
                         std::string_view path) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    state_ = State::closed;
    listener_.on_ws_closed(*this, errno == EMFILE || errno == ENFILE ? "no_fd" : "socket");
    return false;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  mask_seed_ ^= static_cast<std::uint32_t>(fd_) * 2654435761u;
  if (source_ip != 0) {
    // The port is chosen at connect() time, per destination: many source addresses then
    // give many times the ephemeral port range.
    setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = source_ip;
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
      close("bind");
      return false;
    }
  }
  state_ = State::connecting;
  out_.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host);
  out_.append(
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0 && errno != EINPROGRESS) {
    close(errno == ECONNREFUSED ? "refused" : errno == EADDRNOTAVAIL ? "no_port" : "connect");
    return false;
  }
  // Edge-triggered registration reports the current state: a connect that already
  // finished shows up as EPOLLOUT at once.
  if (!loop_.add(fd_, this)) {
    close("epoll");
    return false;
  }
  return true;
}

void WsConnection::on_events(std::uint32_t events) {
  if (state_ == State::closed) return;
  if (state_ == State::connecting) {
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
    on_connected();
    if (state_ == State::closed) return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable();
  if (state_ != State::closed && (events & EPOLLOUT) && queued_bytes() != 0) flush();
}

void WsConnection::on_connected() {
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    close(err == ECONNREFUSED ? "refused" : err == ETIMEDOUT ? "timeout" : "connect");
    return;
  }
  state_ = State::upgrading;
  flush();  // the upgrade request queued by start()
}

void WsConnection::on_readable() {
  for (int i = 0; i < kMaxReadsPerEvent; ++i) {
    const ssize_t n = ::recv(fd_, g_scratch, kScratchSize, 0);
    if (n == 0) {
      close("eof");
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) close(errno == ECONNRESET ? "reset" : "recv");
      return;
    }
    const std::uint64_t now = now_ns();
    const auto size = static_cast<std::size_t>(n);
    ++g_read_counters.reads;
    if (in_.empty()) {
      const long used = consume(g_scratch, size, now);
      if (used < 0) return;
      in_.assign(g_scratch + used, size - static_cast<std::size_t>(used));
    } else {
      in_.append(g_scratch, size);
      const long used = consume(in_.data(), in_.size(), now);
      if (used < 0) return;
      in_.erase(0, static_cast<std::size_t>(used));
    }
    if (queued_bytes() != 0) flush();  // pongs and whatever the listener answered
    if (state_ == State::closed) return;
    // A short read drained the socket: with edge triggering, anything that arrives
    // later raises a new event.
    if (size < kScratchSize) return;
  }
  loop_.defer_read(this);
}

long WsConnection::consume_upgrade(const char* data, std::size_t size) {
  const std::string_view text(data, size);
  const std::size_t end = text.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (size > kMaxUpgradeAnswer) {
      close("bad_upgrade");
      return -1;
    }
    return 0;
  }
  if (!text.starts_with("HTTP/1.1 101")) {
    close("upgrade_refused");
    return -1;
  }
  state_ = State::open;
  listener_.on_ws_open(*this);
  return state_ == State::closed ? -1 : static_cast<long>(end + 4);
}

long WsConnection::consume(const char* data, std::size_t size, std::uint64_t now) {
  std::size_t pos = 0;
  if (state_ == State::upgrading) {
    const long used = consume_upgrade(data, size);
    if (used <= 0) return used;
    pos = static_cast<std::size_t>(used);
  }
  while (size - pos >= 2) {
    const auto* p = reinterpret_cast<const unsigned char*>(data + pos);
    const bool fin = (p[0] & 0x80) != 0;
    const std::uint8_t opcode = p[0] & 0x0F;
    if (p[1] & 0x80) {  // a server never masks (RFC 6455 §5.1)
      close("masked_frame");
      return -1;
    }
    std::uint64_t length = p[1] & 0x7F;
    std::size_t header = 2;
    if (length == 126) {
      if (size - pos < 4) break;
      length = read_be(p + 2, 2);
      header = 4;
    } else if (length == 127) {
      if (size - pos < 10) break;
      length = read_be(p + 2, 8);
      header = 10;
    }
    if (length > kMaxMessage) {
      close("frame_too_big");
      return -1;
    }
    if (size - pos - header < length) break;
    const std::string_view payload(data + pos + header, static_cast<std::size_t>(length));
    pos += header + static_cast<std::size_t>(length);
    if (opcode == kOpText || opcode == kOpContinuation) ++g_read_counters.frames;
    switch (opcode) {
      case kOpText:
        if (fin) {
          listener_.on_ws_text(*this, payload, now);
        } else {
          message_.assign(payload);
        }
        break;
      case kOpContinuation:
        message_.append(payload);
        if (message_.size() > kMaxMessage) {
          close("message_too_big");
          return -1;
        }
        if (fin) {
          listener_.on_ws_text(*this, message_, now);
          message_.clear();
        }
        break;
      case kOpClose:
        close("server_close");
        return -1;
      case kOpPing:
        queue_frame(kOpPong, payload);
        break;
      case kOpPong:
        break;
      default:
        break;  // binary: the generator sends none and expects none
    }
    if (state_ == State::closed) return -1;
  }
  return static_cast<long>(pos);
}

void WsConnection::queue_text(std::string_view payload) { queue_frame(kOpText, payload); }

void WsConnection::queue_frame(std::uint8_t opcode, std::string_view payload) {
  const std::size_t n = payload.size();
  const std::size_t header = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
  const std::size_t old = out_.size();
  out_.resize(old + header + 4 + n);
  auto* p = reinterpret_cast<unsigned char*>(out_.data() + old);
  p[0] = static_cast<unsigned char>(0x80 | opcode);
  if (n < 126) {
    p[1] = static_cast<unsigned char>(0x80 | n);
  } else if (n <= 0xFFFF) {
    p[1] = 0x80 | 126;
    p[2] = static_cast<unsigned char>(n >> 8);
    p[3] = static_cast<unsigned char>(n);
  } else {
    p[1] = 0x80 | 127;
    for (int i = 0; i < 8; ++i) p[2 + i] = static_cast<unsigned char>(static_cast<std::uint64_t>(n) >> (56 - 8 * i));
  }
  // A fresh masking key per frame (xorshift): clients must mask, and servers unmask
  // every byte, so the generator does not hand them an all-zero key.
  mask_seed_ ^= mask_seed_ << 13;
  mask_seed_ ^= mask_seed_ >> 17;
  mask_seed_ ^= mask_seed_ << 5;
  unsigned char* mask = p + header;
  std::memcpy(mask, &mask_seed_, 4);
  unsigned char* body = mask + 4;
  const auto* src = reinterpret_cast<const unsigned char*>(payload.data());
  for (std::size_t i = 0; i < n; ++i) body[i] = src[i] ^ mask[i & 3];
}

void WsConnection::flush() {
  if (state_ == State::closed || state_ == State::connecting) return;
  for (int i = 0; i < kMaxSendsPerFlush && out_sent_ < out_.size(); ++i) {
    const ssize_t n = ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (n > 0) {
      out_sent_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // EPOLLOUT resumes
    close(errno == EPIPE || errno == ECONNRESET ? "reset" : "send");
    return;
  }
  if (out_sent_ == out_.size()) {
    out_.clear();
    out_sent_ = 0;
  }
}

void WsConnection::close(std::string_view why) {
  if (state_ == State::closed) return;
  state_ = State::closed;
  if (fd_ >= 0) {
    loop_.remove(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  std::string().swap(in_);
  std::string().swap(out_);
  std::string().swap(message_);
  out_sent_ = 0;
  listener_.on_ws_closed(*this, why);
}

}  // namespace parley::bench
