// Thumbnails/s through the preview sandbox (media/preview_sandbox.hpp): N
// photo-sized JPEGs (made here with libvips: noise over a gradient, which
// compresses like a photo), each turned into the two WebP thumbnails Parley
// makes (320 and 1280 px) in its own child process, from C caller threads at
// once; then the same images in-process, to show what the sandbox costs.
// The child is `parley preview-child` when --child names the server binary,
// else this program started the same way.
#include <vips/vips.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string_view>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "media/image_previews.hpp"
#include "media/preview_sandbox.hpp"

namespace media = parley::media;
using Clock = std::chrono::steady_clock;

namespace {

std::string make_photo(int width, int height) {
  VipsImage *noise = nullptr, *ramp = nullptr, *sum = nullptr, *rgb = nullptr, *bytes = nullptr;
  vips_gaussnoise(&noise, width, height, "mean", 0.0, "sigma", 20.0, nullptr);
  vips_xyz(&ramp, width, height, nullptr);  // two bands: x and y
  VipsImage* x = nullptr;
  vips_extract_band(ramp, &x, 0, nullptr);
  VipsImage* scaled = nullptr;
  vips_linear1(x, &scaled, 255.0 / width, 0.0, nullptr);
  vips_add(scaled, noise, &sum, nullptr);
  VipsImage* bands[3] = {sum, sum, sum};
  vips_bandjoin(bands, &rgb, 3, nullptr);
  vips_cast_uchar(rgb, &bytes, nullptr);
  void* buffer = nullptr;
  std::size_t length = 0;
  vips_jpegsave_buffer(bytes, &buffer, &length, "Q", 85, nullptr);
  std::string jpeg(static_cast<const char*>(buffer), length);
  g_free(buffer);
  for (auto* image : {noise, ramp, x, scaled, sum, rgb, bytes}) g_object_unref(image);
  return jpeg;
}

struct Figures {
  double seconds = 0;
  std::vector<double> ms;  // per image
  int failed = 0;
};

template <class Make>
Figures run(const std::vector<std::filesystem::path>& images, int threads, Make make) {
  Figures figures;
  figures.ms.resize(images.size());
  std::atomic<std::size_t> next{0};
  std::atomic<int> failed{0};
  const auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      for (std::size_t i; (i = next++) < images.size();) {
        const auto begin = Clock::now();
        if (!make(images[i]).ok()) ++failed;
        figures.ms[i] = std::chrono::duration<double, std::milli>(Clock::now() - begin).count();
      }
    });
  for (auto& w : workers) w.join();
  figures.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  figures.failed = failed;
  std::sort(figures.ms.begin(), figures.ms.end());
  return figures;
}

void print(const char* name, const Figures& f, std::size_t images, int sizes) {
  const auto at = [&](double q) { return f.ms[std::min(f.ms.size() - 1, static_cast<std::size_t>(q * f.ms.size()))]; };
  std::printf("%s: %.1f images/s, %.1f thumbnails/s; per image p50 %.0f ms, p95 %.0f ms; %d failed\n", name,
              images / f.seconds, images * sizes / f.seconds, at(0.5), at(0.95), f.failed);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "preview-child") return media::run_preview_child();
  int count = 24, width = 4032, height = 3024;
  int concurrency = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::string child = "/proc/self/exe";
  CLI::App app{"parley-preview-bench: thumbnails/s through the preview sandbox"};
  app.add_option("--images", count, "images to process")->check(CLI::Range(1, 10'000));
  app.add_option("--width", width, "width of each JPEG")->check(CLI::Range(16, 10'000));
  app.add_option("--height", height, "height of each JPEG")->check(CLI::Range(16, 10'000));
  app.add_option("--concurrency", concurrency, "children (and caller threads) at once")->check(CLI::Range(1, 64));
  app.add_option("--child", child, "the preview child: a parley binary (default: this program)");
  CLI11_PARSE(app, argc, argv);

  media::init_image_library();
  const auto dir = std::filesystem::temp_directory_path() / ("parley-preview-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto jpeg = make_photo(width, height);
  std::vector<std::filesystem::path> images;
  for (int i = 0; i < count; ++i) {
    images.push_back(dir / ("photo-" + std::to_string(i) + ".jpg"));
    std::FILE* out = std::fopen(images.back().c_str(), "wb");
    std::fwrite(jpeg.data(), 1, jpeg.size(), out);
    std::fclose(out);
  }
  std::printf("previews: %d JPEGs of %dx%d (%zu KB), thumbnails 320 and 1280 px, concurrency %d, child %s\n", count,
              width, height, jpeg.size() / 1024, concurrency, child.c_str());
  const std::vector<int> sizes{media::kThumbnailSmall, media::kThumbnailLarge};
  media::PreviewSandbox sandbox(child, media::PreviewLimits{}, concurrency);
  print("previews-sandbox", run(images, concurrency, [&](const auto& p) { return sandbox.run(p, sizes); }), images.size(), 2);
  // In-process, one image at a time per thread (libvips with one worker thread each, as in the child).
  print("previews-in-process", run(images, concurrency, [&](const auto& p) {
          return media::make_previews(p, sizes, media::PreviewLimits{});
        }), images.size(), 2);
  std::filesystem::remove_all(dir);
  return 0;
}
