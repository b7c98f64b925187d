#include "chat/search.hpp"
#include "chat/views.hpp"
#include "http/api/authenticated.hpp"

namespace parley::http::api {

namespace {

// GET /api/search?q=&conversationId=&before=&limit=&cursor= (docs/features.md):
// the parameters go to the chat layer as typed; it checks them (invalid_query,
// invalid_limit, ...) and answers not_found for a conversation of which the
// caller is not a member.
Response search(const ApiContext& context, Request& request, Id caller) {
  if (context.search == nullptr)
    return error_response(
        Error{ErrorKind::unavailable, "search_disabled", "search is not available on this server"});
  chat::SearchInput input;
  if (auto q = request.query_param("q")) input.q = std::string(*q);
  if (auto v = request.query_param("conversationId")) input.conversation_id = std::string(*v);
  if (auto v = request.query_param("before")) input.before = std::string(*v);
  if (auto v = request.query_param("limit")) input.limit = std::string(*v);
  if (auto v = request.query_param("cursor")) input.cursor = std::string(*v);
  auto page = context.search->search(caller, input);
  if (!page) return error_response(page.error());
  return json_text_response(200, chat::search_page_json(page->hits, page->next_cursor));
}

}  // namespace

void add_search_routes(Router& router, const ApiContext& context) {
  router.add("GET", "/api/search",
             authenticated_id(context, [context](Request& r, Id u) { return search(context, r, u); }));
}

}  // namespace parley::http::api
