#pragma once
// Images made at test time with libvips itself (no binaries in the repo), a
// temp folder for them, and a way to read back what a thumbnail carries.

#include <vips/vips.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <stdlib.h>

#include "media/image_previews.hpp"

namespace parley::media::test {

// libheif (HEIC, AVIF) decodes and encodes on its own threads, uninstrumented,
// through libstdc++: ThreadSanitizer reports races it cannot attribute to a
// library, so the HEIC and AVIF cases do not run in the TSan build.
#if defined(__SANITIZE_THREAD__)
inline constexpr bool kHeifTestable = false;
#else
inline constexpr bool kHeifTestable = true;
#endif
inline std::vector<const char*> heif_suffixes() {
  if (!kHeifTestable) return {};
  return {".heic", ".avif"};
}

class TempDir {
 public:
  TempDir() {
    const char* env = std::getenv("PARLEY_TEST_TMP");
    const std::filesystem::path base = env && *env ? env : std::filesystem::temp_directory_path();
    std::filesystem::create_directories(base);
    std::string templ = (base / "parley-media-XXXXXX").string();
    if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed in " + base.string());
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::filesystem::path write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct ImageSpec {
  int width = 64;
  int height = 48;
  int orientation = 0;  // 0: no orientation tag
  bool gps = false;     // EXIF GPS position (and a camera make)
  bool noise = false;   // random pixels: a large JPEG that truncation really cuts
};

// A JPEG (or any format `suffix` names: ".png", ".webp", ".gif") with the spec's metadata.
inline std::string make_image(const ImageSpec& spec, const char* suffix = ".jpg") {
  init_image_library();
  VipsImage* image = nullptr;
  if (spec.noise) {
    VipsImage* noise = nullptr;
    if (vips_gaussnoise(&noise, spec.width, spec.height, "mean", 128.0, "sigma", 60.0, nullptr) != 0)
      throw std::runtime_error(vips_error_buffer());
    VipsImage* bands[3] = {noise, noise, noise};
    VipsImage* joined = nullptr;
    vips_bandjoin(bands, &joined, 3, nullptr);
    g_object_unref(noise);
    vips_cast_uchar(joined, &image, nullptr);
    g_object_unref(joined);
  } else {
    VipsImage* black = nullptr;
    if (vips_black(&black, spec.width, spec.height, "bands", 3, nullptr) != 0)
      throw std::runtime_error(vips_error_buffer());
    // A white left half: orientation shows in where it ends up.
    double white[] = {255, 255, 255};
    vips_draw_rect(black, white, 3, 0, 0, spec.width / 2, spec.height, "fill", TRUE, nullptr);
    image = black;
  }
  if (spec.orientation) vips_image_set_int(image, VIPS_META_ORIENTATION, spec.orientation);
  if (spec.gps) {
    vips_image_set_string(image, "exif-ifd0-Make", "ParleyCam");
    vips_image_set_string(image, "exif-ifd3-GPSLatitudeRef", "N");
    vips_image_set_string(image, "exif-ifd3-GPSLatitude", "48/1 51/1 2952/100");
  }
  void* buffer = nullptr;
  std::size_t length = 0;
  const int failed = vips_image_write_to_buffer(image, suffix, &buffer, &length, nullptr);
  g_object_unref(image);
  if (failed) throw std::runtime_error(vips_error_buffer());
  std::string bytes(static_cast<const char*>(buffer), length);
  g_free(buffer);
  return bytes;
}

// The metadata names an encoded image carries (exif-*, xmp-data, icc-profile-data …).
inline std::vector<std::string> metadata_names(const std::string& bytes) {
  init_image_library();
  VipsImage* image = vips_image_new_from_buffer(bytes.data(), bytes.size(), "", nullptr);
  if (!image) throw std::runtime_error(vips_error_buffer());
  std::vector<std::string> names;
  vips_image_map(
      image,
      [](VipsImage*, const char* name, GValue*, void* out) -> void* {
        static_cast<std::vector<std::string>*>(out)->push_back(name);
        return nullptr;
      },
      &names);
  g_object_unref(image);
  return names;
}

inline bool has_name(const std::vector<std::string>& names, std::string_view prefix) {
  for (const auto& n : names)
    if (n.compare(0, prefix.size(), prefix) == 0) return true;
  return false;
}

// A real JPEG whose frame header (SOF0) is rewritten to declare width × height.
inline std::string jpeg_declaring(int width, int height) {
  auto bytes = make_image({.width = 64, .height = 64});
  for (std::size_t i = 2; i + 9 < bytes.size(); ++i) {
    if (static_cast<unsigned char>(bytes[i]) == 0xFF && (static_cast<unsigned char>(bytes[i + 1]) & 0xF0) == 0xC0 &&
        static_cast<unsigned char>(bytes[i + 1]) != 0xC4 && static_cast<unsigned char>(bytes[i + 1]) != 0xC8 &&
        static_cast<unsigned char>(bytes[i + 1]) != 0xCC) {
      bytes[i + 5] = static_cast<char>(height >> 8);
      bytes[i + 6] = static_cast<char>(height & 0xFF);
      bytes[i + 7] = static_cast<char>(width >> 8);
      bytes[i + 8] = static_cast<char>(width & 0xFF);
      return bytes;
    }
  }
  throw std::runtime_error("no SOF marker in the test JPEG");
}

}  // namespace parley::media::test
