#pragma once
// One HTTP/1.1 connection: reads requests (keep-alive), routes them, answers
// from a route's in-memory handler when it can, else runs the route's handler
// on the worker pool, writes responses, logs one access line each.
// Tracing: a request's `traceparent` is continued (else a trace starts), the
// response carries this server's, and the thread that works for the request
// (IO thread, worker) has its trace set (trace::TraceScope) so that every log
// line carries the trace id; a request slower than --slow-ms is logged once at
// warn with its stages.
// Bounds: header bytes, body bytes (413), and a deadline for every request read
// (a client that dribbles bytes is cut off).
//
// The head of a request is read first. A streaming route (router.hpp: uploads)
// is asked on a worker whether it takes the body before a byte of it is read;
// its body then goes to the route's BodySink one chunk at a time (read a chunk,
// hand it to a worker, read the next once it is written). A response with a
// `stream` (downloads) goes out the same way: a worker reads a chunk, the IO
// thread writes it, then the next. Either way one connection holds one chunk
// buffer, whatever the size of the file.
//
// Thread-safety: lives on the IO thread that accepted it; the worker pool and
// the real-time layer reach it only by posting to that thread.
// Ownership: shared_ptr held by its pending async operations, and by an answer
// on its way back (a worker's handler, a real-time `respond`), which hands its
// reference over with the answer instead of keeping a copy.
// Destruction: only on its IO thread, since the destructor unregisters from that
// thread's SessionContext::sessions; or, once that thread has stopped, on the
// thread that destroys the Server (handlers still queued then are dropped).

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <variant>

#include "http/request.hpp"
#include "http/router.hpp"
#include "http/session_context.hpp"

namespace parley::http {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket&& socket, SessionContext& context);
  ~HttpSession();

  void start();
  // Shutdown: an idle connection closes now, a busy one after its response.
  void shutdown();

 private:
  enum class State { reading, handling, writing, closed };

  void do_read();
  void on_header(boost::beast::error_code ec);
  bool read_failed(boost::beast::error_code ec);
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  // Streamed request bodies (uploads).
  void start_upload(Request request, const StreamingHandler* handler, bool expect_continue);
  void on_upload_accepted(std::variant<Response, std::unique_ptr<BodySink>> answer, bool expect_continue);
  void read_upload_chunk();
  void on_upload_chunk(boost::beast::error_code ec);
  void on_upload_written(std::unique_ptr<BodySink> sink, Status written, bool done);
  void abandon_upload();
  // Streamed response bodies (downloads).
  void stream_next();
  void on_stream_read(Result<std::size_t> read);
  void dispatch(Request request);
  void on_handled(Response response);
  void on_write(bool keep_alive, boost::beast::error_code ec, std::size_t bytes);
  void reject_and_close(int status, const char* code, const char* message);
  void do_close();
  void do_discard();
  void log_access(int status, std::size_t bytes);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  // One of these at a time: the head, then the body of a buffered or a streamed request.
  std::optional<boost::beast::http::request_parser<boost::beast::http::empty_body>> header_parser_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::buffer_body>> upload_parser_;
  Request pending_;  // the request whose body is being read
  std::unique_ptr<BodySink> sink_;  // the upload's sink, between chunks (on a worker while one is written)
  std::unique_ptr<char[]> chunk_;   // the chunk buffer of a streamed body, only while one streams
  std::int64_t stream_offset_ = 0;  // next blob offset of a streamed response
  std::int64_t stream_left_ = 0;    // bytes of it still to send
  std::string head_;  // the response's status line and headers; capacity kept across requests
  Response response_;  // the response being written (its body must outlive the write)
  SessionContext& context_;
  State state_ = State::reading;
  bool keep_alive_ = true;
  bool head_request_ = false;
  unsigned request_version_ = 11;
  bool linger_ = false;
  std::array<char, 4096> discard_;
  const std::string& remote() const;
  mutable std::string remote_;  // "address:port", filled by remote() on first use
  std::string log_method_;
  std::string log_target_;
  std::chrono::steady_clock::time_point started_;
  // The request's trace (request.hpp) and its stages, for the slow-request log.
  // Cleared when the next request's head is awaited.
  trace::TraceContext trace_;
  trace::StageTimer timer_;
};

}  // namespace parley::http
