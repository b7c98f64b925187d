#include <boost/json/object.hpp>

#include "http/api/api.hpp"
#include "http/json_io.hpp"
#include "metrics/registry.hpp"
#include "store/store.hpp"

namespace parley::http::api {

void add_health_routes(Router& router, const ApiContext& context) {
  // Liveness needs nothing but a running IO thread: answered where it arrives.
  const auto alive = [](Request&) { return json_text_response(200, R"({"status":"ok"})"); };
  router.add("GET", "/healthz", alive, [alive](Request& r) -> std::optional<Response> { return alive(r); });
  // Not ready (503) without the store: nothing works. Ready but "degraded" when
  // a dependency that can be done without is away (Redis in cluster mode).
  router.add("GET", "/readyz", [store = context.store, degraded = context.degraded,
                                 media_ping = context.media_ping](Request&) {
    if (auto status = store->ping(); !status) {
      Response response = error_response(Error::unavailable("store not ready: " + status.error().message));
      return response;
    }
    if (media_ping) {
      if (auto status = media_ping(); !status)
        return error_response(Error::unavailable("media store not ready: " + status.error().message));
    }
    if (degraded) {
      if (auto reason = degraded())
        return json_response(200, boost::json::object{{"status", "degraded"}, {"reason", *reason}});
    }
    return json_response(200, boost::json::object{{"status", "ready"}});
  });
  router.add("GET", "/metrics", [metrics = context.metrics](Request&) {
    if (!metrics) return error_response(Error::not_found("metrics are not enabled"));
    Response response;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = metrics->render();
    return response;
  });
}

void add_all_routes(Router& router, const ApiContext& context) {
  add_health_routes(router, context);
  add_auth_routes(router, context);
  add_conversation_routes(router, context);
  add_message_routes(router, context);
  add_user_routes(router, context);
  add_search_routes(router, context);
  add_media_routes(router, context);
}

}  // namespace parley::http::api
