// Patch algorithms over RapidJSON trees.
#include "kubesim/patch.h"

#include <cstdlib>
#include <vector>

#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

// ---------- JSON merge patch ----------

JsonValue WithoutNulls(const JsonValue& v, JsonAllocator& a) {
  if (!v.IsObject()) return JsonValue(v, a);
  JsonValue out(rapidjson::kObjectType);
  for (const auto& m : v.GetObject()) {
    if (m.value.IsNull()) continue;
    out.AddMember(JsonValue(m.name, a), WithoutNulls(m.value, a), a);
  }
  return out;
}

// ---------- JSON pointer ----------

std::vector<std::string> PointerTokens(const std::string& pointer) {
  std::vector<std::string> tokens;
  size_t start = 1;
  while (start <= pointer.size()) {
    size_t slash = pointer.find('/', start);
    if (slash == std::string::npos) slash = pointer.size();
    std::string token = pointer.substr(start, slash - start);
    // RFC 6901: "~1" is "/", "~0" is "~"; any other "~" stays as written.
    std::string decoded;
    for (size_t i = 0; i < token.size(); ++i) {
      bool escape =
          token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1');
      if (escape) {
        decoded += token[i + 1] == '1' ? '/' : '~';
        ++i;
      } else {
        decoded += token[i];
      }
    }
    tokens.push_back(decoded);
    start = slash + 1;
  }
  return tokens;
}

bool ParseIndex(const std::string& token, size_t limit, size_t* index) {
  if (token.empty() || token.find_first_not_of("0123456789") != std::string::npos) return false;
  if (token.size() > 1 && token[0] == '0') return false;
  *index = std::strtoul(token.c_str(), nullptr, 10);
  return *index < limit;
}

// The parent container of the pointer's last token, or nullptr.
JsonValue* ResolveParent(JsonValue& root, const std::vector<std::string>& tokens) {
  JsonValue* node = &root;
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (node->IsObject()) {
      node = FindMember(*node, tokens[i]);
    } else if (node->IsArray()) {
      size_t index;
      node = ParseIndex(tokens[i], node->Size(), &index)
                 ? &(*node)[static_cast<rapidjson::SizeType>(index)]
                 : nullptr;
    } else {
      node = nullptr;
    }
    if (!node) return nullptr;
  }
  return node;
}

JsonValue* Resolve(JsonValue& root, const std::string& pointer) {
  if (pointer.empty()) return &root;
  auto tokens = PointerTokens(pointer);
  JsonValue* parent = ResolveParent(root, tokens);
  if (!parent) return nullptr;
  if (parent->IsObject()) return FindMember(*parent, tokens.back());
  size_t index;
  if (parent->IsArray() && ParseIndex(tokens.back(), parent->Size(), &index)) {
    return &(*parent)[static_cast<rapidjson::SizeType>(index)];
  }
  return nullptr;
}

Status PointerError(const std::string& op, const std::string& path) {
  return Status::InvalidArgument(op + " operation does not apply: doc is missing path: \"" + path +
                                 "\": missing value");
}

Status RemoveAt(JsonValue& root, const std::string& path, JsonValue* removed, JsonAllocator& a) {
  auto tokens = PointerTokens(path);
  JsonValue* parent = path.empty() ? nullptr : ResolveParent(root, tokens);
  if (!parent) return PointerError("remove", path);
  if (parent->IsObject()) {
    JsonValue* v = FindMember(*parent, tokens.back());
    if (!v) return PointerError("remove", path);
    if (removed) *removed = JsonValue(*v, a);
    RemoveMember(*parent, tokens.back());
    return Status::OK();
  }
  size_t index;
  if (!parent->IsArray() || !ParseIndex(tokens.back(), parent->Size(), &index)) {
    return PointerError("remove", path);
  }
  if (removed) *removed = JsonValue((*parent)[static_cast<rapidjson::SizeType>(index)], a);
  parent->Erase(parent->Begin() + index);
  return Status::OK();
}

Status AddAt(JsonValue& root, const std::string& path, JsonValue value, JsonAllocator& a) {
  if (path.empty()) {
    root = std::move(value);
    return Status::OK();
  }
  auto tokens = PointerTokens(path);
  JsonValue* parent = ResolveParent(root, tokens);
  if (!parent) return PointerError("add", path);
  if (parent->IsObject()) {
    SetMember(*parent, tokens.back(), std::move(value), a);
    return Status::OK();
  }
  if (!parent->IsArray()) return PointerError("add", path);
  if (tokens.back() == "-") {
    parent->PushBack(value, a);
    return Status::OK();
  }
  size_t index;
  if (!ParseIndex(tokens.back(), parent->Size() + 1, &index)) return PointerError("add", path);
  parent->PushBack(JsonValue(), a);
  for (size_t i = parent->Size() - 1; i > index; --i) {
    (*parent)[static_cast<rapidjson::SizeType>(i)] =
        std::move((*parent)[static_cast<rapidjson::SizeType>(i - 1)]);
  }
  (*parent)[static_cast<rapidjson::SizeType>(index)] = std::move(value);
  return Status::OK();
}

