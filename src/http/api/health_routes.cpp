#include <boost/json/object.hpp>

#include "http/api/api.hpp"
#include "http/json_io.hpp"
#include "store/store.hpp"

namespace parley::http::api {

void add_health_routes(Router& router, const ApiContext& context) {
  router.add("GET", "/healthz", [](Request&) {
    return json_response(200, boost::json::object{{"status", "ok"}});
  });
  router.add("GET", "/readyz", [store = context.store](Request&) {
    if (auto status = store->ping(); !status) {
      Response response = error_response(Error::unavailable("store not ready: " + status.error().message));
      return response;
    }
    return json_response(200, boost::json::object{{"status", "ready"}});
  });
}

void add_all_routes(Router& router, const ApiContext& context) {
  add_health_routes(router, context);
  add_auth_routes(router, context);
  add_conversation_routes(router, context);
  add_message_routes(router, context);
  add_user_routes(router, context);
}

}  // namespace parley::http::api
