// Building add-only JSON patches against a shadow copy of the object.
#include "admission/json_patch_builder.h"

namespace mlgitops {

namespace {

std::string EscapePointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char ch : token) {
    if (ch == '~') {
      out += "~0";
    } else if (ch == '/') {
      out += "~1";
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace

std::string JsonPointer(const std::vector<std::string>& path) {
  std::string pointer;
  for (const std::string& token : path) pointer += "/" + EscapePointerToken(token);
  return pointer;
}

JsonPatchBuilder::JsonPatchBuilder(const JsonValue& object) : shadow_(object, allocator_) {}

JsonValue JsonPatchBuilder::String(std::string_view text) {
  return JsonValue(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator_);
}

JsonPatchBuilder::Walk JsonPatchBuilder::Follow(const std::vector<std::string>& path) {
  Walk walk{&shadow_, 0, false};
  for (const std::string& step : path) {
    if (!walk.node->IsObject()) {
      walk.blocked = true;
      return walk;
    }
    auto it = walk.node->FindMember(String(step));
    // A null member is as good as absent: `add` replaces it.
    if (it == walk.node->MemberEnd() || it->value.IsNull()) return walk;
    walk.node = &it->value;
    ++walk.depth;
  }
  return walk;
}

void JsonPatchBuilder::AddBelow(const Walk& walk, const std::vector<std::string>& path,
                                JsonValue leaf) {
  JsonValue value = std::move(leaf);
  for (size_t i = path.size() - 1; i > walk.depth; --i) {
    JsonValue map(rapidjson::kObjectType);
    map.AddMember(String(path[i]), value, allocator_);
    value = std::move(map);
  }
  std::vector<std::string> target(path.begin(), path.begin() + walk.depth + 1);
  Emit(JsonPointer(target), value);
  auto it = walk.node->FindMember(String(path[walk.depth]));
  if (it != walk.node->MemberEnd()) {
    it->value = value;
  } else {
    walk.node->AddMember(String(path[walk.depth]), value, allocator_);
  }
}

void JsonPatchBuilder::Emit(const std::string& pointer, const JsonValue& value) {
  JsonValue op(rapidjson::kObjectType);
  op.AddMember("op", "add", allocator_);
  op.AddMember("path", String(pointer), allocator_);
  op.AddMember("value", JsonValue(value, allocator_), allocator_);
  operations_.PushBack(op, allocator_);
}

JsonPatchBuilder::Outcome JsonPatchBuilder::AddMapEntry(const std::vector<std::string>& map_path,
                                                        std::string_view key,
                                                        std::string_view value) {
  std::vector<std::string> path = map_path;
  path.emplace_back(key);
  Walk walk = Follow(path);
  if (walk.blocked) return Outcome::kBlocked;
  if (walk.depth == path.size()) return Outcome::kPresent;
  if (!walk.node->IsObject()) return Outcome::kBlocked;
  AddBelow(walk, path, String(value));
  return Outcome::kAdded;
}

JsonPatchBuilder::Outcome JsonPatchBuilder::AppendToList(const std::vector<std::string>& list_path,
                                                         std::string_view value) {
  Walk walk = Follow(list_path);
  if (walk.blocked) return Outcome::kBlocked;
  if (walk.depth == list_path.size()) {
    if (!walk.node->IsArray()) return Outcome::kBlocked;
    JsonValue item = String(value);
    Emit(JsonPointer(list_path) + "/-", item);
    walk.node->PushBack(item, allocator_);
    return Outcome::kAdded;
  }
  if (!walk.node->IsObject()) return Outcome::kBlocked;
  JsonValue list(rapidjson::kArrayType);
  list.PushBack(String(value), allocator_);
  AddBelow(walk, list_path, std::move(list));
  return Outcome::kAdded;
}

std::string JsonPatchBuilder::ToJson() const { return mlgitops::ToJson(operations_); }

}  // namespace mlgitops
