#include "http/listener.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>

namespace parley::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

int option(int fd, int level, int name) {
  int value = -1;
  socklen_t length = sizeof value;
  EXPECT_EQ(::getsockopt(fd, level, name, &value, &length), 0);
  return value;
}

TEST(Listener, AcceptedSocketsInheritNoDelayAndArePreparedNonBlocking) {
  asio::io_context io;
  tcp::acceptor acceptor(io);
  ASSERT_TRUE(open_listener(acceptor, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), 16));

  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket accepted = acceptor.accept();
  // Nothing was set on `accepted` itself: TCP_NODELAY comes from the listener.
  EXPECT_NE(option(accepted.native_handle(), IPPROTO_TCP, TCP_NODELAY), 0);
  EXPECT_EQ(option(client.native_handle(), IPPROTO_TCP, TCP_NODELAY), 0);

  prepare_accepted(accepted);
  EXPECT_TRUE(accepted.non_blocking());
  ASSERT_NE(::fcntl(accepted.native_handle(), F_GETFL) & O_NONBLOCK, 0);  // else the read below would wait
  // A read with nothing to read says so instead of waiting.
  char byte = 0;
  boost::system::error_code ec;
  accepted.read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::would_block);
}

TEST(Listener, SharesThePortAmongItsOwnAcceptors) {
  asio::io_context io;
  tcp::acceptor first(io), second(io);
  ASSERT_TRUE(open_listener(first, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), 16));
  const auto port = first.local_endpoint().port();
  EXPECT_TRUE(open_listener(second, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), 16));
}

TEST(Listener, ABadAddressIsAnErrorAndLeavesTheAcceptorClosed) {
  asio::io_context io;
  tcp::acceptor acceptor(io);
  // 192.0.2.1 (TEST-NET-1) is not an address of this machine.
  auto status = open_listener(acceptor, tcp::endpoint(asio::ip::make_address("192.0.2.1"), 0), 16);
  ASSERT_FALSE(status);
  EXPECT_FALSE(status.error().message.empty());
  EXPECT_FALSE(acceptor.is_open());
}

}  // namespace
}  // namespace parley::http
