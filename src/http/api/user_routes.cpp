#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "chat/users.hpp"
#include "chat/views.hpp"
#include "http/api/authenticated.hpp"

namespace parley::http::api {

namespace json = boost::json;

void add_user_routes(Router& router, const ApiContext& context) {
  router.add("GET", "/api/users/search", authenticated(context, [context](Request& r, const store::UserRow& caller) {
               auto users = context.users->search(caller.id, r.query_param("q").value_or(""), r.query_param("limit"));
               if (!users) return error_response(users.error());
               json::array items;
               for (const auto& user : *users) items.push_back(chat::user_view(user));
               return json_response(200, json::object{{"users", std::move(items)}});
             }));
  router.add("GET", "/api/users/:id/status", authenticated(context, [context](Request& r, const store::UserRow&) {
               auto status = context.users->status(r.param("id"));
               if (!status) return error_response(status.error());
               json::object out{{"userId", id_to_string(status->user_id)}, {"online", status->online}};
               if (status->last_seen_at) out["lastSeenAt"] = format_iso8601(*status->last_seen_at);
               else out["lastSeenAt"] = nullptr;
               return json_response(200, out);
             }));
}

}  // namespace parley::http::api
