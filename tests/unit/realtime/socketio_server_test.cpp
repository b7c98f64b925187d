// The Engine.IO and Socket.IO servers in-process, driven over HTTP long-polling without
// sockets: one real io_context run by the test, requests handed in as the HTTP layer
// would. Covers what the chat layer relies on: asynchronous connect decisions and acks
// from other threads, rooms, set broadcasts from other threads, the send queue bound, the
// heartbeat, and disconnect reasons.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "realtime/engineio/packet.hpp"
#include "common/trace_context.hpp"
#include "realtime/socketio/server.hpp"

namespace parley::socketio {
namespace {

std::ostringstream slow_log_;  // the slow-operation test's log

namespace json = boost::json;
using namespace std::chrono_literals;

class Harness {
 public:
  explicit Harness(ServerOptions options = make_options())
      : threads_({&io_}, 5ms), server_(std::move(options), threads_) {}

  static ServerOptions make_options() {
    ServerOptions options;
    options.engine.ping_interval = 10s;
    options.engine.ping_timeout = 5s;
    options.connect_timeout = 5s;
    return options;
  }

  Server& server() { return server_; }

  // Runs the io_context until `done` or the deadline.
  void run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 2000ms) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(2ms);
    }
  }
  void run_for(std::chrono::milliseconds duration) {
    run_until([] { return false; }, duration);
  }

  using Pending = std::shared_ptr<std::optional<http::Response>>;
  Pending send(std::string method, std::string query, std::string body = {}) {
    http::Request request;
    request.method = std::move(method);
    request.path = "/socket.io/";
    request.query = http::parse_query(query);
    request.body = std::move(body);
    auto result = std::make_shared<std::optional<http::Response>>();
    server_.engine().handle_request(std::move(request), [result](http::Response r) { *result = std::move(r); }, 0);
    return result;
  }
  http::Response wait(const Pending& pending, std::chrono::milliseconds limit = 2000ms) {
    run_until([&] { return pending->has_value(); }, limit);
    EXPECT_TRUE(pending->has_value()) << "no answer";
    http::Response none;
    none.status = 599;
    none.content_type = "";
    return pending->value_or(std::move(none));
  }

  // A polling client.
  std::string open() {
    const auto response = wait(send("GET", "EIO=4&transport=polling"));
    EXPECT_EQ(response.status, 200);
    return std::string(json::parse(response.body.substr(1)).at("sid").as_string());
  }
  http::Response post(const std::string& sid, std::string body) {
    return wait(send("POST", "EIO=4&transport=polling&sid=" + sid, std::move(body)));
  }
  Pending get_async(const std::string& sid) { return send("GET", "EIO=4&transport=polling&sid=" + sid); }
  std::string get(const std::string& sid) { return wait(get_async(sid)).body; }

 private:
  boost::asio::io_context io_{1};
  realtime::IoThreads threads_;
  Server server_;
};

