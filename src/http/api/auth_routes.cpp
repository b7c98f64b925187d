#include <boost/json/object.hpp>

#include "chat/accounts.hpp"
#include "chat/views.hpp"
#include "http/api/api.hpp"
#include "http/api/authenticated.hpp"
#include "http/json_io.hpp"

namespace parley::http::api {

namespace json = boost::json;

namespace {

json::value session_body(const chat::LoginResult& session) {
  return json::object{{"token", session.token}, {"user", chat::self_view(session.user)}};
}

Response register_user(chat::Accounts& accounts, Request& request) {
  auto body = parse_json_object(request);
  if (!body) return error_response(body.error());
  auto username = required_string(*body, "username");
  if (!username) return error_response(username.error());
  auto email = required_string(*body, "email");
  if (!email) return error_response(email.error());
  auto password = required_string(*body, "password");
  if (!password) return error_response(password.error());
  auto display_name = optional_string(*body, "displayName");
  if (!display_name) return error_response(display_name.error());
  auto session = accounts.register_user(
      {std::move(*username), std::move(*email), std::move(*password), display_name->value_or("")});
  if (!session) return error_response(session.error());
  return json_response(201, session_body(*session));
}

Response login(chat::Accounts& accounts, Request& request) {
  auto body = parse_json_object(request);
  if (!body) return error_response(body.error());
  auto username = optional_string(*body, "username");
  if (!username) return error_response(username.error());
  auto email = optional_string(*body, "email");
  if (!email) return error_response(email.error());
  auto password = required_string(*body, "password");
  if (!password) return error_response(password.error());
  if (!username->has_value() && !email->has_value())
    return error_response(Error::bad_request("missing_field", "username or email is required"));
  const std::string& login = username->has_value() ? **username : **email;
  auto session = accounts.login(login, *password);
  if (!session) return error_response(session.error());
  return json_response(200, session_body(*session));
}

}  // namespace

void add_auth_routes(Router& router, const ApiContext& context) {
  auto* accounts = context.accounts;
  router.add("POST", "/api/auth/register", [accounts](Request& r) { return register_user(*accounts, r); });
  router.add("POST", "/api/auth/login", [accounts](Request& r) { return login(*accounts, r); });
  // Through authenticated() like every other route, so /me refreshes lastSeenAt too.
  router.add("GET", "/api/auth/me", authenticated(context, [](Request&, const store::UserRow& user) {
               return json_response(200, json::object{{"user", chat::self_view(user)}});
             }));
}

}  // namespace parley::http::api
