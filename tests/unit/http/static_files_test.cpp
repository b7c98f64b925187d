#include "http/static_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace parley::http {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/parley-static-XXXXXX";
    root_ = mkdtemp(pattern);
    write("index.html", "<html>" + std::string(2000, 'x') + "</html>");
    write("about.html", "<p>about</p>");
    write("_next/static/chunks/app-abc123.js", "console.log(1);" + std::string(1000, ' '));
    write("favicon.ico", "icon");
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& name, const std::string& content) {
    fs::create_directories((root_ / name).parent_path());
    std::ofstream(root_ / name) << content;
  }
  fs::path root_;
};

std::string header(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

TEST_F(StaticFilesTest, ServesFilesWithCacheHeaders) {
  auto files = StaticFiles::load(root_);
  ASSERT_TRUE(files);
  auto index = (*files)->serve("/", false);
  ASSERT_TRUE(index);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(header(*index, "Cache-Control"), "no-cache");
  auto asset = (*files)->serve("/_next/static/chunks/app-abc123.js", false);
  ASSERT_TRUE(asset);
  EXPECT_EQ(header(*asset, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ((*files)->serve("/about", false)->body, "<p>about</p>");
}

TEST_F(StaticFilesTest, CompressesTextWhenAccepted) {
  auto files = StaticFiles::load(root_);
  auto plain = (*files)->serve("/index.html", false);
  auto gz = (*files)->serve("/index.html", true);
  EXPECT_EQ(header(*gz, "Content-Encoding"), "gzip");
  EXPECT_LT(gz->body.size(), plain->body.size());
  EXPECT_EQ(header(*plain, "Content-Encoding"), "");
  EXPECT_EQ(header(*plain, "Vary"), "Accept-Encoding");
}

TEST_F(StaticFilesTest, FallsBackToTheAppForClientRoutesOnly) {
  auto files = StaticFiles::load(root_);
  auto route = (*files)->serve("/conversations/123", false);
  ASSERT_TRUE(route);
  EXPECT_NE(route->body.find("<html>"), std::string::npos);
  EXPECT_FALSE((*files)->serve("/missing.js", false).has_value());
  EXPECT_FALSE((*files)->serve("/../etc/passwd", false).has_value());
}

TEST_F(StaticFilesTest, RefusesAFolderWithoutIndex) {
  fs::remove(root_ / "index.html");
  EXPECT_FALSE(StaticFiles::load(root_));
  EXPECT_FALSE(StaticFiles::load(root_ / "nope"));
}

}  // namespace
}  // namespace parley::http
