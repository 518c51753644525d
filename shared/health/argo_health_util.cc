// Field readers shared by the health checks ported from Argo CD's resource customizations.
#include "health/argo_health_util.h"

namespace mlgitops::health_util {

std::vector<const JsonValue*> Conditions(const JsonValue& root, std::string_view path) {
  std::vector<const JsonValue*> out;
  const JsonValue* list = Find(root, path);
  if (!list || !list->IsArray()) return out;
  for (const auto& entry : list->GetArray()) {
    if (entry.IsObject()) out.push_back(&entry);
  }
  return out;
}

std::string ConditionStatus(const JsonValue& condition) {
  if (!condition.IsObject()) return "";
  auto it = condition.FindMember("status");
  if (it == condition.MemberEnd()) return "";
  if (it->value.IsBool()) return it->value.GetBool() ? "True" : "False";
  return MemberString(condition, "status");
}

bool ConditionIs(const JsonValue& condition, std::string_view type, std::string_view status) {
  return MemberString(condition, "type") == type && ConditionStatus(condition) == status;
}

const JsonValue* FindConditionWithStatus(const JsonValue& root, std::string_view type,
                                         std::string_view status) {
  for (const JsonValue* c : Conditions(root)) {
    if (ConditionIs(*c, type, status)) return c;
  }
  return nullptr;
}

std::string MemberOr(const JsonValue& v, const char* member, std::string_view fallback) {
  if (v.IsObject()) {
    auto it = v.FindMember(member);
    if (it != v.MemberEnd() && it->value.IsString()) {
      return std::string(it->value.GetString(), it->value.GetStringLength());
    }
  }
  return std::string(fallback);
}

std::optional<std::string> ScalarText(const JsonValue& root, std::string_view path) {
  const JsonValue* v = Find(root, path);
  if (!v) return std::nullopt;
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsUint64()) return std::to_string(v->GetUint64());
  return std::nullopt;
}

bool IsTrue(const JsonValue& root, std::string_view path) {
  return GetBool(root, path).value_or(false);
}

bool IsSet(const JsonValue& root, std::string_view path) {
  const JsonValue* v = Find(root, path);
  return v && !v->IsNull();
}

size_t ArraySize(const JsonValue& root, std::string_view path) {
  const JsonValue* v = Find(root, path);
  return v && v->IsArray() ? v->Size() : 0;
}

}  // namespace mlgitops::health_util
