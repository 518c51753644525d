// The gate against upstream verdicts, each source replayed the way its own tests run it:
// gitops-engine's core cases (expected.tsv) through its entry point AssessBuiltin, and Argo CD's
// bundled cases (argocd-health/**/health_test.yaml) through the kind's own registered function,
// as Argo CD's test calls the kind's script alone. Every miss is printed with why it is accepted.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "argocd_corpus.h"
#include "health/health.h"
#include "object/yaml_loader.h"
#include "test_util.h"

namespace mlgitops {
namespace {

constexpr const char* kNone = "NONE";
constexpr size_t kGitopsEngineRows = 49;
constexpr size_t kArgoCdCases = 186;

// The Argo CD kinds this area implements; other kinds belong to other families.
const std::set<std::string> kOwnedArgoKinds = {
    "batch/CronJob", "argoproj.io/CronWorkflow", "sparkoperator.k8s.io/SparkApplication",
    "serving.knative.dev/Service", "serving.kserve.io/InferenceService"};

// gitops-engine has no Knative check and expects none, but Argo CD ships one as Lua and so do
// we: the verdict here is the Argo CD one, checked by the argocd-health cases.
constexpr const char* kKnativeNoneFile = "testdata/knative-service.yaml";
// This upstream file repeats `spec.updateStrategy`; Go's lenient YAML keeps the last value, our
// loader refuses duplicate keys on purpose (shared/object/yaml_loader.h), so it cannot be read.
// Its rule (OnDelete StatefulSet -> Healthy) is covered by health_core_test.
constexpr const char* kDuplicateKeyFile = "testdata/statefulset-ondelete.yaml";

struct GateCase {
  std::string source;  // "gitops-engine" or "argocd"
  std::string file;    // relative to the corpus
  std::string kind;    // "group/Kind" of the folder (argocd) or of the object (gitops-engine)
  std::string expected_status;
  std::optional<std::string> expected_message;  // argocd only
  std::string actual_status;                    // "NONE" when no check answered
  std::string actual_message;
  std::string load_error;