TEST(SocketioServer, ConnectDecidedOnAnotherThread) {
  Harness h;
  std::vector<std::thread> workers;
  std::int64_t connected_user = 0;
  std::string auth_token;
  auto& nsp = h.server().of("/");
  nsp.on_connect([&](ConnectRequest request) {
    workers.emplace_back([request] {
      std::this_thread::sleep_for(5ms);
      const auto& auth = request.auth();
      if (auth.as_object().contains("token")) {
        SocketData data;
        data.user_id = 7;
        request.accept(std::move(data));
      } else {
        request.refuse_with_message("unauthorized");
      }
    });
  });
  nsp.on_connection([&](Socket& socket, const json::value& auth) {
    connected_user = socket.data().user_id;
    auth_token = std::string(auth.at("token").as_string());
  });

  const std::string sid = h.open();
  EXPECT_EQ(h.post(sid, R"(40{"token":"t0k"})").body, "ok");
  const std::string answer = h.get(sid);
  EXPECT_EQ(answer.rfind(R"(40{"sid":")", 0), 0u) << answer;
  EXPECT_EQ(connected_user, 7);
  EXPECT_EQ(auth_token, "t0k");
  EXPECT_EQ(nsp.socket_count(), 1);

  const std::string refused = h.open();
  h.post(refused, "40");
  EXPECT_EQ(h.get(refused), R"(44{"message":"unauthorized"})");
  for (auto& worker : workers) worker.join();
}

TEST(SocketioServer, UnknownNamespaceAndUndecidedConnects) {
  Harness h;
  h.server().of("/quiet").on_connect([](ConnectRequest) {});  // drops the request: refused
  const std::string sid = h.open();
  h.post(sid, "40/nope,");
  EXPECT_EQ(h.get(sid), R"(44/nope,{"message":"Invalid namespace"})");
  h.post(sid, "40/quiet,");
  EXPECT_EQ(h.get(sid), R"(44/quiet,{"message":"connection refused"})");
}

TEST(SocketioServer, AcksFromAnotherThreadAndServerSideAcks) {
  Harness h;
  auto& nsp = h.server().of("/");
  std::thread worker;
  nsp.on("work", [&](Socket&, Event& event) {
    Ack ack = event.ack();
    worker = std::thread([ack] {
      EXPECT_TRUE(ack.send(json::array{"done"}));
      EXPECT_FALSE(ack.send(json::array{"twice"}));  // only once
    });
  });
  std::string acked;
  nsp.on("ask", [&](Socket& socket, Event&) {
    socket.emit_with_ack("question", json::array{1}, [&](const Packet& ack) { acked = json::serialize(*ack.data); });
  });
  const std::string sid = h.open();
  h.post(sid, "40");
  h.get(sid);
  h.post(sid, R"(425["work",1])");
  EXPECT_EQ(h.get(sid), R"(435["done"])");
  worker.join();
  h.post(sid, R"(42["ask"])");
  EXPECT_EQ(h.get(sid), R"(420["question",1])");
  h.post(sid, R"(430["yes",2])");
  h.run_for(10ms);
  EXPECT_EQ(acked, R"(["yes",2])");
}

// The slow-operation log (--slow-ms): an event acknowledged later than the
// threshold after it arrived is logged once at warn, unless its handler logs
// its own line (SlowLog::by_handler); nothing when the log is off.
TEST(SocketioServer, SlowAcknowledgementsAreLoggedOnceUnlessTheHandlerLogsThem) {
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(slow_log_);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("slow", sink));
  trace::set_slow_threshold_ms(5);
  {
    Harness h;
    auto& nsp = h.server().of("/");
    const auto slow = [](Socket&, Event& event) {
      std::this_thread::sleep_for(20ms);  // makes the event slow; nothing here asserts on time
      event.ack().send(json::array{"done"});
    };
    nsp.on("slow", slow);
    nsp.on("slow_own", slow, Namespace::SlowLog::by_handler);
    const std::string sid = h.open();
    h.post(sid, "40");
    h.get(sid);
    h.post(sid, R"(421["slow"])");
    EXPECT_EQ(h.get(sid), R"(431["done"])");
    h.post(sid, R"(422["slow_own"])");
    EXPECT_EQ(h.get(sid), R"(432["done"])");
    trace::set_slow_threshold_ms(0);
    h.post(sid, R"(423["slow"])");
    EXPECT_EQ(h.get(sid), R"(433["done"])");
  }
  spdlog::set_default_logger(previous);
  trace::set_slow_threshold_ms(200);
  const std::string log = slow_log_.str();
  EXPECT_NE(log.find("slow socket event: 'slow' acknowledged"), std::string::npos) << log;
  EXPECT_EQ(log.find("slow socket event: 'slow' acknowledged"), log.rfind("slow socket event: 'slow' acknowledged"))
      << "logged once, and not with the log off: " << log;
  EXPECT_EQ(log.find("'slow_own'"), std::string::npos) << log;
}

TEST(SocketioServer, RoomsAndSetBroadcastsFromAnotherThread) {
  Harness h;
  auto& nsp = h.server().of("/");
  std::vector<SocketRef> refs;
  nsp.on_connection([&](Socket& socket, const json::value&) { refs.push_back(socket.ref()); });
  nsp.on("join", [](Socket& socket, Event& event) {
    socket.join(event.arg(0).as_string());
    event.ack().send({});
  });
  const std::string a = h.open();
  const std::string b = h.open();
  const std::string c = h.open();
  for (const auto* sid : {&a, &b, &c}) {
    h.post(*sid, "40");
    h.get(*sid);
  }
  ASSERT_EQ(refs.size(), 3u);
  h.post(a, R"(421["join","r1"])" "\x1e" R"(422["join","r2"])");
  h.post(b, R"(421["join","r1"])");
  h.get(a);
  h.get(b);

  std::thread([&] { nsp.emit("hello", json::array{"set"}, {"r1", "r2"}, refs[1]); }).join();
  EXPECT_EQ(h.get(a), R"(42["hello","set"])");  // once, although in both rooms
  std::thread([&] { nsp.emit("hello", json::array{"all"}); }).join();
  EXPECT_EQ(h.get(a), R"(42["hello","all"])");
  EXPECT_EQ(h.get(b), R"(42["hello","all"])");  // b was excluded from the first one
  EXPECT_EQ(h.get(c), R"(42["hello","all"])");

  // Direct sends and run_on_socket, from another thread.
  std::thread([&] {
    h.server().send_to(refs[2], share(encode_event("/", "direct", json::array{3})));
    h.server().run_on_socket(refs[0], [](Socket* socket) {
      ASSERT_NE(socket, nullptr);
      socket->leave("r1");
    });
    h.server().run_on_socket(SocketRef{0, 1, 2}, [](Socket* socket) { EXPECT_EQ(socket, nullptr); });
  }).join();
  EXPECT_EQ(h.get(c), R"(42["direct",3])");
  std::thread([&] { nsp.emit("again", json::array{}, {"r1"}); }).join();
  EXPECT_EQ(h.get(b), R"(42["again"])");
  auto pending = h.get_async(a);
  h.run_for(20ms);
  EXPECT_FALSE(pending->has_value());  // a left r1
}

