// DiffResource: normalise, ignore, compare, then mask and print.
#include "sync/diff.h"

#include "object/yaml_writer.h"
#include "sync/json_path.h"

namespace mlgitops {

namespace {

constexpr int kMaxDepth = 256;

bool DeeperThan(const JsonValue& v, int limit) {
  if (limit < 0) return true;
  if (v.IsObject()) {
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      if (DeeperThan(it->value, limit - 1)) return true;
    }
  } else if (v.IsArray()) {
    for (const JsonValue& e : v.GetArray()) {
      if (DeeperThan(e, limit - 1)) return true;
    }
  }
  return false;
}

bool IsSecret(const Object& o) { return o.group().empty() && o.kind() == "Secret"; }

void SetMask(JsonValue* value, const char* mask, JsonAllocator& allocator) {
  value->SetString(mask, allocator);
}

void MaskField(const char* field, Object* live, Object* desired) {
  JsonValue* before = live ? FindMember(live->mutable_json(), field) : nullptr;
  JsonValue* after = desired ? FindMember(desired->mutable_json(), field) : nullptr;
  if (before && !before->IsObject()) before = nullptr;
  if (after && !after->IsObject()) after = nullptr;
  if (before) {
    for (auto it = before->MemberBegin(); it != before->MemberEnd(); ++it) {
      JsonValue* other =
          after ? FindMember(*after, {it->name.GetString(), it->name.GetStringLength()}) : nullptr;
      if (other && !(*other == it->value)) {
        SetMask(&it->value, "*** (before)", live->allocator());
        SetMask(other, "*** (after)", desired->allocator());
      } else {
        SetMask(&it->value, "***", live->allocator());
        if (other) SetMask(other, "***", desired->allocator());
      }
    }
  }
  if (after) {
    for (auto it = after->MemberBegin(); it != after->MemberEnd(); ++it) {
      std::string_view name(it->name.GetString(), it->name.GetStringLength());
      if (!before || !FindMember(*before, name)) SetMask(&it->value, "***", desired->allocator());
    }
  }
}

// kubectl diff names its temporary files group.kind.namespace.name.
std::string Label(const char* side, const ObjectRef& ref) {
  std::string label = std::string(side) + "/";
  if (!ref.group.empty()) label += ref.group + ".";
  label += ref.kind + ".";
  if (!ref.namespace_.empty()) label += ref.namespace_ + ".";
  return label + ref.name;
}

}  // namespace

std::string DiffHeader(const ObjectRef& ref) {
  return "===== " + ref.group + "/" + ref.kind + " " + ref.namespace_ + "/" + ref.name +
         " ======\n";
}

void MaskSecretValues(Object* live, Object* desired) {
  MaskField("data", live, desired);
  MaskField("stringData", live, desired);
}

Result<ResourceDiff> DiffResource(const Object* live, const Object* desired,
                                  const DiffOptions& options) {
  if (!live && !desired) {
    return Status::InvalidArgument("diff needs a live or a desired object, got neither");
  }
  ResourceDiff result;
  result.ref = desired ? desired->ref() : live->ref();
  result.live_missing = !live;
  result.desired_missing = !desired;
  for (const Object* side : {live, desired}) {
    if (side && DeeperThan(side->json(), kMaxDepth)) {
      return Status::LimitExceeded(result.ref.ToString() + ": nested deeper than " +
                                   std::to_string(kMaxDepth) + " levels");
    }
  }
  Object before = live ? NormalizeForDiff(*live, options) : Object();
  Object after = desired ? NormalizeForDiff(*desired, options) : Object();
  Status ignored =
      ApplyIgnoreDifferences(options.ignore, result.ref, live ? &live->json() : nullptr,
                             live ? &before : nullptr, desired ? &after : nullptr);
  if (!ignored.ok()) return ignored.Prefixed(result.ref.ToString() + ": ignoreDifferences");

  result.differs = !live || !desired || !(before.json() == after.json());
  if (!result.differs) return result;
  if (IsSecret(desired ? *desired : *live)) {
    MaskSecretValues(live ? &before : nullptr, desired ? &after : nullptr);
  }
  std::string before_text = live ? ToYaml(before.json()) : "";
  std::string after_text = desired ? ToYaml(after.json()) : "";
  result.text =
      DiffHeader(result.ref) + UnifiedDiff(before_text, after_text, Label("live", result.ref),
                                           Label("desired", result.ref), options.context_lines);
  return result;
}

}  // namespace mlgitops
