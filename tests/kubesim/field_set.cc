// Field sets over objects: the bookkeeping behind managedFields.
#include "kubesim/field_set.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

// metadata fields the server owns; they never appear in managedFields.
bool ServerOwnedMetadata(std::string_view key) {
  return key == "name" || key == "namespace" || key == "uid" || key == "resourceVersion" ||
         key == "generation" || key == "creationTimestamp" || key == "managedFields" ||
         key == "deletionTimestamp" || key == "deletionGracePeriodSeconds" || key == "selfLink" ||
         key == "generateName";
}

bool SkipTopLevel(std::string_view key, bool include_status) {
  return key == "apiVersion" || key == "kind" || (key == "status" && !include_status);
}

std::string CompactJson(const JsonValue& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return buf.GetString();
}

void AddValue(FieldSet& node, const JsonValue& value, const MergeSchema& schema,
              const std::string& path);

void AddMap(FieldSet& node, const JsonValue& map, const MergeSchema& schema,
            const std::string& path) {
  for (const auto& m : map.GetObject()) {
    std::string key(View(m.name));
    if (m.value.IsNull()) continue;
    AddValue(node.Child("f:" + key), m.value, schema, ChildPath(path, key));
  }
}

void AddList(FieldSet& node, const JsonValue& list, const MergeSchema& schema,
             const std::string& path) {
  ListStrategy s = schema.ForList(path, list);
  if (s.kind == ListStrategy::Kind::kAtomic) {
    node.set_self(true);
    return;
  }
  for (const auto& item : list.GetArray()) {
    if (s.kind == ListStrategy::Kind::kSet) {
      node.Child("v:" + CompactJson(item)).set_self(true);
      continue;
    }
    std::string key = ItemKey(s, item);
    if (key.empty()) continue;
    FieldSet& entry = node.Child("k:" + key);
    entry.set_self(true);
    if (item.IsObject()) AddMap(entry, item, schema, path);
  }
}

void AddValue(FieldSet& node, const JsonValue& value, const MergeSchema& schema,
              const std::string& path) {
  if (value.IsObject() && value.MemberCount() > 0) {
    AddMap(node, value, schema, path);
  } else if (value.IsArray()) {
    AddList(node, value, schema, path);
  } else {
    node.set_self(true);
  }
}

void AddTopLevel(FieldSet& set, const JsonValue& object, const MergeSchema& schema,
                 bool include_status) {
  for (const auto& m : object.GetObject()) {
    std::string key(View(m.name));
    if (SkipTopLevel(key, include_status) || m.value.IsNull()) continue;
    if (key != "metadata" || !m.value.IsObject()) {
      AddValue(set.Child("f:" + key), m.value, schema, key);
      continue;
    }
    for (const auto& field : m.value.GetObject()) {
      std::string name(View(field.name));
      if (ServerOwnedMetadata(name) || field.value.IsNull()) continue;
      AddValue(set.Child("f:metadata").Child("f:" + name), field.value, schema, "metadata." + name);
    }
  }
}

void AddChanged(FieldSet& node, const JsonValue* before, const JsonValue& after,
                const MergeSchema& schema, const std::string& path);

void AddChangedList(FieldSet& node, const JsonValue& before, const JsonValue& after,
                    const MergeSchema& schema, const std::string& path) {
  ListStrategy s = schema.ForList(path, after);
  if (s.kind != ListStrategy::Kind::kMap) {
    if (before != after) AddValue(node, after, schema, path);
    return;
  }
  for (const auto& item : after.GetArray()) {
    std::string key = ItemKey(s, item);
    if (key.empty()) continue;
    const JsonValue* old_item = nullptr;
    for (const auto& candidate : before.GetArray()) {
      if (ItemKey(s, candidate) == key) old_item = &candidate;
    }
    if (old_item && *old_item == item) continue;
    FieldSet& entry = node.Child("k:" + key);
    if (!old_item) entry.set_self(true);
    if (item.IsObject()) {
      AddChanged(entry, old_item, item, schema, path);
      if (entry.empty()) node.Child("k:" + key).set_self(true);
    }
  }
}

void AddChanged(FieldSet& node, const JsonValue* before, const JsonValue& after,
                const MergeSchema& schema, const std::string& path) {
  if (before && *before == after) return;
  if (!before || before->GetType() != after.GetType()) {
    AddValue(node, after, schema, path);
    return;
  }
  if (after.IsObject()) {
    for (const auto& m : after.GetObject()) {
      std::string key(View(m.name));
      if (m.value.IsNull()) continue;
      AddChanged(node.Child("f:" + key), FindMember(*before, key), m.value, schema,
                 ChildPath(path, key));
    }
    return;
  }
  if (after.IsArray()) {
    AddChangedList(node, *before, after, schema, path);
    return;
  }
  node.set_self(true);
}

}  // namespace

bool FieldSet::empty() const {
  if (self_) return false;
  for (const auto& [key, child] : children_) {
    if (!child.empty()) return false;
  }
  return true;
}

FieldSet FieldSet::Union(const FieldSet& other) const {
  FieldSet out = *this;
  out.self_ = self_ || other.self_;
  for (const auto& [key, child] : other.children_) {
    auto it = out.children_.find(key);
    out.children_[key] = it == out.children_.end() ? child : it->second.Union(child);
  }
  return out;
}

