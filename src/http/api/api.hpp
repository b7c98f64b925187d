#pragma once
// The REST API under /api (docs/api.md), plus /healthz and /readyz: thin
// handlers that parse JSON, call the chat services and render their answers;
// a service's error becomes its status and {"error":{code,message}} body
// (json_io.hpp: unavailable → 503, rate_limited → 429 with Retry-After). No
// Beast here.
//
// Thread-safety: handlers run on worker threads, concurrently; the services
// they borrow are thread-safe. Ownership: ApiContext members outlive the router.

#include <functional>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "http/router.hpp"

namespace parley::chat {
class Accounts;
class Attachments;
class Conversations;
class Messages;
class Search;
class Users;
}  // namespace parley::chat
namespace parley::cluster {
class PresenceService;
}
namespace parley::store {
class Store;
}
namespace parley::media {
class BlobStore;
}
namespace parley::auth {
class MediaTokens;
}
namespace parley::metrics {
class Registry;
class ChatMetrics;
}

namespace parley::http::api {

struct ApiContext {
  chat::Accounts* accounts = nullptr;
  chat::Conversations* conversations = nullptr;
  chat::Messages* messages = nullptr;
  chat::Users* users = nullptr;
  // GET /api/search (docs/features.md); optional: without it search answers 503
  // "search_disabled".
  chat::Search* search = nullptr;
  cluster::PresenceService* presence = nullptr;  // optional: refreshed on every authenticated request
  store::Store* store = nullptr;
  // Media (docs/media.md). Without attachments and media_store the media routes
  // answer 503; without media_tokens `?access=` is refused (bearer only).
  chat::Attachments* attachments = nullptr;
  media::BlobStore* media_store = nullptr;  // for its temp_dir: where uploads stream to
  const auth::MediaTokens* media_tokens = nullptr;
  const metrics::Registry* metrics = nullptr;  // optional: /metrics answers 404 without it
  metrics::ChatMetrics* chat_metrics = nullptr;  // optional: REST sends accepted and their latency
  // Optional: why the node serves with reduced function (e.g. "redis unreachable:
  // live delivery falls back to polling the store"), or nothing when all is well.
  // /readyz stays 200 (the node can serve) and says "degraded" with the reason.
  std::function<std::optional<std::string>()> degraded;
  // Optional: can the media store be reached (BlobStore::ping). /readyz is 503
  // without it: uploads and downloads would fail.
  std::function<Status()> media_ping;
};

void add_health_routes(Router& router, const ApiContext& context);
void add_auth_routes(Router& router, const ApiContext& context);
void add_conversation_routes(Router& router, const ApiContext& context);
void add_message_routes(Router& router, const ApiContext& context);
void add_user_routes(Router& router, const ApiContext& context);
// GET /api/search (docs/features.md, "Search").
void add_search_routes(Router& router, const ApiContext& context);
// POST /api/uploads (streamed), GET /api/attachments/..., POST /api/media/token.
void add_media_routes(Router& router, const ApiContext& context);

// All of the above.
void add_all_routes(Router& router, const ApiContext& context);

}  // namespace parley::http::api