  bool StatusMatches() const { return load_error.empty() && actual_status == expected_status; }
  bool MessageMatches() const {
    return StatusMatches() && expected_message && *expected_message == actual_message;
  }
};

void Record(const std::optional<HealthStatus>& health, GateCase* c) {
  c->actual_status = health ? std::string(HealthCodeName(health->code)) : kNone;
  c->actual_message = health ? health->message : "";
}

// gitops-engine's cases go through its entry point: one of them (a Pod being deleted) is about
// the deletion rule AssessBuiltin applies before the kind's function.
void AssessThroughEntryPoint(const std::string& path, GateCase* c) {
  auto objects = LoadManifestFile(path);
  if (!objects.ok() || objects->size() != 1) {
    c->load_error = objects.ok() ? "expected one object" : objects.status().ToString();
    c->kind = "(unreadable)";
    return;
  }
  const Object& obj = (*objects)[0];
  c->kind = (obj.group().empty() ? "core" : obj.group()) + "/" + obj.kind();
  Record(AssessBuiltin(obj, HealthContext()), c);
}

std::vector<GateCase> GitopsEngineCases() {
  std::string dir = testing::CorpusDir() + "/gitops-engine-health";
  std::istringstream tsv(testing::ReadFile(dir + "/expected.tsv"));
  std::vector<GateCase> cases;
  std::string line;
  std::getline(tsv, line);  // header
  while (std::getline(tsv, line)) {
    if (line.empty()) continue;
    GateCase c;
    c.source = "gitops-engine";
    std::istringstream fields(line);
    std::getline(fields, c.file, '\t');
    std::getline(fields, c.expected_status, '\t');
    AssessThroughEntryPoint(dir + "/" + c.file, &c);
    c.file = "gitops-engine-health/" + c.file;
    cases.push_back(std::move(c));
  }
  return cases;
}

// Argo CD's cases go to the folder's kind function alone, without the entry point's deletion
// rule: Argo CD's own test runs the kind's health.lua directly, and some of its cases carry a
// deletionTimestamp (with only the foregroundDeletion finalizer) yet expect the script's verdict.
void AddArgoCases(const testing::HealthTestFolder& folder, std::vector<GateCase>* cases) {
  auto read = testing::ReadHealthTestFile(folder.path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  HealthFn own = BuiltinHealth().Find(folder.group, folder.kind);
  for (const testing::HealthTestCase& t : *read) {
    GateCase c;
    c.source = "argocd";
    c.kind = folder.name;
    c.file = "argocd-health/" + folder.name + "/" + t.input_path;
    c.expected_status = t.error.empty() ? std::string(HealthCodeName(t.expected.code)) : "";
    c.expected_message = t.expected.message;
    c.load_error = t.error;
    if (t.error.empty()) Record(own ? own(t.object, HealthContext()) : std::nullopt, &c);
    cases->push_back(std::move(c));
  }
}

std::vector<GateCase> ArgoCdCases() {
  std::vector<GateCase> cases;
  for (const auto& folder :
       testing::ListHealthTestFolders(testing::CorpusDir() + "/argocd-health")) {
    AddArgoCases(folder, &cases);
  }
  return cases;
}

std::string Shown(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return out;
}

// Why a miss does not count against us, or nullptr when it does.
const char* WhyAccepted(const GateCase& c) {
  if (c.file.find(kKnativeNoneFile) != std::string::npos) {
    return "gitops-engine has no Knative check, we apply Argo CD's Lua verdict";
  }
  if (c.file.find(kDuplicateKeyFile) != std::string::npos) {
    return "the file repeats a key, which our YAML loader refuses by design";
  }
  return nullptr;
}

bool IsAcceptedMiss(const GateCase& c) { return WhyAccepted(c) != nullptr; }

void PrintMiss(const GateCase& c) {
  const char* why = WhyAccepted(c);
  std::printf(
      "MISS %s: expected %s, got %s (%s%s)\n", c.file.c_str(), c.expected_status.c_str(),
      c.load_error.empty() ? c.actual_status.c_str() : ("load error " + c.load_error).c_str(),
      why ? "accepted: " : "NOT accepted", why ? why : "");
}

class CorpusGate : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cases_ = new std::vector<GateCase>(GitopsEngineCases());
    for (auto& c : ArgoCdCases()) cases_->push_back(std::move(c));
  }
  static void TearDownTestSuite() {
    delete cases_;
    cases_ = nullptr;
  }
  // The cases of `source` ("" for all) that pass `test`.
  template <typename Test>
  static size_t Count(const std::string& source, Test test) {
    return std::count_if(cases_->begin(), cases_->end(), [&](const GateCase& c) {
      return (source.empty() || c.source == source) && test(c);
    });
  }
  static size_t Count(const std::string& source) {
    return Count(source, [](const GateCase&) { return true; });
  }
  static bool IsOwned(const GateCase& c) {
    return c.source == "gitops-engine" || kOwnedArgoKinds.count(c.kind) > 0;
  }
  static std::vector<GateCase>* cases_;
};

std::vector<GateCase>* CorpusGate::cases_ = nullptr;

TEST_F(CorpusGate, ReadsEveryCase) {
  EXPECT_EQ(Count("gitops-engine"), kGitopsEngineRows);
  EXPECT_EQ(Count("argocd"), kArgoCdCases);
  for (const auto& c : *cases_) {
    if (c.file.find(kDuplicateKeyFile) != std::string::npos) {
      EXPECT_NE(c.load_error.find("duplicate key"), std::string::npos) << c.load_error;
    } else {
      EXPECT_TRUE(c.load_error.empty()) << c.file << ": " << c.load_error;
    }
  }
}

TEST_F(CorpusGate, OverallStatusMatchRateIsAtLeast98Percent) {
  for (const auto& c : *cases_) {
    if (!c.StatusMatches()) PrintMiss(c);
  }
  auto status = [](const GateCase& c) { return c.StatusMatches(); };
  auto message = [](const GateCase& c) { return c.MessageMatches(); };
  size_t matched = Count("", status);
  std::printf("status matches, gitops-engine (AssessBuiltin):      %zu/%zu\n",
              Count("gitops-engine", status), Count("gitops-engine"));
  std::printf("status matches, argocd (the kind's own function):   %zu/%zu\n",
              Count("argocd", status), Count("argocd"));
  std::printf("status matches, total:                              %zu/%zu (%.1f%%)\n", matched,
              cases_->size(), 100.0 * matched / cases_->size());
  std::printf("exact message matches, argocd:                      %zu/%zu\n",
              Count("argocd", message), Count("argocd"));
  EXPECT_GE(matched * 100, cases_->size() * 98);
}

TEST_F(CorpusGate, EveryOwnedKindMatchesStatus) {
  std::map<std::string, std::pair<int, int>> per_kind;  // kind -> (matched, total)
  for (const auto& c : *cases_) {
    if (!IsOwned(c)) continue;
    std::string key = c.source + " " + c.kind;
    per_kind[key].second++;
    if (c.StatusMatches()) {
      per_kind[key].first++;
    } else if (!IsAcceptedMiss(c)) {
      ADD_FAILURE() << c.file << ": expected " << c.expected_status << ", got " << c.actual_status
                    << " " << c.load_error;
    }
  }
  for (const auto& [kind, counts] : per_kind) {
    std::printf("%-55s %d/%d\n", kind.c_str(), counts.first, counts.second);
  }
}

TEST_F(CorpusGate, OwnedArgoCdKindsMatchMessagesExactly) {
  size_t exact = 0, owned = 0;
  for (const auto& c : *cases_) {
    if (c.source != "argocd" || !kOwnedArgoKinds.count(c.kind)) continue;
    ++owned;
    if (c.MessageMatches()) {
      ++exact;
    } else {
      ADD_FAILURE() << c.file << ": expected message \"" << Shown(c.expected_message.value_or(""))
                    << "\", got \"" << Shown(c.actual_message) << "\"";
    }
  }
  std::printf("exact message matches, owned Argo CD kinds: %zu/%zu\n", exact, owned);
}

}  // namespace
}  // namespace mlgitops
