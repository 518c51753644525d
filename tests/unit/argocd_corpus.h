// The one reader of Argo CD's health_test.yaml format (the corpus's argocd-health tree and our
// Lua fixtures), and the replay of the corpus cases against the built-in checks.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "health/health.h"
#include "object/status.h"

namespace mlgitops::testing {

// ---- Reading health_test.yaml folders ----

/// A kind folder: `<root>/<group>/<Kind>/` (or `<root>/<Kind>/`) holding a health_test.yaml.
struct HealthTestFolder {
  std::string name;   // relative to the root: "argoproj.io/Rollout"
  std::string group;  // "" for a one-level folder
  std::string kind;
  std::string path;  // the folder itself
};

/// Every folder below `root` that holds a health_test.yaml, sorted by name.
std::vector<HealthTestFolder> ListHealthTestFolders(const std::string& root);

/// One entry of a health_test.yaml, with the object its inputPath names.
struct HealthTestCase {
  std::string input_path;  // relative to the kind's folder, as the entry spells it
  HealthStatus expected;   // an absent message means ""
  Object object;           // the input's single Kubernetes object
  std::string error;       // why the entry cannot be replayed; "" when it can
};

/// The entries of `<folder>/health_test.yaml` in file order. Keys match case-insensitively, as
/// sigs.k8s.io/yaml matches them (upstream spells `inputpath` once). An error when the file is
/// unreadable or has no tests list; an entry with an unknown status or an input that is not
/// exactly one object carries its own error.
Result<std::vector<HealthTestCase>> ReadHealthTestFile(const std::string& folder);

// ---- Replaying the corpus (argocd-health) ----

/// The usable cases of `group_kind` ("argoproj.io/Rollout") in the corpus, in file order; an
/// unreadable file or entry fails the calling test.
std::vector<HealthTestCase> LoadArgoHealthCases(const std::string& group_kind);

/// How a kind's cases fared through the entry point (AssessBuiltin) and through the kind's
/// own function alone (which skips the entry point's deletion rule).
struct ArgoHealthScore {
  int cases = 0;
  int status_matches = 0;
  int message_matches = 0;
  int direct_message_matches = 0;
  std::vector<std::string> mismatches;  // "<inputPath>: got X "..." want Y "..."" per miss
};

ArgoHealthScore ScoreArgoHealthCases(const std::vector<HealthTestCase>& cases);

/// The expected figures of one kind, one row of a family's table.
struct ArgoKindExpectation {
  const char* group_kind;
  int cases;
  int message_matches;         // through AssessBuiltin
  int direct_message_matches;  // through the kind's own function
};

/// Names a parameterised case after the kind ("Rollout"); gtest allows only [A-Za-z0-9_].
std::string ArgoKindTestName(const ::testing::TestParamInfo<ArgoKindExpectation>& info);
void PrintTo(const ArgoKindExpectation& want, std::ostream* os);

/// Loads and scores one kind, printing the figures and every mismatch: each case's status
/// must match; the counts of exact messages must equal the expectation (so regressions show).
void ExpectArgoHealthCorpus(const ArgoKindExpectation& want);

/// The parameterised corpus test (ExpectArgoHealthCorpus per kind); each family's test file
/// instantiates it with its own table of kinds.
class ArgoKindCorpus : public ::testing::TestWithParam<ArgoKindExpectation> {};

}  // namespace mlgitops::testing
