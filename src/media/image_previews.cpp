// libvips does the decoding, orientation, resampling and encoding; this file
// decides what it may be asked to do: which loaders (the formats browsers show,
// never ImageMagick, PDF or other "untrusted" loaders), how large an image
// (from its header, before a pixel is decoded), and how strict a decoder must
// be (fail_on=error: a truncated or corrupt file is refused, not padded grey).
#include "media/image_previews.hpp"

#include <vips/vips.h>
#include <webp/encode.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <mutex>
#include <string_view>

#include "fmt/format.h"

// libvips and the libraries under it (GLib, the codecs) are not built with
// the sanitizers. GLib's mutexes are futexes ThreadSanitizer cannot see, so
// every hand-off between libvips' threads looks like a race; and GLib's type
// system allocates for the life of the process. Reports inside those
// libraries are not about our code: the sanitizer builds (make test) leave
// them out. Any report with a frame of ours alone still stops the run.
#if defined(__SANITIZE_THREAD__)
#define PARLEY_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PARLEY_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define PARLEY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PARLEY_ASAN 1
#endif
#endif
#define PARLEY_IMAGE_LIBRARIES(kind)                                                                    \
  kind ":libvips.so\n" kind ":libglib-2.0.so\n" kind ":libgobject-2.0.so\n" kind ":libgio-2.0.so\n"    \
  kind ":libjpeg.so\n" kind ":libpng16.so\n" kind ":libspng.so\n" kind ":libz.so\n" kind ":libwebp.so\n" \
  kind ":libwebpmux.so\n" kind ":libwebpdemux.so\n" kind ":libsharpyuv.so\n" kind ":libheif.so\n"         \
  kind ":libexif.so\n" kind ":liborc-0.4.so\n" kind ":libcgif.so\n" kind ":liblcms2.so\n"                \
  kind ":libexpat.so\n" kind ":libgmodule-2.0.so\n" kind ":libffi.so\n" kind ":libimagequant.so\n"        \
  kind ":libgomp.so\n" kind ":libde265.so\n" kind ":libaom.so\n" kind ":libdav1d.so\n" kind ":libx265.so\n"
#ifdef PARLEY_TSAN
extern "C" const char* __tsan_default_suppressions() {
  return PARLEY_IMAGE_LIBRARIES("called_from_lib") PARLEY_IMAGE_LIBRARIES("race");
}
#endif
#ifdef PARLEY_ASAN
extern "C" const char* __lsan_default_suppressions() { return PARLEY_IMAGE_LIBRARIES("leak"); }
#endif

namespace parley::media {
namespace {

constexpr int kMaxSide = 4096;  // the largest thumbnail a caller may ask for
constexpr float kWebpQuality = 80;

// libvips' loader classes for the formats we preview (libjpeg, libspng or
// libpng, libnsgif, libwebp, libheif). Anything else libvips could open
// (ImageMagick, PDF, SVG, FITS, Matlab …) is refused: a smaller attack surface.
constexpr std::array<std::string_view, 6> kLoaderPrefixes = {
    "VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadNsgif",
    "VipsForeignLoadGif",  "VipsForeignLoadWebp", "VipsForeignLoadHeif"};

Error refused(std::string message) { return Error::bad_request("image_refused", std::move(message)); }

// libvips' error text (its buffer is per process, which is why the child runs
// one image at a time), first line only, with the file's path taken out.
std::string vips_reason(const std::filesystem::path& image) {
  std::string text = vips_error_buffer();
  vips_error_clear();
  if (auto newline = text.find('\n'); newline != std::string::npos) text.resize(newline);
  for (auto pos = text.find(image.string()); pos != std::string::npos; pos = text.find(image.string()))
    text.replace(pos, image.string().size(), "image");
  if (text.size() > 200) text.resize(200);
  return text.empty() ? "unknown decoder error" : text;
}

// Owns one VipsImage reference.
struct ImageRef {
  VipsImage* image = nullptr;
  ImageRef() = default;
  ImageRef(const ImageRef&) = delete;
  ImageRef& operator=(const ImageRef&) = delete;
  ~ImageRef() {
    if (image) g_object_unref(image);
  }
};

bool allowed_loader(const char* loader) {
  if (!loader) return false;
  const std::string_view name(loader);
  return std::any_of(kLoaderPrefixes.begin(), kLoaderPrefixes.end(),
                     [&](std::string_view prefix) { return name.substr(0, prefix.size()) == prefix; });
}

// The thumbnail is encoded by libwebp from bare 8-bit RGB(A) pixels, so no
// metadata can reach it: no EXIF (GPS position, camera serial number), XMP,
// IPTC, ICC profile or comment. (libvips 8.14's webpsave ignores `strip` and
// always writes an EXIF block: unit-tested, the thumbnail carries none.)
Result<Thumbnail> encode(VipsImage* image, int max_side, const std::filesystem::path& path) {
  ImageRef srgb, bytes, rgba;
  if (vips_colourspace(image, &srgb.image, VIPS_INTERPRETATION_sRGB, nullptr) != 0 ||
      vips_cast_uchar(srgb.image, &bytes.image, nullptr) != 0)
    return refused("the thumbnail could not be made: " + vips_reason(path));
  const int bands = std::min(vips_image_get_bands(bytes.image), 4);
  if (bands < 3 || vips_extract_band(bytes.image, &rgba.image, 0, "n", bands, nullptr) != 0)
    return refused("the thumbnail could not be made: " + vips_reason(path));
  const int width = vips_image_get_width(rgba.image), height = vips_image_get_height(rgba.image);
  std::size_t pixels_size = 0;
  auto* pixels = static_cast<std::uint8_t*>(vips_image_write_to_memory(rgba.image, &pixels_size));
  if (!pixels) return refused("the image is malformed or truncated: " + vips_reason(path));
  std::uint8_t* webp = nullptr;
  const std::size_t length = bands == 4 ? WebPEncodeRGBA(pixels, width, height, width * 4, kWebpQuality, &webp)
                                        : WebPEncodeRGB(pixels, width, height, width * 3, kWebpQuality, &webp);
  g_free(pixels);
  if (length == 0) return refused("the thumbnail could not be encoded");
  Thumbnail thumbnail;
  thumbnail.max_side = max_side;
  thumbnail.width = width;
  thumbnail.height = height;
  thumbnail.content_type = "image/webp";
  thumbnail.bytes.assign(reinterpret_cast<const char*>(webp), length);
  WebPFree(webp);
  return thumbnail;
}

}  // namespace

bool previewable_content_type(std::string_view content_type) {
  return content_type == "image/jpeg" || content_type == "image/png" || content_type == "image/gif" ||
         content_type == "image/webp" || content_type == "image/heic" || content_type == "image/avif";
}

void init_image_library() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (VIPS_INIT("parley") != 0) {
      std::fprintf(stderr, "parley: libvips failed to start: %s\n", vips_error_buffer());
      std::abort();
    }
    // One image at a time per process, processed once: no operation cache,
    // no open-file cache, one worker thread (the sandbox runs the processes).
    vips_concurrency_set(1);
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_cache_set_max_files(0);
    vips_leak_set(FALSE);
    // Loaders libvips itself marks as not for untrusted input (ImageMagick,
    // Matlab, FITS, …) are blocked outright, in addition to our own list.
    vips_block_untrusted_set(TRUE);
  });
}

