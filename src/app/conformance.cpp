#include "app/conformance.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/array.hpp>
#include <csignal>
#include <cstdio>
#include <spdlog/spdlog.h>

#include "app/logging.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "realtime/endpoint.hpp"
#include "realtime/engineio/server.hpp"
#include "realtime/io/rlimit.hpp"
#include "realtime/io/thread_context.hpp"
#include "realtime/socketio/server.hpp"

namespace parley::app {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

// The settings the official test suites assume.
constexpr std::chrono::milliseconds kPingInterval = 300ms;
constexpr std::chrono::milliseconds kPingTimeout = 200ms;
constexpr std::chrono::milliseconds kConnectTimeout = 1000ms;
constexpr std::size_t kMaxPayload = 1'000'000;
// Room for a full-size echo on top of what is already queued.
constexpr std::size_t kSendQueueBytes = 16 << 20;

// /engine.io/: every message goes back as it came.
class EchoHandler final : public engineio::SessionHandler {
 public:
  void on_open(engineio::Session&) override {}
  void on_message(engineio::Session& session, std::string_view text) override {
    std::string packet;
    packet.reserve(text.size() + 1);
    packet.push_back('4');
    packet.append(text);
    session.send(realtime::make_text_frame(packet));
  }
  void on_binary(engineio::Session& session, std::string_view bytes) override {
    session.send(realtime::make_binary_frame(bytes));
  }
  void on_close(engineio::Session&, engineio::CloseReason) override {}
};

engineio::ServerOptions engine_options(std::string path) {
  engineio::ServerOptions options;
  options.path = std::move(path);
  options.ping_interval = kPingInterval;
  options.ping_timeout = kPingTimeout;
  options.max_payload = kMaxPayload;
  options.send_queue_bytes = kSendQueueBytes;
  options.cors = engineio::CorsPolicy::parse("*");
  return options;
}

// "/" and "/custom": emit `auth` on connection, echo `message` as `message-back`, ack
// `message-with-ack` with its arguments. Parley's own addition for its tests (the suites
// never send it): `request-ack` makes the server emit `ack-request` with the same
// arguments and an ack id, then emit `ack-response` with whatever the client acked.
void add_test_namespace(socketio::Namespace& nsp) {
  nsp.on_connection([](socketio::Socket& socket, const json::value& auth) {
    json::array args;
    args.push_back(auth);
    socket.emit("auth", args);
  });
  nsp.on("message", [](socketio::Socket& socket, socketio::Event& event) {
    json::value data = event.data();
    data.as_array()[0] = "message-back";
    socket.send(socketio::encode_event_data(socket.nsp().name(), data, std::nullopt, event.packet().attachments));
  });
  nsp.on("message-with-ack", [](socketio::Socket&, socketio::Event& event) {
    const json::array& data = event.data();
    json::array args(data.begin() + 1, data.end());
    event.ack().send(args, event.packet().attachments);
  });
  nsp.on("request-ack", [](socketio::Socket& socket, socketio::Event& event) {
    const json::array& data = event.data();
    json::array args(data.begin() + 1, data.end());
    socket.emit_with_ack("ack-request", args, [&socket](const socketio::Packet& ack) {
      socket.send(socketio::encode_event_data(
          socket.nsp().name(), [&] {
            json::array reply = ack.data->as_array();
            reply.insert(reply.begin(), json::value("ack-response"));
            return json::value(std::move(reply));
          }(),
          std::nullopt, ack.attachments));
    }, event.packet().attachments);
  });
}

}  // namespace

int run_conformance(const ConformanceConfig& config) {
  setup_logging(config.log_level, "text");
  const auto files = realtime::raise_open_files_limit();
  if (!files.raised && files.after < 4096) spdlog::warn("open files limited to {}", files.after);

  http::Router router;
  boost::asio::thread_pool workers(1);
  http::ServerOptions server_options;
  server_options.host = config.listen_host;
  server_options.port = config.listen_port;
  server_options.threads = config.threads;
  http::ServerServices services;
  services.router = &router;
  services.workers = &workers;
  http::Server server(server_options, services);
  if (auto status = server.bind(); !status) {
    std::fprintf(stderr, "parley: %s\n", status.error().message.c_str());
    return 1;
  }

  realtime::IoThreads threads(server.io_contexts(), realtime::wheel_tick_for({kPingInterval, kPingTimeout, kConnectTimeout}));
  engineio::Server echo(engine_options("/engine.io/"), threads, [] { return std::make_unique<EchoHandler>(); });
  socketio::ServerOptions io_options;
  io_options.engine = engine_options("/socket.io/");
  io_options.connect_timeout = kConnectTimeout;
  socketio::Server io(io_options, threads);
  add_test_namespace(io.of("/"));
  add_test_namespace(io.of("/custom"));
  realtime::Endpoint endpoint(threads);
  endpoint.add(echo);
  endpoint.add(io.engine());
  server.services().realtime = &endpoint;

  boost::asio::io_context main_io;
  boost::asio::signal_set signals(main_io, SIGINT, SIGTERM);
  std::signal(SIGPIPE, SIG_IGN);
  if (auto status = server.start(); !status) {
    std::fprintf(stderr, "parley: %s\n", status.error().message.c_str());
    return 1;
  }
  std::printf("parley conformance server running at http://%s:%u/\n", config.listen_host.c_str(), server.port());
  std::fflush(stdout);
  signals.async_wait([](const boost::system::error_code&, int) {});
  main_io.run();
  server.stop();
  workers.join();
  return 0;
}

}  // namespace parley::app
