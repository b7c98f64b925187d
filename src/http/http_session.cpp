#include "http/http_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/string.hpp>
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
#include "media/blob_store.hpp"

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

namespace {

// A streamed body moves through one buffer of this size per connection: enough
// for the disk and the network to work in large pieces, small enough that a
// thousand uploads cost 256 MiB at most.
constexpr std::size_t kChunk = 256 << 10;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

bool is_disconnect(beast::error_code ec) {
  return ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == beast::error::timeout ||
         ec == asio::error::operation_aborted || ec == asio::error::connection_reset || ec == asio::error::eof ||
         ec == asio::error::broken_pipe;
}

}  // namespace

void HttpSession::do_read() {
  state_ = State::reading;
  trace_ = {};
  timer_ = {};
  header_parser_.emplace();
  // The body's limit depends on the route: checked once the head is known.
  header_parser_->body_limit(boost::none);
  header_parser_->header_limit(static_cast<std::uint32_t>(context_.options.max_header_bytes));
  stream_.expires_after(context_.options.header_timeout);
  bhttp::async_read_header(stream_, buffer_, *header_parser_,
                           [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

// True when `ec` ended the request (the connection is closing or answered).
bool HttpSession::read_failed(beast::error_code ec) {
  if (!ec) return false;
  if (is_disconnect(ec)) {
    do_close();
    return true;
  }
  if (ec == bhttp::error::body_limit) reject_and_close(413, "payload_too_large", "request body is too large");
  else if (ec == bhttp::error::header_limit) reject_and_close(431, "headers_too_large", "request headers are too large");
  else reject_and_close(400, "bad_request", "malformed HTTP request");
  return true;
}

void HttpSession::on_header(beast::error_code ec) {
  if (state_ == State::closed) return;
  if (read_failed(ec)) return;

  auto& message = header_parser_->get();
  started_ = std::chrono::steady_clock::now();
  timer_ = trace::StageTimer::start_at(started_);
  {
    std::optional<std::string_view> parent;
    if (auto it = message.find("traceparent"); it != message.end()) parent = it->value();
    trace_ = trace::continue_or_start(parent);
  }
  trace::TraceScope scope(trace_.trace_id);
  keep_alive_ = message.keep_alive() && !context_.stopping;
  head_request_ = message.method() == bhttp::verb::head;
  request_version_ = message.version();
  log_method_ = std::string(message.method_string());
  log_target_ = std::string(message.target());

  Request request;
  request.method = log_method_;
  request.trace = trace_;
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
  if (auto it = message.find(bhttp::field::range); it != message.end()) request.range = std::string(it->value());
  if (auto it = message.find(bhttp::field::if_none_match); it != message.end())
    request.if_none_match = std::string(it->value());
  const auto length = header_parser_->content_length();
  if (length) request.content_length = static_cast<std::int64_t>(std::min<std::uint64_t>(*length, INT64_MAX));

  auto* realtime = context_.services.realtime;
  if (!(realtime && realtime->serves(request.path))) {
    const auto match = context_.services.router->match(request.method, request.path);
    if (match.outcome == Router::Outcome::found && match.streaming) {
      request.params = match.params;
      bool expect_continue = false;
      if (auto it = message.find(bhttp::field::expect); it != message.end())
        expect_continue = beast::iequals(it->value(), "100-continue");
      return start_upload(std::move(request), match.streaming, expect_continue);
    }
  }
  if (length && *length > context_.options.max_body_bytes)
    return reject_and_close(413, "payload_too_large", "request body is too large");

  pending_ = std::move(request);
  parser_.emplace(std::move(*header_parser_));
  header_parser_.reset();
  parser_->body_limit(context_.options.max_body_bytes);
  if (parser_->is_done()) return on_read({}, 0);
  bhttp::async_read(stream_, buffer_, *parser_,
                    [self = shared_from_this()](beast::error_code ec, std::size_t bytes) { self->on_read(ec, bytes); });
}

void HttpSession::on_read(beast::error_code ec, std::size_t) {
  if (state_ == State::closed) return;
  if (read_failed(ec)) return;

  trace::TraceScope scope(trace_.trace_id);
  auto& message = parser_->get();
  Request request = std::move(pending_);
  pending_ = {};

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

// ---- streamed request bodies (uploads)
//
// Every hop to the worker pool carries the session's reference and the sink
// with it and brings both back with the result (as dispatch() does): the sink
// is on exactly one thread at a time, and never dies on the IO thread with
// disk work to do (an abandoned upload file is removed by its destructor).

void HttpSession::start_upload(Request request, const StreamingHandler* handler, bool expect_continue) {
  state_ = State::handling;
  stream_.expires_never();
  auto home = asio::prefer(stream_.get_executor(), asio::execution::outstanding_work.tracked);
  asio::post(*context_.services.workers, [self = shared_from_this(), home, handler, request = std::move(request),
                                          expect_continue]() mutable {
    std::variant<Response, std::unique_ptr<BodySink>> answer;
    trace::TraceScope scope(request.trace.trace_id);
    try {
      answer = (*handler)(request);
    } catch (const std::exception& e) {
      spdlog::error("handler for {} {} failed: {}", request.method, request.path, e.what());
      answer = error_response(Error::internal("internal error"));
    }
    asio::post(home, [self = std::move(self), answer = std::move(answer), expect_continue]() mutable {
      self->on_upload_accepted(std::move(answer), expect_continue);
    });
  });
}

void HttpSession::on_upload_accepted(std::variant<Response, std::unique_ptr<BodySink>> answer, bool expect_continue) {
  if (auto* refused = std::get_if<Response>(&answer)) {
    header_parser_.reset();
    if (state_ == State::closed) return;
    // Refused before a byte of the body was read: answer and close, the body unread.
    keep_alive_ = false;
    linger_ = true;
    return on_handled(std::move(*refused));
  }
  sink_ = std::move(std::get<std::unique_ptr<BodySink>>(answer));
  if (state_ == State::closed) return abandon_upload();
  upload_parser_.emplace(std::move(*header_parser_));
  header_parser_.reset();
  // The sink enforces the size (a chunked body is cut at its limit).
  upload_parser_->body_limit(boost::none);
  chunk_ = std::make_unique<char[]>(kChunk);
  if (upload_parser_->is_done()) return on_upload_written(std::move(sink_), Status::success(), true);
  if (!expect_continue) return read_upload_chunk();
  stream_.expires_after(context_.options.header_timeout);
  asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      if (self->state_ == State::closed) return self->abandon_upload();
                      if (ec) {
                        self->abandon_upload();
                        return self->do_close();
                      }
                      self->read_upload_chunk();
                    });
}

void HttpSession::read_upload_chunk() {
  auto& body = upload_parser_->get().body();
  body.data = chunk_.get();
  body.size = kChunk;
  body.more = true;
  stream_.expires_after(context_.options.header_timeout);
  bhttp::async_read(stream_, buffer_, *upload_parser_,
                    [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_upload_chunk(ec); });
}

void HttpSession::on_upload_chunk(beast::error_code ec) {
  if (state_ == State::closed) return abandon_upload();
  if (ec == bhttp::error::need_buffer) ec = {};  // the chunk buffer is full: write it out
  if (ec) {
    // The client went away (or stalled, or sent a malformed chunked body):
    // nothing of the upload is kept.
    abandon_upload();
    if (is_disconnect(ec)) return do_close();
    return reject_and_close(400, "bad_request", "malformed request body");
  }
  const std::size_t bytes = kChunk - upload_parser_->get().body().size;
  const bool done = upload_parser_->is_done();
  stream_.expires_never();
  auto home = asio::prefer(stream_.get_executor(), asio::execution::outstanding_work.tracked);
  asio::post(*context_.services.workers, [self = shared_from_this(), home, sink = std::move(sink_),
                                          data = chunk_.get(), bytes, done]() mutable {
    Status written;
    try {
      if (bytes > 0) written = sink->append(std::span<const char>(data, bytes));
    } catch (const std::exception& e) {
      spdlog::error("upload sink failed: {}", e.what());
      written = Error::internal("internal error");
    }
    asio::post(home, [self = std::move(self), sink = std::move(sink), written = std::move(written), done]() mutable {
      self->on_upload_written(std::move(sink), std::move(written), done);
    });
  });
}

void HttpSession::on_upload_written(std::unique_ptr<BodySink> sink, Status written, bool done) {
  sink_ = std::move(sink);
  if (state_ == State::closed) return abandon_upload();
  if (!written) {
    abandon_upload();
    keep_alive_ = false;  // the rest of the body is not read
    linger_ = true;
    return on_handled(error_response(written.error()));
  }
  if (!done) return read_upload_chunk();
  chunk_.reset();
  upload_parser_.reset();
  auto home = asio::prefer(stream_.get_executor(), asio::execution::outstanding_work.tracked);
  asio::post(*context_.services.workers,
             [self = shared_from_this(), home, sink = std::move(sink_)]() mutable {
               Response response;
               try {
                 response = sink->finish();
               } catch (const std::exception& e) {
                 spdlog::error("upload sink failed: {}", e.what());
                 response = error_response(Error::internal("internal error"));
               }
               sink.reset();  // here, on the worker: it may still have a file to remove
               asio::post(home, [self = std::move(self), response = std::move(response)]() mutable {
                 self->on_handled(std::move(response));
               });
             });
}

// REQUIRES: no chunk in flight on a worker (the sink is back here).
void HttpSession::abandon_upload() {
  upload_parser_.reset();
  header_parser_.reset();
  chunk_.reset();
  if (sink_) asio::post(*context_.services.workers, [sink = std::move(sink_)]() mutable { sink.reset(); });
}

void HttpSession::dispatch(Request request) {
  state_ = State::handling;
  timer_.mark("read");
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
                 const auto picked = std::chrono::steady_clock::now();
                 Response response;
                 {
                   trace::TraceScope scope(request.trace.trace_id);
                   try {
                     response = (*handler)(request);
                   } catch (const std::exception& e) {
                     spdlog::error("handler for {} {} failed: {}", request.method, request.path, e.what());
                     response = error_response(Error::internal("internal error"));
                   }
                 }
                 // On the worker: large JSON answers are compressed off the IO thread.
                 gzip_json_response(response, request.accepts_gzip, gzip_min);
                 const auto handled = std::chrono::steady_clock::now();
                 asio::post(home, [self = std::move(self), response = std::move(response), picked, handled]() mutable {
                   self->timer_.mark_at("queue", picked);
                   self->timer_.mark_at("handler", handled);
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
  const bool streamed = response_.stream != nullptr;
  const std::size_t length = streamed ? static_cast<std::size_t>(response_.stream_length) : body.size();
  stream_offset_ = response_.stream_offset;
  stream_left_ = streamed && !head_request_ ? response_.stream_length : 0;
  head_.clear();
  head_ += "HTTP/1.1 ";
  head_ += std::to_string(response_.status);
  head_ += ' ';
  head_ += bhttp::obsolete_reason(static_cast<bhttp::status>(response_.status));
  head_ += "\r\nContent-Type: ";
  head_ += response_.content_type;
  head_ += "\r\nContent-Length: ";
  head_ += std::to_string(length);
  head_ += "\r\n";
  for (const auto& [name, value] : response_.headers) {
    head_ += name;
    head_ += ": ";
    head_ += value;
    head_ += "\r\n";
  }
  if (trace_.valid()) {
    head_ += "traceparent: ";
    head_ += trace::format_traceparent(trace_);
    head_ += "\r\n";
  }
  if (!keep_alive_) head_ += "Connection: close\r\n";
  else if (request_version_ == 10) head_ += "Connection: keep-alive\r\n";
  head_ += "\r\n";
  log_access(response_.status, length);
  std::array<asio::const_buffer, 2> buffers{
      asio::buffer(head_), head_request_ || streamed ? asio::const_buffer() : asio::buffer(body)};
  stream_.expires_after(context_.options.header_timeout);
  asio::async_write(stream_, buffers,
                    [self = shared_from_this(), keep = keep_alive_](beast::error_code ec, std::size_t bytes) {
                      if (!ec && self->stream_left_ > 0) return self->stream_next();
                      self->on_write(keep, ec, bytes);
                    });
}

// ---- streamed response bodies (downloads): a worker reads a chunk, this
// thread writes it, then the next; one chunk in memory at a time.

void HttpSession::stream_next() {
  if (!chunk_) chunk_ = std::make_unique<char[]>(kChunk);
  const auto want = static_cast<std::size_t>(std::min<std::int64_t>(kChunk, stream_left_));
  stream_.expires_never();
  auto home = asio::prefer(stream_.get_executor(), asio::execution::outstanding_work.tracked);
  asio::post(*context_.services.workers, [self = shared_from_this(), home, reader = response_.stream.get(),
                                          data = chunk_.get(), offset = stream_offset_, want]() mutable {
    Result<std::size_t> read = std::size_t{0};
    try {
      read = reader->read(offset, std::span<char>(data, want));
    } catch (const std::exception& e) {
      read = Error::internal(e.what());
    }
    asio::post(home, [self = std::move(self), read = std::move(read)]() mutable {
      self->on_stream_read(std::move(read));
    });
  });
}

void HttpSession::on_stream_read(Result<std::size_t> read) {
  if (state_ == State::closed) return;
  if (!read || *read == 0) {
    // The head is out: the only way left to say "incomplete" is to close early.
    spdlog::warn("{} {}: download cut short: {}", log_method_, log_target_,
                 read ? std::string("the blob ended early") : read.error().message);
    keep_alive_ = false;
    chunk_.reset();
    response_ = {};
    return do_close();
  }
  const auto bytes = static_cast<std::size_t>(std::min<std::int64_t>(static_cast<std::int64_t>(*read), stream_left_));
  stream_.expires_after(context_.options.header_timeout);
  asio::async_write(stream_, asio::buffer(chunk_.get(), bytes),
                    [self = shared_from_this(), keep = keep_alive_](beast::error_code ec, std::size_t written) {
                      if (!ec) {
                        self->stream_offset_ += static_cast<std::int64_t>(written);
                        self->stream_left_ -= static_cast<std::int64_t>(written);
                        if (self->stream_left_ > 0) return self->stream_next();
                      }
                      self->chunk_.reset();
                      self->on_write(keep, ec, written);
                    });
}

void HttpSession::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
  response_ = {};
  stream_left_ = 0;
  if (ec || !keep_alive || !keep_alive_ || context_.stopping) return do_close();
  do_read();
}

void HttpSession::reject_and_close(int status, const char* code, const char* message) {
  keep_alive_ = false;
  linger_ = true;
  if (log_method_.empty()) log_method_ = "-";
  if (log_target_.empty()) log_target_ = "-";
  started_ = std::chrono::steady_clock::now();
  if (!trace_.valid()) {
    trace_ = trace::continue_or_start(std::nullopt);
    timer_ = trace::StageTimer::start_at(started_);
  }
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

void HttpSession::log_access(int status, std::size_t bytes) {
  const auto now = std::chrono::steady_clock::now();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now - started_).count();
  if (context_.services.metrics) context_.services.metrics->record(status, micros / 1e6);
  trace::TraceScope scope(trace_.trace_id);
  auto* access = context_.services.access_log;
  if (access && access->should_log(spdlog::level::info))
    access->info("{} {} {} {} {} {:.3f}ms", remote(), log_method_, log_target_, status, bytes, micros / 1000.0);
  // Once per request: the timer is spent here.
  timer_.mark_at("answer", now);
  if (timer_.slow()) spdlog::warn("slow request: {} {} {} {}", log_method_, log_target_, status, timer_.describe());
  timer_ = {};
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
