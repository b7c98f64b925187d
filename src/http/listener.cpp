#include "http/listener.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace parley::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Status open_listener(tcp::acceptor& acceptor, const tcp::endpoint& endpoint, int backlog) {
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) {
    // Several acceptors (one per IO thread) share the port; server.cpp guards it
    // against other processes.
    int one = 1;
    if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
      ec.assign(errno, boost::system::system_category());
  }
  // Inherited by every accepted socket: replies go out at once, not after Nagle's wait.
  if (!ec) acceptor.set_option(tcp::no_delay(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(backlog, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return Error::internal(ec.message());
  }
  return Status::success();
}

void prepare_accepted(tcp::socket& socket) {
  boost::system::error_code ignored;  // fails only for a socket already closed; its first read will say so
  socket.non_blocking(true, ignored);
}

}  // namespace parley::http
