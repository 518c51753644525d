// fieldsV1 walking. Only leaves count as owned: a "." entry says the manager created a map or
// list item, and removing the whole node would also hide fields other managers own.
#include "sync/managed_fields.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <string_view>

namespace mlgitops {

namespace {

// Set entries nest about as deep as the object; beyond this the input is hostile.
constexpr int kMaxDepth = 128;

std::string_view Name(const JsonValue& v) { return {v.GetString(), v.GetStringLength()}; }

// Does list item `item` carry every field of the key object `key`?
bool MatchesKey(const JsonValue& item, const JsonValue& key) {
  if (!item.IsObject() || !key.IsObject()) return false;
  for (auto it = key.MemberBegin(); it != key.MemberEnd(); ++it) {
    const JsonValue* field = FindMember(item, Name(it->name));
    if (!field || !(*field == it->value)) return false;
  }
  return true;
}

void Walk(const JsonValue& set, const JsonValue& node, JsonPath* path, int depth,
          std::vector<JsonPath>* out);

void Descend(const JsonValue& child_set, const JsonValue& child, PathStep step, JsonPath* path,
             int depth, std::vector<JsonPath>* out) {
  path->push_back(std::move(step));
  if (child_set.IsObject() && child_set.MemberCount() == 0) {
    out->push_back(*path);
  } else {
    Walk(child_set, child, path, depth + 1, out);
  }
  path->pop_back();
}

void WalkListEntry(std::string_view entry, const JsonValue& child_set, const JsonValue& list,
                   JsonPath* path, int depth, std::vector<JsonPath>* out) {
  if (!list.IsArray()) return;
  std::string_view body = entry.substr(2);
  if (entry[0] == 'i') {
    std::string digits(body);
    if (digits.empty() || digits.size() > 9 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return;
    }
    size_t index = std::stoul(digits);
    if (index < list.Size()) {
      Descend(child_set, list[static_cast<rapidjson::SizeType>(index)], PathStep::Index(index),
              path, depth, out);
    }
    return;
  }
  rapidjson::Document wanted;
  if (wanted.Parse(body.data(), body.size()).HasParseError()) return;
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    bool hit = entry[0] == 'k' ? MatchesKey(list[i], wanted) : list[i] == wanted;
    if (hit) Descend(child_set, list[i], PathStep::Index(i), path, depth, out);
  }
}

void Walk(const JsonValue& set, const JsonValue& node, JsonPath* path, int depth,
          std::vector<JsonPath>* out) {
  if (!set.IsObject() || depth > kMaxDepth) return;
  for (auto it = set.MemberBegin(); it != set.MemberEnd(); ++it) {
    std::string_view entry = Name(it->name);
    if (entry.size() < 2 || entry[1] != ':') continue;  // "." and anything unknown
    if (entry[0] == 'f') {
      if (const JsonValue* child = FindMember(node, entry.substr(2))) {
        Descend(it->value, *child, PathStep::Key(entry.substr(2)), path, depth, out);
      }
    } else if (entry[0] == 'k' || entry[0] == 'v' || entry[0] == 'i') {
      WalkListEntry(entry, it->value, node, path, depth, out);
    }
  }
}

}  // namespace

std::vector<const JsonValue*> FieldSetsOf(const JsonValue& live,
                                          const std::vector<std::string>& managers) {
  std::vector<const JsonValue*> sets;
  const JsonValue* entries = Find(live, "metadata.managedFields");
  if (!entries || !entries->IsArray()) return sets;
  for (const JsonValue& entry : entries->GetArray()) {
    std::string manager = MemberString(entry, "manager");
    const JsonValue* fields = FindMember(entry, "fieldsV1");
    if (fields && std::find(managers.begin(), managers.end(), manager) != managers.end()) {
      sets.push_back(fields);
    }
  }
  return sets;
}

std::vector<JsonPath> OwnedPaths(const JsonValue& field_set, const JsonValue& object) {
  std::vector<JsonPath> out;
  JsonPath path;
  Walk(field_set, object, &path, 0, &out);
  return out;
}

}  // namespace mlgitops
