#include "http/json_io.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace parley::http {

namespace json = boost::json;

Result<json::object> parse_json_object(const Request& request) {
  if (!request.has_json_body())
    return Error{ErrorKind::unsupported_media_type, "unsupported_media_type", "expected Content-Type: application/json"};
  json::parse_options options;
  options.max_depth = 32;
  boost::system::error_code ec;
  json::value value = json::parse(request.body, ec, {}, options);
  if (ec) return Error::bad_request("invalid_json", "request body is not valid JSON");
  if (!value.is_object()) return Error::bad_request("invalid_json", "request body must be a JSON object");
  return std::move(value.as_object());
}

Response json_response(int status, const json::value& body) {
  Response response;
  response.status = status;
  response.body = json::serialize(body);
  return response;
}

Response json_text_response(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

Response error_response(const Error& error) {
  json::object inner;
  inner["code"] = error.code;
  inner["message"] = error.message;
  if (error.kind == ErrorKind::rate_limited) inner["retryAfterMs"] = error.retry_after_ms;
  json::object outer;
  outer["error"] = std::move(inner);
  Response response = json_response(http_status(error.kind), outer);
  if (error.kind == ErrorKind::rate_limited) {
    const long long seconds = (error.retry_after_ms + 999) / 1000;
    response.headers.emplace_back("Retry-After", std::to_string(seconds < 1 ? 1 : seconds));
  }
  if (error.kind == ErrorKind::unauthorized) response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

Response respond(int status, const Result<json::value>& result) {
  if (!result) return error_response(result.error());
  return json_response(status, *result);
}

Result<std::optional<std::string>> optional_string(const json::object& body, std::string_view field) {
  const auto* value = body.if_contains(field);
  if (!value || value->is_null()) return std::optional<std::string>();
  if (!value->is_string())
    return Error::bad_request("invalid_field", std::string(field) + " must be a string");
  return std::optional<std::string>(std::string(value->as_string()));
}

Result<std::string> required_string(const json::object& body, std::string_view field) {
  auto value = optional_string(body, field);
  if (!value) return value.error();
  if (!value->has_value()) return Error::bad_request("missing_field", std::string(field) + " is required");
  return std::move(**value);
}

}  // namespace parley::http
