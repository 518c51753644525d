// JSON parsing with limits and small tree-editing helpers.
#include "kubesim/json_util.h"

#include <rapidjson/error/en.h>

#include <utility>
#include <vector>

#include "object/yaml_loader.h"

namespace mlgitops::kubesim {

namespace {

std::vector<std::string_view> SplitDots(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    if (dot == std::string_view::npos) dot = path.size();
    parts.push_back(path.substr(start, dot - start));
    start = dot + 1;
  }
  return parts;
}

}  // namespace

Result<Object> ParseJson(std::string_view text, const std::string& origin) {
  auto alloc = NewObjectAllocator();
  rapidjson::GenericDocument<rapidjson::UTF8<>, JsonAllocator> doc(alloc.get());
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    return Status::InvalidArgument(origin + ": invalid JSON at offset " +
                                   std::to_string(doc.GetErrorOffset()) + ": " +
                                   rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (JsonDepth(doc) > kMaxJsonDepth) {
    return Status::LimitExceeded(origin + ": JSON nested deeper than " +
                                 std::to_string(kMaxJsonDepth) + " levels");
  }
  JsonValue root;
  root.Swap(doc);
  return Object(std::move(alloc), std::move(root), origin);
}

Result<Object> ParseJsonOrYaml(std::string_view text, const std::string& origin) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') return ParseJson(text, origin);
  LoadLimits limits;
  limits.max_depth = kMaxJsonDepth;
  auto docs = ParseYamlStream(text, origin, limits);
  if (!docs.ok()) return docs.status();
  if (docs->size() != 1) {
    return Status::InvalidArgument(origin + ": expected exactly one YAML document, found " +
                                   std::to_string(docs->size()));
  }
  return std::move((*docs)[0]);
}

int JsonDepth(const JsonValue& v) {
  std::vector<std::pair<const JsonValue*, int>> stack{{&v, 0}};
  int deepest = 0;
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    if (depth > deepest) deepest = depth;
    if (node->IsObject()) {
      for (auto& m : node->GetObject()) stack.push_back({&m.value, depth + 1});
    } else if (node->IsArray()) {
      for (auto& e : node->GetArray()) stack.push_back({&e, depth + 1});
    }
  }
  return deepest;
}

JsonValue Str(std::string_view s, JsonAllocator& a) {
  return JsonValue(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

std::string_view View(const JsonValue& v) {
  if (!v.IsString()) return {};
  return std::string_view(v.GetString(), v.GetStringLength());
}

JsonValue* FindMember(JsonValue& obj, std::string_view key) {
  if (!obj.IsObject()) return nullptr;
  for (auto& m : obj.GetObject()) {
    if (View(m.name) == key) return &m.value;
  }
  return nullptr;
}

const JsonValue* FindMember(const JsonValue& obj, std::string_view key) {
  return FindMember(const_cast<JsonValue&>(obj), key);
}

JsonValue* FindMutable(JsonValue& v, std::string_view dotted_path) {
  JsonValue* node = &v;
  for (std::string_view part : SplitDots(dotted_path)) {
    node = FindMember(*node, part);
    if (!node) return nullptr;
  }
  return node;
}

void SetMember(JsonValue& obj, std::string_view key, JsonValue value, JsonAllocator& a) {
  if (!obj.IsObject()) obj.SetObject();
  if (JsonValue* existing = FindMember(obj, key)) {
    *existing = std::move(value);
    return;
  }
  obj.AddMember(Str(key, a), value, a);
}

void SetString(JsonValue& obj, std::string_view key, std::string_view value, JsonAllocator& a) {
  SetMember(obj, key, Str(value, a), a);
}

void SetInt(JsonValue& obj, std::string_view key, int64_t value, JsonAllocator& a) {
  SetMember(obj, key, JsonValue(static_cast<int64_t>(value)), a);
}

JsonValue& EnsureObject(JsonValue& obj, std::string_view key, JsonAllocator& a) {
  JsonValue* existing = FindMember(obj, key);
  if (existing && existing->IsObject()) return *existing;
  SetMember(obj, key, JsonValue(rapidjson::kObjectType), a);
  return *FindMember(obj, key);
}

void SetPath(JsonValue& root, std::string_view dotted_path, JsonValue value, JsonAllocator& a) {
  auto parts = SplitDots(dotted_path);
  JsonValue* node = &root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) node = &EnsureObject(*node, parts[i], a);
  SetMember(*node, parts.back(), std::move(value), a);
}

bool RemoveMember(JsonValue& obj, std::string_view key) {
  if (!obj.IsObject()) return false;
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    if (View(it->name) == key) {
      obj.EraseMember(it);
      return true;
    }
  }
  return false;
}

void RemovePath(JsonValue& root, std::string_view dotted_path) {
  size_t dot = dotted_path.rfind('.');
  if (dot == std::string_view::npos) {
    RemoveMember(root, dotted_path);
    return;
  }
  if (JsonValue* parent = FindMutable(root, dotted_path.substr(0, dot))) {
    RemoveMember(*parent, dotted_path.substr(dot + 1));
  }
}

Object CopyToObject(const JsonValue& v) {
  auto alloc = NewObjectAllocator();
  JsonValue copy(v, *alloc);
  return Object(std::move(alloc), std::move(copy), "");
}

void AppendJsonString(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 15];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

}  // namespace mlgitops::kubesim
