#include "http/http_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <spdlog/spdlog.h>

#include "http/compression.hpp"
#include "http/http_metrics.hpp"
#include "http/json_io.hpp"
#include "http/realtime_endpoint.hpp"
#include "http/router.hpp"
#include "http/static_files.hpp"

namespace parley::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace asio = boost::asio;

HttpSession::HttpSession(asio::ip::tcp::socket&& socket, SessionContext& context)
    : stream_(std::move(socket)), context_(context) {
  context_.sessions.insert(this);
}

HttpSession::~HttpSession() { context_.sessions.erase(this); }

void HttpSession::start() { do_read(); }

void HttpSession::shutdown() {
  keep_alive_ = false;
  if (state_ == State::reading) do_close();
}

void HttpSession::do_read() {
  state_ = State::reading;
  parser_.emplace();
  parser_->body_limit(context_.options.max_body_bytes);
  parser_->header_limit(static_cast<std::uint32_t>(context_.options.max_header_bytes));
  stream_.expires_after(context_.options.header_timeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    [self = shared_from_this()](beast::error_code ec, std::size_t bytes) { self->on_read(ec, bytes); });
}

void HttpSession::on_read(beast::error_code ec, std::size_t) {
  if (state_ == State::closed) return;
  if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
      ec == asio::error::connection_reset || ec == asio::error::eof) {
    return do_close();
  }
  if (ec == bhttp::error::body_limit) return reject_and_close(413, "payload_too_large", "request body is too large");
  if (ec == bhttp::error::header_limit)
    return reject_and_close(431, "headers_too_large", "request headers are too large");
  if (ec) return reject_and_close(400, "bad_request", "malformed HTTP request");

  auto& message = parser_->get();
  started_ = std::chrono::steady_clock::now();
  keep_alive_ = message.keep_alive() && !context_.stopping;
  head_request_ = message.method() == bhttp::verb::head;
  request_version_ = message.version();
  log_method_ = std::string(message.method_string());
  log_target_ = std::string(message.target());

  Request request;
  request.method = log_method_;
  std::string_view target = message.target();
  const auto question = target.find('?');
  auto path = decode_path(target.substr(0, question));
  if (!path || path->empty() || path->front() != '/')
    return reject_and_close(400, "bad_request", "malformed request target");
  request.path = std::move(*path);
  if (question != std::string_view::npos) request.query = parse_query(target.substr(question + 1));
  if (auto it = message.find(bhttp::field::content_type); it != message.end())
    request.content_type = std::string(it->value());
  if (auto it = message.find(bhttp::field::authorization); it != message.end())
    request.authorization = std::string(it->value());
  if (auto it = message.find(bhttp::field::origin); it != message.end()) request.origin = std::string(it->value());
  if (auto it = message.find(bhttp::field::accept_encoding); it != message.end())
    request.accepts_gzip = accepts_gzip(it->value());

  auto* realtime = context_.services.realtime;
  if (realtime && realtime->serves(request.path)) {
    if (boost::beast::websocket::is_upgrade(message)) {
      // The real-time layer owns the connection from here on.
      log_access(101, 0);
      state_ = State::closed;
      stream_.expires_never();
      realtime->handle_upgrade(stream_.release_socket(), parser_->release(), std::move(buffer_),
                               context_.thread_index);
      return;
    }
    request.body = std::move(message.body());
    state_ = State::handling;
    stream_.expires_never();
    auto home = asio::prefer(stream_.get_executor(), asio::execution::outstanding_work.tracked);
    // `respond` may run on another thread: it hands its reference over with the answer
    // (see dispatch() below for why it must not keep one).
    realtime->handle_request(
        std::move(request),
        [self = shared_from_this(), home](Response response) mutable {
          asio::post(home, [self = std::move(self), response = std::move(response)]() mutable {
            self->on_handled(std::move(response));
          });
        },
        context_.thread_index);
    return;
  }
  request.body = std::move(message.body());
  dispatch(std::move(request));
}

