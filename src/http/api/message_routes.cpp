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

// {conversationId, body, clientMsgId, attachmentIds?, replyToId?}; `conversation_in_path`
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
  auto reply_to_id = optional_string(*body, "replyToId");  // null or absent: not a reply
  if (!reply_to_id) return error_response(reply_to_id.error());
  auto sent = context.messages->send(caller, {std::move(conversation_id), text->value_or(std::string()),
                                              std::move(*client_msg_id), std::move(*attachment_ids),
                                              reply_to_id->value_or(std::string())});
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

// ?changedAfter=C[&limit=N] (docs/features.md, "The change sequence") is a
// page of the change sequence, not of history: it cannot be combined with
// before= or after=.
std::optional<Response> changes(const ApiContext& context, Request& request, Id caller) {
  auto changed_after = request.query_param("changedAfter");
  if (!changed_after) return std::nullopt;
  if (request.query_param("before") || request.query_param("after"))
    return error_response(
        Error::bad_request("invalid_query", "changedAfter cannot be combined with before or after"));
  auto page = context.messages->changes(caller, request.param("conversationId"), *changed_after,
                                        request.query_param("limit"));
  if (!page) return error_response(page.error());
  return json_text_response(200, chat::change_page_json(page->messages, page->next_cursor));
}

Response history(const ApiContext& context, Request& request, Id caller) {
  if (auto answer = changes(context, request, caller)) return std::move(*answer);
  auto page = context.messages->page_json(caller, request.param("conversationId"), page_query(request));
  if (!page) return error_response(page.error());
  Response response;
  response.shared_body = std::move(*page);
  return response;
}

// The pages every member asks for on opening a conversation come from the page
// cache, answered on the IO thread; everything else goes to history() above.
std::optional<Response> cached_history(const ApiContext& context, Request& request, Id caller) {
  if (request.query_param("changedAfter")) return std::nullopt;  // never from the page cache
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

// PATCH /api/messages/:id {body}: the sender's edit; the message as it is now.
Response edit(const ApiContext& context, Request& request, Id caller) {
  auto body = parse_json_object(request);
  if (!body) return error_response(body.error());
  auto text = required_string(*body, "body");
  if (!text) return error_response(text.error());
  auto edited = context.messages->edit(caller, request.param("id"), *text);
  if (!edited) return error_response(edited.error());
  return json_text_response(200, "{\"message\":" + chat::message_json(*edited) + "}");
}

// PUT (on) / DELETE (off) /api/messages/:id/reactions/:emoji. The request path
// was percent-decoded as a whole before routing (http_session.cpp), so the
// parameter is the emoji's UTF-8 already. Answers {conversationId, messageId,
// changeSeq, reactions}, changed or not.
Response react(const ApiContext& context, Request& request, Id caller, bool on) {
  auto change = context.messages->react(caller, request.param("id"), request.param("emoji"), on);
  if (!change) return error_response(change.error());
  return json_text_response(200, chat::reactions_json(change->message));
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
  router.add("PATCH", "/api/messages/:id",
             authenticated_id(context, [context](Request& r, Id u) { return edit(context, r, u); }));
  router.add("PUT", "/api/messages/:id/reactions/:emoji",
             authenticated_id(context, [context](Request& r, Id u) { return react(context, r, u, true); }));
  router.add("DELETE", "/api/messages/:id/reactions/:emoji",
             authenticated_id(context, [context](Request& r, Id u) { return react(context, r, u, false); }));
}

}  // namespace parley::http::api
