#pragma once
// One server-side WebSocket connection after the opening handshake: reads frames, hands
// whole messages to its listener, and writes queued frames with gather writes.
//
// Memory: no per-connection read buffer while idle. The connection waits for readability
// (async_wait), then reads non-blocking into its thread's shared buffer; the reader keeps
// only a partial frame. The send queue holds references to shared immutable frames.
//
// Writes: send() only queues; at the end of the batch (ThreadContext) everything queued is
// written in one sendmsg() (up to kMaxIov frames per call). If the socket is full, the
// rest waits for writability while new frames keep queuing behind it, so a busy
// connection writes many frames per system call.
//
// Close: close() queues a close frame after what is queued, then lingers (bounded) for the
// peer's close frame before closing TCP; abort() closes at once. After close()/abort() or
// on_ws_closed() the listener gets no more calls.
//
// Thread-safety: lives on one IO thread; every method must be called there.
// Ownership: shared_ptr; pending asynchronous operations hold a reference, and the owner
// (an Engine.IO session) holds one while it uses the connection.
// Destruction: on its IO thread. Every reference lives there (the session, the pending
// operations, the scheduled flush, the thread's lingering list), so the last one is
// dropped there; never give a shared_ptr<Connection> to another thread (a socket that
// changes threads for an upgrade does so as a bare descriptor, before any Connection
// exists). After the IO threads have stopped, the thread that destroys the io_context
// drops what its queued handlers held.

#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "realtime/websocket/deflate.hpp"
#include "realtime/websocket/out_frame.hpp"
#include "realtime/io/thread_context.hpp"
#include "realtime/websocket/message_reader.hpp"

namespace parley::websocket {

class Connection final : public std::enable_shared_from_this<Connection>,
                         public realtime::Flushable,
                         public realtime::Lingering {
 public:
  class Listener {
   public:
    // A complete message (text is valid UTF-8). The view is valid during the call only.
    virtual void on_ws_message(Connection& connection, bool binary, std::string_view payload) = 0;
    // The connection ended without our close(): the peer closed it (`code` from its close
    // frame, 1005 if none), broke the protocol (the code we closed with), or the transport
    // failed (1006). Called at most once.
    virtual void on_ws_closed(Connection& connection, std::uint16_t code) = 0;

   protected:
    ~Listener() = default;
  };

  static constexpr std::size_t kMaxIov = 256;

  Connection(realtime::ThreadContext& thread, boost::asio::ip::tcp::socket socket, std::size_t max_message_bytes);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts reading. `initial`: bytes that arrived with the HTTP request (may hold frames).
  void start(std::string initial);
  void set_listener(Listener* listener) noexcept { listener_ = listener; }
  // permessage-deflate was negotiated (deflate.hpp): frames whose payload has at least
  // `threshold` bytes go out compressed, and compressed messages are accepted. Before start().
  void enable_deflate(const DeflateParams& params, std::size_t threshold);

  // Queues a frame. False when the connection no longer sends (closing or closed).
  bool send(realtime::FrameRef frame);
  // Bytes queued and not yet written.
  std::size_t queued_bytes() const noexcept { return queued_bytes_; }
  bool is_open() const noexcept { return state_ == State::open; }

  // Graceful close (see above). No-op unless open.
  void close(std::uint16_t code, std::string_view reason = {});
  // Closes TCP now, dropping what is queued.
  void abort();

  realtime::ThreadContext& thread() noexcept { return thread_; }

 private:
  enum class State : std::uint8_t { open, closing, closed };

  void do_wait_read();
  void on_readable(boost::system::error_code ec);
  bool process(std::span<char> input);  // false: stop reading
  bool deliver_compressed(const ReadEvent& event);  // false: the message was refused
  void flush() override;
  void do_write();
  void do_wait_write();
  void on_writable(boost::system::error_code ec);
  void on_drained();
  void linger_expired() override;
  void fail(std::uint16_t code);
  void notify_closed(std::uint16_t code);
  void close_socket();
  void schedule_flush();

  realtime::ThreadContext& thread_;
  boost::asio::ip::tcp::socket socket_;
  MessageReader reader_;
  Listener* listener_ = nullptr;
  std::vector<realtime::FrameRef> queue_;
  std::size_t head_ = 0;         // first frame not completely written
  std::size_t head_offset_ = 0;  // bytes of queue_[head_] already written
  std::size_t queued_bytes_ = 0;
  std::size_t max_message_;
  // SIZE_MAX: no compression (OutFrame::wire_deflated then returns the plain frame).
  std::size_t deflate_threshold_ = SIZE_MAX;
  std::unique_ptr<Inflater> inflater_;  // only when permessage-deflate was negotiated
  std::shared_ptr<Connection> flush_keepalive_;  // while a flush is scheduled
  State state_ = State::open;
  bool waiting_write_ = false;
  bool close_sent_ = false;      // our close frame is completely written
  bool close_queued_ = false;
  bool peer_closed_ = false;     // the peer's close frame arrived
};

}  // namespace parley::websocket
