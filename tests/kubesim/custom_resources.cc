// CRD version rules and the write path of custom resources: prune, reject or warn about unknown
// fields, default, validate against the schema, then evaluate x-kubernetes-validations.
#include "kubesim/custom_resources.h"

#include <algorithm>
#include <set>

#include "kubesim/admission.h"
#include "kubesim/cel_rules.h"
#include "kubesim/field_causes.h"
#include "kubesim/json_util.h"
#include "kubesim/object_rules.h"
#include "kubesim/schema.h"

namespace mlgitops::kubesim {

namespace {

constexpr char kCrdKey[] = "apiextensions.k8s.io/customresourcedefinitions";

// A scale subresource path must be a dotted path under one of `roots` (".spec", ".status").
std::string ScalePathProblem(const std::string& path, const std::vector<std::string>& roots) {
  bool under = false;
  for (const std::string& r : roots) under = under || path.rfind(r + ".", 0) == 0;
  if (!under || path.find_first_of("[]*") != std::string::npos || path.back() == '.') {
    return roots.size() == 1 ? "should be a json path under " + roots[0]
                             : "should be a json path under either .spec or .status";
  }
  return "";
}

void CheckScale(const JsonValue& scale, const std::string& at, std::vector<StatusCause>* causes) {
  struct PathRule {
    const char* key;
    std::vector<std::string> roots;
    bool required;
  };
  for (const PathRule& rule : {PathRule{"specReplicasPath", {".spec"}, true},
                               PathRule{"statusReplicasPath", {".status"}, true},
                               PathRule{"labelSelectorPath", {".spec", ".status"}, false}}) {
    std::string value = GetString(scale, rule.key);
    std::string field_path = at + "." + rule.key;
    if (value.empty()) {
      if (rule.required) causes->push_back(field::Required(field_path, ""));
      continue;
    }
    std::string problem = ScalePathProblem(value, rule.roots);
    if (!problem.empty()) causes->push_back(field::Invalid(field_path, Quote(value), problem));
  }
}

std::string Joined(const std::vector<std::string>& unknown, const std::string& prefix,
                   const std::string& separator) {
  std::string out;
  for (const std::string& f : unknown) out += (out.empty() ? "" : separator) + prefix + f;
  return out;
}

}  // namespace

const JsonValue* VersionSchema(const JsonValue& crd, const std::string& version) {
  const JsonValue* versions = Find(crd, "spec.versions");
  if (!versions || !versions->IsArray()) return nullptr;
  for (const auto& v : versions->GetArray()) {
    if (GetString(v, "name") == version) {
      const JsonValue* schema = Find(v, "schema.openAPIV3Schema");
      return schema && schema->IsObject() ? schema : nullptr;
    }
  }
  return nullptr;
}

std::vector<StatusCause> ValidateCrdVersions(const JsonValue& crd) {
  std::vector<StatusCause> causes;
  if (GetBool(crd, "spec.preserveUnknownFields").value_or(false)) {
    causes.push_back(field::Invalid("spec.preserveUnknownFields", "true",
                                    "cannot set to true, set x-kubernetes-preserve-unknown-fields "
                                    "to true in spec.versions[*].schema instead"));
  }
  std::string strategy = GetString(crd, "spec.conversion.strategy", "None");
  if (strategy == "Webhook") {
    // kubesim cannot call conversion webhooks: refusing beats serving unconverted objects.
    causes.push_back(field::Forbidden(
        "spec.conversion.strategy",
        "kubesim does not call conversion webhooks: only the None strategy is supported"));
  } else if (strategy != "None") {
    causes.push_back(
        field::NotSupported("spec.conversion.strategy", Quote(strategy), {"None", "Webhook"}));
  }
  const JsonValue* versions = Find(crd, "spec.versions");
  if (!versions || !versions->IsArray()) return causes;
  std::set<std::string> names;
  bool served = false;
  for (size_t i = 0; i < versions->Size(); ++i) {
    const JsonValue& v = (*versions)[i];
    std::string at = "spec.versions[" + std::to_string(i) + "]";
    std::string name = GetString(v, "name");
    if (name.empty()) {
      causes.push_back(field::Required(at + ".name", ""));
    } else {
      for (StatusCause c : ValidateName(name, NameRule::kDns1035Label)) {
        c.field = at + ".name";
        causes.push_back(std::move(c));
      }
      if (!names.insert(name).second) {
        causes.push_back(field::Invalid(at + ".name", Quote(name), "must be unique"));
      }
    }
    served = served || GetBool(v, "served").value_or(false);
    const JsonValue* schema = Find(v, "schema.openAPIV3Schema");
    std::string schema_path = at + ".schema.openAPIV3Schema";
    if (!schema || !schema->IsObject()) {
      causes.push_back(field::Required(schema_path, "schemas are required"));
    } else {
      for (StatusCause& c : ValidateStructuralSchema(*schema, schema_path)) causes.push_back(c);
      for (StatusCause& c : ValidateCelRules(*schema, schema_path)) causes.push_back(c);
    }
    if (const JsonValue* scale = Find(v, "subresources.scale"); scale && scale->IsObject()) {
      CheckScale(*scale, at + ".subresources.scale", &causes);
    }
  }
  if (!served && versions->Size() > 0) {
    causes.push_back(field::Invalid("spec.versions", ToJson(*versions),
                                    "must have at least one version marked as served"));
  }
  return causes;
}

std::optional<ApiError> PrepareCustomResource(const Store& store, const ResourceType& type,
                                              Object* object, const JsonValue* old,
                                              const CustomResourceWrite& write) {
  ObjectPtr crd = store.Get(kCrdKey, "", type.crd_name);
  const JsonValue* schema = crd ? VersionSchema(crd->json(), type.version) : nullptr;
  if (!schema) return std::nullopt;
  JsonValue& root = object->mutable_json();
  std::vector<std::string> unknown;
  PruneUnknownFields(root, *schema, &unknown);
  std::sort(unknown.begin(), unknown.end());  // Go's map order is random; keep ours stable
  if (!unknown.empty()) {
    if (write.apply) {
      // Server-side apply converts the configuration to the schema's type first.
      return BadRequest("failed to create typed patch object (" + type.api_version() +
                        ", Kind=" + type.kind +
                        "): " + Joined(unknown, ".", ": field not declared in schema\n") +
                        ": field not declared in schema");
    }
    if (write.field_validation == "Strict") {
      std::string list;
      for (const std::string& f : unknown) {
        list += (list.empty() ? "" : ", ") + std::string("unknown field ") + Quote(f);
      }
      // Create and update decode the body into the kind and say so; patches report bare.
      std::string prefix = write.patch ? ""
                                       : type.kind + " in version " + Quote(type.version) +
                                             " cannot be handled as a " + type.kind + ": ";
      return BadRequest(prefix + "strict decoding error: " + list);
    }
    if (write.field_validation != "Ignore") {
      for (const std::string& f : unknown) {
        AdmissionRequestScope::AddWarning("unknown field " + Quote(f));
      }
    }
  }
  ApplySchemaDefaults(root, *schema, object->allocator());
  std::vector<StatusCause> causes = ValidateAgainstSchema(root, *schema);
  // CEL rules are skipped when a type or enum error makes the object unfit for them.
  bool blocking = false;
  for (const StatusCause& c : causes) {
    blocking =
        blocking || c.reason == "FieldValueTypeInvalid" || c.reason == "FieldValueNotSupported";
  }
  if (blocking) {
    causes.push_back(field::Invalid("<nil>", "\"null\"",
                                    "some validation rules were not checked because the object "
                                    "was invalid; correct the existing errors to complete "
                                    "validation"));
  } else {
    for (StatusCause& c : EvaluateCelRules(root, old, *schema)) causes.push_back(std::move(c));
  }
  if (causes.empty()) return std::nullopt;
  return Invalid(type.group, type.kind, GetString(root, "metadata.name"), causes);
}

bool DefaultStoredCustomResource(const Store& store, const ResourceType& type, Object* object) {
  ObjectPtr crd = store.Get(kCrdKey, "", type.crd_name);
  const JsonValue* schema = crd ? VersionSchema(crd->json(), type.version) : nullptr;
  if (!schema) return false;
  Object before = object->Clone();
  ApplySchemaDefaults(object->mutable_json(), *schema, object->allocator());
  return before.json() != object->json();
}

}  // namespace mlgitops::kubesim
