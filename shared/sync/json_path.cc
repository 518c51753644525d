// JSON paths: ordering, printing, pointer resolution and removal.
#include "sync/json_path.h"

#include <algorithm>

namespace mlgitops {

bool PathStep::operator<(const PathStep& o) const {
  if (is_index != o.is_index) return is_index < o.is_index;
  return is_index ? index < o.index : key < o.key;
}

bool PathStep::operator==(const PathStep& o) const {
  return is_index == o.is_index && (is_index ? index == o.index : key == o.key);
}

std::string PathToString(const JsonPath& path) {
  std::string out;
  for (const PathStep& step : path) {
    if (step.is_index) {
      out.append("[").append(std::to_string(step.index)).append("]");
    } else {
      if (!out.empty()) out.push_back('.');
      out.append(step.key);
    }
  }
  return out;
}

JsonValue* FindMember(JsonValue& object, std::string_view name) {
  return const_cast<JsonValue*>(FindMember(static_cast<const JsonValue&>(object), name));
}

const JsonValue* FindMember(const JsonValue& object, std::string_view name) {
  if (!object.IsObject()) return nullptr;
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    if (std::string_view(it->name.GetString(), it->name.GetStringLength()) == name) {
      return &it->value;
    }
  }
  return nullptr;
}

namespace {

JsonValue* Step(JsonValue* node, const PathStep& step) {
  if (step.is_index) {
    return node->IsArray() && step.index < node->Size()
               ? &(*node)[static_cast<rapidjson::SizeType>(step.index)]
               : nullptr;
  }
  return FindMember(*node, step.key);
}

void Erase(JsonValue* parent, const PathStep& step) {
  if (step.is_index) {
    parent->Erase(parent->Begin() + static_cast<rapidjson::SizeType>(step.index));
  } else {
    parent->EraseMember(parent->FindMember(
        rapidjson::StringRef(step.key.data(), static_cast<rapidjson::SizeType>(step.key.size()))));
  }
}

void RemovePath(JsonValue* root, const JsonPath& path) {
  std::vector<JsonValue*> chain{root};  // chain[i] is the node at path[0..i)
  for (const PathStep& step : path) {
    JsonValue* next = Step(chain.back(), step);
    if (!next) return;
    chain.push_back(next);
  }
  Erase(chain[path.size() - 1], path.back());
  // A map emptied by the removal goes too: `annotations: {}` would otherwise differ from an
  // absent map although nothing but ignored fields distinguished them. List items stay.
  for (size_t depth = path.size() - 1; depth > 0; --depth) {
    JsonValue* node = chain[depth];
    if (!node->IsObject() || node->MemberCount() != 0 || path[depth - 1].is_index) break;
    Erase(chain[depth - 1], path[depth - 1]);
  }
}

}  // namespace

void RemovePaths(JsonValue* root, std::vector<JsonPath> paths) {
  // Sorted descending, a longer path comes before its prefix and a higher index before a lower.
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  for (auto it = paths.rbegin(); it != paths.rend(); ++it) {
    if (!it->empty()) RemovePath(root, *it);
  }
}

namespace {

Result<std::string> UnescapeToken(std::string_view token, std::string_view pointer) {
  std::string out;
  for (size_t i = 0; i < token.size(); ++i) {
    if (token[i] != '~') {
      out.push_back(token[i]);
    } else if (i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      out.push_back(token[++i] == '0' ? '~' : '/');
    } else {
      return Status::InvalidArgument("jsonPointer \"" + std::string(pointer) +
                                     "\": '~' must be followed by 0 or 1");
    }
  }
  return out;
}

std::optional<size_t> ArrayIndex(const std::string& token) {
  if (token.empty() || token.size() > 18 || (token.size() > 1 && token[0] == '0')) {
    return std::nullopt;
  }
  size_t value = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<size_t>(c - '0');
  }
  return value;
}

}  // namespace

Result<std::optional<JsonPath>> ResolveJsonPointer(const JsonValue& root,
                                                   std::string_view pointer) {
  if (pointer.empty() || pointer[0] != '/') {
    return Status::InvalidArgument("jsonPointer \"" + std::string(pointer) +
                                   "\": must start with '/' (the whole object cannot be ignored)");
  }
  JsonPath path;
  const JsonValue* node = &root;
  size_t pos = 1;
  while (true) {
    size_t slash = pointer.find('/', pos);
    std::string_view raw =
        pointer.substr(pos, slash == std::string_view::npos ? slash : slash - pos);
    Result<std::string> token = UnescapeToken(raw, pointer);
    if (!token.ok()) return token.status();
    if (node && node->IsArray()) {
      std::optional<size_t> index = ArrayIndex(*token);
      node = index && *index < node->Size() ? &(*node)[static_cast<rapidjson::SizeType>(*index)]
                                            : nullptr;
      path.push_back(PathStep::Index(index.value_or(0)));
    } else {
      node = node ? FindMember(*node, *token) : nullptr;
      path.push_back(PathStep::Key(*token));
    }
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  if (!node) return std::optional<JsonPath>();
  return std::optional<JsonPath>(std::move(path));
}

}  // namespace mlgitops
