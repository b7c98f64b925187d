#pragma once
// Wraps a handler so that it runs only for a valid bearer token, with the
// caller's user row. 401 otherwise. Also refreshes the caller's lastSeenAt.
//
// Thread-safety: the wrapper runs on worker threads like any handler.

#include <utility>

#include "chat/accounts.hpp"
#include "chat/presence.hpp"
#include "http/api/api.hpp"
#include "http/json_io.hpp"

namespace parley::http::api {

template <class F>
Handler authenticated(const ApiContext& context, F handler) {
  return [accounts = context.accounts, presence = context.presence, handler = std::move(handler)](Request& request) {
    auto user = accounts->authenticate(request.authorization);
    if (!user) return error_response(user.error());
    if (presence) presence->touch(user->id);
    return handler(request, *user);
  };
}

// Reads an optional array of strings; bad_request naming the field otherwise.
Result<std::vector<std::string>> string_array(const boost::json::object& body, std::string_view field);

}  // namespace parley::http::api
