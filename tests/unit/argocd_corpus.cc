// Replays Argo CD's health test cases against the built-in checks.
#include "argocd_corpus.h"

#include <gtest/gtest.h>
#include <strings.h>

#include <cctype>
#include <iostream>

#include "object/yaml_loader.h"
#include "test_util.h"

namespace mlgitops::testing {
namespace {

// sigs.k8s.io/yaml matches keys case-insensitively (upstream has "inputpath" spellings).
const JsonValue* MemberAnyCase(const JsonValue& v, const char* name) {
  if (!v.IsObject()) return nullptr;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    if (::strcasecmp(it->name.GetString(), name) == 0) return &it->value;
  }
  return nullptr;
}

std::string StringAnyCase(const JsonValue& v, const char* name) {
  const JsonValue* m = MemberAnyCase(v, name);
  return m && m->IsString() ? std::string(m->GetString(), m->GetStringLength()) : "";
}

std::string Describe(const std::optional<HealthStatus>& s) {
  if (!s) return "no health";
  return std::string(HealthCodeName(s->code)) + " \"" + s->message + "\"";
}

}  // namespace

std::vector<ArgoHealthCase> LoadArgoHealthCases(const std::string& group_kind) {
  std::vector<ArgoHealthCase> out;
  const std::string dir = CorpusDir() + "/argocd-health/" + group_kind + "/";
  auto docs = ParseYamlStream(ReadFile(dir + "health_test.yaml"), group_kind + "/health_test.yaml");
  if (!docs.ok() || docs->empty()) {
    ADD_FAILURE() << "cannot read the cases of " << group_kind << ": " << docs.status().ToString();
    return out;
  }
  const JsonValue* tests = MemberAnyCase((*docs)[0].json(), "tests");
  if (!tests || !tests->IsArray()) {
    ADD_FAILURE() << group_kind << ": health_test.yaml has no tests list";
    return out;
  }
  for (const auto& entry : tests->GetArray()) {
    const JsonValue* want = MemberAnyCase(entry, "healthStatus");
    std::string input_path = StringAnyCase(entry, "inputPath");
    auto code = want ? ParseHealthCode(StringAnyCase(*want, "status")) : std::nullopt;
    auto objects = LoadManifestFile(dir + input_path);
    if (!code || !objects.ok() || objects->size() != 1) {
      ADD_FAILURE() << group_kind << ": unusable case " << input_path << " "
                    << objects.status().ToString();
      continue;
    }
    out.push_back(ArgoHealthCase{input_path, HealthStatus{*code, StringAnyCase(*want, "message")},
                                 std::move((*objects)[0])});
  }
  return out;
}

ArgoHealthScore ScoreArgoHealthCases(const std::vector<ArgoHealthCase>& cases) {
  ArgoHealthScore score;
  for (const ArgoHealthCase& c : cases) {
    ++score.cases;
    std::optional<HealthStatus> got = AssessBuiltin(c.object, HealthContext{});
    HealthFn own = BuiltinHealth().Find(c.object.group(), c.object.kind());
    std::optional<HealthStatus> direct = own ? own(c.object, HealthContext{}) : std::nullopt;
    bool same_code = got && got->code == c.expected.code;
    bool same_message = got && got->message == c.expected.message;
    score.status_matches += same_code;
    score.message_matches += same_code && same_message;
    score.direct_message_matches += direct && *direct == c.expected;
    if (!same_code || !same_message) {
      score.mismatches.push_back(c.input_path + ": got " + Describe(got) + " want " +
                                 Describe(c.expected) +
                                 " (kind function alone: " + Describe(direct) + ")");
    }
  }
  return score;
}

void ExpectArgoHealthCorpus(const ArgoKindExpectation& want) {
  std::vector<ArgoHealthCase> cases = LoadArgoHealthCases(want.group_kind);
  ASSERT_EQ(static_cast<int>(cases.size()), want.cases) << want.group_kind;
  ArgoHealthScore score = ScoreArgoHealthCases(cases);
  std::string misses;
  for (const std::string& line : score.mismatches) misses += "\n  " + line;
  std::cout << "[ corpus   ] " << want.group_kind << ": status " << score.status_matches << "/"
            << score.cases << ", message " << score.message_matches << "/" << score.cases
            << " (kind function alone " << score.direct_message_matches << "/" << score.cases << ")"
            << misses << "\n";
  EXPECT_EQ(score.status_matches, score.cases) << want.group_kind << misses;
  EXPECT_EQ(score.message_matches, want.message_matches) << want.group_kind << misses;
  EXPECT_EQ(score.direct_message_matches, want.direct_message_matches) << want.group_kind << misses;
}

std::string ArgoKindTestName(const ::testing::TestParamInfo<ArgoKindExpectation>& info) {
  std::string kind = info.param.group_kind;
  kind = kind.substr(kind.rfind('/') + 1);
  for (char& ch : kind) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return kind;
}

void ExpectHealthEdgeCases(const std::vector<HealthEdgeCase>& cases) {
  for (const HealthEdgeCase& c : cases) {
    Object obj = ParseOne(c.yaml);
    std::optional<HealthStatus> got = AssessBuiltin(obj, HealthContext{});
    EXPECT_EQ(Describe(got), Describe(HealthStatus{c.code, c.message})) << c.what;
  }
}

void PrintTo(const ArgoKindExpectation& want, std::ostream* os) { *os << want.group_kind; }

}  // namespace mlgitops::testing
