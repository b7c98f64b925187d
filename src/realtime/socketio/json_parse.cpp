#include "realtime/socketio/json_parse.hpp"

#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

namespace parley::socketio {
namespace json = boost::json;

namespace {

// The handler of boost::json::parser, except for doubles.
class PreciseHandler {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  json::value_stack stack;

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    stack.push_array(n);
    return true;
  }
  bool on_object_begin(json::error_code&) { return true; }
  bool on_object_end(std::size_t n, json::error_code&) {
    stack.push_object(n);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    stack.push_string(s);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    stack.push_key(s);
    return true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    number_.clear();
    stack.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    number_.clear();
    stack.push_uint64(u);
    return true;
  }
  bool on_double(double approximate, json::string_view s, json::error_code& ec) {
    std::string_view text(s.data(), s.size());
    if (!number_.empty()) {
      number_.append(s.data(), s.size());
      text = number_;
    }
    double value = approximate;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    // On underflow (1e-400) from_chars reports out of range; the approximation (zero) is
    // what JSON.parse gives too. Overflow is caught below.
    if (error != std::errc() || end != text.data() + text.size()) value = approximate;
    number_.clear();
    if (!std::isfinite(value)) {
      ec = json::error::exponent_overflow;
      return false;
    }
    stack.push_double(value);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    stack.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  std::string number_;  // a number split across on_number_part calls
};

}  // namespace

std::optional<json::value> parse_json(std::string_view text, std::size_t max_depth) {
  json::parse_options options;
  options.max_depth = max_depth;
  json::basic_parser<PreciseHandler> parser(options);
  parser.handler().stack.reset();
  json::error_code ec;
  const std::size_t consumed = parser.write_some(false, text.data(), text.size(), ec);
  if (ec || consumed != text.size() || !parser.done()) return std::nullopt;
  return parser.handler().stack.release();
}

}  // namespace parley::socketio
