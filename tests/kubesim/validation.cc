// Entry points of built-in kind validation: decode-time checks (quantities, base64) and the
// per-group validation files, with metadata labels and annotations checked for every kind.
#include "kubesim/validation.h"

#include <cctype>

#include "kubesim/quantity.h"
#include "kubesim/validation_internal.h"

namespace mlgitops::kubesim {

namespace {

bool IsBase64(const std::string& s, size_t* bad_at) {
  size_t i = 0;
  while (i < s.size() &&
         (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '+' || s[i] == '/')) {
    ++i;
  }
  size_t data_end = i;
  while (i < s.size() && s[i] == '=') ++i;
  if (i != s.size()) {
    *bad_at = i;
    return false;
  }
  if (s.size() % 4 != 0 || i - data_end > 2) {
    *bad_at = (s.size() / 4) * 4;
    return false;
  }
  return true;
}

// Every quantity-valued map the covered kinds carry, with the first parse error found.
std::string QuantityMapError(const JsonValue* map) {
  if (!map || !map->IsObject()) return "";
  for (const auto& m : map->GetObject()) {
    std::string error;
    if (m.value.IsString()) {
      if (!ParseQuantity(m.value.GetString(), &error)) return error;
    } else if (!m.value.IsNumber() && !m.value.IsNull()) {
      return kQuantityFormatError;
    }
  }
  return "";
}

std::string PodSpecQuantityError(const JsonValue* spec) {
  for (const char* list : {"containers", "initContainers", "ephemeralContainers"}) {
    const JsonValue* containers = Member(spec, list);
    for (rapidjson::SizeType i = 0; i < Count(containers); ++i) {
      const JsonValue* resources = Member(&(*containers)[i], "resources");
      for (const char* part : {"limits", "requests"}) {
        std::string e = QuantityMapError(Member(resources, part));
        if (!e.empty()) return e;
      }
    }
  }
  std::string e = QuantityMapError(Member(spec, "overhead"));
  if (!e.empty()) return e;
  const JsonValue* volumes = Member(spec, "volumes");
  for (rapidjson::SizeType i = 0; i < Count(volumes); ++i) {
    const JsonValue* size = Member(Member(&(*volumes)[i], "emptyDir"), "sizeLimit");
    if (size && size->IsString()) {
      std::string error;
      if (!ParseQuantity(size->GetString(), &error)) return error;
    }
  }
  return "";
}

const JsonValue* PodSpecOf(const ResourceType& t, const JsonValue& object) {
  if (t.group.empty() && t.kind == "Pod") return Member(&object, "spec");
  if (t.group.empty() && t.kind == "PodTemplate") return Find(object, "template.spec");
  if (t.group == "batch" && t.kind == "CronJob") {
    return Find(object, "spec.jobTemplate.spec.template.spec");
  }
  if ((t.group == "apps" && t.kind != "ControllerRevision") ||
      (t.group == "batch" && t.kind == "Job") ||
      (t.group.empty() && t.kind == "ReplicationController")) {
    return Find(object, "spec.template.spec");
  }
  return nullptr;
}

std::string DecodeError(const ResourceType& t, const JsonValue& object) {
  if (const JsonValue* spec = PodSpecOf(t, object)) {
    std::string e = PodSpecQuantityError(spec);
    if (!e.empty()) return e;
  }
  if (t.group.empty() && t.kind == "PersistentVolumeClaim") {
    for (const char* part : {"spec.resources.requests", "spec.resources.limits"}) {
      std::string e = QuantityMapError(Find(object, part));
      if (!e.empty()) return e;
    }
  }
  if (t.group == "apps" && t.kind == "StatefulSet") {
    const JsonValue* claims = Find(object, "spec.volumeClaimTemplates");
    for (rapidjson::SizeType i = 0; i < Count(claims); ++i) {
      std::string e = QuantityMapError(Find((*claims)[i], "spec.resources.requests"));
      if (!e.empty()) return e;
    }
  }
  if (t.group.empty() && t.kind == "Secret") {
    const JsonValue* data = Member(&object, "data");
    if (data && data->IsObject()) {
      for (const auto& m : data->GetObject()) {
        if (!m.value.IsString()) continue;
        size_t bad_at = 0;
        if (!IsBase64(m.value.GetString(), &bad_at)) {
          return "illegal base64 data at input byte " + std::to_string(bad_at);
        }
      }
    }
  }
  return "";
}

}  // namespace

std::optional<ApiError> CheckBuiltinDecoding(const ResourceType& type, const JsonValue& object) {
  if (!type.crd_name.empty()) return std::nullopt;
  std::string error = DecodeError(type, object);
  if (error.empty()) return std::nullopt;
  return BadRequest(type.kind + " in version \"" + type.version + "\" cannot be handled as a " +
                    type.kind + ": " + error);
}

std::vector<StatusCause> ValidateBuiltin(const ResourceType& type, const JsonValue& object) {
  FieldErrors errors;
  if (!type.crd_name.empty()) return {};
  FieldErrors spec_errors;
  bool known = (type.group.empty() && ValidateCoreKind(type.kind, object, &spec_errors)) ||
               ValidateWorkloadKind(type.group, type.kind, object, &spec_errors) ||
               ValidateOtherKind(type.group, type.kind, object, &spec_errors);
  (void)known;
  // ValidateObjectMeta comes first in every kind's list.
  ValidateMetaLabels(Member(&object, "metadata"), "metadata", &errors);
  for (StatusCause& c : spec_errors.causes()) errors.Add(std::move(c));
  return std::move(errors.causes());
}

}  // namespace mlgitops::kubesim
