// AdmissionReview decoding and answers: uid echo in v1 and v1beta1, and every malformed body the
// issue lists answered 400 with a short reason, fast and without a crash.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>

#include "admission/policy.h"
#include "admission/review.h"
#include "admission_test_util.h"

namespace mlgitops {
namespace {

using testing::ReadAnswer;
using testing::ReviewOf;
using testing::ReviewOptions;

constexpr char kConfigMap[] = "{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}";

class AdmissionReviewEcho : public ::testing::TestWithParam<std::string> {};

TEST_P(AdmissionReviewEcho, AnswersInTheRequestVersionWithItsUid) {
  ReviewOptions options;
  options.api_version = GetParam();
  options.uid = "uid-" + GetParam().substr(GetParam().rfind('/') + 1);
  for (AdmissionEndpoint endpoint : {AdmissionEndpoint::kMutate, AdmissionEndpoint::kValidate}) {
    AdmissionOutcome outcome = HandleAdmission(endpoint, ReviewOf(kConfigMap, options), {});
    testing::Answer answer = ReadAnswer(outcome);
    EXPECT_EQ(GetString(answer.review, "apiVersion"), GetParam());
    EXPECT_EQ(GetString(answer.review, "kind"), "AdmissionReview");
    EXPECT_EQ(GetString(answer.review, "response.uid"), options.uid);
    EXPECT_TRUE(answer.allowed);
    EXPECT_EQ(outcome.content_type, "application/json");
  }
}

INSTANTIATE_TEST_SUITE_P(Admission, AdmissionReviewEcho,
                         ::testing::Values("admission.k8s.io/v1", "admission.k8s.io/v1beta1"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param.substr(info.param.rfind('/') + 1);
                         });

// Bodies are built when a test runs, not when gtest registers the cases: the large ones would
// otherwise be allocated (and copied) at the start of every test process.
struct BadBody {
  std::string name;
  std::function<std::string()> body;
  std::string reason_part;
};

void PrintTo(const BadBody& b, std::ostream* os) { *os << b.name; }

std::string Nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string WithRequest(const std::string& request) {
  return "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":" +
         request + "}";
}

std::vector<BadBody> BadBodies() {
  static const std::string object = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}";
  return {
      {"empty", [] { return std::string(""); }, "not JSON"},
      {"not_json", [] { return std::string("hello"); }, "not JSON"},
      {"truncated", [] { return std::string(WithRequest("{\"uid\":\"a\"")); }, "not JSON"},
      {"trailing_garbage",
       [] { return std::string(WithRequest("{\"uid\":\"a\",\"operation\":\"CREATE\"}") + "x"); },
       "not JSON"},
      {"invalid_utf8",
       [] { return std::string(WithRequest("{\"uid\":\"\xff\xfe\",\"operation\":\"DELETE\"}")); },
       "not JSON"},
      {"array", [] { return std::string("[]"); }, "expected a JSON object"},
      {"unknown_api_version",
       [] {
         return std::string(
             "{\"apiVersion\":\"admission.k8s.io/"
             "v2\",\"kind\":\"AdmissionReview\",\"request\":{}}");
       },
       "unsupported apiVersion"},
      {"no_api_version",
       [] { return std::string("{\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"a\"}}"); },
       "unsupported apiVersion"},
      {"api_version_number",
       [] { return std::string("{\"apiVersion\":1,\"kind\":\"AdmissionReview\"}"); },
       "apiVersion must be a string"},
      {"wrong_kind",
       [] {
         return std::string(
             "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"Pod\",\"request\":{}}");
       },
       "kind must be AdmissionReview"},
      {"no_request",
       [] {
         return std::string(
             "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}");
       },
       "request is missing"},
      {"request_string", [] { return std::string(WithRequest("\"x\"")); },
       "request is missing or not an object"},
      {"no_uid",
       [] {
         return std::string(WithRequest("{\"operation\":\"CREATE\",\"object\":" + object + "}"));
       },
       "request.uid is missing"},
      {"empty_uid",
       [] { return std::string(WithRequest("{\"uid\":\"\",\"operation\":\"DELETE\"}")); },
       "request.uid is missing"},
      {"uid_number",
       [] { return std::string(WithRequest("{\"uid\":42,\"operation\":\"DELETE\"}")); },
       "request.uid must be a string"},
      {"operation_unknown",
       [] { return std::string(WithRequest("{\"uid\":\"a\",\"operation\":\"PATCH\"}")); },
       "request.operation must be"},
      {"operation_number",
       [] { return std::string(WithRequest("{\"uid\":\"a\",\"operation\":3}")); },
       "request.operation must be a string"},
      {"object_string",
       [] {
         return std::string(
             WithRequest("{\"uid\":\"a\",\"operation\":\"CREATE\",\"object\":\"x\"}"));
       },
       "request.object must be an object"},
      {"create_without_object",
       [] { return std::string(WithRequest("{\"uid\":\"a\",\"operation\":\"CREATE\"}")); },
       "request.object is missing for CREATE"},
      {"dry_run_string",
       [] {
         return std::string(
             WithRequest("{\"uid\":\"a\",\"operation\":\"DELETE\",\"dryRun\":\"yes\"}"));
       },
       "request.dryRun must be true or false"},
      {"namespace_number",
       [] {
         return std::string(
             WithRequest("{\"uid\":\"a\",\"operation\":\"DELETE\",\"namespace\":[]}"));
       },
       "request.namespace must be a string"},
      {"kind_string",
       [] {
         return std::string(
             WithRequest("{\"uid\":\"a\",\"operation\":\"DELETE\",\"kind\":\"Pod\"}"));
       },
       "request.kind must be an object"},
      {"old_object_number",
       [] {
         return std::string(
             WithRequest("{\"uid\":\"a\",\"operation\":\"DELETE\",\"oldObject\":1}"));
       },
       "request.oldObject must be an object"},
      {"nested_100000_bare", [] { return std::string(Nested(100000)); }, "nested deeper than 100"},
      {"nested_100000_in_object",
       [] {
         return std::string(WithRequest(
             "{\"uid\":\"a\",\"operation\":\"CREATE\",\"object\":{\"data\":" + Nested(100000) +
             "}}"));
       },
       "nested deeper than 100"},
      {"over_7_MiB",
       [] {
         return std::string(
             WithRequest("{\"uid\":\"a\",\"operation\":\"CREATE\",\"object\":{\"data\":{\"x\":\"" +
                         std::string(8u << 20, 'a') + "\"}}}"));
       },
       "over the 7 MiB limit"},
  };
}

class AdmissionBadInput : public ::testing::TestWithParam<BadBody> {};

TEST_P(AdmissionBadInput, Gets400WithAShortReasonFast) {
  for (AdmissionEndpoint endpoint : {AdmissionEndpoint::kMutate, AdmissionEndpoint::kValidate}) {
    auto start = std::chrono::steady_clock::now();
    AdmissionOutcome outcome = HandleAdmission(endpoint, GetParam().body(), {});
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(outcome.http_status, 400) << outcome.body;
    EXPECT_EQ(outcome.result, "invalid");
    EXPECT_NE(outcome.body.find(GetParam().reason_part), std::string::npos) << outcome.body;
    EXPECT_LT(outcome.body.size(), 200u) << outcome.body;
    EXPECT_LT(elapsed, std::chrono::milliseconds(500));
  }
}

INSTANTIATE_TEST_SUITE_P(Admission, AdmissionBadInput, ::testing::ValuesIn(BadBodies()),
                         [](const ::testing::TestParamInfo<BadBody>& info) {
                           return info.param.name;
                         });

TEST(AdmissionReviewDecode, NestingUpToTheLimitIsAccepted) {
  // review, request and object take three levels; the data may use the rest.
  std::string body = WithRequest("{\"uid\":\"a\",\"operation\":\"CREATE\",\"object\":{\"data\":" +
                                 Nested(kMaxAdmissionJsonDepth - 3) + "}}");
  EXPECT_TRUE(DecodeAdmissionReview(body).ok());
  body = WithRequest("{\"uid\":\"a\",\"operation\":\"CREATE\",\"object\":{\"data\":" +
                     Nested(kMaxAdmissionJsonDepth - 2) + "}}");
  EXPECT_EQ(DecodeAdmissionReview(body).status().code(), Status::Code::kLimitExceeded);
}

TEST(AdmissionReviewDecode, ABodyOfExactlyTheLimitIsRead) {
  std::string head =
      "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
      "\"request\":{\"uid\":\"a\",\"operation\":\"CREATE\",\"object\":{\"data\":{"
      "\"x\":\"";
  std::string tail = "\"}}}}";
  std::string body =
      head + std::string(kMaxAdmissionReviewBytes - head.size() - tail.size(), 'a') + tail;
  ASSERT_EQ(body.size(), kMaxAdmissionReviewBytes);
  auto request = DecodeAdmissionReview(body);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(HandleAdmission(AdmissionEndpoint::kValidate, body, {}).http_status, 200);
  EXPECT_EQ(HandleAdmission(AdmissionEndpoint::kValidate, body + " ", {}).http_status, 400);
}

TEST(AdmissionReviewDecode, TypeNamespaceAndFieldsComeFromTheRequest) {
  auto request = DecodeAdmissionReview(WithRequest(
      "{\"uid\":\"u\",\"operation\":\"CREATE\",\"namespace\":\"ml\",\"subResource\":null,"
      "\"dryRun\":null,\"kind\":{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"},"
      "\"object\":{\"metadata\":{\"generateName\":\"web-\"}},\"oldObject\":null}"));
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  ASSERT_TRUE(request->object.has_value());
  EXPECT_EQ(request->object->ref(), (ObjectRef{"apps", "Deployment", "ml", "web-"}));
  EXPECT_FALSE(request->dry_run);
  EXPECT_EQ(request->api_version, "admission.k8s.io/v1");
}

