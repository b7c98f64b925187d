#include "http/server.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <cstring>
#include <list>
#include <mutex>
#include <spdlog/spdlog.h>
#include <thread>
#include <vector>

#include "http/http_session.hpp"
#include "http/listener.hpp"
#include "http/realtime_endpoint.hpp"
#include "http/session_context.hpp"

namespace parley::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// SO_REUSEPORT lets our own acceptors share a port, but it would also let a
// second parley process (same user) join the group and steal half the
// connections. An abstract Unix socket named after the port is exclusive
// machine-wide (per network namespace) and vanishes with the process.
class PortGuard {
 public:
  Status acquire(std::uint16_t port) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return Error::internal(std::string("cannot create port guard: ") + std::strerror(errno));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string name = "parley-port-" + std::to_string(port);
    std::memcpy(address.sun_path + 1, name.data(), name.size());  // sun_path[0] = 0: abstract
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0) {
      const int err = errno;
      ::close(fd_);
      fd_ = -1;
      if (err == EADDRINUSE) return Error::internal("port " + std::to_string(port) + " is already in use by another parley");
      return Error::internal(std::string("cannot create port guard: ") + std::strerror(err));
    }
    return Status::success();
  }
  ~PortGuard() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  int fd_ = -1;
};

}  // namespace

struct IoThread {
  IoThread(const ServerOptions& options, const ServerServices& services, int index)
      : work(io.get_executor()), acceptor(io) {
    context = std::make_unique<SessionContext>(SessionContext{options, services, io, index, {}, false});
  }

  void do_accept() {
    acceptor.async_accept(io, [this](boost::system::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
  }

  void on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (context->stopping || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of file descriptors or similar: back off instead of spinning.
      spdlog::warn("accept failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(50));
      backoff.async_wait([this](boost::system::error_code wait_ec) {
        if (!wait_ec && !context->stopping) do_accept();
      });
      return;
    }
    prepare_accepted(socket);  // TCP_NODELAY comes from the listener (listener.hpp)
    std::make_shared<HttpSession>(std::move(socket), *context)->start();
    do_accept();
  }

  // On this thread: stop accepting, close idle sessions, let busy ones finish.
  void begin_shutdown() {
    context->stopping = true;
    boost::system::error_code ec;
    acceptor.close(ec);
    backoff.cancel();
    // shutdown() may destroy a session (erasing it from the set): iterate a copy.
    std::vector<HttpSession*> sessions(context->sessions.begin(), context->sessions.end());
    for (auto* session : sessions)
      if (context->sessions.count(session)) session->shutdown();
    work.reset();
  }

  // `context` is declared before `io` so that it is destroyed after it: handlers still
  // queued when the io_context goes away (a shutdown that timed out) hold sessions, whose
  // destructors unregister from the context. The thread has stopped by then, so they die
  // on the destroying thread without racing anyone.
  std::unique_ptr<SessionContext> context;  // set by the constructor, never null
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work;
  tcp::acceptor acceptor;
  asio::steady_timer backoff{io};
  std::thread thread;
};

struct Server::Impl {
  ServerOptions options;
  ServerServices services;
  PortGuard guard;
  std::list<IoThread> threads;  // list: IoThread is not movable
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;
  std::mutex mutex;
  std::condition_variable finished_cv;
  int finished = 0;
};

Server::Server(ServerOptions options, ServerServices services) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->services = services;
}

Server::~Server() { stop(); }

std::uint16_t Server::port() const { return impl_->port; }

ServerServices& Server::services() { return impl_->services; }

std::vector<asio::io_context*> Server::io_contexts() {
  std::vector<asio::io_context*> out;
  for (auto& thread : impl_->threads) out.push_back(&thread.io);
  return out;
}

Status Server::bind() {
  auto& impl = *impl_;
  if (!impl.threads.empty()) return Status::success();
  boost::system::error_code ec;
  asio::ip::address address;
  if (impl.options.host == "localhost") {
    address = asio::ip::make_address("127.0.0.1");
  } else {
    address = asio::ip::make_address(impl.options.host, ec);
    if (ec) return Error::internal("--listen: '" + impl.options.host + "' is not an IP address");
  }
  const std::string where = impl.options.host + ":" + std::to_string(impl.options.port);
  if (impl.options.port != 0) {
    if (auto status = impl.guard.acquire(impl.options.port); !status) return status;
  }
  std::uint16_t port = impl.options.port;
  for (int i = 0; i < std::max(1, impl.options.threads); ++i) {
    auto& thread = impl.threads.emplace_back(impl.options, impl.services, i);
    auto& acceptor = thread.acceptor;
    if (auto status = open_listener(acceptor, tcp::endpoint(address, port), 4096); !status) {
      impl.threads.clear();
      return Error::internal("cannot listen on " + where + ": " + status.error().message);
    }
    if (port == 0) {
      port = acceptor.local_endpoint().port();
      if (auto status = impl.guard.acquire(port); !status) {
        impl.threads.clear();
        return status;
      }
    }
  }
  impl.port = port;
  return Status::success();
}

Status Server::start() {
  auto& impl = *impl_;
  if (auto status = bind(); !status) return status;
  for (auto& thread : impl.threads) {
    thread.do_accept();
    thread.thread = std::thread([&thread, &impl] {
      thread.io.run();
      std::lock_guard lock(impl.mutex);
      ++impl.finished;
      impl.finished_cv.notify_all();
    });
  }
  impl.started = true;
  return Status::success();
}

void Server::stop() {
  auto& impl = *impl_;
  if (!impl.started || impl.stopped) return;
  impl.stopped = true;
  if (impl.services.realtime) impl.services.realtime->shutdown();
  for (auto& thread : impl.threads) asio::post(thread.io, [&thread] { thread.begin_shutdown(); });
  {
    std::unique_lock lock(impl.mutex);
    const bool drained = impl.finished_cv.wait_for(lock, impl.options.shutdown_timeout, [&] {
      return impl.finished == static_cast<int>(impl.threads.size());
    });
    if (!drained) spdlog::warn("shutdown: in-flight work did not finish in time; closing anyway");
  }
  for (auto& thread : impl.threads) thread.io.stop();
  for (auto& thread : impl.threads)
    if (thread.thread.joinable()) thread.thread.join();
}

}  // namespace parley::http
