// Object accessors and JSON path helpers.
#include "object/object.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdlib>

namespace mlgitops {

namespace {
constexpr size_t kObjectPoolChunk = 4096;

JsonValue Str(std::string_view s, JsonAllocator& a) {
  return JsonValue(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

}  // namespace

std::unique_ptr<JsonAllocator> NewObjectAllocator() {
  return std::make_unique<JsonAllocator>(kObjectPoolChunk);
}

std::string ObjectRef::ToString() const {
  std::string out = group.empty() ? kind : group + "/" + kind;
  out += ' ';
  if (!namespace_.empty()) out += namespace_ + "/";
  out += name;
  return out;
}

Object::Object() : allocator_(NewObjectAllocator()), root_(rapidjson::kObjectType) {}

Object::Object(std::unique_ptr<JsonAllocator> allocator, JsonValue&& value, std::string origin)
    : allocator_(std::move(allocator)), origin_(std::move(origin)) {
  root_.Swap(value);
}

Object Object::Clone() const {
  auto alloc = NewObjectAllocator();
  JsonValue copy(root_, *alloc);
  return Object(std::move(alloc), std::move(copy), origin_);
}

std::string Object::api_version() const { return GetString(root_, "apiVersion"); }

std::string Object::group() const {
  std::string av = api_version();
  auto slash = av.find('/');
  return slash == std::string::npos ? "" : av.substr(0, slash);
}

std::string Object::version() const {
  std::string av = api_version();
  auto slash = av.find('/');
  return slash == std::string::npos ? av : av.substr(slash + 1);
}

std::string Object::kind() const { return GetString(root_, "kind"); }

std::string Object::name() const {
  std::string n = GetString(root_, "metadata.name");
  return n.empty() ? GetString(root_, "metadata.generateName") : n;
}

std::string Object::namespace_() const { return GetString(root_, "metadata.namespace"); }

ObjectRef Object::ref() const { return ObjectRef{group(), kind(), namespace_(), name()}; }

static std::optional<std::string> StringInMap(const JsonValue& root, const char* map_path,
                                              std::string_view key) {
  const JsonValue* m = Find(root, map_path);
  if (!m || !m->IsObject()) return std::nullopt;
  for (auto it = m->MemberBegin(); it != m->MemberEnd(); ++it) {
    if (std::string_view(it->name.GetString(), it->name.GetStringLength()) == key) {
      if (!it->value.IsString()) return std::nullopt;
      return std::string(it->value.GetString(), it->value.GetStringLength());
    }
  }
  return std::nullopt;
}

std::optional<std::string> Object::label(std::string_view key) const {
  return StringInMap(root_, "metadata.labels", key);
}

std::optional<std::string> Object::annotation(std::string_view key) const {
  return StringInMap(root_, "metadata.annotations", key);
}

static JsonValue& EnsureMember(JsonValue& parent, std::string_view key, rapidjson::Type type,
                               JsonAllocator& a) {
  auto it = parent.FindMember(Str(key, a));
  if (it != parent.MemberEnd()) {
    if (type == rapidjson::kObjectType && !it->value.IsObject()) it->value.SetObject();
    return it->value;
  }
  parent.AddMember(Str(key, a), JsonValue(type), a);
  return (parent.MemberEnd() - 1)->value;
}

void Object::SetAnnotation(std::string_view key, std::string_view value) {
  if (!root_.IsObject()) root_.SetObject();
  JsonValue& meta = EnsureMember(root_, "metadata", rapidjson::kObjectType, *allocator_);
  JsonValue& ann = EnsureMember(meta, "annotations", rapidjson::kObjectType, *allocator_);
  auto it = ann.FindMember(Str(key, *allocator_));
  if (it != ann.MemberEnd()) {
    it->value = Str(value, *allocator_);
  } else {
    ann.AddMember(Str(key, *allocator_), Str(value, *allocator_), *allocator_);
  }
}

void Object::SetNamespace(std::string_view ns) {
  if (!root_.IsObject()) root_.SetObject();
  JsonValue& meta = EnsureMember(root_, "metadata", rapidjson::kObjectType, *allocator_);
  auto it = meta.FindMember("namespace");
  if (it != meta.MemberEnd()) {
    it->value = Str(ns, *allocator_);
  } else {
    meta.AddMember("namespace", Str(ns, *allocator_), *allocator_);
  }
}

void Object::ClearNamespace() {
  JsonValue* meta = const_cast<JsonValue*>(Find(root_, "metadata"));
  if (meta && meta->IsObject()) meta->RemoveMember("namespace");
}

const JsonValue* Find(const JsonValue& v, std::string_view path) {
  const JsonValue* cur = &v;
  while (!path.empty()) {
    if (!cur->IsObject()) return nullptr;
    size_t dot = path.find('.');
    std::string_view step = path.substr(0, dot);
    const JsonValue* next = nullptr;
    for (auto it = cur->MemberBegin(); it != cur->MemberEnd(); ++it) {
      if (std::string_view(it->name.GetString(), it->name.GetStringLength()) == step) {
        next = &it->value;
        break;
      }
    }
    if (!next) return nullptr;
    cur = next;
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  return cur;
}

std::string GetString(const JsonValue& v, std::string_view path, std::string_view fallback) {
  const JsonValue* f = Find(v, path);
  if (!f || !f->IsString()) return std::string(fallback);
  return std::string(f->GetString(), f->GetStringLength());
}

std::optional<int64_t> GetInt(const JsonValue& v, std::string_view path) {
  const JsonValue* f = Find(v, path);
  if (!f) return std::nullopt;
  if (f->IsInt64()) return f->GetInt64();
  if (f->IsUint64()) return static_cast<int64_t>(f->GetUint64());
  if (f->IsDouble()) {
    double d = f->GetDouble();
    if (std::floor(d) == d && std::fabs(d) < 9.2e18) return static_cast<int64_t>(d);
    return std::nullopt;
  }
  if (f->IsString()) {
    const char* s = f->GetString();
    if (*s == '\0') return std::nullopt;
    char* end = nullptr;
    long long n = std::strtoll(s, &end, 10);
    if (end && *end == '\0') return n;
  }
  return std::nullopt;
}

std::optional<double> GetNumber(const JsonValue& v, std::string_view path) {
  const JsonValue* f = Find(v, path);
  if (!f || !f->IsNumber()) return std::nullopt;
  return f->GetDouble();
}

std::optional<bool> GetBool(const JsonValue& v, std::string_view path) {
  const JsonValue* f = Find(v, path);
  if (!f || !f->IsBool()) return std::nullopt;
  return f->GetBool();
}

const JsonValue* FindCondition(const JsonValue& v, std::string_view type,
                               std::string_view array_path) {
  const JsonValue* conds = Find(v, array_path);
  if (!conds || !conds->IsArray()) return nullptr;
  for (const auto& c : conds->GetArray()) {
    if (c.IsObject() && MemberString(c, "type") == type) return &c;
  }
  return nullptr;
}

std::string MemberString(const JsonValue& v, const char* member) {
  if (!v.IsObject()) return "";
  auto it = v.FindMember(member);
  if (it == v.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::string ToJson(const JsonValue& v, bool pretty) {
  rapidjson::StringBuffer buf;
  if (pretty) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.SetIndent(' ', 2);
    v.Accept(w);
  } else {
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
  }
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace mlgitops
