#include "notify/webhook_sender.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "metrics/registry.hpp"
#include "notify/signature.hpp"

namespace parley::notify {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "0123456789abcdef-secret";

// A tiny HTTP/1.1 receiver on loopback (port 0): reads one request per
// connection, records it, answers with the next scripted status (then 200),
// or never answers when `silent`.
class Receiver {
 public:
  struct Request {
    std::map<std::string, std::string> headers;  // names lowercased
    std::string body;
  };

  explicit Receiver(std::vector<int> statuses = {}, bool silent = false)
      : statuses_(statuses.begin(), statuses.end()), silent_(silent) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~Receiver() {
    done_ = true;
    thread_.join();
    for (int fd : held_) ::close(fd);
    ::close(fd_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<Request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }

 private:
  void serve() {
    while (!done_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) continue;
      auto request = read_request(client);
      if (!request) {
        ::close(client);
        continue;
      }
      int status = 200;
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(*request);
        if (!statuses_.empty()) {
          status = statuses_.front();
          statuses_.pop_front();
        }
      }
      if (silent_) {
        held_.push_back(client);  // never answered, closed at the end
        continue;
      }
      std::string answer = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)!::write(client, answer.data(), answer.size());
      ::close(client);
    }
  }

  std::optional<Request> read_request(int client) {
    std::string data;
    char buf[4096];
    std::size_t header_end = std::string::npos;
    std::size_t content_length = 0;
    while (!done_) {
      pollfd p{client, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      ssize_t n = ::read(client, buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      data.append(buf, std::size_t(n));
      if (header_end == std::string::npos) {
        header_end = data.find("\r\n\r\n");
        if (header_end == std::string::npos) continue;
        Request request = parse_headers(data.substr(0, header_end));
        content_length = std::stoul(request.headers["content-length"]);
      }
      if (data.size() >= header_end + 4 + content_length) {
        Request request = parse_headers(data.substr(0, header_end));
        request.body = data.substr(header_end + 4, content_length);
        return request;
      }
    }
    return std::nullopt;
  }

  static Request parse_headers(const std::string& head) {
    Request request;
    std::size_t start = head.find("\r\n");
    while (start != std::string::npos) {
      start += 2;
      auto end = head.find("\r\n", start);
      auto line = head.substr(start, end == std::string::npos ? std::string::npos : end - start);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        auto value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        request.headers[name] = value;
      }
      start = end;
    }
    return request;
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> done_{false};
  mutable std::mutex mutex_;
  std::vector<Request> requests_;
  std::deque<int> statuses_;
  bool silent_;
  std::vector<int> held_;
  std::thread thread_;
};

// Waits for a condition the sender reaches on its own thread (not a speed
// assertion: the bound is generous and only ends a broken test).
bool eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

WebhookOptions options_for(const Receiver& receiver) {
  WebhookOptions options;
  options.url = receiver.url();
  options.secret = kSecret;
  options.retry.first_delay = 20ms;  // the schedule's shape, shortened
  return options;
}

TEST(WebhookSender, PostsSignedJsonWithTheDeliveryHeaders) {
  Receiver receiver;
  FakeClock clock(1767225600123);
  WebhookSender sender(options_for(receiver), nullptr, clock);
  sender.start();
  sender.enqueue("d-1", R"({"type":"message"})");
  ASSERT_TRUE(eventually([&] { return sender.stats().sent == 1; }));
  sender.stop();

  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  auto& r = requests[0];
  EXPECT_EQ(r.body, R"({"type":"message"})");
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(r.headers["x-parley-delivery"], "d-1");
  EXPECT_EQ(r.headers["x-parley-timestamp"], "1767225600");
  EXPECT_EQ(r.headers["x-parley-signature"],
            "sha256=7804575aea120d3e0fdaf362b3b4be95a3c7f82f063bb06cb322578aec8fdfb7");
  EXPECT_EQ(sender.stats().failed, 0u);
}

TEST(WebhookSender, RetriesAFailureWithTheSameDeliveryId) {
  Receiver receiver({500, 503});
  metrics::Registry registry;
  WebhookSender sender(options_for(receiver), &registry);
  sender.start();
  sender.enqueue("d-2", "{}");
  ASSERT_TRUE(eventually([&] { return sender.stats().sent == 1; }));
  sender.stop();

  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 3u);
  for (auto& r : requests) {
    EXPECT_EQ(r.headers["x-parley-delivery"], "d-2");
    EXPECT_EQ(r.headers["x-parley-signature"],
              webhook_signature(kSecret, std::stoll(r.headers["x-parley-timestamp"]), "{}"));
  }
  EXPECT_EQ(sender.stats().failed, 2u);
  const auto text = registry.render();
  EXPECT_NE(text.find("parley_notify_sent_total 1"), std::string::npos) << text;
  EXPECT_NE(text.find("parley_notify_failed_total 2"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(parley_notify_dropped_total{reason="gave_up"} 0)"), std::string::npos) << text;
  EXPECT_NE(text.find("parley_notify_queue_depth 0"), std::string::npos) << text;
}

TEST(WebhookSender, GivesUpAfterTheLastAttempt) {
  Receiver receiver({500, 500, 500, 500});
  auto options = options_for(receiver);
  options.retry.max_attempts = 3;
  WebhookSender sender(options, nullptr);
  sender.start();
  sender.enqueue("d-3", "{}");
  ASSERT_TRUE(eventually([&] { return sender.stats().dropped_gave_up == 1; }));
  sender.stop();
  EXPECT_EQ(receiver.count(), 3u);
  EXPECT_EQ(sender.stats().failed, 3u);
  EXPECT_EQ(sender.stats().sent, 0u);
}

TEST(WebhookSender, ManyGivingUpAreAllCounted) {
  Receiver receiver(std::vector<int>(20, 500));
  auto options = options_for(receiver);
  options.retry.max_attempts = 2;
  WebhookSender sender(options, nullptr);
  sender.start();
  for (int i = 0; i < 10; ++i) sender.enqueue("g-" + std::to_string(i), "{}");
  ASSERT_TRUE(eventually([&] { return sender.stats().dropped_gave_up == 10; }));
  EXPECT_EQ(receiver.count(), 20u);
  EXPECT_EQ(sender.stats().failed, 20u);
}

TEST(WebhookSender, AFullQueueDropsTheOldestAndStopDropsTheRest) {
  Receiver receiver;
  auto options = options_for(receiver);
  options.queue_limit = 2;
  WebhookSender sender(options, nullptr);
  // Not started: nothing is taken off the queue.
  sender.enqueue("a", "{}");
  sender.enqueue("b", "{}");
  sender.enqueue("c", "{}");
  EXPECT_EQ(sender.stats().dropped_queue_full, 1u);
  EXPECT_EQ(sender.stats().queue_depth, 2);
  sender.stop();
  EXPECT_EQ(sender.stats().dropped_shutdown, 2u);
  EXPECT_EQ(sender.stats().queue_depth, 0);
  sender.enqueue("d", "{}");  // after stop: dropped at once
  EXPECT_EQ(sender.stats().dropped_shutdown, 3u);
  EXPECT_EQ(receiver.count(), 0u);
}

TEST(WebhookSender, KeepsQueueingWhileTheReceiverHangsAndStopEndsTheRequest) {
  Receiver receiver({}, /*silent=*/true);
  auto options = options_for(receiver);
  options.request_timeout = 60s;  // stop() must not wait for it
  WebhookSender sender(options, nullptr);
  sender.start();
  sender.enqueue("stuck", "{}");
  ASSERT_TRUE(eventually([&] { return receiver.count() == 1; }));
  for (int i = 0; i < 100; ++i) sender.enqueue("more-" + std::to_string(i), "{}");
  EXPECT_EQ(sender.stats().queue_depth, 100);
  sender.stop();  // aborts the request in flight through the progress callback
  EXPECT_EQ(sender.stats().dropped_shutdown, 101u);
  EXPECT_EQ(sender.stats().sent, 0u);
}

TEST(WebhookSender, AnUnreachableReceiverCountsFailedAttempts) {
  int port = 0;
  {
    Receiver closed;  // a port that was just free: nothing listens there afterwards
    port = std::stoi(closed.url().substr(std::string("http://127.0.0.1:").size()));
  }
  WebhookOptions options;
  options.url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  options.secret = kSecret;
  options.retry.first_delay = 10ms;
  options.retry.max_attempts = 2;
  WebhookSender sender(options, nullptr);
  sender.start();
  sender.enqueue("x", "{}");
  ASSERT_TRUE(eventually([&] { return sender.stats().dropped_gave_up == 1; }));
  EXPECT_EQ(sender.stats().failed, 2u);
}

}  // namespace
}  // namespace parley::notify
