#pragma once
// JSON request parsing and response building for route handlers, and the one
// error shape of the API (docs/api.md): {"error":{"code":"...","message":"..."}}.
//
// Thread-safety: pure functions.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/result.hpp"
#include "http/request.hpp"

namespace parley::http {

// The body as a JSON object; bad_request (invalid_json / expected_object /
// unsupported_media_type) otherwise. Depth is bounded.
Result<boost::json::object> parse_json_object(const Request& request);

Response json_response(int status, const boost::json::value& body);
// A body that is already JSON text.
Response json_text_response(int status, std::string body);
Response error_response(const Error& error);
// Shorthand for handlers that produce Result<json>.
Response respond(int status, const Result<boost::json::value>& result);

// Typed field readers: absent → nullopt; wrong type → bad_request naming the field.
Result<std::optional<std::string>> optional_string(const boost::json::object& body, std::string_view field);
Result<std::string> required_string(const boost::json::object& body, std::string_view field);

}  // namespace parley::http
