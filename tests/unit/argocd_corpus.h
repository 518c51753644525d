// Test helpers for the health checks ported from Argo CD: replaying the corpus cases
// (argocd-health/<group>/<Kind>/health_test.yaml) and checking inline edge cases.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "health/health.h"

namespace mlgitops::testing {

/// One entry of a health_test.yaml, with its input object loaded.
struct ArgoHealthCase {
  std::string input_path;  // relative to the kind's folder, as the entry spells it
  HealthStatus expected;   // an absent message means ""
  Object object;
};

/// Every case of `group_kind` ("argoproj.io/Rollout"), in file order; unreadable or
/// malformed corpus data fails the calling test.
std::vector<ArgoHealthCase> LoadArgoHealthCases(const std::string& group_kind);

/// How a kind's cases fared through the entry point (AssessBuiltin) and through the kind's
/// own function alone (which skips the entry point's deletion rule).
struct ArgoHealthScore {
  int cases = 0;
  int status_matches = 0;
  int message_matches = 0;
  int direct_message_matches = 0;
  std::vector<std::string> mismatches;  // "<inputPath>: got X "..." want Y "..."" per miss
};

ArgoHealthScore ScoreArgoHealthCases(const std::vector<ArgoHealthCase>& cases);

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

/// One hand-written case: a manifest and the health it must get through AssessBuiltin.
struct HealthEdgeCase {
  const char* what;
  const char* yaml;
  HealthCode code;
  const char* message;
};

/// Checks each edge case, naming the failing one.
void ExpectHealthEdgeCases(const std::vector<HealthEdgeCase>& cases);

}  // namespace mlgitops::testing
