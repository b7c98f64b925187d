// libFuzzer target for the image path (media/image_previews.hpp) in-process:
// arbitrary bytes, written to a file, through libvips with small limits. In
// the server this runs in a sandboxed child (preview_sandbox.hpp); here ASan
// and UBSan watch our side of it. Properties: a refusal is bad_request
// "image_refused" (or invalid input), and an accepted image yields WebP
// thumbnails within the sizes asked, never larger than the image.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "media/image_previews.hpp"

namespace {
void check(bool condition) {
  if (!condition) std::abort();
}
std::filesystem::path scratch;
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  parley::media::init_image_library();
  scratch = std::filesystem::temp_directory_path() / ("parley-image-fuzz-" + std::to_string(::getpid()));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream out(scratch, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  parley::media::PreviewLimits limits;
  limits.max_pixels = 1 << 20;  // 1 MP: a fuzzed header cannot make us decode for long
  limits.max_input_bytes = 1 << 20;
  const std::vector<int> sides{64, 16};
  const auto result = parley::media::make_previews(scratch, sides, limits);
  if (result.ok()) {
    check(result->width >= 1 && result->height >= 1 &&
          static_cast<std::int64_t>(result->width) * result->height <= limits.max_pixels);
    check(result->thumbnails.size() == sides.size());
    for (std::size_t i = 0; i < sides.size(); ++i) {
      const auto& t = result->thumbnails[i];
      check(t.width >= 1 && t.width <= sides[i] && t.height >= 1 && t.height <= sides[i]);
      check(t.width <= result->width && t.height <= result->height);
      check(t.bytes.size() > 12 && t.bytes.compare(0, 4, "RIFF") == 0 && t.bytes.compare(8, 4, "WEBP") == 0);
    }
  } else {
    check(result.error().kind == parley::ErrorKind::bad_request && result.error().code == "image_refused");
  }
  return 0;
}
