#include "common/json_writer.hpp"

#include <charconv>
#include <chrono>

namespace parley::json_text {

void append_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the pending run of bytes that need no escape
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
    }
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

void append_int(std::string& out, std::int64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

void append_id(std::string& out, std::int64_t id) {
  out.push_back('"');
  append_int(out, id);
  out.push_back('"');
}

void append_time(std::string& out, TimeMs t) {
  using namespace std::chrono;
  const sys_days days = floor<std::chrono::days>(sys_time<milliseconds>(milliseconds(t)));
  const year_month_day ymd(days);
  TimeMs rest = t - duration_cast<milliseconds>(days.time_since_epoch()).count();
  const int ms = static_cast<int>(rest % 1000);
  rest /= 1000;
  const int fields[] = {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
                        static_cast<int>(static_cast<unsigned>(ymd.day())), static_cast<int>(rest / 3600),
                        static_cast<int>(rest / 60 % 60), static_cast<int>(rest % 60)};
  char buf[27] = "\"0000-00-00T00:00:00.000Z\"";
  auto put = [&buf](int pos, int value, int digits) {
    for (int i = digits - 1; i >= 0; --i, value /= 10) buf[pos + i] = static_cast<char>('0' + value % 10);
  };
  put(1, fields[0], 4);
  put(6, fields[1], 2);
  put(9, fields[2], 2);
  put(12, fields[3], 2);
  put(15, fields[4], 2);
  put(18, fields[5], 2);
  put(21, ms, 3);
  out.append(buf, 26);
}

}  // namespace parley::json_text
