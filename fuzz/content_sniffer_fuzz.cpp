// libFuzzer target for the content sniffer (media/content_sniffer.hpp), which
// decides how every uploaded file is served. Properties: it never fails, looks
// at the first kSniffBytes only, and calls nothing text/plain that a browser
// could take for markup or that holds bytes text must not.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "media/content_sniffer.hpp"

namespace {
void check(bool condition) {
  if (!condition) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto type = parley::media::sniff_content_type(input);
  check(!type.empty());
  check(type == parley::media::sniff_content_type(input.substr(0, parley::media::kSniffBytes)));
  if (type.rfind("text/plain", 0) == 0) {
    for (char c : input.substr(0, parley::media::kSniffBytes)) check(c != '\0');
  }
  // Markup is never inline.
  if (type == "text/html" || type == "image/svg+xml" || type == "application/xml")
    check(!parley::media::serve_inline(type));
  return 0;
}
