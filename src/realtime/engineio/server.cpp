#include "realtime/engineio/server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <utility>

#include "realtime/engineio/sid.hpp"
#include "realtime/websocket/connection.hpp"
#include "realtime/websocket/deflate.hpp"
#include "realtime/websocket/handshake.hpp"

namespace parley::engineio {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Owns a socket descriptor in transit between threads; closes it if never adopted.
struct DetachedSocket {
  int fd = -1;
  tcp protocol = tcp::v4();
  DetachedSocket(int descriptor, tcp proto) : fd(descriptor), protocol(proto) {}
  DetachedSocket(const DetachedSocket&) = delete;
  DetachedSocket& operator=(const DetachedSocket&) = delete;
  ~DetachedSocket() {
    if (fd >= 0) ::close(fd);
  }
  int take() { return std::exchange(fd, -1); }
};

http::Fields cors_headers(const CorsPolicy& cors, std::string_view origin) {
  http::Fields headers;
  cors.add_headers(headers, origin);
  return headers;
}

}  // namespace

Server::Server(ServerOptions options, realtime::IoThreads& threads, HandlerFactory factory)
    : options_(std::move(options)),
      threads_(threads),
      factory_(std::move(factory)),
      ping_frame_(realtime::make_text_frame("2")),
      probe_answer_frame_(realtime::make_text_frame("3probe")) {
  for (std::size_t i = 0; i < threads_.size(); ++i) per_thread_.push_back(std::make_unique<PerThread>());
}

Server::~Server() = default;

