// Tests of the retry decision: which outcomes are repeated for which requests, how long the
// waits are, and where the bounds stop them.
#include <gtest/gtest.h>

#include "kube/retry.h"

namespace mlgitops {
namespace {

using std::chrono::milliseconds;

HttpOutcome Answer(int status, const std::string& retry_after = "", const std::string& body = "") {
  HttpOutcome outcome;
  outcome.response.status = status;
  outcome.response.body = body;
  if (!retry_after.empty()) outcome.response.headers.emplace("Retry-After", retry_after);
  return outcome;
}

HttpOutcome Broken(TransportFailure failure, bool maybe_sent) {
  HttpOutcome outcome;
  outcome.failure = failure;
  outcome.maybe_sent = maybe_sent;
  outcome.detail = "broken";
  return outcome;
}

struct Case {
  const char* name;
  HttpOutcome outcome;
  Repeatable repeatable;
  bool retried;
};

class KubeRetryDecisionTest : public ::testing::TestWithParam<Case> {};

TEST_P(KubeRetryDecisionTest, RepeatsOnlyWhatIsSafe) {
  const Case& c = GetParam();
  RetryVerdict verdict =
      DecideRetry(c.outcome, c.repeatable, 1, milliseconds(0), RetryPolicy(), 0.5);
  EXPECT_EQ(verdict.retry, c.retried);
}

INSTANTIATE_TEST_SUITE_P(
    Outcomes, KubeRetryDecisionTest,
    ::testing::Values(
        Case{"Ok", Answer(200), Repeatable::kAlways, false},
        Case{"NotFound", Answer(404), Repeatable::kAlways, false},
        Case{"Conflict", Answer(409), Repeatable::kAlways, false},
        Case{"NotImplemented", Answer(501), Repeatable::kAlways, false},
        Case{"ThrottledRead", Answer(429), Repeatable::kAlways, true},
        Case{"ThrottledCreate", Answer(429), Repeatable::kIfNotSent, true},
        Case{"UnavailableRead", Answer(503), Repeatable::kAlways, true},
        Case{"UnavailableCreate", Answer(503), Repeatable::kIfNotSent, false},
        Case{"GatewayTimeoutRead", Answer(504), Repeatable::kAlways, true},
        Case{"RefusedCreate", Broken(TransportFailure::kConnect, false), Repeatable::kIfNotSent,
             true},
        Case{"HandshakeCreate", Broken(TransportFailure::kTlsHandshake, false),
             Repeatable::kIfNotSent, true},
        Case{"LostRead", Broken(TransportFailure::kLost, true), Repeatable::kAlways, true},
        Case{"LostCreate", Broken(TransportFailure::kLost, true), Repeatable::kIfNotSent, false},
        Case{"UnsentCreate", Broken(TransportFailure::kLost, false), Repeatable::kIfNotSent, true},
        Case{"WrongCa", Broken(TransportFailure::kTlsVerify, false), Repeatable::kAlways, false},
        Case{"BadConfig", Broken(TransportFailure::kConfig, false), Repeatable::kAlways, false},
        Case{"TooLarge", Broken(TransportFailure::kTooLarge, true), Repeatable::kAlways, false}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(KubeRetryTest, BackoffDoublesUpToTheCapWithJitter) {
  RetryPolicy policy;
  policy.initial_backoff = milliseconds(100);
  policy.max_backoff = milliseconds(1000);
  policy.jitter = 0.2;
  HttpOutcome down = Answer(503);
  std::vector<int64_t> waits;
  for (int attempt = 1; attempt <= 5; ++attempt) {
    waits.push_back(DecideRetry(down, Repeatable::kAlways, attempt, milliseconds(0), policy, 0.5)
                        .delay.count());
  }
  EXPECT_EQ(waits, (std::vector<int64_t>{100, 200, 400, 800, 1000}));
  EXPECT_EQ(DecideRetry(down, Repeatable::kAlways, 1, milliseconds(0), policy, 0.0).delay.count(),
            80);
  EXPECT_EQ(DecideRetry(down, Repeatable::kAlways, 1, milliseconds(0), policy, 0.999).delay.count(),
            119);
}

TEST(KubeRetryTest, RetryAfterWinsOverBackoff) {
  RetryVerdict header =
      DecideRetry(Answer(429, "7"), Repeatable::kAlways, 1, milliseconds(0), RetryPolicy(), 0.5);
  EXPECT_EQ(header.delay, milliseconds(7000));
  RetryVerdict body = DecideRetry(
      Answer(429, "", R"({"kind":"Status","code":429,"details":{"retryAfterSeconds":4}})"),
      Repeatable::kAlways, 1, milliseconds(0), RetryPolicy(), 0.5);
  EXPECT_EQ(body.delay, milliseconds(4000));
  RetryVerdict date = DecideRetry(Answer(503, "Wed, 21 Oct 2015 07:28:00 GMT"), Repeatable::kAlways,
                                  1, milliseconds(0), RetryPolicy(), 0.5);
  EXPECT_EQ(date.delay, RetryPolicy().initial_backoff) << "an HTTP-date falls back to backoff";
}

TEST(KubeRetryTest, BoundsStopRetrying) {
  RetryPolicy policy;
  policy.max_attempts = 3;
  policy.max_total = milliseconds(10000);
  RetryVerdict last =
      DecideRetry(Answer(503), Repeatable::kAlways, 3, milliseconds(0), policy, 0.5);
  EXPECT_FALSE(last.retry);
  EXPECT_EQ(last.why_not, "gave up after 3 attempts");
  RetryVerdict late =
      DecideRetry(Answer(429, "5"), Repeatable::kAlways, 1, milliseconds(6000), policy, 0.5);
  EXPECT_FALSE(late.retry);
  EXPECT_NE(late.why_not.find("retry budget"), std::string::npos);
}

TEST(KubeRetryTest, NotesSayWhatHappened) {
  SendResult result;
  result.attempts = 1;
  EXPECT_EQ(result.Note(), "");
  result.attempts = 4;
  result.elapsed = milliseconds(3200);
  result.why_not = "gave up after 4 attempts";
  EXPECT_EQ(result.Note(), "4 attempts in 3.2s: gave up after 4 attempts");
}

}  // namespace
}  // namespace mlgitops
