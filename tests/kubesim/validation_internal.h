// Shared pieces of the per-group validation files (validation_*.cc): pod specs and templates,
// object metadata, and small value checks.
#pragma once

#include <string>
#include <vector>

#include "kubesim/field_errors.h"
#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

/// "spec.template" + ".metadata": joins field paths.
inline std::string Child(const std::string& path, const std::string& name) {
  return path.empty() ? name : path + "." + name;
}
inline std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}
inline std::string Key(const std::string& path, const std::string& key) {
  return path + "[" + key + "]";
}

/// Members of an array value (none when absent or not an array).
inline rapidjson::SizeType Count(const JsonValue* v) { return v && v->IsArray() ? v->Size() : 0; }
inline const JsonValue* Member(const JsonValue* v, const char* key) {
  return v && v->IsObject() ? FindMember(*v, key) : nullptr;
}
inline std::string MemberStr(const JsonValue* v, const char* key) {
  const JsonValue* m = Member(v, key);
  return m && m->IsString() ? m->GetString() : "";
}

/// ValidateObjectMeta's label and annotation rules, at `path` ("metadata").
void ValidateMetaLabels(const JsonValue* meta, const std::string& path, FieldErrors* errors);
/// ValidatePodSpec (core) at `path`; `templ` when it is a pod template's spec.
void ValidatePodSpec(const JsonValue* spec, const std::string& path, FieldErrors* errors);
/// ValidatePodTemplateSpec: labels of the template metadata, then the spec.
void ValidatePodTemplate(const JsonValue* templ, const std::string& path, FieldErrors* errors);
/// ValidatePersistentVolumeClaimSpec at `path`.
void ValidatePvcSpec(const JsonValue* spec, const std::string& path, FieldErrors* errors);
/// A non-negative int32 field: "must be greater than or equal to 0".
void NonNegative(const JsonValue* parent, const char* key, const std::string& path,
                 FieldErrors* errors);
/// An enum field: NotSupported (or Required when absent and `required`).
void Enum(const JsonValue* parent, const char* key, const std::string& path,
          const std::vector<std::string>& supported, bool required, FieldErrors* errors);

// Per-group entry points (validation_core.cc, validation_workloads.cc, validation_misc.cc).
bool ValidateCoreKind(const std::string& kind, const JsonValue& object, FieldErrors* errors);
bool ValidateWorkloadKind(const std::string& group, const std::string& kind,
                          const JsonValue& object, FieldErrors* errors);
bool ValidateOtherKind(const std::string& group, const std::string& kind, const JsonValue& object,
                       FieldErrors* errors);

}  // namespace mlgitops::kubesim