FieldSet FieldSet::Minus(const FieldSet& other) const {
  FieldSet out;
  out.self_ = self_ && !other.self_;
  for (const auto& [key, child] : children_) {
    auto it = other.children_.find(key);
    FieldSet rest = it == other.children_.end() ? child : child.Minus(it->second);
    if (!rest.empty()) out.children_[key] = std::move(rest);
  }
  return out;
}

FieldSet FieldSet::Intersect(const FieldSet& other) const {
  FieldSet out;
  out.self_ = self_ && other.self_;
  for (const auto& [key, child] : children_) {
    auto it = other.children_.find(key);
    if (it == other.children_.end()) continue;
    FieldSet both = child.Intersect(it->second);
    if (!both.empty()) out.children_[key] = std::move(both);
  }
  return out;
}

JsonValue FieldSet::ToFieldsV1(JsonAllocator& a) const {
  JsonValue out(rapidjson::kObjectType);
  bool has_children = false;
  for (const auto& [key, child] : children_) {
    if (child.empty()) continue;
    has_children = true;
    out.AddMember(Str(key, a), child.ToFieldsV1(a), a);
  }
  if (self_ && has_children) {
    JsonValue dot(rapidjson::kObjectType);
    out.AddMember(Str(".", a), dot, a);
  }
  return out;
}

FieldSet FieldSet::FromFieldsV1(const JsonValue& v) {
  FieldSet out;
  if (!v.IsObject()) return out;
  if (v.MemberCount() == 0) {
    out.self_ = true;
    return out;
  }
  for (const auto& m : v.GetObject()) {
    std::string key(View(m.name));
    if (key == ".") {
      out.self_ = true;
      continue;
    }
    out.children_[key] = FromFieldsV1(m.value);
  }
  return out;
}

std::vector<std::string> FieldSet::Paths() const {
  std::vector<std::string> out;
  if (self_) out.push_back("");
  for (const auto& [key, child] : children_) {
    std::string step;
    if (key.rfind("f:", 0) == 0) {
      step = "." + key.substr(2);
    } else if (key.rfind("k:", 0) == 0) {
      step = "[" + key.substr(2) + "]";
    } else if (key.rfind("v:", 0) == 0) {
      step = "[=" + key.substr(2) + "]";
    } else {
      step = "[" + key + "]";
    }
    for (const std::string& rest : child.Paths()) out.push_back(step + rest);
  }
  return out;
}

FieldSet FieldSet::Of(const JsonValue& object, const MergeSchema& schema, bool include_status) {
  FieldSet set;
  if (object.IsObject()) AddTopLevel(set, object, schema, include_status);
  return set;
}

FieldSet FieldSet::Changed(const JsonValue& before, const JsonValue& after,
                           const MergeSchema& schema, bool include_status) {
  FieldSet set;
  if (!after.IsObject()) return set;
  for (const auto& m : after.GetObject()) {
    std::string key(View(m.name));
    if (SkipTopLevel(key, include_status) || m.value.IsNull()) continue;
    const JsonValue* old = FindMember(before, key);
    if (key != "metadata" || !m.value.IsObject()) {
      AddChanged(set.Child("f:" + key), old, m.value, schema, key);
      continue;
    }
    for (const auto& field : m.value.GetObject()) {
      std::string name(View(field.name));
      if (ServerOwnedMetadata(name) || field.value.IsNull()) continue;
      const JsonValue* old_field = old ? FindMember(*old, name) : nullptr;
      AddChanged(set.Child("f:metadata").Child("f:" + name), old_field, field.value, schema,
                 "metadata." + name);
    }
  }
  return set;
}

namespace {

bool IsEmptyContainer(const JsonValue& v) {
  return (v.IsObject() && v.MemberCount() == 0) || (v.IsArray() && v.Empty());
}

void RemoveFieldsAt(JsonValue& value, const FieldSet& fields, const MergeSchema& schema,
                    const std::string& path) {
  if (value.IsObject()) {
    for (const auto& [key, child] : fields.children()) {
      if (key.rfind("f:", 0) != 0) continue;
      std::string name = key.substr(2);
      JsonValue* member = FindMember(value, name);
      if (!member) continue;
      if (child.self()) {
        RemoveMember(value, name);
        continue;
      }
      bool was_empty = IsEmptyContainer(*member);
      RemoveFieldsAt(*member, child, schema, ChildPath(path, name));
      // A map or list emptied by the removal goes too, as with structured-merge-diff.
      if (!was_empty && IsEmptyContainer(*member)) RemoveMember(value, name);
    }
    return;
  }
  if (!value.IsArray()) return;
  ListStrategy s = schema.ForList(path, value);
  for (const auto& [key, child] : fields.children()) {
    for (auto it = value.Begin(); it != value.End();) {
      bool matches = (key.rfind("k:", 0) == 0 && ItemKey(s, *it) == key.substr(2)) ||
                     (key.rfind("v:", 0) == 0 && CompactJson(*it) == key.substr(2));
      if (!matches) {
        ++it;
        continue;
      }
      if (child.self()) {
        it = value.Erase(it);
      } else {
        RemoveFieldsAt(*it, child, schema, path);
        ++it;
      }
    }
  }
}

}  // namespace

void RemoveFields(JsonValue& object, const FieldSet& fields, const MergeSchema& schema) {
  RemoveFieldsAt(object, fields, schema, "");
}

}  // namespace mlgitops::kubesim
