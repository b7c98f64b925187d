#include "realtime/websocket/connection.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

#include "common/utf8.hpp"

namespace parley::websocket {

namespace asio = boost::asio;
using realtime::ThreadCounters;

namespace {

// How long a closing connection waits for the peer's close frame.
constexpr std::chrono::milliseconds kLinger{1000};
// Reads per readiness event before yielding to other connections.
constexpr int kReadRounds = 4;
// A send queue with more slots than this is shrunk once drained.
constexpr std::size_t kKeepQueueSlots = 16;

}  // namespace

Connection::Connection(realtime::ThreadContext& thread, asio::ip::tcp::socket socket, std::size_t max_message_bytes)
    : thread_(thread), socket_(std::move(socket)), reader_(max_message_bytes), max_message_(max_message_bytes) {
  // read_some() must return would_block rather than wait. The HTTP server sets
  // both this and TCP_NODELAY when it accepts (http/listener.hpp); the check
  // spares an ioctl per handshake.
  if (!socket_.non_blocking()) {
    boost::system::error_code ec;
    socket_.non_blocking(true, ec);
  }
}

Connection::~Connection() = default;

void Connection::enable_deflate(const DeflateParams& params, std::size_t threshold) {
  deflate_threshold_ = threshold;
  reader_.allow_compressed();
  inflater_ = std::make_unique<Inflater>(!params.client_no_context_takeover);
}

void Connection::start(std::string initial) {
  if (!initial.empty() && !process({initial.data(), initial.size()})) return;
  if (state_ != State::closed) do_wait_read();
}

// ---- reading ----

void Connection::do_wait_read() {
  socket_.async_wait(asio::socket_base::wait_read,
                     [self = shared_from_this()](boost::system::error_code ec) { self->on_readable(ec); });
}

void Connection::on_readable(boost::system::error_code ec) {
  if (state_ == State::closed) return;
  thread_.enter();
  if (ec) {
    notify_closed(close_code::abnormal);
    return close_socket();
  }
  const std::span<char> buffer = thread_.read_buffer();
  for (int round = 0; round < kReadRounds; ++round) {
    boost::system::error_code read_ec;
    const std::size_t n = socket_.read_some(asio::buffer(buffer.data(), buffer.size()), read_ec);
    if (read_ec == asio::error::would_block || read_ec == asio::error::try_again) break;
    if (read_ec == asio::error::interrupted) continue;
    if (read_ec) {
      // EOF or reset. After our close frame went out this is the normal end.
      notify_closed(close_code::abnormal);
      return close_socket();
    }
    ThreadCounters::add(thread_.counters().bytes_received, n);
    if (!process(buffer.first(n))) return;
    if (n < buffer.size()) break;
  }
  if (state_ != State::closed) do_wait_read();
}

bool Connection::process(std::span<char> input) {
  while (true) {
    const ReadEvent event = reader_.next(input);
    switch (event.kind) {
      case ReadEvent::Kind::need_more:
        return true;
      case ReadEvent::Kind::text:
      case ReadEvent::Kind::binary:
        ThreadCounters::add(thread_.counters().messages_received, 1);
        if (event.compressed) {
          if (!deliver_compressed(event)) return state_ != State::closed;
        } else if (state_ == State::open && listener_ != nullptr) {
          listener_->on_ws_message(*this, event.kind == ReadEvent::Kind::binary, event.payload);
        }
        if (state_ == State::closed) return false;
        break;
      case ReadEvent::Kind::ping:
        if (state_ == State::open) send(realtime::make_control_frame(Opcode::pong, event.payload));
        break;
      case ReadEvent::Kind::pong:
        break;
      case ReadEvent::Kind::close: {
        peer_closed_ = true;
        if (state_ == State::open) {
          // Echo the code (RFC 6455 §5.5.1), then close TCP once it is written.
          const std::uint16_t code = event.code == close_code::no_status ? close_code::normal : event.code;
          Listener* listener = listener_;
          close(code);
          if (listener) listener->on_ws_closed(*this, event.code);
          return state_ != State::closed;
        }
        if (close_sent_) {
          close_socket();
          return false;
        }
        return true;  // our close frame is still being written; on_drained() finishes
      }
      case ReadEvent::Kind::error:
        // While closing, whatever else the peer sends is discarded (the reader stays in its
        // error state); the linger deadline or the peer's EOF ends the connection.
        if (state_ != State::open) return true;
        fail(event.code);
        return state_ != State::closed;
    }
  }
}

bool Connection::deliver_compressed(const ReadEvent& event) {
  // One buffer per thread: a message is handed out and done with before the next.
  thread_local std::string inflated;
  const Inflater::Result result =
      inflater_ ? inflater_->inflate(event.payload, inflated, max_message_) : Inflater::Result::corrupt;
  if (result != Inflater::Result::ok || (event.kind == ReadEvent::Kind::text && !is_valid_utf8(inflated))) {
    if (state_ == State::open) {
      fail(result == Inflater::Result::too_big ? close_code::message_too_big : close_code::invalid_payload);
    }
    return false;
  }
  if (state_ == State::open && listener_ != nullptr)
    listener_->on_ws_message(*this, event.kind == ReadEvent::Kind::binary, inflated);
  if (inflated.capacity() > (64u << 10)) std::string().swap(inflated);
  return true;
}

// ---- writing ----

bool Connection::send(realtime::FrameRef frame) {
  if (state_ != State::open) return false;
  queued_bytes_ += frame->wire_deflated(deflate_threshold_).size();
  queue_.push_back(std::move(frame));
  schedule_flush();
  return true;
}

void Connection::schedule_flush() {
  if (waiting_write_ || flush_keepalive_) return;
  flush_keepalive_ = shared_from_this();
  thread_.schedule_flush(*this);
}

void Connection::flush() {
  const auto self = std::move(flush_keepalive_);
  if (state_ == State::closed || waiting_write_) return;
  do_write();
}

void Connection::do_write() {
  iovec iov[kMaxIov];
  while (head_ < queue_.size()) {
    std::size_t count = 0;
    std::size_t requested = 0;
    for (std::size_t i = head_; i < queue_.size() && count < kMaxIov; ++i, ++count) {
      std::string_view bytes = queue_[i]->wire_deflated(deflate_threshold_);
      if (i == head_) bytes.remove_prefix(head_offset_);
      iov[count].iov_base = const_cast<char*>(bytes.data());
      iov[count].iov_len = bytes.size();
      requested += bytes.size();
    }
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = count;
    const ssize_t written = ::sendmsg(socket_.native_handle(), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (written < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return do_wait_write();
      notify_closed(close_code::abnormal);
      return close_socket();
    }
    auto& counters = thread_.counters();
    ThreadCounters::add(counters.write_calls, 1);
    ThreadCounters::add(counters.bytes_sent, static_cast<std::uint64_t>(written));
    queued_bytes_ -= static_cast<std::size_t>(written);
    std::size_t left = static_cast<std::size_t>(written);
    std::uint64_t frames = 0;
    while (left > 0) {
      const std::size_t rest = queue_[head_]->wire_deflated(deflate_threshold_).size() - head_offset_;
      if (left < rest) {
        head_offset_ += left;
        break;
      }
      left -= rest;
      if (queue_[head_]->kind() != realtime::OutFrame::Kind::raw) ++frames;
      queue_[head_].reset();
      ++head_;
      head_offset_ = 0;
    }
    // Zero-length frames cannot exist (every frame has a header), so head_ is exact.
    ThreadCounters::add(counters.frames_sent, frames);
    if (static_cast<std::size_t>(written) < requested) return do_wait_write();
  }
  on_drained();
}

void Connection::do_wait_write() {
  waiting_write_ = true;
  socket_.async_wait(asio::socket_base::wait_write,
                     [self = shared_from_this()](boost::system::error_code ec) { self->on_writable(ec); });
}

void Connection::on_writable(boost::system::error_code ec) {
  waiting_write_ = false;
  if (state_ == State::closed) return;
  thread_.enter();
  if (ec) {
    notify_closed(close_code::abnormal);
    return close_socket();
  }
  do_write();
}

void Connection::on_drained() {
  head_ = 0;
  head_offset_ = 0;
  if (queue_.capacity() > kKeepQueueSlots) {
    std::vector<realtime::FrameRef>().swap(queue_);
  } else {
    queue_.clear();
  }
  if (close_queued_ && !close_sent_) {
    close_sent_ = true;
    boost::system::error_code ec;
    if (peer_closed_) return close_socket();
    // Our close frame is out: half-close, and wait (lingering) for the peer to answer.
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  }
}

// ---- closing ----

void Connection::notify_closed(std::uint16_t code) {
  if (Listener* listener = listener_) {
    listener_ = nullptr;
    listener->on_ws_closed(*this, code);
  }
}

void Connection::fail(std::uint16_t code) {
  // Close first, so that the listener's reaction (closing too) does not pick another code.
  Listener* listener = listener_;
  close(code);
  if (listener) listener->on_ws_closed(*this, code);
}

void Connection::close(std::uint16_t code, std::string_view reason) {
  if (state_ != State::open) return;
  listener_ = nullptr;
  state_ = State::closing;
  close_queued_ = true;
  auto frame = realtime::make_control_frame(Opcode::close, close_payload(code, reason));
  queued_bytes_ += frame->wire().size();
  queue_.push_back(std::move(frame));
  schedule_flush();
  thread_.linger(shared_from_this(), realtime::ThreadContext::Clock::now() + kLinger);
}

void Connection::abort() {
  listener_ = nullptr;
  close_socket();
}

void Connection::linger_expired() { close_socket(); }

void Connection::close_socket() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  listener_ = nullptr;
  boost::system::error_code ec;
  socket_.close(ec);
  queue_.clear();
  queue_.shrink_to_fit();
  head_ = head_offset_ = queued_bytes_ = 0;
}

}  // namespace parley::websocket
