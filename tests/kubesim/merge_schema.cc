// Merge keys of built-in types, by field name (the same field name merges the same way
// wherever it appears in the built-in API), plus CRD-declared list types.
#include "kubesim/merge_schema.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <map>

#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

using Kind = ListStrategy::Kind;

const std::map<std::string, std::vector<std::string>>& BuiltinListKeys() {
  static const std::map<std::string, std::vector<std::string>> kKeys = {
      {"containers", {"name"}},
      {"initContainers", {"name"}},
      {"ephemeralContainers", {"name"}},
      {"env", {"name"}},
      {"volumes", {"name"}},
      {"volumeMounts", {"mountPath"}},
      {"volumeDevices", {"devicePath"}},
      {"imagePullSecrets", {"name"}},
      {"hostAliases", {"ip"}},
      {"conditions", {"type"}},
      {"topologySpreadConstraints", {"topologyKey", "whenUnsatisfiable"}},
      {"ownerReferences", {"uid"}},
      {"webhooks", {"name"}},
      {"resourceClaims", {"name"}},
      {"schedulingGates", {"name"}},
      {"containerStatuses", {"name"}},
      {"initContainerStatuses", {"name"}},
  };
  return kKeys;
}

std::string LastSegment(const std::string& path) {
  size_t dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

bool ItemsHave(const JsonValue& list, const char* field) {
  if (!list.IsArray()) return false;
  for (const auto& item : list.GetArray()) {
    if (item.IsObject() && item.HasMember(field)) return true;
  }
  return false;
}

}  // namespace

std::string ChildPath(const std::string& path, const std::string& field) {
  return path.empty() ? field : path + "." + field;
}

ListStrategy MergeSchema::ForList(const std::string& path, const JsonValue& list) const {
  ListStrategy s;
  if (path == "metadata.finalizers") {
    s.kind = Kind::kSet;
    return s;
  }
  if (path == "metadata.ownerReferences") {
    s.kind = Kind::kMap;
    s.keys = {"uid"};
    return s;
  }
  if (!type_.crd_name.empty()) {
    auto it = type_.list_map_keys.find(path);
    if (it == type_.list_map_keys.end()) return s;
    s.kind = it->second.empty() ? Kind::kSet : Kind::kMap;
    s.keys = it->second;
    return s;
  }
  std::string field = LastSegment(path);
  if (field == "ports") {
    s.kind = Kind::kMap;
    s.keys = {ItemsHave(list, "containerPort") ? "containerPort" : "port", "protocol"};
    s.key_defaults = {{"protocol", "TCP"}};
    return s;
  }
  if (field == "versions" && type_.kind == "CustomResourceDefinition") {
    s.kind = Kind::kMap;
    s.keys = {"name"};
    return s;
  }
  auto it = BuiltinListKeys().find(field);
  if (it != BuiltinListKeys().end()) {
    s.kind = Kind::kMap;
    s.keys = it->second;
  }
  return s;
}

std::string ItemKey(const ListStrategy& strategy, const JsonValue& item, bool merge_key_only) {
  if (!item.IsObject() || strategy.keys.empty()) return "";
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  size_t used = merge_key_only ? 1 : strategy.keys.size();
  for (size_t i = 0; i < used; ++i) {
    const std::string& key = strategy.keys[i];
    w.Key(key.c_str());
    if (const JsonValue* v = FindMember(item, key)) {
      v->Accept(w);
      continue;
    }
    auto fallback = std::find_if(strategy.key_defaults.begin(), strategy.key_defaults.end(),
                                 [&](const auto& d) { return d.first == key; });
    if (fallback == strategy.key_defaults.end()) return "";
    w.String(fallback->second.c_str());
  }
  w.EndObject();
  return buf.GetString();
}

}  // namespace mlgitops::kubesim
