#pragma once
// Wraps a handler so that it runs only for a valid bearer token, with the
// caller's user row. 401 otherwise, but 503 when the store cannot tell (an
// outage is not bad credentials). Also refreshes the caller's lastSeenAt.
//
// Thread-safety: authenticated() runs on worker threads like any handler;
// authenticated_in_memory() on IO threads, so it must never block.

#include <utility>

#include "chat/accounts.hpp"
#include "cluster/presence.hpp"
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

// Like authenticated(), for handlers that need only the caller's id
// (Response(Request&, Id caller)): a known user's token is checked without the
// store (Accounts::authenticate_in_memory), others read the user row.
template <class F>
Handler authenticated_id(const ApiContext& context, F handler) {
  return [accounts = context.accounts, presence = context.presence, handler = std::move(handler)](Request& request) {
    Id caller = 0;
    if (auto known = accounts->authenticate_in_memory(request.authorization)) {
      caller = *known;
    } else {
      auto user = accounts->authenticate(request.authorization);
      if (!user) return error_response(user.error());
      caller = user->id;
    }
    if (presence) presence->touch(caller);
    return handler(request, caller);
  };
}

// The in-memory handler (router.hpp) of an authenticated route: runs `handler`
// (std::optional<Response>(Request&, Id caller)) on the IO thread when the
// token can be checked without the store (Accounts::authenticate_in_memory),
// and leaves the request to the worker handler otherwise.
template <class F>
InMemoryHandler authenticated_in_memory(const ApiContext& context, F handler) {
  return [accounts = context.accounts, presence = context.presence,
          handler = std::move(handler)](Request& request) -> std::optional<Response> {
    auto user = accounts->authenticate_in_memory(request.authorization);
    if (!user) return std::nullopt;
    std::optional<Response> response = handler(request, *user);
    if (response && presence) presence->touch(*user);
    return response;
  };
}

// Reads an optional array of strings; bad_request naming the field otherwise.
Result<std::vector<std::string>> string_array(const boost::json::object& body, std::string_view field);

}  // namespace parley::http::api
