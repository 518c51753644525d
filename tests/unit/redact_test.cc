// Secret redaction: known values, Authorization headers, URL userinfo, PEM private keys, and the
// shared registry.
#include "sys/redact.h"

#include <gtest/gtest.h>

#include <thread>

namespace mlgitops {
namespace {

struct RedactCase {
  const char* name;
  const char* input;
  const char* expected;
};

class HeaderAndUrlRedactionTest : public ::testing::TestWithParam<RedactCase> {};

TEST_P(HeaderAndUrlRedactionTest, RedactMessageHidesTheSecretPart) {
  EXPECT_EQ(RedactMessage(GetParam().input), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HeaderAndUrlRedactionTest,
    ::testing::Values(
        RedactCase{"bearer", "Authorization: Bearer abc.def.ghi", "Authorization: Bearer ***"},
        RedactCase{"basic_lowercase", "authorization: basic dXNlcjpwYXNz\nnext line",
                   "authorization: basic ***\nnext line"},
        RedactCase{"no_scheme", "Authorization: rawtokenvalue", "Authorization: ***"},
        RedactCase{"proxy",
                   "Proxy-Authorization: Basic Zm9vOmJhcg==", "Proxy-Authorization: Basic ***"},
        RedactCase{"json", R"({"Authorization": "Bearer tok-123", "x": 1})",
                   R"({"Authorization": "Bearer ***", "x": 1})"},
        RedactCase{"url_password", "GET https://user:pa55@host:6443/api failed",
                   "GET https://user:***@host:6443/api failed"},
        RedactCase{"url_token_user", "clone https://ghp_secret@github.com/o/r",
                   "clone https://***@github.com/o/r"},
        RedactCase{"url_at_in_password", "http://u:p@ss@proxy:3128", "http://u:***@proxy:3128"},
        RedactCase{"url_without_userinfo", "https://host/path@v1 and ftp://a.b",
                   "https://host/path@v1 and ftp://a.b"},
        // A raw '/' or '#' ends the authority early; "user:p%40ss" cannot be host:port, so
        // the password runs to the URL's last '@'.
        RedactCase{"url_raw_slash_and_hash_in_password",
                   "clone 'https://user:p%40ss/w#rd@host/repo' failed",
                   "clone 'https://user:***@host/repo' failed"},
        RedactCase{"url_raw_slash_and_at_in_password", "https://u:a/b@c@host/r x@y",
                   "https://u:***@host/r x@y"},
        RedactCase{"url_port_then_at_in_path", "https://host:8443/a@b https://[::1]:80/c@d",
                   "https://host:8443/a@b https://[::1]:80/c@d"},
        RedactCase{"two_urls", "a=http://x:1@h1 b=https://y:2@h2",
                   "a=http://x:***@h1 b=https://y:***@h2"},
        RedactCase{"private_key",
                   "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEsecretbody\n-----END RSA PRIVATE "
                   "KEY-----\nafter",
                   "key:\n-----BEGIN RSA PRIVATE KEY-----\n***\n-----END RSA PRIVATE "
                   "KEY-----\nafter"},
        RedactCase{"truncated_private_key", "-----BEGIN PRIVATE KEY-----\nMIIEsecr",
                   "-----BEGIN PRIVATE KEY-----\n***\n"},
        RedactCase{"certificate_is_kept",
                   "-----BEGIN CERTIFICATE-----\nMIIBpublic\n-----END CERTIFICATE-----",
                   "-----BEGIN CERTIFICATE-----\nMIIBpublic\n-----END CERTIFICATE-----"},
        RedactCase{"plain_text", "nothing secret here: a:b@c", "nothing secret here: a:b@c"}),
    [](const ::testing::TestParamInfo<RedactCase>& info) { return info.param.name; });

TEST(RedactTest, ReplacesEveryOccurrenceOfEachSecret) {
  EXPECT_EQ(Redact("tok1234 and tok1234 and pw-5678", {"tok1234", "pw-5678"}),
            "*** and *** and ***");
}

TEST(RedactTest, LongerSecretIsReplacedWholeWhenItContainsAShorterOne) {
  EXPECT_EQ(Redact("value=abcdefgh", {"abcd", "abcdefgh"}), "value=***");
}

TEST(RedactTest, TooShortSecretsAreIgnored) {
  EXPECT_EQ(Redact("a bc abc", {"", "a", "abc"}), "a bc abc");
}

TEST(SecretRegistryTest, ScrubsRegisteredValuesAndStructuredSecrets) {
  SecretRegistry registry;
  registry.Add("zz-registered-token-zz");
  registry.Add("ab");  // too short: ignored
  EXPECT_EQ(registry.size(), 1u);
  EXPECT_EQ(registry.Scrub("got zz-registered-token-zz from https://u:pw@h"),
            "got *** from https://u:***@h");
}

TEST(SecretRegistryTest, PercentEncodedFormsAreScrubbedToo) {
  SecretRegistry registry;
  registry.Add("p@ss/w#rd!");
  EXPECT_EQ(registry.Scrub("a p@ss/w#rd! b p%40ss%2Fw%23rd%21 c p%40ss%2fw%23rd%21"),
            "a *** b *** c ***");
}

TEST(SecretRegistryTest, PemValuesAreAlsoRegisteredLineByLine) {
  SecretRegistry registry;
  registry.Add(
      "-----BEGIN EC PRIVATE KEY-----\nLINEONEsecret\r\nLINETWOsecret\n-----END EC "
      "PRIVATE KEY-----\n");
  EXPECT_EQ(registry.Scrub("partial echo: LINETWOsecret"), "partial echo: ***");
}

TEST(SecretRegistryTest, ForgetsTheOldestPastCapacity) {
  SecretRegistry registry(2);
  registry.Add("first-secret");
  registry.Add("second-secret");
  registry.Add("third-secret");
  registry.Add("third-secret");  // duplicates are kept once
  EXPECT_EQ(registry.size(), 2u);
  EXPECT_EQ(registry.Scrub("first-secret second-secret third-secret"), "first-secret *** ***");
}

TEST(SecretRegistryTest, ConcurrentAddAndScrubAreSafe) {
  SecretRegistry registry;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&registry, t] {
      for (int i = 0; i < 200; ++i) {
        registry.Add("secret-" + std::to_string(t) + "-" + std::to_string(i));
        registry.Scrub("secret-0-0");
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(registry.size(), 800u);
  EXPECT_EQ(registry.Scrub("x secret-3-199 y"), "x *** y");
}

}  // namespace
}  // namespace mlgitops
