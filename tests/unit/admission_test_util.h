// Helpers for the admission tests: AdmissionReview requests built from YAML objects, answers
// read back (patch decoded and applied with kubesim's RFC 6902 implementation).
#pragma once

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "admission/policy.h"
#include "kubesim/patch.h"
#include "object/base64.h"
#include "object/yaml_loader.h"
#include "test_util.h"

namespace mlgitops::testing {

struct ReviewOptions {
  std::string api_version = "admission.k8s.io/v1";
  std::string uid = "705ab4f5-6393-11e8-b7cc-42010a800002";
  std::string operation = "CREATE";
  std::string extra_request_fields;  // e.g. ",\"dryRun\":true"
};

/// The AdmissionReview the apiserver would send for the object in `yaml`.
inline std::string ReviewOf(const std::string& yaml, const ReviewOptions& options = {}) {
  Object obj = ParseOne(yaml);
  std::string group = obj.group();
  return "{\"apiVersion\":\"" + options.api_version +
         "\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"" + options.uid +
         "\",\"kind\":{\"group\":\"" + group + "\",\"version\":\"" + obj.version() +
         "\",\"kind\":\"" + obj.kind() + "\"},\"operation\":\"" + options.operation +
         "\",\"namespace\":\"" + obj.namespace_() + "\",\"name\":\"" + obj.name() +
         "\",\"userInfo\":{\"username\":\"alice\"},\"object\":" + ToJson(obj.json()) +
         options.extra_request_fields + "}}";
}

/// An AdmissionReview answer, read back.
struct Answer {
  rapidjson::Document review;
  bool allowed = false;
  std::string message;
  std::vector<std::string> warnings;
  bool has_patch = false;
  rapidjson::Document patch;  // the decoded operations

  /// `yaml`'s object with the patch applied; fails the test if it does not apply.
  Object Patched(const std::string& yaml) const {
    Object obj = ParseOne(yaml);
    if (has_patch) {
      Status applied = kubesim::ApplyJsonPatch(obj.mutable_json(), patch, obj.allocator());
      EXPECT_TRUE(applied.ok()) << applied.ToString() << "\npatch: " << ToJson(patch);
    }
    return obj;
  }
};

inline Answer ReadAnswer(const AdmissionOutcome& outcome) {
  Answer answer;
  EXPECT_EQ(outcome.http_status, 200) << outcome.body;
  answer.review.Parse(outcome.body.c_str());
  EXPECT_TRUE(answer.review.IsObject()) << outcome.body;
  if (!answer.review.IsObject()) return answer;
  const JsonValue* response = Find(answer.review, "response");
  if (!response) return answer;
  answer.allowed = GetBool(*response, "allowed").value_or(false);
  answer.message = GetString(*response, "status.message");
  if (const JsonValue* warnings = Find(*response, "warnings")) {
    for (const auto& w : warnings->GetArray()) answer.warnings.push_back(w.GetString());
  }
  std::string encoded = GetString(*response, "patch");
  answer.has_patch = !encoded.empty();
  if (answer.has_patch) {
    EXPECT_EQ(GetString(*response, "patchType"), "JSONPatch");
    auto decoded = Base64Decode(encoded);
    EXPECT_TRUE(decoded.has_value());
    answer.patch.Parse(decoded.value_or("[]").c_str());
    EXPECT_TRUE(answer.patch.IsArray()) << *decoded;
  }
  return answer;
}

}  // namespace mlgitops::testing
