// fieldValidation: strict decoding of request bodies against the built-in schema, the
// warnings of Warn, and the error shapes of each verb (create/update, patch, apply).
#include "kubesim/field_validation.h"

#include <map>
#include <set>

#include "kubesim/admission.h"
#include "kubesim/builtin_schema.h"
#include "kubesim/field_errors.h"
#include "kubesim/json_util.h"
#include "kubesim/merge_schema.h"

namespace mlgitops::kubesim {

namespace {

// How one walk names paths: decoder paths (spec.containers[0].foo) or server-side apply's
// (.spec.containers[name="c"].foo).
struct PathStyle {
  bool apply = false;
  const MergeSchema* merge = nullptr;
};

std::string FieldPath(const std::string& path, std::string_view name, const PathStyle& style) {
  if (style.apply) return path + "." + std::string(name);
  return path.empty() ? std::string(name) : path + "." + std::string(name);
}

// `[name="c"]` (or `[containerPort=80,protocol="TCP"]`) for keyed lists in apply paths.
std::string ItemPath(const std::string& path, const std::string& schema_path, const JsonValue& list,
                     rapidjson::SizeType i, const PathStyle& style) {
  if (style.apply && style.merge) {
    ListStrategy strategy = style.merge->ForList(schema_path, list);
    if (strategy.kind == ListStrategy::Kind::kMap && list[i].IsObject()) {
      std::string keys;
      for (const std::string& key : strategy.keys) {
        const JsonValue* v = FindMember(list[i], key);
        if (!v) continue;
        keys += (keys.empty() ? "" : ",") + key + "=" + ToJson(*v);
      }
      if (!keys.empty()) return path + "[" + keys + "]";
    }
  }
  return path + "[" + std::to_string(i) + "]";
}

// Walks `value` in document order: reports duplicate members (dropping all but the last) and,
// when `type` is known, members it does not declare (dropped when `drop_unknown`).
void Walk(JsonValue& value, const SchemaStruct* type, const std::string& path,
          const std::string& schema_path, const PathStyle& style, bool drop_unknown,
          std::vector<FieldProblem>* problems, int depth) {
  if (depth > kMaxJsonDepth) return;
  if (value.IsArray()) {
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
      Walk(value[i], type, ItemPath(path, schema_path, value, i, style), schema_path, style,
           drop_unknown, problems, depth + 1);
    }
    return;
  }
  if (!value.IsObject()) return;
  std::map<std::string_view, rapidjson::SizeType> last;
  rapidjson::SizeType index = 0;
  for (auto& m : value.GetObject()) last[View(m.name)] = index++;
  std::set<std::string_view> seen;
  std::vector<rapidjson::SizeType> remove;
  index = 0;
  for (auto& m : value.GetObject()) {
    rapidjson::SizeType i = index++;
    std::string_view name = View(m.name);
    std::string field_path = FieldPath(path, name, style);
    bool again = !seen.insert(name).second;
    if (again) problems->push_back({"duplicate field \"" + field_path + "\""});
    if (last[name] != i) {
      remove.push_back(i);
      continue;
    }
    const SchemaField* field = nullptr;
    if (type) {
      auto it = type->fields.find(std::string(name));
      if (it == type->fields.end()) {
        problems->push_back({style.apply ? field_path + ": field not declared in schema"
                                         : "unknown field \"" + field_path + "\""});
        if (drop_unknown) remove.push_back(i);
        continue;
      }
      field = &it->second;
    }
    std::string child_schema = ChildPath(schema_path, std::string(name));
    const SchemaStruct* child = nullptr;
    if (field && field->kind != SchemaField::Kind::kLeaf) child = field->type;
    if (field && field->kind == SchemaField::Kind::kMap && m.value.IsObject()) {
      for (auto& entry : m.value.GetObject()) {
        Walk(entry.value, child, FieldPath(field_path, View(entry.name), style), child_schema,
             style, drop_unknown, problems, depth + 2);
      }
      continue;
    }
    // A struct-typed field holding a list is a type error, left to validation; leaves and
    // free-form values are only de-duplicated.
    if (field && field->kind == SchemaField::Kind::kStruct && !m.value.IsObject()) continue;
    Walk(m.value, child, field_path, child_schema, style, drop_unknown, problems, depth + 1);
  }
  for (auto it = remove.rbegin(); it != remove.rend(); ++it) {
    value.EraseMember(value.MemberBegin() + *it);
  }
}

const SchemaStruct* SchemaOf(const ResourceType& type) {
  if (!type.crd_name.empty()) return nullptr;
  return BuiltinSchemaFor(type.group, type.version, type.kind);
}

std::string Join(const std::vector<FieldProblem>& problems, const std::string& sep) {
  std::string out;
  for (const FieldProblem& p : problems) out += (out.empty() ? "" : sep) + p.message;
  return out;
}

}  // namespace

