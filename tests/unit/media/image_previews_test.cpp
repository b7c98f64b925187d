#include "media/image_previews.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include "media/test_images.hpp"

namespace parley::media {
namespace {

using test::ImageSpec;

class ImagePreviews : public ::testing::Test {
 protected:
  void SetUp() override { init_image_library(); }
  std::filesystem::path file(const std::string& bytes, const char* name = "image") {
    return test::write_file(dir_.path() / name, bytes);
  }
  static void expect_refused(const Result<Previews>& result, std::string_view reason) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().kind, ErrorKind::bad_request);
    EXPECT_EQ(result.error().code, "image_refused");
    EXPECT_NE(result.error().message.find(reason), std::string::npos) << result.error().message;
  }
  test::TempDir dir_;
  PreviewLimits limits_;
};

TEST_F(ImagePreviews, MakesWebpThumbnailsInTheOrderAskedNeverUpscaled) {
  auto result = make_previews(file(test::make_image({.width = 2000, .height = 1000})), {320, 1280}, limits_);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->width, 2000);
  EXPECT_EQ(result->height, 1000);
  ASSERT_EQ(result->thumbnails.size(), 2u);
  EXPECT_EQ(result->thumbnails[0].max_side, 320);
  EXPECT_EQ(result->thumbnails[0].width, 320);
  EXPECT_EQ(result->thumbnails[0].height, 160);
  EXPECT_EQ(result->thumbnails[1].width, 1280);
  EXPECT_EQ(result->thumbnails[1].height, 640);
  for (const auto& t : result->thumbnails) {
    EXPECT_EQ(t.content_type, "image/webp");
    EXPECT_EQ(t.bytes.substr(0, 4), "RIFF");
    EXPECT_EQ(t.bytes.substr(8, 4), "WEBP");
  }

  auto small = make_previews(file(test::make_image({.width = 100, .height = 80}), "small"), {320, 1280}, limits_);
  ASSERT_TRUE(small.ok()) << small.error().message;
  for (const auto& t : small->thumbnails) {
    EXPECT_EQ(t.width, 100);
    EXPECT_EQ(t.height, 80);
  }
}

TEST_F(ImagePreviews, ReadsPngGifWebpHeicAndAvif) {
  for (const char* suffix : {".png", ".gif", ".webp", ".heic", ".avif"}) {
    auto result = make_previews(file(test::make_image({.width = 640, .height = 480}, suffix), suffix), {320}, limits_);
    ASSERT_TRUE(result.ok()) << suffix << ": " << result.error().message;
    EXPECT_EQ(result->thumbnails[0].width, 320) << suffix;
    EXPECT_EQ(result->thumbnails[0].height, 240) << suffix;
  }
}

TEST_F(ImagePreviews, AppliesExifOrientation) {
  // Orientation 6: the camera was turned a quarter; the upright image is 48 × 64.
  const auto jpeg = test::make_image({.width = 64, .height = 48, .orientation = 6});
  ASSERT_TRUE(test::has_name(test::metadata_names(jpeg), "orientation"));
  auto result = make_previews(file(jpeg), {320, 32}, limits_);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->width, 48);
  EXPECT_EQ(result->height, 64);
  EXPECT_EQ(result->thumbnails[0].width, 48);
  EXPECT_EQ(result->thumbnails[0].height, 64);
  EXPECT_EQ(result->thumbnails[1].width, 24);
  EXPECT_EQ(result->thumbnails[1].height, 32);
}

TEST_F(ImagePreviews, StripsEveryMetadataBlockGpsIncluded) {
  const auto jpeg = test::make_image({.width = 400, .height = 300, .orientation = 1, .gps = true});
  const auto before = test::metadata_names(jpeg);
  ASSERT_TRUE(test::has_name(before, "exif-ifd3-GPSLatitude")) << "the test image has no GPS position to strip";
  auto result = make_previews(file(jpeg), {320, 1280}, limits_);
  ASSERT_TRUE(result.ok()) << result.error().message;
  for (const auto& t : result->thumbnails) {
    const auto after = test::metadata_names(t.bytes);
    EXPECT_FALSE(test::has_name(after, "exif")) << "EXIF left in a thumbnail";
    EXPECT_FALSE(test::has_name(after, "xmp-data"));
    EXPECT_FALSE(test::has_name(after, "iptc-data"));
    EXPECT_FALSE(test::has_name(after, "icc-profile-data"));
    EXPECT_EQ(t.bytes.find("ParleyCam"), std::string::npos);
  }
}

