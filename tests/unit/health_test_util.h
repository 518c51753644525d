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
  std::string name;  // the test's name: letters, digits and underscores
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

}  // namespace mlgitops::testing
