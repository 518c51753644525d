// CRD validation rules (x-kubernetes-validations): compile checks for the CRD, and evaluation
// over custom resources with apiextensions-apiserver's messages (pkg/apiserver/schema/cel).
#include "kubesim/cel_rules.h"

#include "kubesim/cel.h"
#include "kubesim/field_causes.h"
#include "kubesim/json_util.h"
#include "kubesim/schema.h"

namespace mlgitops::kubesim {

namespace {

constexpr int kMaxDepth = 64;
// Kubernetes' per-resource CEL budget (RuntimeCELCostBudget).
constexpr int64_t kResourceBudget = 10000000;

const std::set<std::string>& RuleVariables() {
  static const std::set<std::string> vars = {"self", "oldSelf"};
  return vars;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// %#v of the internal apiextensions.ValidationRule, as compile errors print the rule.
std::string RuleGoSyntax(const JsonValue& rule) {
  auto str = [&](const char* key) { return Quote(GetString(rule, key)); };
  std::string reason = FindMember(rule, "reason") ? "(*apiextensions.FieldValueErrorReason)(0x0)"
                                                  : "(*apiextensions.FieldValueErrorReason)(nil)";
  return "apiextensions.ValidationRule{Rule:" + str("rule") + ", Message:" + str("message") +
         ", MessageExpression:" + str("messageExpression") + ", Reason:" + reason +
         ", FieldPath:" + str("fieldPath") + ", OptionalOldSelf:(*bool)(nil)}";
}

// A rule's fieldPath (".spec.x", "['a.b']") as a field path relative to the rule's node.
Result<std::vector<std::string>> FieldPathParts(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      size_t j = i + 1;
      while (j < path.size() && path[j] != '.' && path[j] != '[') ++j;
      if (j == i + 1) return Status::InvalidArgument("unexpected end of JSON path");
      parts.push_back(path.substr(i + 1, j - i - 1));
      i = j;
    } else if (path.compare(i, 2, "['") == 0) {
      size_t end = path.find("']", i + 2);
      if (end == std::string::npos) return Status::InvalidArgument("unexpected end of JSON path");
      parts.push_back(path.substr(i + 2, end - i - 2));
      i = end + 2;
    } else {
      return Status::InvalidArgument("expected [ or . but got: " + path.substr(i, 1));
    }
  }
  return parts;
}

const JsonValue* ChildSchema(const JsonValue& s, std::string_view key) {
  if (const JsonValue* props = FindMember(s, "properties"); props && props->IsObject()) {
    if (const JsonValue* p = FindMember(*props, key)) return p;
    return nullptr;
  }
  const JsonValue* a = FindMember(s, "additionalProperties");
  return a && a->IsObject() ? a : nullptr;
}

std::string JoinPath(const std::string& base, const std::string& key) {
  return base.empty() ? key : base + "." + key;
}

// ---------- CRD-time checks ----------

void CheckRules(const JsonValue& s, const std::string& path, bool correlatable, int depth,
                std::vector<StatusCause>* causes) {
  if (depth > kMaxDepth || !s.IsObject()) return;
  if (const JsonValue* rules = FindMember(s, "x-kubernetes-validations");
      rules && rules->IsArray()) {
    for (size_t i = 0; i < rules->Size(); ++i) {
      const JsonValue& rule = (*rules)[i];
      std::string at = path + ".x-kubernetes-validations[" + std::to_string(i) + "]";
      std::string text = GetString(rule, "rule");
      if (Trim(text).empty()) {
        causes->push_back(field::Required(at + ".rule", "rule is not specified"));
        continue;
      }
      auto program = cel::Program::Compile(text, RuleVariables());
      if (!program.ok()) {
        causes->push_back(field::Invalid(at + ".rule", RuleGoSyntax(rule),
                                         "compilation failed: " + program.status().message()));
      } else if (program->References("oldSelf") && !correlatable) {
        causes->push_back(field::Invalid(
            at + ".rule", Quote(text),
            "oldSelf cannot be used on the uncorrelatable portion of the schema within " + path));
      }
      std::string message = GetString(rule, "message");
      if (message.find('\n') != std::string::npos) {
        causes->push_back(field::Invalid(at + ".message", Quote(message),
                                         "message must not contain line breaks"));
      } else if (message.empty() && text.find('\n') != std::string::npos &&
                 !FindMember(rule, "messageExpression")) {
        causes->push_back(field::Required(
            at + ".message", "message must be specified if rule contains line breaks"));
      }
      if (const JsonValue* expr = FindMember(rule, "messageExpression"); expr && expr->IsString()) {
        auto compiled = cel::Program::Compile(View(*expr), RuleVariables());
        if (!compiled.ok()) {
          causes->push_back(field::Invalid(
              at + ".messageExpression", Quote(View(*expr)),
              "messageExpression compilation failed: " + compiled.status().message()));
        }
      }
      if (const JsonValue* reason = FindMember(rule, "reason")) {
        std::string r(View(*reason));
        if (r != "FieldValueInvalid" && r != "FieldValueForbidden" && r != "FieldValueRequired" &&
            r != "FieldValueDuplicate") {
          causes->push_back(field::NotSupported(at + ".reason", Quote(r),
                                                {"FieldValueDuplicate", "FieldValueForbidden",
                                                 "FieldValueInvalid", "FieldValueRequired"}));
        }
      }
      if (std::string fp = GetString(rule, "fieldPath"); !fp.empty()) {
        auto parts = FieldPathParts(fp);
        const JsonValue* node = &s;
        std::string why = parts.ok() ? "" : parts.status().message();
        if (parts.ok()) {
          for (const std::string& p : *parts) {
            node = node ? ChildSchema(*node, p) : nullptr;
          }
          if (!node) why = "does not refer to a valid field";
        }
        if (!why.empty()) {
          causes->push_back(field::Invalid(at + ".fieldPath", Quote(fp),
                                           "fieldPath must be a valid path: " + why));
        }
      }
    }
  }
  if (const JsonValue* props = FindMember(s, "properties"); props && props->IsObject()) {
    for (const auto& m : props->GetObject()) {
      CheckRules(m.value, path + ".properties[" + std::string(View(m.name)) + "]", correlatable,
                 depth + 1, causes);
    }
  }
  if (const JsonValue* a = FindMember(s, "additionalProperties"); a && a->IsObject()) {
    CheckRules(*a, path + ".additionalProperties", correlatable, depth + 1, causes);
  }
  if (const JsonValue* items = FindMember(s, "items"); items && items->IsObject()) {
    std::string list_type = GetString(s, "x-kubernetes-list-type");
    bool keyed = list_type == "map" || list_type == "set";
    CheckRules(*items, path + ".items", correlatable && keyed, depth + 1, causes);
  }
}

// ---------- evaluation ----------

// JSON to CEL guided by the schema: `number` fields are doubles even when written as 1.
cel::Value ToCel(const JsonValue& v, const JsonValue* s, int depth) {
  if (!s || depth > kMaxDepth) return cel::FromJson(v);
  std::string type = GetString(*s, "type");
  if (type == "number" && v.IsNumber()) return cel::Value::Double(v.GetDouble());
  if (v.IsArray()) {
    const JsonValue* items = FindMember(*s, "items");
    cel::Value::List out;
    for (const auto& item : v.GetArray()) out.push_back(ToCel(item, items, depth + 1));
    return cel::Value::ListOf(std::move(out));
  }
  if (v.IsObject()) {
    cel::Value::Map out;
    for (const auto& m : v.GetObject()) {
      out.emplace_back(cel::Value::String(std::string(View(m.name))),
                       ToCel(m.value, ChildSchema(*s, View(m.name)), depth + 1));
    }
    return cel::Value::MapOf(std::move(out));
  }
  return cel::FromJson(v);
}

class RuleRunner {
 public:
  explicit RuleRunner(std::vector<StatusCause>* causes) : causes_(causes) {}

