#pragma once
// What every HTTP session on one IO thread shares: options, services, and the
// registry of live sessions used at shutdown. Includes Beast: only for the
// network TUs of this folder.
//
// Thread-safety: one SessionContext per IO thread, touched only on that thread.

#include <boost/asio/io_context.hpp>
#include <unordered_set>

#include "http/server.hpp"

namespace parley::http {

class HttpSession;

struct SessionContext {
  const ServerOptions& options;
  const ServerServices& services;
  boost::asio::io_context& io;
  int thread_index;                           // this IO thread's number
  std::unordered_set<HttpSession*> sessions;  // live sessions of this thread
  bool stopping = false;
};

}  // namespace parley::http
