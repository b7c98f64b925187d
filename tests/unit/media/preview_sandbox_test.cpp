#include "media/preview_sandbox.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <thread>

#include "media/test_images.hpp"

namespace parley::media {
namespace {

using test::ImageSpec;

class PreviewSandboxTest : public ::testing::Test {
 protected:
  std::filesystem::path file(const std::string& bytes, const char* name) {
    return test::write_file(dir_.path() / name, bytes);
  }
  test::TempDir dir_;
};

TEST_F(PreviewSandboxTest, MakesThumbnailsInAChild) {
  PreviewSandbox sandbox(PARLEY_PREVIEW_CHILD, PreviewLimits{}, 1);
  auto result = sandbox.run(file(test::make_image({.width = 800, .height = 600, .orientation = 6, .gps = true}), "a.jpg"),
                            {kThumbnailSmall, kThumbnailLarge});
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->width, 600);
  EXPECT_EQ(result->height, 800);
  ASSERT_EQ(result->thumbnails.size(), 2u);
  EXPECT_EQ(result->thumbnails[0].width, 240);
  EXPECT_EQ(result->thumbnails[0].height, 320);
  EXPECT_EQ(result->thumbnails[1].width, 600);
  EXPECT_EQ(result->thumbnails[1].height, 800);
  EXPECT_FALSE(test::has_name(test::metadata_names(result->thumbnails[1].bytes), "exif"));
  // HEIC and AVIF (libheif, a libvips module the child loads).
  for (const char* suffix : {".heic", ".avif"}) {
    auto other = sandbox.run(file(test::make_image({.width = 640, .height = 480}, suffix), suffix), {kThumbnailSmall});
    ASSERT_TRUE(other.ok()) << suffix << ": " << other.error().message;
    EXPECT_EQ(other->thumbnails[0].width, 320) << suffix;
  }
}

TEST_F(PreviewSandboxTest, PassesTheChildsRefusalOn) {
  PreviewSandbox sandbox(PARLEY_PREVIEW_CHILD, PreviewLimits{}, 1);
  auto bomb = sandbox.run(file(test::jpeg_declaring(50'000, 50'000), "bomb.jpg"), {320});
  ASSERT_FALSE(bomb.ok());
  EXPECT_EQ(bomb.error().code, "image_refused");
  EXPECT_NE(bomb.error().message.find("50000x50000"), std::string::npos) << bomb.error().message;

  const auto jpeg = test::make_image({.width = 512, .height = 512, .noise = true});
  auto truncated = sandbox.run(file(jpeg.substr(0, jpeg.size() / 2), "cut.jpg"), {320});
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().code, "image_refused");
}

TEST_F(PreviewSandboxTest, KillsAChildPastTheDeadlineAndCarriesOn) {
  const auto path = file(test::make_image({.width = 2000, .height = 2000, .noise = true}), "big.jpg");
  PreviewLimits hurried;
  hurried.timeout = std::chrono::milliseconds(1);  // not even enough to start the child
  PreviewSandbox late(PARLEY_PREVIEW_CHILD, hurried, 1);
  auto result = late.run(path, {320});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "image_refused");
  EXPECT_NE(result.error().message.find("longer than 1 ms"), std::string::npos) << result.error().message;
  // No child left behind to reap, and the next image goes through.
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  PreviewSandbox sandbox(PARLEY_PREVIEW_CHILD, PreviewLimits{}, 1);
  EXPECT_TRUE(sandbox.run(path, {320}).ok());
}

TEST_F(PreviewSandboxTest, AChildThatAnswersNothingIsRefusedNotBelieved) {
  // /bin/true exits 0 at once without a word; /bin/false fails.
  for (const char* program : {"/bin/true", "/bin/false"}) {
    PreviewSandbox sandbox(program, PreviewLimits{}, 1);
    auto result = sandbox.run(file(test::make_image({}), "a.jpg"), {320});
    ASSERT_FALSE(result.ok()) << program;
    EXPECT_EQ(result.error().code, "image_refused") << program;
  }
}

TEST_F(PreviewSandboxTest, TheChildGetsNoneOfTheServersEnvironment) {
  // Database URLs and object store keys stay in the server.
  ::setenv("PARLEY_TEST_SECRET", "postgres://parley:secret@db/parley", 1);
  PreviewSandbox sandbox(PARLEY_PREVIEW_CHILD, PreviewLimits{}, 1);
  auto result = sandbox.run(file(test::make_image({}), "a.jpg"), {320});
  ::unsetenv("PARLEY_TEST_SECRET");
  EXPECT_TRUE(result.ok()) << result.error().message;
}