// A JSON pointer is "" (the whole document) or a sequence of "/token".
bool IsPointer(const JsonValue* v) {
  return v && v->IsString() && (v->GetStringLength() == 0 || v->GetString()[0] == '/');
}

Status ApplyOneOperation(JsonValue& target, const JsonValue& op, JsonAllocator& a) {
  std::string name = GetString(op, "op");
  if (!IsPointer(FindMember(op, "path"))) {
    return Status::InvalidArgument(name + " operation: missing or malformed path");
  }
  if ((name == "move" || name == "copy") && !IsPointer(FindMember(op, "from"))) {
    return Status::InvalidArgument(name + " operation: missing or malformed from");
  }
  std::string path = GetString(op, "path");
  const JsonValue* value = FindMember(op, "value");
  if (name == "add" || name == "replace") {
    if (!value) return Status::InvalidArgument("jsonpatch " + name + " operation has no value");
    if (name == "replace" && !Resolve(target, path)) return PointerError(name, path);
    if (name == "replace") {
      *Resolve(target, path) = JsonValue(*value, a);
      return Status::OK();
    }
    return AddAt(target, path, JsonValue(*value, a), a);
  }
  if (name == "remove") return RemoveAt(target, path, nullptr, a);
  if (name == "move" || name == "copy") {
    std::string from = GetString(op, "from");
    JsonValue moved;
    if (name == "move") {
      Status s = RemoveAt(target, from, &moved, a);
      if (!s.ok()) return s;
    } else {
      JsonValue* source = Resolve(target, from);
      if (!source) return PointerError(name, from);
      moved = JsonValue(*source, a);
    }
    return AddAt(target, path, std::move(moved), a);
  }
  if (name == "test") {
    JsonValue* current = Resolve(target, path);
    if (!current || !value || *current != *value) {
      return Status::InvalidArgument("testing value " + path + " failed: test failed");
    }
    return Status::OK();
  }
  return Status::InvalidArgument("Unexpected kind: " + name);
}

// ---------- strategic merge patch ----------

Status StrategicMerge(JsonValue& target, const JsonValue& patch, const MergeSchema& schema,
                      const std::string& path, JsonAllocator& a);

// A patch value with directives stripped, for fields the target does not have yet.
JsonValue CleanCopy(const JsonValue& v, JsonAllocator& a) {
  if (v.IsObject()) {
    JsonValue out(rapidjson::kObjectType);
    for (const auto& m : v.GetObject()) {
      std::string_view key = View(m.name);
      if (!key.empty() && key[0] == '$') continue;
      if (m.value.IsNull()) continue;
      out.AddMember(JsonValue(m.name, a), CleanCopy(m.value, a), a);
    }
    return out;
  }
  if (v.IsArray()) {
    JsonValue out(rapidjson::kArrayType);
    for (const auto& e : v.GetArray()) {
      if (e.IsObject() && e.HasMember("$patch")) continue;
      out.PushBack(CleanCopy(e, a), a);
    }
    return out;
  }
  return JsonValue(v, a);
}

int FindKeyed(const JsonValue& list, const ListStrategy& s, const std::string& key) {
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    if (ItemKey(s, list[i], true) == key) return static_cast<int>(i);
  }
  return -1;
}

Status MergeList(JsonValue& target, const JsonValue& patch, const MergeSchema& schema,
                 const std::string& path, JsonAllocator& a) {
  ListStrategy s = schema.ForList(path, patch.Size() ? patch : target);
  if (s.kind == ListStrategy::Kind::kAtomic || !target.IsArray()) {
    target = CleanCopy(patch, a);
    return Status::OK();
  }
  if (s.kind == ListStrategy::Kind::kSet) {
    for (const auto& e : patch.GetArray()) {
      bool present = false;
      for (const auto& t : target.GetArray()) present = present || t == e;
      if (!present) target.PushBack(JsonValue(e, a), a);
    }
    return Status::OK();
  }
  for (const auto& item : patch.GetArray()) {
    if (item.IsObject() && GetString(item, "$patch") == "replace") {
      target = CleanCopy(patch, a);
      return Status::OK();
    }
  }
  for (const auto& item : patch.GetArray()) {
    std::string key = ItemKey(s, item, true);
    if (key.empty()) {
      return Status::InvalidArgument("map: " + ToJson(item) +
                                     " does not contain declared merge "
                                     "key: " +
                                     s.keys.front());
    }
    int at = FindKeyed(target, s, key);
    std::string directive = GetString(item, "$patch");
    if (directive == "delete") {
      if (at >= 0) target.Erase(target.Begin() + at);
      continue;
    }
    if (at < 0) {
      target.PushBack(CleanCopy(item, a), a);
      continue;
    }
    Status st = StrategicMerge(target[static_cast<rapidjson::SizeType>(at)], item, schema, path, a);
    if (!st.ok()) return st;
  }
  return Status::OK();
}

