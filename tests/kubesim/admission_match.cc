// matchConditions compilation and evaluation with kubesim's CEL subset (cel.h).
#include "kubesim/admission_match.h"

#include <set>

#include "kubesim/cel.h"
#include "kubesim/field_causes.h"
#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

constexpr size_t kMaxConditions = 64;

const std::set<std::string>& Variables() {
  static const std::set<std::string> vars = {"request", "object", "oldObject"};
  return vars;
}

}  // namespace

std::vector<StatusCause> ValidateMatchConditions(const JsonValue& configuration) {
  std::vector<StatusCause> causes;
  const JsonValue* hooks = FindMember(configuration, "webhooks");
  if (!hooks || !hooks->IsArray()) return causes;
  for (size_t i = 0; i < hooks->Size(); ++i) {
    const JsonValue* conditions = FindMember((*hooks)[i], "matchConditions");
    if (!conditions || !conditions->IsArray()) continue;
    std::string at = "webhooks[" + std::to_string(i) + "].matchConditions";
    if (conditions->Size() > kMaxConditions) {
      causes.push_back(field::TooMany(at, static_cast<long>(conditions->Size()),
                                      static_cast<long>(kMaxConditions)));
    }
    std::set<std::string> names;
    for (size_t j = 0; j < conditions->Size(); ++j) {
      const JsonValue& c = (*conditions)[j];
      std::string here = at + "[" + std::to_string(j) + "]";
      std::string name = GetString(c, "name");
      if (name.empty()) {
        causes.push_back(field::Required(here + ".name", ""));
      } else if (!names.insert(name).second) {
        causes.push_back(field::Duplicate(here + ".name", Quote(name)));
      }
      std::string expression = GetString(c, "expression");
      if (expression.empty()) {
        causes.push_back(field::Required(here + ".expression", ""));
        continue;
      }
      auto program = cel::Program::Compile(expression, Variables());
      if (!program.ok()) {
        std::string why = program.status().message();
        if (why.find("'authorizer'") != std::string::npos ||
            why.find("'params'") != std::string::npos) {
          why += ": kubesim cannot evaluate authorizer checks";
        }
        causes.push_back(
            field::Invalid(here + ".expression", Quote(expression), "compilation failed: " + why));
      }
    }
  }
  return causes;
}

MatchDecision EvaluateMatchConditions(const Webhook& hook, const std::string& review) {
  MatchDecision decision;
  if (hook.match_conditions.empty()) return decision;
  auto parsed = ParseJson(review, "admission review");
  std::map<std::string, cel::Value> vars;
  const JsonValue* request = parsed.ok() ? FindMember(parsed->json(), "request") : nullptr;
  if (request) {
    vars["request"] = cel::FromJson(*request);
    const JsonValue* object = FindMember(*request, "object");
    const JsonValue* old = FindMember(*request, "oldObject");
    vars["object"] = object ? cel::FromJson(*object) : cel::Value::Null();
    vars["oldObject"] = old ? cel::FromJson(*old) : cel::Value::Null();
  }
  std::vector<std::string> errors;
  for (const auto& [name, expression] : hook.match_conditions) {
    auto program = cel::Program::Compile(expression, Variables());
    std::string error;
    if (!program.ok()) {
      error = "compilation failed: " + program.status().message();
    } else {
      auto result = program->Eval(vars);
      if (!result.ok()) {
        error = result.status().message();
      } else if (result->kind != cel::Value::Kind::kBool) {
        error = "expression must return bool, not " + cel::TypeName(*result);
      } else if (!result->b) {
        decision.call = false;  // any false condition skips the webhook, errors or not
        return decision;
      }
    }
    if (!error.empty()) {
      errors.push_back("expression '" + expression + "' resulted in error: " + error);
    }
  }
  if (errors.empty()) return decision;
  decision.call = false;
  if (hook.fails_open()) return decision;
  if (errors.size() == 1) {
    decision.error = errors[0];
  } else {
    decision.error = "[";
    for (size_t i = 0; i < errors.size(); ++i) decision.error += (i ? ", " : "") + errors[i];
    decision.error += "]";
  }
  return decision;
}

}  // namespace mlgitops::kubesim