void HttpSession::dispatch(Request request) {
  state_ = State::handling;
  stream_.expires_never();
  const auto match = context_.services.router->match(request.method, request.path);
  if (match.outcome == Router::Outcome::found) {
    request.params = match.params;
    if (match.in_memory) {
      std::optional<Response> answer;
      try {
        answer = (*match.in_memory)(request);
      } catch (const std::exception& e) {
        // Not fatal: the worker handler below answers (or reports) properly.
        spdlog::warn("in-memory handler for {} {} failed: {}", request.method, request.path, e.what());
      }
      if (answer) {
        gzip_json_response(*answer, request.accepts_gzip, context_.options.gzip_min_bytes);
        return on_handled(std::move(*answer));
      }
    }
    // A tracked executor keeps the IO thread's run() alive while the handler
    // runs elsewhere, so a graceful shutdown waits for the answer.
    //
    // The worker moves its reference to the session into the answer it posts home, so it
    // never holds the last one: were it to keep `self` until its lambda is destroyed, the
    // IO thread could finish the response and drop its own references first, and the
    // session would be destroyed here, on the worker, erasing itself from its thread's
    // `sessions` set while that thread inserts new ones (a data race ThreadSanitizer found).
    auto home = asio::prefer(stream_.get_executor(), asio::execution::outstanding_work.tracked);
    asio::post(*context_.services.workers,
               [self = shared_from_this(), home, handler = match.handler, request = std::move(request),
                gzip_min = context_.options.gzip_min_bytes]() mutable {
                 Response response;
                 try {
                   response = (*handler)(request);
                 } catch (const std::exception& e) {
                   spdlog::error("handler for {} {} failed: {}", request.method, request.path, e.what());
                   response = error_response(Error::internal("internal error"));
                 }
                 // On the worker: large JSON answers are compressed off the IO thread.
                 gzip_json_response(response, request.accepts_gzip, gzip_min);
                 asio::post(home, [self = std::move(self), response = std::move(response)]() mutable {
                   self->on_handled(std::move(response));
                 });
               });
    return;
  }
  if (match.outcome == Router::Outcome::method_not_allowed) {
    Response response = error_response(
        Error{ErrorKind::bad_request, "method_not_allowed", request.method + " is not allowed here"});
    response.status = 405;
    response.headers.emplace_back("Allow", match.allow);
    return on_handled(std::move(response));
  }
  const bool is_get = request.method == "GET" || request.method == "HEAD";
  if (is_get && context_.services.static_files && !request.path.starts_with("/api/")) {
    if (auto response = context_.services.static_files->serve(request.path, request.accepts_gzip)) return on_handled(std::move(*response));
  }
  on_handled(error_response(Error::not_found("no route for " + request.method + " " + request.path)));
}

void HttpSession::on_handled(Response response) {
  if (state_ == State::closed) return;
  state_ = State::writing;
  if (context_.stopping) keep_alive_ = false;
  // The head is written by hand into a buffer kept across requests, and the
  // body goes out as a second buffer of the same write: Beast's serializer and
  // its field list cost more than the rest of answering a cached page. The
  // response is kept until the write completes: the body is sent from it.
  response_ = std::move(response);
  const std::string& body = response_.shared_body ? *response_.shared_body : response_.body;
  head_.clear();
  head_ += "HTTP/1.1 ";
  head_ += std::to_string(response_.status);
  head_ += ' ';
  head_ += bhttp::obsolete_reason(static_cast<bhttp::status>(response_.status));
  head_ += "\r\nContent-Type: ";
  head_ += response_.content_type;
  head_ += "\r\nContent-Length: ";
  head_ += std::to_string(body.size());
  head_ += "\r\n";
  for (const auto& [name, value] : response_.headers) {
    head_ += name;
    head_ += ": ";
    head_ += value;
    head_ += "\r\n";
  }
  if (!keep_alive_) head_ += "Connection: close\r\n";
  else if (request_version_ == 10) head_ += "Connection: keep-alive\r\n";
  head_ += "\r\n";
  log_access(response_.status, body.size());
  std::array<asio::const_buffer, 2> buffers{asio::buffer(head_),
                                            head_request_ ? asio::const_buffer() : asio::buffer(body)};
  stream_.expires_after(context_.options.header_timeout);
  asio::async_write(stream_, buffers,
                    [self = shared_from_this(), keep = keep_alive_](beast::error_code ec, std::size_t bytes) {
                      self->on_write(keep, ec, bytes);
                    });
}

void HttpSession::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
  response_ = {};
  if (ec || !keep_alive || !keep_alive_ || context_.stopping) return do_close();
  do_read();
}

void HttpSession::reject_and_close(int status, const char* code, const char* message) {
  keep_alive_ = false;
  linger_ = true;
  if (log_method_.empty()) log_method_ = "-";
  if (log_target_.empty()) log_target_ = "-";
  started_ = std::chrono::steady_clock::now();
  Response response = error_response(Error{ErrorKind::bad_request, code, message});
  response.status = status;
  on_handled(std::move(response));
}

void HttpSession::do_close() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  beast::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (!linger_) {
    stream_.close();
    return;
  }
  // Lingering close: after an error answer the client may still be sending (an
  // oversized body); closing now would reset the connection before it reads the
  // answer. Discard what arrives for a moment, then close.
  stream_.expires_after(std::chrono::seconds(2));
  do_discard();
}

void HttpSession::do_discard() {
  stream_.async_read_some(asio::buffer(discard_),
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            if (ec) return self->stream_.close();
                            self->do_discard();
                          });
}

void HttpSession::log_access(int status, std::size_t bytes) const {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started_).count();
  if (context_.services.metrics) context_.services.metrics->record(status, micros / 1e6);
  auto* access = context_.services.access_log;
  if (access && access->should_log(spdlog::level::info))
    access->info("{} {} {} {} {} {:.3f}ms", remote(), log_method_, log_target_, status, bytes, micros / 1000.0);
}

// Asked of the kernel only when an access line is written: a getpeername per
// connection was one of the few system calls a handshake could do without.
const std::string& HttpSession::remote() const {
  if (remote_.empty()) {
    boost::system::error_code ec;
    const auto endpoint = stream_.socket().remote_endpoint(ec);
    remote_ = ec ? std::string("-") : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  }
  return remote_;
}

}  // namespace parley::http
