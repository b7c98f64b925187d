#include "rest_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <sys/socket.h>
#include <sys/time.h>

namespace parley::bench {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

struct RestClient::Impl {
  asio::io_context io;
  tcp::socket socket{io};
  std::string host;
  std::uint16_t port;
  boost::beast::flat_buffer buffer;

  RestAnswer send(http::request<http::string_body>& req);

  bool connect() {
    boost::system::error_code ec;
    socket.close(ec);
    socket = tcp::socket(io);
    socket.connect(tcp::endpoint(asio::ip::make_address(host, ec), port), ec);
    if (ec) return false;
    // Setup must not hang on a server that stopped answering: blocking calls time out.
    timeval timeout{30, 0};
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    return true;
  }
};

RestClient::RestClient(std::string host, std::uint16_t port) : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
}

RestClient::~RestClient() = default;

RestAnswer RestClient::post(std::string_view target, std::string_view json, std::string_view token) {
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::content_type, "application/json");
  if (!token.empty()) req.set(http::field::authorization, std::string("Bearer ").append(token));
  req.body() = std::string(json);
  return impl_->send(req);
}

RestAnswer RestClient::get(std::string_view target) {
  http::request<http::string_body> req{http::verb::get, target, 11};
  return impl_->send(req);
}

RestAnswer RestClient::Impl::send(http::request<http::string_body>& req) {
  req.set(http::field::host, host);
  req.prepare_payload();
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!socket.is_open() && !connect()) continue;
    boost::system::error_code ec;
    http::write(socket, req, ec);
    if (!ec) {
      http::response<http::string_body> res;
      http::read(socket, buffer, res, ec);
      if (!ec) {
        if (!res.keep_alive()) socket.close(ec);
        return RestAnswer{static_cast<int>(res.result_int()), std::move(res.body())};
      }
    }
    socket.close(ec);
  }
  return RestAnswer{};
}

}  // namespace parley::bench
