// Reads health_test.yaml folders and replays Argo CD's health cases against the built-in checks.
#include "argocd_corpus.h"

#include <gtest/gtest.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>

#include "health_test_util.h"
#include "object/yaml_loader.h"
#include "test_util.h"

namespace mlgitops::testing {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxTestFileBytes = 1u << 20;

// sigs.k8s.io/yaml matches keys case-insensitively.
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

HealthTestCase ReadEntry(const fs::path& folder, const JsonValue& entry) {
  HealthTestCase c;
  c.input_path = StringAnyCase(entry, "inputPath");
  const JsonValue* want = MemberAnyCase(entry, "healthStatus");
  std::string status = want ? StringAnyCase(*want, "status") : "";
  auto code = ParseHealthCode(status);
  if (!code) {
    c.error = "unknown expected status \"" + status + "\"";
    return c;
  }
  c.expected = HealthStatus{*code, StringAnyCase(*want, "message")};
  auto objects = LoadManifestFile((folder / c.input_path).string());
  if (!objects.ok()) {
    c.error = objects.status().ToString();
  } else if (objects->size() != 1) {
    c.error = "expected one object, found " + std::to_string(objects->size());
  } else {
    c.object = std::move((*objects)[0]);
  }
  return c;
}

}  // namespace

std::vector<HealthTestFolder> ListHealthTestFolders(const std::string& root) {
  std::vector<HealthTestFolder> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename() != "health_test.yaml") continue;
    fs::path folder = it->path().parent_path();
    fs::path relative = fs::relative(folder, root);
    HealthTestFolder f;
    f.name = relative.generic_string();
    f.kind = relative.filename().string();
    if (relative.has_parent_path()) f.group = relative.parent_path().filename().string();
    f.path = folder.string();
    out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(),
            [](const HealthTestFolder& a, const HealthTestFolder& b) { return a.name < b.name; });
  return out;
}

Result<std::vector<HealthTestCase>> ReadHealthTestFile(const std::string& folder) {
  std::string path = folder + "/health_test.yaml";
  auto text = ReadFileLimited(path, kMaxTestFileBytes, path);
  if (!text.ok()) return text.status();
  auto docs = ParseYamlStream(*text, path);
  if (!docs.ok()) return docs.status();
  const JsonValue* tests = docs->empty() ? nullptr : MemberAnyCase((*docs)[0].json(), "tests");
  if (docs->size() != 1 || !tests || !tests->IsArray()) {
    return Status::InvalidArgument(path + ": expected one document with a tests list");
  }
  std::vector<HealthTestCase> cases;
  for (const auto& entry : tests->GetArray()) cases.push_back(ReadEntry(folder, entry));
  return cases;
}

std::vector<HealthTestCase> LoadArgoHealthCases(const std::string& group_kind) {
  std::vector<HealthTestCase> usable;
  auto cases = ReadHealthTestFile(CorpusDir() + "/argocd-health/" + group_kind);
  if (!cases.ok()) {
    ADD_FAILURE() << "cannot read the cases of " << group_kind << ": " << cases.status().ToString();
    return usable;
  }
  for (HealthTestCase& c : *cases) {
    if (c.error.empty()) {
      usable.push_back(std::move(c));
    } else {
      ADD_FAILURE() << group_kind << ": unusable case " << c.input_path << ": " << c.error;
    }
  }
  return usable;
}

ArgoHealthScore ScoreArgoHealthCases(const std::vector<HealthTestCase>& cases) {
  ArgoHealthScore score;
  for (const HealthTestCase& c : cases) {
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
      score.mismatches.push_back(c.input_path + ": got " + DescribeHealth(got) + " want " +
                                 DescribeHealth(c.expected) +
                                 " (kind function alone: " + DescribeHealth(direct) + ")");
    }
  }
  return score;
}

void ExpectArgoHealthCorpus(const ArgoKindExpectation& want) {
  std::vector<HealthTestCase> cases = LoadArgoHealthCases(want.group_kind);
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

TEST_P(ArgoKindCorpus, MatchesArgoCdCases) { ExpectArgoHealthCorpus(GetParam()); }

std::string ArgoKindTestName(const ::testing::TestParamInfo<ArgoKindExpectation>& info) {
  std::string kind = info.param.group_kind;
  kind = kind.substr(kind.rfind('/') + 1);
  for (char& ch : kind) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return kind;
}

void PrintTo(const ArgoKindExpectation& want, std::ostream* os) { *os << want.group_kind; }

}  // namespace mlgitops::testing