void DeleteFromPrimitiveList(JsonValue& target, const std::string& field, const JsonValue& values) {
  JsonValue* list = FindMember(target, field);
  if (!list || !list->IsArray() || !values.IsArray()) return;
  for (const auto& v : values.GetArray()) {
    for (auto it = list->Begin(); it != list->End();) {
      it = *it == v ? list->Erase(it) : it + 1;
    }
  }
}

void RetainKeys(JsonValue& target, const JsonValue& keys) {
  if (!keys.IsArray() || !target.IsObject()) return;
  for (auto it = target.MemberBegin(); it != target.MemberEnd();) {
    bool keep = false;
    for (const auto& k : keys.GetArray()) keep = keep || View(k) == View(it->name);
    it = keep ? it + 1 : target.EraseMember(it);
  }
}

Status StrategicMerge(JsonValue& target, const JsonValue& patch, const MergeSchema& schema,
                      const std::string& path, JsonAllocator& a) {
  if (!patch.IsObject()) {
    target = JsonValue(patch, a);
    return Status::OK();
  }
  std::string directive = GetString(patch, "$patch");
  if (directive == "replace" || !target.IsObject()) {
    target = CleanCopy(patch, a);
    return Status::OK();
  }
  if (directive == "delete") {
    target.SetObject();
    return Status::OK();
  }
  for (const auto& m : patch.GetObject()) {
    std::string key(View(m.name));
    const std::string kDelete = "$deleteFromPrimitiveList/";
    if (key.rfind(kDelete, 0) == 0) {
      DeleteFromPrimitiveList(target, key.substr(kDelete.size()), m.value);
      continue;
    }
    if (key.empty() || key[0] == '$') continue;
    std::string child_path = ChildPath(path, key);
    JsonValue* existing = FindMember(target, key);
    if (m.value.IsNull()) {
      RemoveMember(target, key);
    } else if (m.value.IsObject() && GetString(m.value, "$patch") == "delete") {
      RemoveMember(target, key);
    } else if (m.value.IsObject() && existing && existing->IsObject()) {
      Status s = StrategicMerge(*existing, m.value, schema, child_path, a);
      if (!s.ok()) return s;
    } else if (m.value.IsArray() && existing && existing->IsArray()) {
      Status s = MergeList(*existing, m.value, schema, child_path, a);
      if (!s.ok()) return s;
    } else {
      SetMember(target, key, CleanCopy(m.value, a), a);
    }
  }
  if (const JsonValue* retain = FindMember(patch, "$retainKeys")) RetainKeys(target, *retain);
  return Status::OK();
}

}  // namespace

void ApplyMergePatch(JsonValue& target, const JsonValue& patch, JsonAllocator& a) {
  if (!patch.IsObject()) {
    target = JsonValue(patch, a);
    return;
  }
  if (!target.IsObject()) target.SetObject();
  for (const auto& m : patch.GetObject()) {
    std::string_view key = View(m.name);
    if (m.value.IsNull()) {
      RemoveMember(target, key);
      continue;
    }
    JsonValue* existing = FindMember(target, key);
    if (m.value.IsObject() && existing && existing->IsObject()) {
      ApplyMergePatch(*existing, m.value, a);
    } else {
      SetMember(target, key, WithoutNulls(m.value, a), a);
    }
  }
}

Status ApplyJsonPatch(JsonValue& target, const JsonValue& operations, JsonAllocator& a) {
  if (!operations.IsArray()) {
    return Status::InvalidArgument(
        "json: cannot unmarshal object into Go value of type "
        "jsonpatch.Patch");
  }
  for (const auto& op : operations.GetArray()) {
    if (!op.IsObject()) return Status::InvalidArgument("jsonpatch: operation is not an object");
    Status s = ApplyOneOperation(target, op, a);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status ApplyStrategicMergePatch(JsonValue& target, const JsonValue& patch,
                                const MergeSchema& schema, JsonAllocator& a) {
  if (!patch.IsObject()) return Status::InvalidArgument("strategic merge patch must be an object");
  return StrategicMerge(target, patch, schema, "", a);
}

}  // namespace mlgitops::kubesim
