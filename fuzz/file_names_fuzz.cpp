// libFuzzer target for file names (media/file_names.hpp): what users name
// their uploads, stored, shown and put in a Content-Disposition header.
// Properties: a sanitized name is valid UTF-8, 1 to 255 bytes, holds no path
// separator and no control character, does not start with '.' or ' ', and
// sanitizing it again changes nothing; the header value is printable ASCII.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/utf8.hpp"
#include "media/file_names.hpp"

namespace {
void check(bool condition) {
  if (!condition) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto name = parley::media::sanitize_file_name(input);
  check(!name.empty() && name.size() <= 255);
  check(parley::is_valid_utf8(name));
  check(name.find('/') == std::string::npos && name.find('\\') == std::string::npos);
  for (char c : name) check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F);
  check(name[0] != '.' && name[0] != ' ');
  check(parley::media::sanitize_file_name(name) == name);
  for (bool inline_display : {true, false}) {
    const auto header = parley::media::content_disposition(input, inline_display);
    for (char c : header) check(c >= 0x20 && c < 0x7F);
  }
  return 0;
}
