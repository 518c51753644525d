// Normalisation and ignoreDifferences.
#include "sync/normalize.h"

#include <algorithm>

#include "sync/jq_path.h"
#include "sync/json_path.h"
#include "sync/managed_fields.h"

namespace mlgitops {

namespace {

// Sorting stops below this depth; DiffResource refuses deeper objects before printing them.
constexpr int kMaxSortDepth = 512;

void SortMembers(JsonValue* node, JsonAllocator& allocator, int depth) {
  if (depth > kMaxSortDepth) return;
  if (node->IsArray()) {
    for (JsonValue& e : node->GetArray()) SortMembers(&e, allocator, depth + 1);
    return;
  }
  if (!node->IsObject()) return;
  std::vector<JsonValue::Member*> members;
  for (auto it = node->MemberBegin(); it != node->MemberEnd(); ++it) {
    SortMembers(&it->value, allocator, depth + 1);
    members.push_back(&*it);
  }
  auto name = [](const JsonValue::Member* m) {
    return std::string_view(m->name.GetString(), m->name.GetStringLength());
  };
  if (std::is_sorted(members.begin(), members.end(),
                     [&](auto* a, auto* b) { return name(a) < name(b); })) {
    return;
  }
  std::stable_sort(members.begin(), members.end(),
                   [&](auto* a, auto* b) { return name(a) < name(b); });
  JsonValue sorted(rapidjson::kObjectType);
  for (JsonValue::Member* m : members) sorted.AddMember(m->name, m->value, allocator);
  *node = sorted;
}

void RemoveMember(JsonValue* object, std::string_view name) {
  auto it = object->FindMember(
      rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size())));
  if (it != object->MemberEnd()) object->EraseMember(it);
}

void DropEmptyMap(JsonValue* metadata, std::string_view name) {
  const JsonValue* map = FindMember(*metadata, name);
  if (map && (map->IsNull() || (map->IsObject() && map->MemberCount() == 0))) {
    RemoveMember(metadata, name);
  }
}

}  // namespace

Object NormalizeForDiff(const Object& object, const DiffOptions& options) {
  Object copy = object.Clone();
  JsonValue& root = copy.mutable_json();
  if (!root.IsObject()) return copy;
  RemoveMember(&root, "status");
  if (JsonValue* metadata = FindMember(root, "metadata"); metadata && metadata->IsObject()) {
    for (std::string_view noise : {"managedFields", "resourceVersion", "uid", "generation",
                                   "creationTimestamp", "selfLink", "deletionGracePeriodSeconds"}) {
      RemoveMember(metadata, noise);
    }
    if (JsonValue* annotations = FindMember(*metadata, "annotations");
        annotations && annotations->IsObject()) {
      RemoveMember(annotations, kLastAppliedAnnotation);
      if (options.ignore_tracking_annotation) RemoveMember(annotations, kTrackingIdAnnotation);
    }
    DropEmptyMap(metadata, "annotations");
    DropEmptyMap(metadata, "labels");
  }
  SortMembers(&root, copy.allocator(), 0);
  return copy;
}

bool IgnoreRuleApplies(const IgnoreDifference& rule, const ObjectRef& ref) {
  return (rule.group == "*" || rule.group == ref.group) &&
         (rule.kind == "*" || rule.kind == ref.kind) &&
         (rule.name.empty() || rule.name == ref.name) &&
         (rule.namespace_.empty() || rule.namespace_ == ref.namespace_);
}

namespace {

Status RemovePointers(const std::vector<std::string>& pointers, Object* object) {
  std::vector<JsonPath> paths;
  for (const std::string& pointer : pointers) {
    Result<std::optional<JsonPath>> path = ResolveJsonPointer(object->json(), pointer);
    if (!path.ok()) return path.status();
    if (*path) paths.push_back(std::move(**path));
  }
  RemovePaths(&object->mutable_json(), std::move(paths));
  return Status::OK();
}

void RemoveJqMatches(const std::vector<JqPath>& expressions, Object* object) {
  std::vector<JsonPath> paths;
  for (const JqPath& jq : expressions) {
    std::vector<JsonPath> found = jq.Match(object->json());
    paths.insert(paths.end(), found.begin(), found.end());
  }
  RemovePaths(&object->mutable_json(), std::move(paths));
}

void RemoveOwned(const std::vector<const JsonValue*>& field_sets, Object* object) {
  std::vector<JsonPath> paths;
  for (const JsonValue* set : field_sets) {
    std::vector<JsonPath> owned = OwnedPaths(*set, object->json());
    paths.insert(paths.end(), owned.begin(), owned.end());
  }
  RemovePaths(&object->mutable_json(), std::move(paths));
}

}  // namespace

Status ApplyIgnoreDifferences(const std::vector<IgnoreDifference>& rules, const ObjectRef& ref,
                              const JsonValue* original_live, Object* live, Object* desired) {
  std::vector<Object*> sides;
  if (live) sides.push_back(live);
  if (desired) sides.push_back(desired);
  for (const IgnoreDifference& rule : rules) {
    if (!IgnoreRuleApplies(rule, ref)) continue;
    std::vector<JqPath> expressions;
    for (const std::string& text : rule.jq_path_expressions) {
      Result<JqPath> jq = JqPath::Parse(text);
      if (!jq.ok()) return jq.status();
      expressions.push_back(std::move(*jq));
    }
    std::vector<const JsonValue*> field_sets;
    if (original_live && !rule.managed_fields_managers.empty()) {
      field_sets = FieldSetsOf(*original_live, rule.managed_fields_managers);
    }
    for (Object* side : sides) {
      Status s = RemovePointers(rule.json_pointers, side);
      if (!s.ok()) return s;
      RemoveJqMatches(expressions, side);
      RemoveOwned(field_sets, side);
    }
  }
  return Status::OK();
}

}  // namespace mlgitops