  void Walk(const JsonValue& v, const JsonValue* old, const JsonValue& s, const std::string& path,
            bool root, int depth) {
    if (depth > kMaxDepth || !s.IsObject() || v.IsNull() || stopped_) return;
    RunRules(v, old, s, path);
    if (v.IsObject()) {
      for (const auto& m : v.GetObject()) {
        std::string key(View(m.name));
        if (root && key == "metadata") continue;
        const JsonValue* child = ChildSchema(s, key);
        if (!child) continue;
        const JsonValue* old_child = old && old->IsObject() ? FindMember(*old, key) : nullptr;
        Walk(m.value, old_child, *child, JoinPath(path, key), false, depth + 1);
      }
    } else if (v.IsArray()) {
      const JsonValue* items = FindMember(s, "items");
      if (!items || !items->IsObject()) return;
      for (size_t i = 0; i < v.Size(); ++i) {
        Walk(v[i], Correlate(v[i], old, s), *items, path + "[" + std::to_string(i) + "]", false,
             depth + 1);
      }
    }
  }

 private:
  // The old element that an array element is compared with: same keys (map lists) or the same
  // value (sets); atomic lists correlate nothing.
  static const JsonValue* Correlate(const JsonValue& item, const JsonValue* old,
                                    const JsonValue& s) {
    if (!old || !old->IsArray()) return nullptr;
    std::string list_type = GetString(s, "x-kubernetes-list-type");
    if (list_type == "set") {
      for (const auto& o : old->GetArray()) {
        if (o == item) return &o;
      }
    } else if (list_type == "map" && item.IsObject()) {
      const JsonValue* keys = FindMember(s, "x-kubernetes-list-map-keys");
      if (!keys || !keys->IsArray()) return nullptr;
      for (const auto& o : old->GetArray()) {
        if (!o.IsObject()) continue;
        bool same = true;
        for (const auto& k : keys->GetArray()) {
          const JsonValue* a = FindMember(item, View(k));
          const JsonValue* b = FindMember(o, View(k));
          same = same && ((!a && !b) || (a && b && *a == *b));
        }
        if (same) return &o;
      }
    }
    return nullptr;
  }

