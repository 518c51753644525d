// CRD handling: names, versions, schema list types and printer columns.
#include "kubesim/crd.h"

#include <algorithm>
#include <cctype>
#include <tuple>

#include "kubesim/custom_resources.h"
#include "kubesim/json_util.h"
#include "kubesim/merge_schema.h"

namespace mlgitops::kubesim {

namespace {

std::vector<std::string> Strings(const JsonValue& crd, const char* path) {
  std::vector<std::string> out;
  const JsonValue* list = Find(crd, path);
  if (!list || !list->IsArray()) return out;
  for (const auto& v : list->GetArray()) {
    if (v.IsString()) out.push_back(v.GetString());
  }
  return out;
}

// (rank, major, minor): GA versions rank 3, beta 2, alpha 1, anything else 0.
std::tuple<int, int, int> VersionKey(const std::string& v) {
  if (v.size() < 2 || v[0] != 'v' || !std::isdigit(static_cast<unsigned char>(v[1]))) {
    return {0, 0, 0};
  }
  size_t i = 1;
  int major = 0;
  while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])))
    major = major * 10 + (v[i++] - '0');
  if (i == v.size()) return {3, major, 0};
  std::string rest = v.substr(i);
  int rank = rest.rfind("beta", 0) == 0 ? 2 : rest.rfind("alpha", 0) == 0 ? 1 : 0;
  if (rank == 0) return {0, 0, 0};
  std::string digits = rest.substr(rank == 2 ? 4 : 5);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
    return {0, 0, 0};
  }
  return {rank, major, std::stoi(digits)};
}

void CollectListTypes(const JsonValue& schema, const std::string& path,
                      std::map<std::string, std::vector<std::string>>* out, int depth) {
  if (!schema.IsObject() || depth > 64) return;
  std::string list_type = GetString(schema, "x-kubernetes-list-type");
  if (list_type == "map") {
    (*out)[path] = Strings(schema, "x-kubernetes-list-map-keys");
  } else if (list_type == "set") {
    (*out)[path] = {};
  }
  if (const JsonValue* items = FindMember(schema, "items")) {
    CollectListTypes(*items, path, out, depth + 1);
  }
  if (const JsonValue* props = FindMember(schema, "properties"); props && props->IsObject()) {
    for (const auto& m : props->GetObject()) {
      CollectListTypes(m.value, ChildPath(path, std::string(View(m.name))), out, depth + 1);
    }
  }
}

std::vector<PrinterColumn> PrinterColumns(const JsonValue& version) {
  std::vector<PrinterColumn> out;
  const JsonValue* columns = FindMember(version, "additionalPrinterColumns");
  if (!columns || !columns->IsArray()) return out;
  for (const auto& c : columns->GetArray()) {
    PrinterColumn col;
    col.name = GetString(c, "name");
    col.type = GetString(c, "type", "string");
    col.json_path = GetString(c, "jsonPath");
    col.description = GetString(c, "description");
    col.priority = static_cast<int>(GetInt(c, "priority").value_or(0));
    if (!col.name.empty() && !col.json_path.empty()) out.push_back(std::move(col));
  }
  return out;
}

JsonValue Condition(const char* type, const char* reason, const char* message,
                    const std::string& time, JsonAllocator& a) {
  JsonValue c(rapidjson::kObjectType);
  SetString(c, "type", type, a);
  SetString(c, "status", "True", a);
  SetString(c, "lastTransitionTime", time, a);
  SetString(c, "reason", reason, a);
  SetString(c, "message", message, a);
  return c;
}

}  // namespace

bool VersionMorePreferred(const std::string& a, const std::string& b) {
  auto ka = VersionKey(a);
  auto kb = VersionKey(b);
  if (ka != kb) return ka > kb;
  return a < b;
}

std::vector<StatusCause> ValidateCrd(const JsonValue& crd) {
  std::vector<StatusCause> causes;
  std::string group = GetString(crd, "spec.group");
  std::string plural = GetString(crd, "spec.names.plural");
  std::string kind = GetString(crd, "spec.names.kind");
  std::string scope = GetString(crd, "spec.scope");
  std::string name = GetString(crd, "metadata.name");
  if (group.empty()) {
    causes.push_back({"FieldValueRequired", "Required value", "spec.group"});
  } else if (group.find('.') == std::string::npos) {
    causes.push_back({"FieldValueInvalid",
                      "Invalid value: \"" + group + "\": should be a domain with at least one dot",
                      "spec.group"});
  }
  if (plural.empty())
    causes.push_back({"FieldValueRequired", "Required value", "spec.names.plural"});
  if (kind.empty()) causes.push_back({"FieldValueRequired", "Required value", "spec.names.kind"});
  if (!plural.empty() && plural != Lowercase(plural)) {
    causes.push_back({"FieldValueInvalid", "Invalid value: \"" + plural + "\": must be lowercase",
                      "spec.names.plural"});
  }
  if (!group.empty() && !plural.empty() && name != plural + "." + group) {
    causes.push_back({"FieldValueInvalid",
                      "Invalid value: \"" + name + "\": must be spec.names.plural+\".\"+spec.group",
                      "metadata.name"});
  }
  if (scope != "Namespaced" && scope != "Cluster") {
    causes.push_back({"FieldValueNotSupported",
                      "Unsupported value: \"" + scope +
                          "\": supported values: \"Cluster\", "
                          "\"Namespaced\"",
                      "spec.scope"});
  }
  const JsonValue* versions = Find(crd, "spec.versions");
  int storage = 0;
  if (!versions || !versions->IsArray() || versions->Size() == 0) {
    causes.push_back({"FieldValueInvalid",
                      "Invalid value: \"null\": must have exactly one version "
                      "marked as storage version",
                      "spec.versions"});
  } else {
    for (const auto& v : versions->GetArray()) {
      if (GetBool(v, "storage").value_or(false)) ++storage;
    }
    if (storage != 1) {
      causes.push_back({"FieldValueInvalid",
                        "Invalid value: " + ToJson(*versions) +
                            ": must have exactly one version marked as storage version",
                        "spec.versions"});
    }
  }
  for (StatusCause& c : ValidateCrdVersions(crd)) causes.push_back(std::move(c));
  return causes;
}