ApiResult<FieldValidation> ParseFieldValidation(const HttpRequest& request,
                                                const std::string& options_kind) {
  std::string value = request.Query("fieldValidation");
  if (value.empty() || value == "Warn") return FieldValidation::kWarn;
  if (value == "Strict") return FieldValidation::kStrict;
  if (value == "Ignore") return FieldValidation::kIgnore;
  FieldErrors errors;
  errors.NotSupported("fieldValidation", value, {"", "Ignore", "Strict", "Warn"});
  return Invalid("meta.k8s.io", options_kind, "", errors.causes());
}

std::string StrictDecodingError(const std::vector<FieldProblem>& problems) {
  return "strict decoding error: " + Join(problems, ", ");
}

void WarnFieldProblems(const std::vector<FieldProblem>& problems) {
  for (const FieldProblem& p : problems) AdmissionRequestScope::AddWarning(p.message);
}

void DropDuplicateFields(JsonValue& value, const std::string& prefix,
                         std::vector<FieldProblem>* problems) {
  Walk(value, nullptr, prefix, "", PathStyle{}, false, problems, 0);
}

std::vector<FieldProblem> CheckBuiltinFields(const ResourceType& type, JsonValue& object) {
  std::vector<FieldProblem> problems;
  if (!type.crd_name.empty()) return problems;  // custom resources: their CRD schema decides
  Walk(object, SchemaOf(type), "", "", PathStyle{}, true, &problems, 0);
  return problems;
}

std::optional<ApiError> ValidateBodyFields(const HttpRequest& request, const ResourceType& type,
                                           const std::string& options_kind, JsonValue& object) {
  auto mode = ParseFieldValidation(request, options_kind);
  if (!mode.ok()) return mode.error();
  std::vector<FieldProblem> problems = CheckBuiltinFields(type, object);
  if (problems.empty()) return std::nullopt;
  if (*mode == FieldValidation::kStrict) {
    return BadRequest(type.kind + " in version \"" + type.version + "\" cannot be handled as a " +
                      type.kind + ": " + StrictDecodingError(problems));
  }
  if (*mode == FieldValidation::kWarn) WarnFieldProblems(problems);
  return std::nullopt;
}

std::optional<ApiError> CheckApplyFields(const ResourceType& type, const std::string& ns,
                                         const std::string& name, const JsonValue& config) {
  const SchemaStruct* schema = SchemaOf(type);
  if (!schema) return std::nullopt;
  Object copy = CopyToObject(config);
  MergeSchema merge(type);
  PathStyle style{true, &merge};
  std::vector<FieldProblem> problems;
  Walk(copy.mutable_json(), schema, "", "", style, false, &problems, 0);
  std::vector<FieldProblem> undeclared;
  for (const FieldProblem& p : problems) {
    if (p.message.rfind("duplicate field", 0) != 0) undeclared.push_back(p);
  }
  if (undeclared.empty()) return std::nullopt;
  std::string gvk = type.api_version() + ", Kind=" + type.kind;
  if (type.group.empty()) gvk = "/" + gvk;
  std::string detail =
      undeclared.size() == 1 ? undeclared[0].message : "errors:\n  " + Join(undeclared, "\n  ");
  ApiError e;
  e.code = 500;
  e.message =
      "failed to create typed patch object (" + ns + "/" + name + "; " + gvk + "): " + detail;
  return e;
}

std::optional<ApiError> ValidatePatchedFields(FieldValidation mode, const ResourceType& type,
                                              const std::string& value_text,
                                              std::vector<FieldProblem> patch_problems,
                                              JsonValue& patched) {
  std::vector<FieldProblem> problems = std::move(patch_problems);
  for (FieldProblem& p : CheckBuiltinFields(type, patched)) problems.push_back(std::move(p));
  if (problems.empty() || mode == FieldValidation::kIgnore) return std::nullopt;
  if (mode == FieldValidation::kWarn) {
    WarnFieldProblems(problems);
    return std::nullopt;
  }
  FieldErrors errors;
  errors.Invalid("patch", QuotedText(value_text), StrictDecodingError(problems));
  return Invalid("", "", "", errors.causes());
}

std::string GoValueText(const JsonValue& value) {
  if (value.IsNull()) return "<nil>";
  if (value.IsString()) return value.GetString();
  if (value.IsArray()) {
    std::string out = "[";
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
      out += (i ? " " : "") + GoValueText(value[i]);
    }
    return out + "]";
  }
  if (value.IsObject()) {
    std::map<std::string, const JsonValue*> sorted;  // fmt prints map keys sorted
    for (const auto& m : value.GetObject()) sorted[std::string(View(m.name))] = &m.value;
    std::string out = "map[";
    bool first = true;
    for (const auto& [key, v] : sorted) {
      out += (first ? "" : " ") + key + ":" + GoValueText(*v);
      first = false;
    }
    return out + "]";
  }
  return ToJson(value);
}

}  // namespace mlgitops::kubesim
