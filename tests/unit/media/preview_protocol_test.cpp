#include "media/preview_protocol.hpp"

#include <gtest/gtest.h>

namespace parley::media::preview_protocol {
namespace {

std::string payload(const std::string& frame) { return frame.substr(4); }

Previews two_thumbnails() {
  Previews p;
  p.width = 2000;
  p.height = 1000;
  const std::string webp = std::string("RIFF\x10\0\0\0WEBPVP8 ", 16) + "pixels";
  p.thumbnails.push_back({320, 320, 160, "image/webp", webp});
  p.thumbnails.push_back({1280, 1280, 640, "image/webp", webp});
  return p;
}

TEST(PreviewProtocol, RequestRoundTrip) {
  const Request request{"/data/media/tmp/upload-1", {320, 1280}, 50'000'000, 64 << 20};
  const auto frame = encode_request(request);
  ASSERT_EQ(frame_length(frame.substr(0, 4), kMaxRequestBytes), frame.size() - 4);
  const auto decoded = decode_request(payload(frame));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->path, request.path);
  EXPECT_EQ(decoded->max_sides, request.max_sides);
  EXPECT_EQ(decoded->max_pixels, request.max_pixels);
  EXPECT_EQ(decoded->max_input_bytes, request.max_input_bytes);
  // Every truncation, and a trailing byte, is refused.
  const auto body = payload(frame);
  for (std::size_t n = 0; n < body.size(); ++n) EXPECT_FALSE(decode_request(body.substr(0, n))) << n;
  EXPECT_FALSE(decode_request(body + "x"));
}

TEST(PreviewProtocol, AnswerRoundTrip) {
  const auto frame = encode_answer(two_thumbnails());
  const auto decoded = decode_answer(payload(frame), {320, 1280});
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->width, 2000);
  ASSERT_EQ(decoded->thumbnails.size(), 2u);
  EXPECT_EQ(decoded->thumbnails[1].height, 640);
  EXPECT_EQ(decoded->thumbnails[1].bytes, two_thumbnails().thumbnails[1].bytes);

  const auto refusal = decode_answer(payload(encode_answer(Error::bad_request("image_refused", "too big"))), {320});
  ASSERT_FALSE(refusal.ok());
  EXPECT_EQ(refusal.error().code, "image_refused");
  EXPECT_EQ(refusal.error().message, "too big");
}

TEST(PreviewProtocol, EveryTruncatedOrPaddedAnswerIsGarbage) {
  const auto body = payload(encode_answer(two_thumbnails()));
  for (std::size_t n = 0; n < body.size(); ++n) {
    const auto result = decode_answer(body.substr(0, n), {320, 1280});
    ASSERT_FALSE(result.ok()) << n;
    EXPECT_EQ(result.error().code, "image_refused");
  }
  EXPECT_FALSE(decode_answer(body + "x", {320, 1280}).ok());
}

TEST(PreviewProtocol, AnAnswerThatDisagreesWithTheRequestIsGarbage) {
  EXPECT_FALSE(decode_answer(payload(encode_answer(two_thumbnails())), {320}).ok());        // count
  EXPECT_FALSE(decode_answer(payload(encode_answer(two_thumbnails())), {1280, 320}).ok());  // sizes
  auto larger = two_thumbnails();
  larger.thumbnails[0].width = 321;  // larger than asked
  EXPECT_FALSE(decode_answer(payload(encode_answer(larger)), {320, 1280}).ok());
  auto upscaled = two_thumbnails();
  upscaled.width = 1000;  // a thumbnail larger than the original
  EXPECT_FALSE(decode_answer(payload(encode_answer(upscaled)), {320, 1280}).ok());
  auto html = two_thumbnails();
  html.thumbnails[0].content_type = "text/html";
  EXPECT_FALSE(decode_answer(payload(encode_answer(html)), {320, 1280}).ok());
  auto not_webp = two_thumbnails();
  not_webp.thumbnails[0].bytes = "<script>alert(1)</script>";
  EXPECT_FALSE(decode_answer(payload(encode_answer(not_webp)), {320, 1280}).ok());
}

TEST(PreviewProtocol, OnlyRefusalsAboutTheImageAreBelieved) {
  const auto internal = decode_answer(payload(encode_answer(Error::internal("x"))), {320});
  EXPECT_EQ(internal.error().code, "image_refused");
  const auto odd_code = decode_answer(payload(encode_answer(Error::bad_request("Bad Code!", "x"))), {320});
  EXPECT_EQ(odd_code.error().code, "image_refused");
  const auto bad_text = decode_answer(payload(encode_answer(Error::bad_request("image_refused", "\xff\xfe"))), {320});
  EXPECT_NE(bad_text.error().message, "\xff\xfe");
}

TEST(PreviewProtocol, FrameLengthsAboveTheCapAreRefused) {
  EXPECT_EQ(frame_length(std::string("\x10\0\0\0", 4), 16), 16u);
  EXPECT_FALSE(frame_length(std::string("\x11\0\0\0", 4), 16));
  EXPECT_FALSE(frame_length(std::string("\xff\xff\xff\xff", 4), kMaxAnswerBytes));
  EXPECT_FALSE(frame_length(std::string("\x01\0\0", 3), 16));
}

}  // namespace
}  // namespace parley::media::preview_protocol