TEST_F(ImagePreviews, RefusesADecompressionBombFromItsHeader) {
  // 50,000 × 50,000 declared in a file of a few hundred bytes: 2.5 gigapixels.
  auto result = make_previews(file(test::jpeg_declaring(50'000, 50'000)), {320, 1280}, limits_);
  expect_refused(result, "50000x50000");

  // The same as a PNG: a valid IHDR chunk (its CRC included) and no pixels at all.
  std::string ihdr("IHDR\0\0\xC3\x50\0\0\xC3\x50\x08\x02\0\0\0", 17);
  std::string png("\x89PNG\r\n\x1A\n", 8);
  auto chunk = [&png](std::string type_and_data) {
    const auto length = type_and_data.size() - 4;
    for (int shift = 24; shift >= 0; shift -= 8) png += static_cast<char>((length >> shift) & 0xFF);
    png += type_and_data;
    const auto crc = crc32(0, reinterpret_cast<const Bytef*>(type_and_data.data()), static_cast<uInt>(type_and_data.size()));
    for (int shift = 24; shift >= 0; shift -= 8) png += static_cast<char>((crc >> shift) & 0xFF);
  };
  chunk(ihdr);
  // A few rows of zeros: all the pixel data there is.
  std::string zeros(4096, '\0'), packed(compressBound(4096), '\0');
  uLongf packed_size = packed.size();
  compress(reinterpret_cast<Bytef*>(packed.data()), &packed_size, reinterpret_cast<const Bytef*>(zeros.data()), 4096);
  chunk("IDAT" + packed.substr(0, packed_size));
  chunk("IEND");
  expect_refused(make_previews(file(png, "bomb.png"), {320}, limits_), "50000x50000");
}

TEST_F(ImagePreviews, RefusesAnImageOverTheLimitsGiven) {
  const auto path = file(test::make_image({.width = 300, .height = 200}));
  PreviewLimits pixels;
  pixels.max_pixels = 300 * 200 - 1;
  expect_refused(make_previews(path, {320}, pixels), "300x200");
  PreviewLimits bytes;
  bytes.max_input_bytes = 100;
  expect_refused(make_previews(path, {320}, bytes), "larger than");
}

TEST_F(ImagePreviews, RefusesATruncatedJpeg) {
  const auto jpeg = test::make_image({.width = 512, .height = 512, .noise = true});
  ASSERT_GT(jpeg.size(), 10'000u);
  auto result = make_previews(file(jpeg.substr(0, jpeg.size() / 2)), {320}, limits_);
  expect_refused(result, "truncated");
}

TEST_F(ImagePreviews, RefusesWhatIsNotAnImageWePreview) {
  expect_refused(make_previews(file("just some text, not an image\n"), {320}, limits_), "not an image format");
  expect_refused(make_previews(file(""), {320}, limits_), "not an image format");
  // A JPEG signature and nothing sensible after it.
  expect_refused(make_previews(file(std::string("\xFF\xD8\xFF\xE0garbage", 11)), {320}, limits_), "");
  // SVG is an image libvips could read, but not one we accept (scripts, external references).
  expect_refused(make_previews(file("<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>"), {320}, limits_),
                 "not an image format");
  expect_refused(make_previews(dir_.path() / "absent", {320}, limits_), "cannot be read");
}

TEST_F(ImagePreviews, ChecksTheSizesAsked) {
  const auto path = file(test::make_image({}));
  EXPECT_EQ(make_previews(path, {}, limits_).error().code, "invalid_sizes");
  EXPECT_EQ(make_previews(path, {0}, limits_).error().code, "invalid_sizes");
  EXPECT_EQ(make_previews(path, {100'000}, limits_).error().code, "invalid_sizes");
}

TEST(PreviewableContentType, TheFormatsWeDecode) {
  for (const char* type : {"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/avif"})
    EXPECT_TRUE(previewable_content_type(type)) << type;
  for (const char* type : {"image/svg+xml", "image/bmp", "image/tiff", "application/pdf", "text/plain", ""})
    EXPECT_FALSE(previewable_content_type(type)) << type;
}

}  // namespace
}  // namespace parley::media
