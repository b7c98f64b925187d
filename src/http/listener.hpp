#pragma once
// Listening sockets of the HTTP server, set up once so that every accepted
// connection inherits what it needs.
//
// Why here and not per connection: Linux copies TCP_NODELAY from the listening
// socket into each socket it accepts, so setting it once saves one setsockopt
// per handshake (in a connect storm the kernel does most of the work, so every
// system call it is spared counts: bench/analysis.md).
// prepare_accepted() then makes the accepted socket non-blocking once, before
// any asynchronous operation would do it (Asio checks the flag and skips its own
// ioctl; the WebSocket layer reads with read_some() and needs it set anyway).
//
// Thread-safety: none of its own; call on the thread that owns the sockets.

#include <boost/asio/ip/tcp.hpp>

#include "common/result.hpp"

namespace parley::http {

// Opens, configures (SO_REUSEADDR, SO_REUSEPORT, TCP_NODELAY), binds and listens.
// On failure the acceptor is left closed and the error names the system call's reason.
Status open_listener(boost::asio::ip::tcp::acceptor& acceptor, const boost::asio::ip::tcp::endpoint& endpoint,
                     int backlog);

// A socket just accepted from such a listener: non-blocking from now on.
void prepare_accepted(boost::asio::ip::tcp::socket& socket);

}  // namespace parley::http
