// Readers shared by the streaming-family health checks.
#include "health/streaming_util.h"

namespace mlgitops::streaming {

namespace {
// JSON null reads as an absent key: sigs.k8s.io/yaml hands Lua a nil for it.
bool IsAbsent(const JsonValue* v) { return v == nullptr || v->IsNull(); }
}  // namespace

const JsonValue* StatusOf(const Object& obj) {
  const JsonValue* status = Find(obj.json(), "status");
  return status && status->IsObject() ? status : nullptr;
}

std::vector<const JsonValue*> Conditions(const JsonValue* status) {
  std::vector<const JsonValue*> out;
  if (!status) return out;
  const JsonValue* list = Find(*status, "conditions");
  if (!list || !list->IsArray()) return out;
  for (const auto& c : list->GetArray()) {
    if (c.IsObject()) out.push_back(&c);
  }
  return out;
}

bool MemberIs(const JsonValue& v, const char* member, std::string_view want) {
  if (!v.IsObject()) return false;
  auto it = v.FindMember(member);
  if (it == v.MemberEnd() || !it->value.IsString()) return false;
  return std::string_view(it->value.GetString(), it->value.GetStringLength()) == want;
}

const JsonValue* FindConditionWithStatus(const std::vector<const JsonValue*>& conditions,
                                         std::string_view type, std::string_view status) {
  for (const JsonValue* c : conditions) {
    if (MemberIs(*c, "type", type) && MemberIs(*c, "status", status)) return c;
  }
  return nullptr;
}

bool GenerationObserved(const Object& obj, const JsonValue& status) {
  const JsonValue* generation = Find(obj.json(), "metadata.generation");
  const JsonValue* observed = Find(status, "observedGeneration");
  if (IsAbsent(generation) || IsAbsent(observed)) {
    return IsAbsent(generation) && IsAbsent(observed);
  }
  if (generation->IsNumber() && observed->IsNumber()) {
    return generation->GetDouble() == observed->GetDouble();
  }
  if (generation->IsString() && observed->IsString()) {
    return std::string_view(generation->GetString(), generation->GetStringLength()) ==
           std::string_view(observed->GetString(), observed->GetStringLength());
  }
  return false;
}

}  // namespace mlgitops::streaming