// A stand-in child: a shell script (the sandbox runs it as it would parley).
std::filesystem::path script(const std::filesystem::path& dir, const char* name, const std::string& body) {
  const auto path = test::write_file(dir / name, "#!/bin/sh\n" + body + "\n");
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  return path;
}

TEST_F(PreviewSandboxTest, AHostileAnswerIsRefused) {
  const auto image = file(test::make_image({}), "a.jpg");
  struct Child {
    const char* name;
    std::string body;
    const char* reason;
  };
  // Each reads the request first, as a real child does (else the request's
  // write could fail first, which is a different case: AChildThatAnswersNothing).
  const Child children[] = {
      // A frame declaring 4 GiB: refused from its length, nothing allocated.
      {"huge.sh", "cat >/dev/null; printf '\\377\\377\\377\\377'", "a frame too large"},
      // A frame shorter than it says.
      {"short.sh", "cat >/dev/null; printf '\\020\\000\\000\\000\\001'", "without an answer"},
      // A well-formed frame whose thumbnail is HTML, not WebP.
      {"html.sh", "cat >/dev/null; printf '\\057\\000\\000\\000\\001\\144\\000\\000\\000\\144\\000\\000\\000\\001"
                  "\\000\\000\\000\\100\\001\\000\\000\\100\\000\\000\\000\\100\\000\\000\\000"
                  "\\011\\000\\000\\000text/html\\005\\000\\000\\000<b>xy'", "an inconsistent thumbnail"},
  };
  for (const auto& [name, body, reason] : children) {
    PreviewSandbox sandbox(script(dir_.path(), name, body), PreviewLimits{}, 1);
    auto result = sandbox.run(image, {320});
    ASSERT_FALSE(result.ok()) << name;
    EXPECT_EQ(result.error().code, "image_refused") << name;
    EXPECT_NE(result.error().message.find(reason), std::string::npos) << name << ": " << result.error().message;
  }
}

TEST_F(PreviewSandboxTest, AChildThatHangsIsKilledAtTheDeadline) {
  PreviewLimits limits;
  limits.timeout = std::chrono::milliseconds(300);
  PreviewSandbox sandbox(script(dir_.path(), "hang.sh", "exec sleep 60"), limits, 1);
  auto result = sandbox.run(file(test::make_image({}), "a.jpg"), {320});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("longer than 300 ms"), std::string::npos) << result.error().message;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);  // killed and reaped
}

TEST_F(PreviewSandboxTest, AMissingExecutableIsUnavailable) {
  PreviewSandbox sandbox(dir_.path() / "no-such-parley", PreviewLimits{}, 1);
  auto result = sandbox.run(file(test::make_image({}), "a.jpg"), {320});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::unavailable);
}

TEST_F(PreviewSandboxTest, AMemoryLimitTooSmallRefusesTheImage) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "no address-space limit under sanitizers";
#endif
  PreviewLimits tight;
  tight.max_memory_bytes = 16 << 20;  // less than the child needs to start libvips
  PreviewSandbox sandbox(PARLEY_PREVIEW_CHILD, tight, 1);
  auto result = sandbox.run(file(test::make_image({.width = 1000, .height = 1000}), "a.jpg"), {320});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "image_refused");
}

TEST_F(PreviewSandboxTest, RunsManyCallersThroughFewChildren) {
  PreviewSandbox sandbox(PARLEY_PREVIEW_CHILD, PreviewLimits{}, 2);
  std::vector<std::filesystem::path> paths;
  for (int i = 0; i < 6; ++i)
    paths.push_back(file(test::make_image({.width = 300 + i, .height = 200}), ("img" + std::to_string(i) + ".jpg").c_str()));
  std::vector<Result<Previews>> results(paths.size(), Error::internal("not run"));
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < paths.size(); ++i)
    threads.emplace_back([&, i] { results[i] = sandbox.run(paths[i], {320}); });
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < paths.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].error().message;
    EXPECT_EQ(results[i]->width, 300 + static_cast<int>(i));
  }
}

}  // namespace
}  // namespace parley::media