void SetCrdStatus(JsonValue& crd, const JsonValue* old, const std::string& now, JsonAllocator& a) {
  JsonValue status(rapidjson::kObjectType);
  JsonValue names(rapidjson::kObjectType);
  std::string kind = GetString(crd, "spec.names.kind");
  SetString(names, "plural", GetString(crd, "spec.names.plural"), a);
  SetString(names, "singular", GetString(crd, "spec.names.singular", Lowercase(kind)), a);
  SetString(names, "kind", kind, a);
  SetString(names, "listKind", GetString(crd, "spec.names.listKind", kind + "List"), a);
  for (const char* list : {"shortNames", "categories"}) {
    if (const JsonValue* v = Find(crd, std::string("spec.names.") + list)) {
      SetMember(names, list, JsonValue(*v, a), a);
    }
  }
  SetMember(status, "acceptedNames", std::move(names), a);

  std::string accepted_time = now;
  std::string established_time = now;
  if (old) {
    if (const JsonValue* c = FindCondition(*old, "NamesAccepted")) {
      accepted_time = MemberString(*c, "lastTransitionTime");
    }
    if (const JsonValue* c = FindCondition(*old, "Established")) {
      established_time = MemberString(*c, "lastTransitionTime");
    }
  }
  JsonValue conditions(rapidjson::kArrayType);
  conditions.PushBack(
      Condition("NamesAccepted", "NoConflicts", "no conflicts found", accepted_time, a), a);
  conditions.PushBack(Condition("Established", "InitialNamesAccepted",
                                "the initial names have been accepted", established_time, a),
                      a);
  SetMember(status, "conditions", std::move(conditions), a);

  JsonValue stored(rapidjson::kArrayType);
  std::vector<std::string> previous =
      old ? Strings(*old, "status.storedVersions") : std::vector<std::string>{};
  if (const JsonValue* versions = Find(crd, "spec.versions"); versions && versions->IsArray()) {
    for (const auto& v : versions->GetArray()) {
      std::string name = GetString(v, "name");
      if (GetBool(v, "storage").value_or(false) &&
          std::find(previous.begin(), previous.end(), name) == previous.end()) {
        previous.push_back(name);
      }
    }
  }
  for (const std::string& v : previous) stored.PushBack(Str(v, a), a);
  SetMember(status, "storedVersions", std::move(stored), a);
  SetMember(crd, "status", std::move(status), a);
}

std::vector<ResourceType> TypesFromCrd(const JsonValue& crd) {
  std::vector<ResourceType> types;
  const JsonValue* versions = Find(crd, "spec.versions");
  if (!versions || !versions->IsArray()) return types;
  for (const auto& v : versions->GetArray()) {
    if (!GetBool(v, "served").value_or(true)) continue;
    ResourceType t;
    t.group = GetString(crd, "spec.group");
    t.version = GetString(v, "name");
    t.kind = GetString(crd, "spec.names.kind");
    t.plural = GetString(crd, "spec.names.plural");
    t.singular = GetString(crd, "spec.names.singular", Lowercase(t.kind));
    t.namespaced = GetString(crd, "spec.scope") != "Cluster";
    t.short_names = Strings(crd, "spec.names.shortNames");
    t.categories = Strings(crd, "spec.names.categories");
    t.verbs = {"delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"};
    t.has_status = Find(v, "subresources.status") != nullptr;
    if (const JsonValue* scale = Find(v, "subresources.scale"); scale && scale->IsObject()) {
      auto path = [&](const char* key) {  // ".spec.replicas" → "spec.replicas"
        std::string p = GetString(*scale, key);
        return p.empty() ? p : p.substr(1);
      };
      t.has_scale = true;
      t.scale_spec_path = path("specReplicasPath");
      t.scale_status_path = path("statusReplicasPath");
      t.scale_selector_path = path("labelSelectorPath");
    }
    t.tracks_generation = true;
    t.crd_name = GetString(crd, "metadata.name");
    t.printer_columns = PrinterColumns(v);
    if (const JsonValue* schema = Find(v, "schema.openAPIV3Schema")) {
      CollectListTypes(*schema, "", &t.list_map_keys, 0);
    }
    types.push_back(std::move(t));
  }
  std::sort(types.begin(), types.end(), [](const ResourceType& a, const ResourceType& b) {
    return VersionMorePreferred(a.version, b.version);
  });
  return types;
}

}  // namespace mlgitops::kubesim