TEST(SocketioServer, ClientThatDoesNotReadIsCutOff) {
  auto options = Harness::make_options();
  options.engine.send_queue_bytes = 4096;
  Harness h(options);
  auto& nsp = h.server().of("/");
  std::optional<DisconnectReason> reason;
  nsp.on_disconnect([&](Socket&, DisconnectReason why) { reason = why; });
  const std::string sid = h.open();
  h.post(sid, "40");
  h.get(sid);
  const json::array big{std::string(1000, 'x')};
  for (int i = 0; i < 10; ++i) nsp.emit("flood", big);
  h.run_for(20ms);
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(*reason, DisconnectReason::slow_consumer);
  EXPECT_EQ(h.server().stats().slow_consumer_disconnects, 1u);
  EXPECT_EQ(nsp.socket_count(), 0);
  EXPECT_EQ(h.wait(h.get_async(sid)).status, 400);
}

TEST(SocketioServer, HeartbeatOverPolling) {
  auto options = Harness::make_options();
  options.engine.ping_interval = 40ms;
  options.engine.ping_timeout = 30ms;
  Harness h(options);
  std::optional<DisconnectReason> reason;
  h.server().of("/").on_disconnect([&](Socket&, DisconnectReason why) { reason = why; });
  const std::string sid = h.open();
  h.post(sid, "40");
  h.get(sid);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(h.get(sid), "2");
  EXPECT_GE(std::chrono::steady_clock::now() - started, 25ms);
  EXPECT_EQ(h.post(sid, "3").body, "ok");
  EXPECT_EQ(h.get(sid), "2");
  // No pong this time: closed after pingTimeout.
  h.run_until([&] { return reason.has_value(); }, 500ms);
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(*reason, DisconnectReason::ping_timeout);
  EXPECT_EQ(h.wait(h.get_async(sid)).status, 400);
}

TEST(SocketioServer, DisconnectReasonsAndInvalidPackets) {
  Harness h;
  auto& nsp = h.server().of("/");
  std::vector<DisconnectReason> reasons;
  nsp.on_disconnect([&](Socket& socket, DisconnectReason why) {
    EXPECT_FALSE(socket.connected());
    reasons.push_back(why);
  });
  nsp.on("bye", [](Socket& socket, Event&) { socket.disconnect(); });

  const std::string sid = h.open();
  h.post(sid, "40");
  h.get(sid);
  h.post(sid, "41");
  h.post(sid, "40");
  h.get(sid);
  h.post(sid, R"(42["bye"])");
  EXPECT_EQ(h.get(sid), "41");
  h.post(sid, "40");
  h.get(sid);
  h.post(sid, R"(42{"not":"an array"})");
  EXPECT_EQ(h.wait(h.get_async(sid)).status, 400);  // closed
  ASSERT_EQ(reasons.size(), 3u);
  EXPECT_EQ(reasons[0], DisconnectReason::client_namespace_disconnect);
  EXPECT_EQ(reasons[1], DisconnectReason::server_namespace_disconnect);
  EXPECT_EQ(reasons[2], DisconnectReason::parse_error);
}

TEST(EngineioServer, OverlappingPollsAndPayloadLimits) {
  auto options = Harness::make_options();
  options.engine.max_payload = 100;
  Harness h(options);
  const std::string sid = h.open();
  auto first = h.get_async(sid);
  auto second = h.get_async(sid);
  EXPECT_EQ(h.wait(second).status, 400);
  EXPECT_EQ(h.wait(first).body, "1");

  const std::string other = h.open();
  EXPECT_EQ(h.post(other, "4" + std::string(100, 'x')).status, 413);
  EXPECT_EQ(h.wait(h.get_async(other)).status, 400);

  const std::string third = h.open();
  EXPECT_EQ(h.post(third, "4\xff").status, 400);  // not UTF-8
  EXPECT_EQ(h.server().stats().sessions, 0);
  EXPECT_EQ(h.server().stats().handshakes, 3u);
}

}  // namespace
}  // namespace parley::socketio
