#include <gtest/gtest.h>

#include "notify/webhook_sender.hpp"

namespace parley::notify {
namespace {

TEST(RedactedUrl, DropsUserInformationAndQuery) {
  EXPECT_EQ(redacted_url("https://user:pass@hooks.example.com:8443/parley?token=x#f"),
            "https://hooks.example.com:8443/parley");
  EXPECT_EQ(redacted_url("http://127.0.0.1:9000/hook"), "http://127.0.0.1:9000/hook");
  EXPECT_EQ(redacted_url("http://a@b@host/p@th"), "http://host/p@th");
  EXPECT_EQ(redacted_url("https://host?key=1"), "https://host");
}

}  // namespace
}  // namespace parley::notify
