#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>

#include "chat/messages.hpp"
#include "chat/views.hpp"
#include "http/api/authenticated.hpp"
#include "metrics/chat_metrics.hpp"

namespace parley::http::api {

namespace json = boost::json;

namespace {

// {conversationId, body, clientMsgId, attachmentIds?}; `conversation_in_path`
// (POST /api/conversations/:id/messages) replaces conversationId. The body may
// be absent or empty when attachmentIds names uploads (docs/media.md).
Response send(const ApiContext& context, Request& request, Id caller,
              std::optional<std::string> conversation_in_path = std::nullopt) {
  const auto start = std::chrono::steady_clock::now();
  auto body = parse_json_object(request);
  if (!body) return error_response(body.error());
  std::string conversation_id;
  if (conversation_in_path) {
    conversation_id = std::move(*conversation_in_path);
  } else {
    auto conversation = required_string(*body, "conversationId");
    if (!conversation) return error_response(conversation.error());
    conversation_id = std::move(*conversation);
  }
  auto text = optional_string(*body, "body");
  if (!text) return error_response(text.error());
  auto client_msg_id = required_string(*body, "clientMsgId");
  if (!client_msg_id) return error_response(client_msg_id.error());
  auto attachment_ids = string_array(*body, "attachmentIds");
  if (!attachment_ids) return error_response(attachment_ids.error());
  if (!*text && attachment_ids->empty()) return error_response(Error::bad_request("missing_field", "body is required"));
  auto sent = context.messages->send(caller, {std::move(conversation_id), text->value_or(std::string()),
                                              std::move(*client_msg_id), std::move(*attachment_ids)});
  if (!sent) return error_response(sent.error());
  if (context.chat_metrics)
    context.chat_metrics->message_accepted(
        metrics::Transport::rest, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return json_text_response(sent->created ? 201 : 200, "{\"message\":" + *sent->json + "}");
}

chat::PageQuery page_query(const Request& request) {
  chat::PageQuery query;
  if (auto v = request.query_param("before")) query.before = std::string(*v);
  if (auto v = request.query_param("after")) query.after = std::string(*v);
  if (auto v = request.query_param("limit")) query.limit = std::string(*v);
  return query;
}

Response history(const ApiContext& context, Request& request, Id caller) {
  auto page = context.messages->page_json(caller, request.param("conversationId"), page_query(request));
  if (!page) return error_response(page.error());
  Response response;
  response.shared_body = std::move(*page);
  return response;
}

// The pages every member asks for on opening a conversation come from the page
// cache, answered on the IO thread; everything else goes to history() above.
std::optional<Response> cached_history(const ApiContext& context, Request& request, Id caller) {
  auto page = context.messages->cached_page_json(caller, request.param("conversationId"), page_query(request));
  if (!page) return std::nullopt;
  Response response;
  response.shared_body = std::move(page);  // not copied: many answers share one cached page
  return response;
}

Response read(const ApiContext& context, Request& request, Id caller) {
  auto state = context.messages->mark_read(caller, request.param("id"));
  if (!state) return error_response(state.error());
  return json_response(200, json::object{{"conversationId", id_to_string(state->conversation_id)},
                                         {"lastReadSeq", state->last_read_seq},
                                         {"unreadCount", state->unread_count},
                                         {"mentionCount", state->mention_count}});
}

Response remove(const ApiContext& context, Request& request, Id caller) {
  auto tombstone = context.messages->remove(caller, request.param("id"));
  if (!tombstone) return error_response(tombstone.error());
  return json_text_response(200, "{\"message\":" + chat::message_json(*tombstone) + "}");
}

}  // namespace

void add_message_routes(Router& router, const ApiContext& context) {
  router.add("POST", "/api/messages",
             authenticated_id(context, [context](Request& r, Id u) { return send(context, r, u); }));
  router.add("POST", "/api/conversations/:id/messages",
             authenticated_id(context, [context](Request& r, Id u) {
               return send(context, r, u, std::string(r.param("id")));
             }));
  router.add("GET", "/api/messages/:conversationId",
             authenticated_id(context, [context](Request& r, Id u) { return history(context, r, u); }),
             authenticated_in_memory(context, [context](Request& r, Id u) { return cached_history(context, r, u); }));
  router.add("PUT", "/api/messages/:id/read",
             authenticated_id(context, [context](Request& r, Id u) { return read(context, r, u); }));
  router.add("DELETE", "/api/messages/:id",
             authenticated_id(context, [context](Request& r, Id u) { return remove(context, r, u); }));
}

}  // namespace parley::http::api
