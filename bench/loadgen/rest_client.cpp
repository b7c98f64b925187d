#include "rest_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

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

  bool connect() {
    boost::system::error_code ec;
    socket.close(ec);
    socket = tcp::socket(io);
    socket.connect(tcp::endpoint(asio::ip::make_address(host, ec), port), ec);
    return !ec;
  }
};

RestClient::RestClient(std::string host, std::uint16_t port) : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
}

RestClient::~RestClient() = default;

RestAnswer RestClient::post(std::string_view target, std::string_view json, std::string_view token) {
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, impl_->host);
  req.set(http::field::content_type, "application/json");
  if (!token.empty()) req.set(http::field::authorization, std::string("Bearer ").append(token));
  req.body() = std::string(json);
  req.prepare_payload();
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!impl_->socket.is_open() && !impl_->connect()) continue;
    boost::system::error_code ec;
    http::write(impl_->socket, req, ec);
    if (!ec) {
      http::response<http::string_body> res;
      http::read(impl_->socket, impl_->buffer, res, ec);
      if (!ec) {
        if (!res.keep_alive()) impl_->socket.close(ec);
        return RestAnswer{static_cast<int>(res.result_int()), std::move(res.body())};
      }
    }
    impl_->socket.close(ec);
  }
  return RestAnswer{};
}

}  // namespace parley::bench
