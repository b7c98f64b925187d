// gzip for JSON answers: Accept-Encoding parsing, the threshold, Vary, and a body that
// decompresses to the original.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "http/compression.hpp"

namespace parley::http {
namespace {

std::string gunzip(const std::string& in) {
  z_stream s{};
  inflateInit2(&s, 15 + 16);
  std::string out(in.size() * 50 + 64, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&s, Z_FINISH);
  out.resize(s.total_out);
  inflateEnd(&s);
  return rc == Z_STREAM_END ? out : "<corrupt>";
}

std::string header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

TEST(AcceptsGzip, ReadsCodingsAndQualities) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("deflate, br"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip; q=0.000, deflate"));
  EXPECT_FALSE(accepts_gzip("*;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0, *")) << "gzip named and refused wins over *";
  EXPECT_FALSE(accepts_gzip("xgzip, gzipx"));
}

TEST(GzipJsonResponse, CompressesLargeJsonForClientsThatAcceptIt) {
  std::string json = "{\"messages\":[";
  for (int i = 0; i < 100; ++i) json += "{\"id\":" + std::to_string(i) + ",\"body\":\"hello there\"},";
  json += "{}]}";
  Response r;
  r.body = json;
  gzip_json_response(r, true, 1024);
  EXPECT_EQ(header(r, "Content-Encoding"), "gzip");
  EXPECT_EQ(header(r, "Vary"), "Accept-Encoding");
  EXPECT_LT(r.body.size(), json.size() / 4);
  EXPECT_EQ(gunzip(r.body), json);

  Response shared;
  shared.shared_body = std::make_shared<const std::string>(json);
  gzip_json_response(shared, true, 1024);
  EXPECT_FALSE(shared.shared_body) << "the shared page itself is left alone";
  EXPECT_EQ(gunzip(shared.body), json);

  Response refused;
  refused.body = json;
  gzip_json_response(refused, false, 1024);
  EXPECT_EQ(refused.body, json);
  EXPECT_EQ(header(refused, "Content-Encoding"), "");
  EXPECT_EQ(header(refused, "Vary"), "Accept-Encoding") << "the answer still varies by Accept-Encoding";
}

TEST(GzipJsonResponse, LeavesSmallOtherOrDisabledAnswersAlone) {
  const std::string big(5000, 'a');
  Response small;
  small.body = "{\"ok\":true}";
  gzip_json_response(small, true, 1024);
  EXPECT_TRUE(small.headers.empty());

  Response html;
  html.content_type = "text/html";
  html.body = big;
  gzip_json_response(html, true, 1024);
  EXPECT_TRUE(html.headers.empty());

  Response off;
  off.body = big;
  gzip_json_response(off, true, 0);
  EXPECT_TRUE(off.headers.empty());

  Response encoded;
  encoded.body = big;
  encoded.headers.emplace_back("Content-Encoding", "br");
  gzip_json_response(encoded, true, 1024);
  EXPECT_EQ(encoded.body, big);
  EXPECT_EQ(encoded.headers.size(), 1u);
}

}  // namespace
}  // namespace parley::http
