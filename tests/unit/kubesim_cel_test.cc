// kubesim's CEL subset (tests/kubesim/cel.h): parsing, evaluation with CEL's semantics
// (commutative && and ||, heterogeneous equality, macros, string functions), runtime errors in
// cel-go's wording, and the limits that refuse or stop hostile expressions.
#include <gtest/gtest.h>

#include <string>

#include "kubesim/cel.h"
#include "kubesim/json_util.h"
#include "kubesim_test_util.h"

namespace mlgitops::kubesim::cel {
namespace {

const std::set<std::string> kRuleVars = {"self", "oldSelf"};

// Evaluates `expr` with self (and oldSelf) bound to JSON values; "error: ..." on failure.
std::string Eval(const std::string& expr, const std::string& self = "{}",
                 const std::string& old = "") {
  auto program = Program::Compile(expr, kRuleVars);
  if (!program.ok()) return "compile: " + program.status().message();
  std::map<std::string, Value> vars;
  Object s = testing::ParseOrFail(self);
  vars["self"] = FromJson(s.json());
  Object o;
  if (!old.empty()) {
    o = testing::ParseOrFail(old);
    vars["oldSelf"] = FromJson(o.json());
  }
  auto result = program->Eval(vars);
  if (!result.ok()) return "error: " + result.status().message();
  switch (result->kind) {
    case Value::Kind::kBool:
      return result->b ? "true" : "false";
    case Value::Kind::kInt:
      return std::to_string(result->i);
    case Value::Kind::kUint:
      return std::to_string(result->u) + "u";
    case Value::Kind::kDouble:
      return std::to_string(result->d);
    case Value::Kind::kString:
      return "'" + result->s + "'";
    case Value::Kind::kNull:
      return "null";
    case Value::Kind::kList:
      return "list(" + std::to_string(result->list->size()) + ")";
    case Value::Kind::kMap:
      return "map(" + std::to_string(result->map->size()) + ")";
  }
  return "?";
}

struct Case {
  const char* expr;
  const char* self;
  const char* old;
  const char* want;
};

class CelEvalTest : public ::testing::TestWithParam<Case> {};

TEST_P(CelEvalTest, EvaluatesLikeCelGo) {
  const Case& c = GetParam();
  EXPECT_EQ(Eval(c.expr, c.self, c.old), c.want) << c.expr;
}

INSTANTIATE_TEST_SUITE_P(
    Subset, CelEvalTest,
    ::testing::Values(
        // Field selection, has(), literals and comparisons.
        Case{"self.replicas == 3", R"({"replicas":3})", "", "true"},
        Case{"self.replicas >= 1 && self.replicas <= 10", R"({"replicas":11})", "", "false"},
        Case{"has(self.name)", R"({"replicas":3})", "", "false"},
        Case{"has(self.spec.name)", R"({"spec":{"name":"x"}})", "", "true"},
        Case{"self.name", R"({})", "", "error: no such key: name"},
        Case{"self.a.b == 1 ? 'one' : 'other'", R"({"a":{"b":1}})", "", "'one'"},
        // Transition rules: immutability with oldSelf.
        Case{"self.x == oldSelf.x", R"({"x":"a"})", R"({"x":"b"})", "false"},
        Case{"self == oldSelf", R"({"x":[1,2]})", R"({"x":[1,2]})", "true"},
        // CEL's heterogeneous equality and cross-type numeric ordering.
        Case{"1 == 1.0 && 2u > 1 && 1.5 < 2", "{}", "", "true"},
        Case{"'a' == 1", "{}", "", "false"},
        // Commutative logic: an error on one side is absorbed when the other side decides.
        Case{"self.missing == 1 || true", "{}", "", "true"},
        Case{"false && self.missing == 1", "{}", "", "false"},
        Case{"self.missing == 1 && true", "{}", "", "error: no such key: missing"},
        // in, size(), arithmetic with overflow and division checks.
        Case{"self.mode in ['Auto', 'Manual']", R"({"mode":"Auto"})", "", "true"},
        Case{"'k' in self.labels", R"({"labels":{"k":"v"}})", "", "true"},
        Case{"size(self.items) == 2 && self.items.size() == 2 && size('héllo') == 5",
             R"({"items":[1,2]})", "", "true"},
        Case{"self.a * 2 + self.a % 3 - 1", R"({"a":7})", "", "14"},
        Case{"9223372036854775807 + 1", "{}", "", "error: integer overflow"},
        Case{"1 / 0", "{}", "", "error: division by zero"},
        Case{"-9223372036854775808 < 0", "{}", "", "true"},
        // String functions.
        Case{"self.s.startsWith('ml-') && self.s.endsWith('-v1') && self.s.contains('bert')",
             R"({"s":"ml-bert-v1"})", "", "true"},
        Case{"self.s.matches('^[a-z]+-[0-9]+$')", R"({"s":"abc-12"})", "", "true"},
        Case{"self.s.lowerAscii() + '/' + self.s.upperAscii()", R"({"s":"aB"})", "", "'ab/AB'"},
        Case{"self.s.split(',').size()", R"({"s":"a,b,c"})", "", "3"},
        Case{"string(self.n) + 'x'", R"({"n":5})", "", "'5x'"},
        Case{"int('42') + int(2.9)", "{}", "", "44"},
        // Macros over lists and maps.
        Case{"self.items.all(i, i > 0)", R"({"items":[1,2,3]})", "", "true"},
        Case{"self.items.exists(i, i == 2)", R"({"items":[1,2,3]})", "", "true"},
        Case{"self.items.exists_one(i, i > 1)", R"({"items":[1,2,3]})", "", "false"},
        Case{"self.items.filter(i, i > 1).size()", R"({"items":[1,2,3]})", "", "2"},
        Case{"self.items.map(i, i * 2)[2]", R"({"items":[1,2,3]})", "", "6"},
        Case{"self.labels.all(k, k.startsWith('app'))", R"({"labels":{"app":"x","apps":"y"}})", "",
             "true"},
        Case{"self.items.all(i, i.x > 0)", R"({"items":[{"x":0},{}]})", "", "false"},
        Case{"self.items[5]", R"({"items":[1]})", "",
             "error: index '5' out of range in list size '1'"},
        Case{"{'a': 1}['a'] == 1 && [1, 2][1] == 2", "{}", "", "true"},
        Case{"'x' + 1", "{}", "", "error: no such overload: _+_(string, int)"},
        Case{"r'\\d' == '\\\\d'", "{}", "", "true"},
        // The project's webhook matchCondition shape (over a map, not `request`).
        Case{"!((self.group + '/' + self.resource) in ['/pods', 'apps/replicasets'])",
             R"({"group":"","resource":"pods"})", "", "false"}));

TEST(CelCompileTest, RefusesWhatItCannotEvaluateNamingTheConstruct) {
  // Outside the subset: compile errors, so CRDs and webhook configurations using them are
  // refused when written instead of being accepted and ignored.
  struct Refusal {
    const char* expr;
    const char* says;
  };
  for (const Refusal& r : std::vector<Refusal>{
           {"self.x.format(['a'])", "undeclared reference to 'format'"},
           {"quantity(self.q).isGreaterThan(quantity('1'))", "undeclared reference to 'quantity'"},
           {"self.?x", "optional field selection"},
           {"b'abc' == self.x", "bytes literals"},
           {"timestamp(self.t) > now", "undeclared reference to 'timestamp'"},
           {"Foo{x: 1}", "message construction"},
           {"unknownVar == 1", "undeclared reference to 'unknownVar'"},
           {"self.x ==", "Syntax error"},
           {"'''triple'''", "triple-quoted"},
       }) {
    auto program = Program::Compile(r.expr, kRuleVars);
    ASSERT_FALSE(program.ok()) << r.expr;
    EXPECT_NE(program.status().message().find(r.says), std::string::npos)
        << r.expr << " -> " << program.status().message();
    EXPECT_EQ(program.status().message().rfind("ERROR: <input>:", 0), 0u)
        << "cel-go's error prefix: " << program.status().message();
  }
}

TEST(CelCompileTest, ReportsWhichVariablesAnExpressionUses) {
  auto transition = Program::Compile("self.x == oldSelf.x", kRuleVars);
  ASSERT_TRUE(transition.ok());
  EXPECT_TRUE(transition->References("oldSelf"));
  auto plain = Program::Compile("self.items.all(oldSelf, oldSelf > 0)", kRuleVars);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->References("oldSelf")) << "a comprehension variable shadows oldSelf";
}

TEST(CelLimitsTest, SourceSizeAndNestingAreBounded) {
  Limits limits;
  std::string big(limits.max_source_bytes + 1, ' ');
  big += "true";
  EXPECT_FALSE(Program::Compile(big, kRuleVars).ok());
  std::string deep = std::string(200, '(') + "1" + std::string(200, ')');
  auto nested = Program::Compile(deep, kRuleVars);
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.status().message().find("recursion limit exceeded"), std::string::npos);
  std::string chain = "1";
  for (int i = 0; i < 500; ++i) chain += " + 1";
  EXPECT_FALSE(Program::Compile(chain, kRuleVars).ok()) << "long operator chains nest too";
  std::string nots(300, '!');
  EXPECT_FALSE(Program::Compile(nots + "true", kRuleVars).ok());
}

TEST(CelLimitsTest, CostBudgetStopsRunawayEvaluation) {
  // Kubernetes' per-call limit stops quadratic comprehensions with cel-go's error.
  Limits limits;
  limits.max_cost = 10000;
  auto program =
      Program::Compile("self.items.all(a, self.items.all(b, a + b >= 0))", kRuleVars, limits);
  ASSERT_TRUE(program.ok());
  std::string items = "[";
  for (int i = 0; i < 500; ++i) items += (i ? "," : "") + std::to_string(i);
  Object self = testing::ParseOrFail(R"({"items":)" + items + "]}");
  auto result = program->Eval({{"self", FromJson(self.json())}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "operation cancelled: actual cost limit exceeded");
}

}  // namespace
}  // namespace mlgitops::kubesim::cel