bool Server::serves(std::string_view path) const noexcept {
  std::string_view base = options_.path;
  if (path == base) return true;
  if (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return path == base;
}

Session* Server::find(int thread_index, std::uint64_t key) noexcept {
  if (thread_index < 0 || static_cast<std::size_t>(thread_index) >= per_thread_.size()) return nullptr;
  auto& sessions = per_thread_[thread_index]->sessions;
  const auto it = sessions.find(key);
  return it == sessions.end() ? nullptr : it->second.get();
}

realtime::FrameRef Server::open_frame(const Session& session, bool polling) const {
  static constexpr std::string_view kWebsocketUpgrade[] = {"websocket"};
  const std::string sid = session.sid();
  Handshake handshake;
  handshake.sid = sid;
  if (polling && options_.allow_upgrades && options_.allow_websocket) handshake.upgrades = kWebsocketUpgrade;
  handshake.ping_interval_ms = static_cast<std::uint64_t>(options_.ping_interval.count());
  handshake.ping_timeout_ms = static_cast<std::uint64_t>(options_.ping_timeout.count());
  handshake.max_payload = options_.max_payload;
  realtime::TextFrameBuilder builder;
  encode_text_to(builder.out(), PacketType::open, handshake_json(handshake));
  return builder.finish();
}

Session* Server::create_session(int thread_index) {
  auto& state = *per_thread_[thread_index];
  auto& thread = threads_.at(static_cast<std::size_t>(thread_index));
  std::uint64_t key = 0;
  do {
    key = thread.random_u64();
  } while (key == 0 || state.sessions.count(key) != 0);
  auto session = std::make_unique<Session>(*this, thread, key);
  Session* raw = session.get();
  state.sessions.emplace(key, std::move(session));
  raw->set_handler(factory_());
  counters().handshakes.fetch_add(1, std::memory_order_relaxed);
  counters().sessions.fetch_add(1, std::memory_order_relaxed);
  return raw;
}

void Server::remove(Session& session) {
  auto& sessions = per_thread_[session.thread_index()]->sessions;
  const auto it = sessions.find(session.key());
  if (it == sessions.end()) return;
  std::unique_ptr<Session> owned = std::move(it->second);
  sessions.erase(it);
  counters().sessions.fetch_sub(1, std::memory_order_relaxed);
  owned->thread().dispose(std::move(owned));
}

// ---- HTTP requests (handshake and long-polling) ----

void Server::handle_request(http::Request request, Respond respond, int thread_index) {
  auto& thread = threads_.at(static_cast<std::size_t>(thread_index));
  thread.enter();
  if (request.method == "OPTIONS") {
    http::Response response;
    response.status = 204;
    response.content_type = "text/plain";
    options_.cors.add_preflight_headers(response.headers, request.origin);
    return respond(std::move(response));
  }
  const RequestVerdict verdict = verify_request(request.query, request.method, false, options_);
  if (verdict.error) return respond(error_response(*verdict.error, options_.cors, request.origin));
  if (per_thread_[thread_index]->stopping) {
    auto response = error_response(ErrorCode::bad_request, options_.cors, request.origin);
    response.status = 503;
    return respond(std::move(response));
  }
  if (verdict.handshake) return open_polling(request, std::move(respond), thread_index);

  const auto parts = decode_sid(verdict.sid);
  if (!parts || parts->route != options_.route || static_cast<std::size_t>(parts->thread) >= threads_.size())
    return respond(error_response(ErrorCode::unknown_sid, options_.cors, request.origin));
  if (parts->thread == thread_index) return serve_session_request(std::move(request), std::move(respond), thread_index, parts->key);
  const int owner = parts->thread;
  const std::uint64_t key = parts->key;
  threads_.at(static_cast<std::size_t>(owner))
      .post([this, owner, key, request = std::move(request), respond = std::move(respond)]() mutable {
        serve_session_request(std::move(request), std::move(respond), owner, key);
      });
}

void Server::serve_session_request(http::Request request, Respond respond, int thread_index, std::uint64_t key) {
  Session* session = find(thread_index, key);
  if (!session || !session->is_open())
    return respond(error_response(ErrorCode::unknown_sid, options_.cors, request.origin));
  // A session that moved to WebSocket takes no more polling requests.
  if (session->is_websocket())
    return respond(error_response(ErrorCode::bad_request, options_.cors, request.origin));
  http::Fields headers = cors_headers(options_.cors, request.origin);
  if (request.method == "GET") return session->on_poll_get(std::move(headers), std::move(respond));
  if (request.method == "POST") return session->on_poll_post(request.body, std::move(headers), std::move(respond));
  respond(error_response(ErrorCode::bad_request, options_.cors, request.origin));
}

void Server::open_polling(http::Request& request, Respond respond, int thread_index) {
  Session* session = create_session(thread_index);
  session->open_polling(cors_headers(options_.cors, request.origin), std::move(respond));
}

// ---- WebSocket upgrades ----

void Server::reject_upgrade(tcp::socket& socket, int status, std::string_view reason, std::string_view body,
                            std::string_view extra_headers) {
  // A short answer to a fresh connection fits in the socket buffer: write it without
  // waiting, then close.
  const std::string answer = websocket::error_response(status, reason, "application/json", body, extra_headers);
  [[maybe_unused]] const auto written =
      ::send(socket.native_handle(), answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  boost::system::error_code ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);
  socket.close(ec);
}

void Server::reject_upgrade(tcp::socket& socket, ErrorCode code) {
  const int status = error_status(code);
  reject_upgrade(socket, status, status == 403 ? "Forbidden" : "Bad Request", error_body(code));
}

void Server::handle_upgrade(tcp::socket socket, UpgradeRequest request, int thread_index) {
  auto& thread = threads_.at(static_cast<std::size_t>(thread_index));
  thread.enter();
  const std::string_view target = request.target;
  const auto question = target.find('?');
  const http::Fields query =
      question == std::string_view::npos ? http::Fields{} : http::parse_query(target.substr(question + 1));
  const RequestVerdict verdict = verify_request(query, "GET", true, options_);
  if (verdict.error) return reject_upgrade(socket, *verdict.error);
  if (!options_.cors.allows_websocket(request.origin)) return reject_upgrade(socket, ErrorCode::forbidden);
  switch (websocket::check_handshake(request.version, request.key)) {
    case websocket::HandshakeCheck::ok: break;
    case websocket::HandshakeCheck::bad_version:
      return reject_upgrade(socket, 426, "Upgrade Required", error_body(ErrorCode::bad_request),
                            "Sec-WebSocket-Version: 13\r\n");
    case websocket::HandshakeCheck::bad_key: return reject_upgrade(socket, ErrorCode::bad_request);
  }
  if (per_thread_[thread_index]->stopping) return reject_upgrade(socket, 503, "Service Unavailable", error_body(ErrorCode::bad_request));
  if (verdict.handshake) return open_websocket(std::move(socket), request, thread_index);

  const auto parts = decode_sid(verdict.sid);
  if (!parts || parts->route != options_.route || static_cast<std::size_t>(parts->thread) >= threads_.size())
    return reject_upgrade(socket, ErrorCode::unknown_sid);
  if (parts->thread == thread_index) return attach_probe(std::move(socket), std::move(request), thread_index, parts->key);

  // The session lives on another thread: move the socket to that thread's io_context.
  boost::system::error_code ec;
  const tcp protocol = socket.local_endpoint(ec).protocol();
  if (ec) return;
  auto detached = std::make_shared<DetachedSocket>(socket.release(ec), protocol);
  if (ec) return;
  const int owner = parts->thread;
  const std::uint64_t key = parts->key;
  auto& owner_thread = threads_.at(static_cast<std::size_t>(owner));
  owner_thread.post([this, &owner_thread, owner, key, detached, request = std::move(request)]() mutable {
    boost::system::error_code adopt_ec;
    tcp::socket adopted(owner_thread.io());
    adopted.assign(detached->protocol, detached->fd, adopt_ec);
    if (adopt_ec) return;
    detached->take();
    attach_probe(std::move(adopted), std::move(request), owner, key);
  });
}

std::string Server::negotiate_compression(websocket::Connection& connection, const UpgradeRequest& request) const {
  if (!options_.ws_compression || request.extensions.empty()) return {};
  const auto params = websocket::negotiate_deflate(request.extensions);
  if (!params) return {};
  connection.enable_deflate(*params, options_.ws_compression_threshold);
  return websocket::deflate_response_header(*params);
}

void Server::open_websocket(tcp::socket socket, UpgradeRequest& request, int thread_index) {
  auto& thread = threads_.at(static_cast<std::size_t>(thread_index));
  auto connection = std::make_shared<websocket::Connection>(thread, std::move(socket), options_.max_payload);
  const std::string extension = negotiate_compression(*connection, request);
  Session* session = create_session(thread_index);
  session->open_websocket(std::move(connection),
                          realtime::make_raw_frame(websocket::switching_protocols_response(request.key, extension)),
                          std::move(request.initial));
}

void Server::attach_probe(tcp::socket socket, UpgradeRequest request, int thread_index, std::uint64_t key) {
  Session* session = find(thread_index, key);
  if (!session || !session->is_open()) return reject_upgrade(socket, ErrorCode::unknown_sid);
  auto& thread = threads_.at(static_cast<std::size_t>(thread_index));
  auto connection = std::make_shared<websocket::Connection>(thread, std::move(socket), options_.max_payload);
  if (!session->can_upgrade()) {
    // Already upgraded, or a probe is in progress: like the reference server, complete the
    // WebSocket handshake, then close this connection; the session keeps its transport.
    connection->send(realtime::make_raw_frame(websocket::switching_protocols_response(request.key)));
    connection->start(std::move(request.initial));
    connection->close(websocket::close_code::normal);
    return;
  }
  const std::string extension = negotiate_compression(*connection, request);
  session->attach_probe(std::move(connection),
                        realtime::make_raw_frame(websocket::switching_protocols_response(request.key, extension)),
                        std::move(request.initial));
}

// ---- shutdown ----

void Server::shutdown() {
  for (std::size_t i = 0; i < threads_.size(); ++i) {
    threads_.at(i).post([this, i] {
      auto& state = *per_thread_[i];
      state.stopping = true;
      std::vector<Session*> sessions;
      sessions.reserve(state.sessions.size());
      for (auto& [key, session] : state.sessions) sessions.push_back(session.get());
      for (Session* session : sessions) session->close(CloseReason::server_shutdown);
    });
  }
}

}  // namespace parley::engineio
