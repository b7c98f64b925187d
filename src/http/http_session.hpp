#pragma once
// One HTTP/1.1 connection: reads requests (keep-alive), routes them, answers
// from a route's in-memory handler when it can, else runs the route's handler
// on the worker pool, writes responses, logs one access line each.
// Bounds: header bytes, body bytes (413), and a deadline for every request read
// (a client that dribbles bytes is cut off).
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
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <array>
#include <chrono>
#include <memory>
#include <optional>

#include "http/request.hpp"
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
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void dispatch(Request request);
  void on_handled(Response response);
  void on_write(bool keep_alive, boost::beast::error_code ec, std::size_t bytes);
  void reject_and_close(int status, const char* code, const char* message);
  void do_close();
  void do_discard();
  void log_access(int status, std::size_t bytes) const;

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
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
};

}  // namespace parley::http
