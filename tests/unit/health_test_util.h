// Table-driven health tests: one case = an inline YAML object, a context and the expected
// verdict. Shared by the health_*_test.cc files.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "health/health.h"
#include "object/object.h"
#include "object/yaml_loader.h"
#include "test_util.h"

namespace mlgitops::testing {

struct HealthCase {
  // Names the case: a parameterised test's name (letters, digits and underscores), or in a
  // list checked by ExpectVerdicts, a phrase that says what the case is about.
  std::string name;
  std::string yaml;  // the assessed object
  HealthCode code;
  std::string message;
  std::string role = "";
  std::vector<std::string> children_yaml = {};  // become HealthContext::children
  int64_t now_unix = 0;
};

inline std::ostream& operator<<(std::ostream& os, const HealthCase& c) { return os << c.name; }

inline std::string CaseName(const ::testing::TestParamInfo<HealthCase>& info) {
  return info.param.name;
}

/// "Healthy \"message\"", or "no health" for nullopt: how failures show a verdict.
inline std::string DescribeHealth(const std::optional<HealthStatus>& s) {
  if (!s) return "no health";
  return std::string(HealthCodeName(s->code)) + " \"" + s->message + "\"";
}

/// Parses the case's objects, runs AssessBuiltin and compares code and message.
inline void ExpectVerdict(const HealthCase& c) {
  Object obj = ParseOne(c.yaml);
  std::vector<Object> children;
  for (const auto& y : c.children_yaml) children.push_back(ParseOne(y));
  HealthContext ctx;
  ctx.role = c.role;
  ctx.now_unix = c.now_unix;
  for (const auto& child : children) ctx.children.push_back(&child);
  std::optional<HealthStatus> got = AssessBuiltin(obj, ctx);
  ASSERT_TRUE(got.has_value()) << "no built-in check for " << obj.group() << "/" << obj.kind();
  EXPECT_EQ(HealthCodeName(got->code), HealthCodeName(c.code)) << got->message;
  EXPECT_EQ(got->message, c.message);
}

/// ExpectVerdict for each case of a list, naming the case in any failure.
inline void ExpectVerdicts(const std::vector<HealthCase>& cases) {
  for (const HealthCase& c : cases) {
    SCOPED_TRACE(c.name);
    ExpectVerdict(c);
  }
}

}  // namespace mlgitops::testing