  void RunRules(const JsonValue& v, const JsonValue* old, const JsonValue& s,
                const std::string& path) {
    const JsonValue* rules = FindMember(s, "x-kubernetes-validations");
    if (!rules || !rules->IsArray()) return;
    std::string type = GetString(s, "type");
    std::string at = path.empty() ? "<nil>" : path;
    std::map<std::string, cel::Value> vars;
    vars["self"] = ToCel(v, &s, 0);
    if (old) vars["oldSelf"] = ToCel(*old, &s, 0);
    for (const auto& rule : rules->GetArray()) {
      std::string text = GetString(rule, "rule");
      std::string shown = Trim(GetString(rule, "message"));
      if (shown.empty()) shown = Trim(text);
      if (budget_ <= 0) {
        causes_->push_back(field::Invalid(at, Quote(type),
                                          "validation failed due to running out of cost budget, "
                                          "no further validation rules will be run"));
        stopped_ = true;
        return;
      }
      cel::Limits limits;
      limits.max_cost = std::min<int64_t>(limits.max_cost, budget_);
      auto program = cel::Program::Compile(text, RuleVariables(), limits);
      if (!program.ok()) {
        causes_->push_back(
            field::Invalid(at, Quote(type), "rule compile error: " + program.status().message()));
        continue;
      }
      // Transition rules run only when there is an old value to compare with.
      if (program->References("oldSelf") && !old) continue;
      int64_t spent = 0;
      auto result = program->Eval(vars, &spent);
      budget_ -= spent;
      if (!result.ok()) {
        std::string err = result.status().message();
        if (err.rfind("no such overload", 0) == 0) {
          causes_->push_back(field::Invalid(
              at, Quote(type),
              "'" + err +
                  "': call arguments did not match a supported operator, function or "
                  "macro signature for rule: " +
                  shown));
        } else if (err.rfind("operation cancelled: actual cost limit exceeded", 0) == 0) {
          causes_->push_back(field::Invalid(
              at, Quote(type),
              "'" + err +
                  "': no further validation rules will be run due to call cost exceeds "
                  "limit for rule: " +
                  shown));
          stopped_ = true;
          return;
        } else {
          causes_->push_back(field::Invalid(at, Quote(type), err + " evaluating rule: " + shown));
        }
        continue;
      }
      if (result->kind == cel::Value::Kind::kBool && result->b) continue;
      Report(rule, v, type, path, vars);
    }
  }

  void Report(const JsonValue& rule, const JsonValue& v, const std::string& type,
              const std::string& path, const std::map<std::string, cel::Value>& vars) {
    std::string field_path = path;
    if (std::string fp = GetString(rule, "fieldPath"); !fp.empty()) {
      if (auto parts = FieldPathParts(fp); parts.ok()) {
        for (const std::string& p : *parts) field_path = JoinPath(field_path, p);
      }
    }
    if (field_path.empty()) field_path = "<nil>";
    std::string detail;
    if (const JsonValue* expr = FindMember(rule, "messageExpression"); expr && expr->IsString()) {
      auto program = cel::Program::Compile(View(*expr), RuleVariables());
      if (program.ok()) {
        auto message = program->Eval(vars);
        if (message.ok() && message->kind == cel::Value::Kind::kString) {
          std::string trimmed = Trim(message->s);
          if (!trimmed.empty() && trimmed.find('\n') == std::string::npos &&
              trimmed.size() <= 5 * 1024) {
            detail = trimmed;
          }
        }
      }
    }
    if (detail.empty()) {
      std::string message = Trim(GetString(rule, "message"));
      detail = message.empty() ? "failed rule: " + Trim(GetString(rule, "rule")) : message;
    }
    std::string reason = GetString(rule, "reason");
    if (reason == "FieldValueForbidden") {
      causes_->push_back(field::Forbidden(field_path, detail));
    } else if (reason == "FieldValueRequired") {
      causes_->push_back(field::Required(field_path, detail));
    } else if (reason == "FieldValueDuplicate") {
      causes_->push_back(field::Duplicate(field_path, type == "object" || type == "array"
                                                          ? std::string("<value omitted>")
                                                          : GoValue(v)));
    } else if (type == "object" || type == "array") {
      causes_->push_back(field::InvalidOmitted(field_path, detail));
    } else {
      causes_->push_back(field::Invalid(field_path, GoValue(v), detail));
    }
  }

  std::vector<StatusCause>* causes_;
  int64_t budget_ = kResourceBudget;
  bool stopped_ = false;
};

}  // namespace

std::vector<StatusCause> ValidateCelRules(const JsonValue& schema, const std::string& path) {
  std::vector<StatusCause> causes;
  CheckRules(schema, path, true, 0, &causes);
  return causes;
}

std::vector<StatusCause> EvaluateCelRules(const JsonValue& object, const JsonValue* old,
                                          const JsonValue& schema) {
  std::vector<StatusCause> causes;
  RuleRunner(&causes).Walk(object, old, schema, "", true, 0);
  return causes;
}

}  // namespace mlgitops::kubesim
