// Reading, writing and updating managedFields entries.
#include "kubesim/managed_fields.h"

#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

bool SameSlot(const ManagedEntry& a, const ManagedEntry& b) {
  return a.manager == b.manager && a.operation == b.operation && a.subresource == b.subresource;
}

}  // namespace

std::vector<ManagedEntry> ReadManagedFields(const JsonValue& object) {
  std::vector<ManagedEntry> entries;
  const JsonValue* list = Find(object, "metadata.managedFields");
  if (!list || !list->IsArray()) return entries;
  for (const auto& item : list->GetArray()) {
    if (!item.IsObject()) continue;
    ManagedEntry e;
    e.manager = GetString(item, "manager");
    e.operation = GetString(item, "operation");
    e.api_version = GetString(item, "apiVersion");
    e.time = GetString(item, "time");
    e.subresource = GetString(item, "subresource");
    if (const JsonValue* fields = FindMember(item, "fieldsV1")) {
      e.fields = FieldSet::FromFieldsV1(*fields);
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

void WriteManagedFields(JsonValue& object, const std::vector<ManagedEntry>& entries,
                        JsonAllocator& a) {
  JsonValue& metadata = EnsureObject(object, "metadata", a);
  if (entries.empty()) {
    RemoveMember(metadata, "managedFields");
    return;
  }
  JsonValue list(rapidjson::kArrayType);
  for (const ManagedEntry& e : entries) {
    JsonValue item(rapidjson::kObjectType);
    SetString(item, "manager", e.manager, a);
    SetString(item, "operation", e.operation, a);
    SetString(item, "apiVersion", e.api_version, a);
    if (!e.time.empty()) SetString(item, "time", e.time, a);
    SetString(item, "fieldsType", "FieldsV1", a);
    SetMember(item, "fieldsV1", e.fields.ToFieldsV1(a), a);
    if (!e.subresource.empty()) SetString(item, "subresource", e.subresource, a);
    list.PushBack(item, a);
  }
  SetMember(metadata, "managedFields", std::move(list), a);
}

void RecordUpdate(std::vector<ManagedEntry>* entries, const ManagedEntry& writer,
                  const FieldSet& changed, const FieldSet& removed) {
  bool found = false;
  for (ManagedEntry& e : *entries) {
    if (SameSlot(e, writer)) {
      found = true;
      e.fields = e.fields.Union(changed).Minus(removed);
      if (!changed.empty() || !removed.empty()) {
        e.time = writer.time;
        e.api_version = writer.api_version;
      }
    } else {
      e.fields = e.fields.Minus(changed).Minus(removed);
    }
  }
  if (!found && !changed.empty()) {
    ManagedEntry added = writer;
    added.fields = changed;
    entries->push_back(std::move(added));
  }
  std::vector<ManagedEntry> kept;
  for (ManagedEntry& e : *entries) {
    if (!e.fields.empty()) kept.push_back(std::move(e));
  }
  *entries = std::move(kept);
}

std::string DefaultFieldManager(const std::string& user_agent) {
  std::string manager = user_agent.substr(0, user_agent.find('/'));
  if (manager.size() > 128) manager.resize(128);
  return manager.empty() ? "unknown" : manager;
}

std::string FieldManagerOf(const std::string& field_manager_param, const std::string& user_agent) {
  return field_manager_param.empty() ? DefaultFieldManager(user_agent) : field_manager_param;
}

}  // namespace mlgitops::kubesim
