// metadata.managedFields: which field manager owns which fields, updated on every write so
// server-side apply can tell its own fields from everybody else's.
#pragma once

#include <string>
#include <vector>

#include "kubesim/field_set.h"
#include "object/object.h"

namespace mlgitops::kubesim {

struct ManagedEntry {
  std::string manager;
  std::string operation;  // Apply or Update
  std::string api_version;
  std::string time;
  std::string subresource;
  FieldSet fields;
};

std::vector<ManagedEntry> ReadManagedFields(const JsonValue& object);
/// Replaces metadata.managedFields (removed when `entries` is empty).
void WriteManagedFields(JsonValue& object, const std::vector<ManagedEntry>& entries,
                        JsonAllocator& a);

/// Records a non-apply write by `manager`: it gains `changed`, every other manager loses
/// `changed`, everybody loses `removed`; managers left with nothing are dropped.
void RecordUpdate(std::vector<ManagedEntry>* entries, const ManagedEntry& writer,
                  const FieldSet& changed, const FieldSet& removed);

/// The manager name a request without ?fieldManager gets: its User-Agent up to the first '/'.
std::string DefaultFieldManager(const std::string& user_agent);
/// ?fieldManager, or DefaultFieldManager(User-Agent) when absent.
std::string FieldManagerOf(const std::string& field_manager_param, const std::string& user_agent);

}  // namespace mlgitops::kubesim
