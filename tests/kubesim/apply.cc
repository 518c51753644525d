// Server-side apply over field sets.
#include "kubesim/apply.h"

#include <algorithm>

#include "kubesim/field_set.h"
#include "kubesim/json_util.h"
#include "kubesim/managed_fields.h"

namespace mlgitops::kubesim {

namespace {

void MergeValue(JsonValue& live, const JsonValue& config, const MergeSchema& schema,
                const std::string& path, JsonAllocator& a);

void MergeList(JsonValue& live, const JsonValue& config, const MergeSchema& schema,
               const std::string& path, JsonAllocator& a) {
  ListStrategy s = schema.ForList(path, config);
  bool keyless = s.kind == ListStrategy::Kind::kMap &&
                 std::any_of(config.Begin(), config.End(),
                             [&](const JsonValue& item) { return ItemKey(s, item).empty(); });
  // Items without their keys cannot be matched: such a list is replaced whole, idempotently.
  if (s.kind == ListStrategy::Kind::kAtomic || keyless || !live.IsArray()) {
    live = JsonValue(config, a);
    return;
  }
  for (const auto& item : config.GetArray()) {
    JsonValue* match = nullptr;
    std::string key = s.kind == ListStrategy::Kind::kMap ? ItemKey(s, item) : "";
    for (auto& candidate : live.GetArray()) {
      bool same = s.kind == ListStrategy::Kind::kSet ? candidate == item
                                                     : !key.empty() && ItemKey(s, candidate) == key;
      if (same) match = &candidate;
    }
    if (!match) {
      live.PushBack(JsonValue(item, a), a);
    } else if (s.kind == ListStrategy::Kind::kMap) {
      MergeValue(*match, item, schema, path, a);
    }
  }
}

void MergeValue(JsonValue& live, const JsonValue& config, const MergeSchema& schema,
                const std::string& path, JsonAllocator& a) {
  if (config.IsObject() && live.IsObject()) {
    for (const auto& m : config.GetObject()) {
      std::string key(View(m.name));
      if (m.value.IsNull()) continue;
      JsonValue* existing = FindMember(live, key);
      if (!existing) {
        SetMember(live, key, JsonValue(m.value, a), a);
      } else {
        MergeValue(*existing, m.value, schema, ChildPath(path, key), a);
      }
    }
    return;
  }
  if (config.IsArray()) {
    MergeList(live, config, schema, path, a);
    return;
  }
  live = JsonValue(config, a);
}

// The applied config without what apply never merges: identity fields owned by the server,
// and status (or everything but status, for the status subresource).
Object ApplicableConfig(const JsonValue& config, const ApplyParams& params) {
  Object copy = CopyToObject(config);
  JsonValue& root = copy.mutable_json();
  if (JsonValue* metadata = FindMember(root, "metadata")) {
    for (const char* key : {"uid", "resourceVersion", "generation", "creationTimestamp",
                            "managedFields", "deletionTimestamp", "selfLink"}) {
      RemoveMember(*metadata, key);
    }
  }
  if (params.subresource == "status") {
    for (auto it = root.MemberBegin(); it != root.MemberEnd();) {
      std::string_view key = View(it->name);
      bool keep = key == "status" || key == "apiVersion" || key == "kind" || key == "metadata";
      it = keep ? it + 1 : root.EraseMember(it);
    }
  } else if (!params.include_status) {
    RemoveMember(root, "status");
  }
  return copy;
}

}  // namespace

ApplyResult ServerSideApply(const JsonValue& live, const JsonValue& config,
                            const MergeSchema& schema, const ApplyParams& params) {
  ApplyResult result{CopyToObject(live), {}};
  Object applied = ApplicableConfig(config, params);
  bool status_only = params.subresource == "status";
  FieldSet config_set = FieldSet::Of(applied.json(), schema, status_only || params.include_status);
  if (status_only) {
    FieldSet status_part;
    if (config_set.children().count("f:status")) {
      status_part.Child("f:status") = config_set.children().at("f:status");
    }
    config_set = status_part;
  }

  std::vector<ManagedEntry> entries = ReadManagedFields(live);
  FieldSet previous;
  FieldSet owned_by_others;
  for (const ManagedEntry& e : entries) {
    bool mine = e.manager == params.manager && e.operation == "Apply" &&
                e.subresource == params.subresource;
    if (mine) {
      previous = e.fields;
    } else {
      owned_by_others = owned_by_others.Union(e.fields);
    }
  }

  JsonValue& merged = result.object.mutable_json();
  JsonAllocator& a = result.object.allocator();
  if (status_only) {
    if (const JsonValue* status = FindMember(applied.json(), "status")) {
      JsonValue& target = EnsureObject(merged, "status", a);
      MergeValue(target, *status, schema, "status", a);
    }
  } else {
    for (const auto& m : applied.json().GetObject()) {
      std::string key(View(m.name));
      if (key == "metadata" && m.value.IsObject()) {
        JsonValue& target = EnsureObject(merged, "metadata", a);
        for (const auto& field : m.value.GetObject()) {
          std::string name(View(field.name));
          if (field.value.IsNull()) continue;
          if (name == "name" || name == "namespace") {
            if (!FindMember(target, name)) SetMember(target, name, JsonValue(field.value, a), a);
            continue;
          }
          JsonValue* existing = FindMember(target, name);
          if (!existing) {
            SetMember(target, name, JsonValue(field.value, a), a);
          } else {
            MergeValue(*existing, field.value, schema, "metadata." + name, a);
          }
        }
        continue;
      }
      if (m.value.IsNull()) continue;
      JsonValue* existing = FindMember(merged, key);
      if (!existing) {
        SetMember(merged, key, JsonValue(m.value, a), a);
      } else {
        MergeValue(*existing, m.value, schema, key, a);
      }
    }
  }
  RemoveFields(merged, previous.Minus(config_set).Minus(owned_by_others), schema);

  FieldSet changed = FieldSet::Changed(live, merged, schema, true);
  FieldSet taken = changed.Intersect(config_set);
  for (ManagedEntry& e : entries) {
    bool mine = e.manager == params.manager && e.operation == "Apply" &&
                e.subresource == params.subresource;
    if (mine) continue;
    FieldSet overlap = e.fields.Intersect(taken);
    if (overlap.empty() || params.force) continue;
    for (const std::string& path : overlap.Paths()) {
      result.conflicts.push_back({"FieldManagerConflict",
                                  "conflict with \"" + e.manager + "\"" +
                                      (e.operation == "Update" ? " using " + e.api_version : "") +
                                      ": " + path,
                                  path});
    }
  }
  if (!result.conflicts.empty()) return result;

  std::vector<ManagedEntry> updated;
  bool placed = false;
  for (ManagedEntry& e : entries) {
    bool mine = e.manager == params.manager && e.operation == "Apply" &&
                e.subresource == params.subresource;
    if (mine) {
      e.fields = config_set;
      e.api_version = params.api_version;
      if (!(previous.Minus(config_set).empty() && config_set.Minus(previous).empty() &&
            changed.empty())) {
        e.time = params.time;
      }
      placed = true;
    } else {
      e.fields = e.fields.Minus(taken);
    }
    if (!e.fields.empty()) updated.push_back(std::move(e));
  }
  if (!placed && !config_set.empty()) {
    updated.push_back(
        {params.manager, "Apply", params.api_version, params.time, params.subresource, config_set});
  }
  WriteManagedFields(merged, updated, a);
  return result;
}

ApiError ApplyConflictError(const std::string& group, const std::string& resource,
                            const std::string& name, const std::vector<StatusCause>& conflicts) {
  std::string message = "Apply failed with " + std::to_string(conflicts.size()) + " conflict";
  if (conflicts.size() != 1) message += 's';
  message += ": ";
  for (size_t i = 0; i < conflicts.size(); ++i) {
    if (i) message += "\n";
    message += conflicts[i].message;
  }
  ApiError e = Conflict(group, resource, name, "");
  e.message = message;
  e.causes = conflicts;
  return e;
}

}  // namespace mlgitops::kubesim
