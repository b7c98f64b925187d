#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "chat/conversations.hpp"
#include "chat/messages.hpp"
#include "chat/views.hpp"
#include "http/api/authenticated.hpp"

namespace parley::http::api {

namespace json = boost::json;

Result<std::vector<std::string>> string_array(const json::object& body, std::string_view field) {
  std::vector<std::string> out;
  const auto* value = body.if_contains(field);
  if (!value || value->is_null()) return out;
  if (!value->is_array()) return Error::bad_request("invalid_field", std::string(field) + " must be an array of ids");
  for (const auto& item : value->as_array()) {
    if (!item.is_string()) return Error::bad_request("invalid_field", std::string(field) + " must hold id strings");
    out.emplace_back(item.as_string());
  }
  if (out.size() > 10000) return Error::bad_request("invalid_field", std::string(field) + " is too long");
  return out;
}

namespace {

json::object render(const chat::ConversationDetail& detail) {
  return chat::conversation_view(detail.summary, detail.members);
}

Response create(const ApiContext& context, Request& request, const store::UserRow& caller) {
  auto body = parse_json_object(request);
  if (!body) return error_response(body.error());
  auto type = required_string(*body, "type");
  if (!type) return error_response(type.error());
  auto members = string_array(*body, "memberIds");
  if (!members) return error_response(members.error());
  auto title = optional_string(*body, "title");
  if (!title) return error_response(title.error());
  auto created = context.conversations->create(caller.id, {std::move(*type), std::move(*members), std::move(*title)});
  if (!created) return error_response(created.error());
  return json_response(created->second ? 201 : 200, json::object{{"conversation", render(created->first)}});
}

Response list(const ApiContext& context, Request& request, const store::UserRow& caller) {
  int limit = 20;
  if (auto text = request.query_param("limit")) {
    auto parsed = parse_id(*text);
    if (!parsed || *parsed < 1 || *parsed > 100)
      return error_response(Error::bad_request("invalid_limit", "limit must be between 1 and 100"));
    limit = static_cast<int>(*parsed);
  }
  auto page = context.conversations->list(caller.id, request.query_param("cursor"), limit);
  if (!page) return error_response(page.error());
  json::array items;
  for (const auto& detail : page->conversations) items.push_back(render(detail));
  json::object out{{"conversations", std::move(items)}};
  if (page->next_cursor) out["nextCursor"] = *page->next_cursor;
  else out["nextCursor"] = nullptr;
  return json_response(200, out);
}

Response get(const ApiContext& context, Request& request, const store::UserRow& caller) {
  auto detail = context.conversations->get(caller.id, request.param("id"));
  if (!detail) return error_response(detail.error());
  chat::PageQuery query;
  if (auto limit = request.query_param("limit")) query.limit = std::string(*limit);
  if (auto before = request.query_param("before")) query.before = std::string(*before);
  auto page = context.messages->page(caller.id, request.param("id"), query);
  if (!page) return error_response(page.error());
  // The messages in the one rendering of the message shape (chat/views.hpp).
  std::string out = "{\"conversation\":";
  out += json::serialize(render(*detail));
  out += ",\"messages\":";
  chat::append_messages_json(out, page->messages);
  out += ",\"nextCursor\":";
  out += page->next_cursor ? std::to_string(*page->next_cursor) : std::string("null");
  out += '}';
  return json_text_response(200, std::move(out));
}

Response update(const ApiContext& context, Request& request, const store::UserRow& caller) {
  auto body = parse_json_object(request);
  if (!body) return error_response(body.error());
  auto title = optional_string(*body, "title");
  if (!title) return error_response(title.error());
  auto add = string_array(*body, "addMemberIds");
  if (!add) return error_response(add.error());
  auto remove = string_array(*body, "removeMemberIds");
  if (!remove) return error_response(remove.error());
  auto detail = context.conversations->update(caller.id, request.param("id"),
                                              {std::move(*title), std::move(*add), std::move(*remove)});
  if (!detail) return error_response(detail.error());
  return json_response(200, json::object{{"conversation", render(*detail)}});
}

// PUT /api/conversations/:id/mute {muted: bool}: the caller's own setting;
// answers the conversation as GET /api/conversations does, with `muted`.
Response mute(const ApiContext& context, Request& request, Id caller) {
  auto body = parse_json_object(request);
  if (!body) return error_response(body.error());
  const auto* muted = body->if_contains("muted");
  if (!muted) return error_response(Error::bad_request("missing_field", "muted is required"));
  if (!muted->is_bool()) return error_response(Error::bad_request("invalid_field", "muted must be true or false"));
  auto detail = context.conversations->set_muted(caller, request.param("id"), muted->as_bool());
  if (!detail) return error_response(detail.error());
  return json_response(200, json::object{{"conversation", render(*detail)}});
}

}  // namespace

void add_conversation_routes(Router& router, const ApiContext& context) {
  router.add("POST", "/api/conversations",
             authenticated(context, [context](Request& r, const store::UserRow& u) { return create(context, r, u); }));
  router.add("GET", "/api/conversations",
             authenticated(context, [context](Request& r, const store::UserRow& u) { return list(context, r, u); }));
  router.add("GET", "/api/conversations/:id",
             authenticated(context, [context](Request& r, const store::UserRow& u) { return get(context, r, u); }));
  router.add("PUT", "/api/conversations/:id",
             authenticated(context, [context](Request& r, const store::UserRow& u) { return update(context, r, u); }));
  router.add("PUT", "/api/conversations/:id/mute",
             authenticated_id(context, [context](Request& r, Id u) { return mute(context, r, u); }));
}

}  // namespace parley::http::api