TEST(AdmissionReviewDecode, DeleteWithoutObjectIsAllowedWithoutPatch) {
  std::string body = WithRequest(
      "{\"uid\":\"d\",\"operation\":\"DELETE\",\"object\":null,\"oldObject\":{\"apiVersion\":"
      "\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"}}}");
  for (AdmissionEndpoint endpoint : {AdmissionEndpoint::kMutate, AdmissionEndpoint::kValidate}) {
    AdmissionOutcome outcome = HandleAdmission(endpoint, body, {});
    testing::Answer answer = ReadAnswer(outcome);
    EXPECT_TRUE(answer.allowed);
    EXPECT_FALSE(answer.has_patch);
    EXPECT_EQ(outcome.operation, "DELETE");
    EXPECT_EQ(GetString(answer.review, "response.uid"), "d");
  }
}

TEST(AdmissionReviewEncode, DenialsCarryStatusAndPatchesAreBase64) {
  AdmissionVerdict denied;
  denied.allowed = false;
  denied.code = 403;
  denied.reason = "Forbidden";
  denied.message = "rule: \"quoted\" text";
  rapidjson::Document doc;
  doc.Parse(EncodeAdmissionReview("admission.k8s.io/v1", "u", denied).c_str());
  EXPECT_EQ(GetString(doc, "response.status.message"), "rule: \"quoted\" text");
  EXPECT_EQ(GetInt(doc, "response.status.code"), 403);
  EXPECT_EQ(Find(doc, "response.patch"), nullptr);

  AdmissionVerdict patched;
  patched.patch = "[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{}}]";
  doc.Parse(EncodeAdmissionReview("admission.k8s.io/v1", "u", patched).c_str());
  EXPECT_EQ(Base64Decode(GetString(doc, "response.patch")), patched.patch);
  EXPECT_EQ(GetString(doc, "response.patchType"), "JSONPatch");
  EXPECT_EQ(Find(doc, "response.status"), nullptr);
}

}  // namespace
}  // namespace mlgitops