Result<Previews> make_previews(const std::filesystem::path& image, const std::vector<int>& max_sides,
                               const PreviewLimits& limits) {
  if (max_sides.empty() || std::any_of(max_sides.begin(), max_sides.end(), [](int s) { return s < 1 || s > kMaxSide; }))
    return Error::bad_request("invalid_sizes", fmt::format("thumbnail sizes must be 1 to {} px", kMaxSide));
  // libvips reads "name[options]" as load options: such a path would not be this file.
  const auto path = image.string();
  if (path.empty() || path.back() == ']') return Error::internal("an image path must not end with ']'");

  std::error_code error;
  const auto size = std::filesystem::file_size(image, error);
  if (error) return refused("the image file cannot be read");
  if (static_cast<std::int64_t>(size) > limits.max_input_bytes)
    return refused(fmt::format("the file is larger than the {} bytes previews are made for", limits.max_input_bytes));
  if (!allowed_loader(vips_foreign_find_load(path.c_str()))) {
    vips_error_clear();
    return refused("not an image format Parley previews (JPEG, PNG, GIF, WebP, HEIC, AVIF)");
  }

  // The header alone (loads are lazy): refuse a bomb before decoding anything.
  int width = 0, height = 0, orientation = 1;
  {
    ImageRef header;
    header.image = vips_image_new_from_file(path.c_str(), "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                                            VIPS_FAIL_ON_ERROR, nullptr);
    if (!header.image) return refused("the image is malformed: " + vips_reason(image));
    width = vips_image_get_width(header.image);
    height = vips_image_get_height(header.image);
    if (vips_image_get_typeof(header.image, VIPS_META_ORIENTATION) != 0 &&
        vips_image_get_int(header.image, VIPS_META_ORIENTATION, &orientation) != 0)
      orientation = 1;
  }
  if (width < 1 || height < 1) return refused("the image has no pixels");
  if (static_cast<std::int64_t>(width) * height > limits.max_pixels)
    return refused(fmt::format("the image is {}x{} pixels, more than the {} allowed", width, height, limits.max_pixels));

  Previews previews;
  // Orientations 5 to 8 turn the image a quarter: width and height swap.
  const bool quarter_turn = orientation >= 5 && orientation <= 8;
  previews.width = quarter_turn ? height : width;
  previews.height = quarter_turn ? width : height;

  // The largest size from the file (shrink-on-load: a JPEG decodes at 1/2,
  // 1/4 or 1/8 scale when that is enough), decoded once into memory; the
  // smaller sizes from those pixels. Decoding errors surface here.
  const int largest = *std::max_element(max_sides.begin(), max_sides.end());
  ImageRef decoded;
  {
    ImageRef lazy;
    if (vips_thumbnail(path.c_str(), &lazy.image, largest, "height", largest, "size", VIPS_SIZE_DOWN, "fail_on",
                       VIPS_FAIL_ON_ERROR, nullptr) != 0)
      return refused("the image is malformed or truncated: " + vips_reason(image));
    decoded.image = vips_image_copy_memory(lazy.image);
    if (!decoded.image) return refused("the image is malformed or truncated: " + vips_reason(image));
  }

  for (int side : max_sides) {
    ImageRef resized;
    if (vips_thumbnail_image(decoded.image, &resized.image, side, "height", side, "size", VIPS_SIZE_DOWN,
                             "no_rotate", TRUE, nullptr) != 0)
      return refused("the thumbnail could not be made: " + vips_reason(image));
    auto thumbnail = encode(resized.image, side, image);
    if (!thumbnail) return thumbnail.error();
    previews.thumbnails.push_back(std::move(thumbnail).value());
  }
  return previews;
}

}  // namespace parley::media
