// fasttemplate substitution, the walk over a template tree, name helpers and templatePatch merging.
#include "appset/template.h"

#include <cctype>
#include <vector>

#include "appset/go_template.h"

namespace mlgitops {

namespace {

std::string Trimmed(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// How a parameter value reads inside a larger string.
std::string ScalarText(const JsonValue& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsNumber()) return FormatFloat(v.GetDouble());
  if (v.IsNull()) return "";
  return ToJson(v);
}

const JsonValue* FindFlat(const JsonValue& params, const std::string& key) {
  if (!params.IsObject()) return nullptr;
  auto it = params.FindMember(JsonValue(rapidjson::StringRef(key.data(), key.size())));
  return it == params.MemberEnd() ? nullptr : &it->value;
}

Result<std::string> RenderFast(std::string_view text, const JsonValue& params,
                               const TemplateOptions& options) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      // A trailing "{{" with nothing after it is plain text; an unfinished tag is an error.
      if (!Trimmed(text.substr(open + 2)).empty()) {
        return Status::InvalidArgument("unclosed tag \"" + std::string(text.substr(open, 40)) +
                                       "\": expected \"}}\"");
      }
      break;
    }
    out.append(text.substr(pos, open - pos));
    std::string_view tag = text.substr(open + 2, close - open - 2);
    std::string key = Trimmed(tag);
    const JsonValue* value = key.empty() ? nullptr : FindFlat(params, key);
    if (value) {
      out += ScalarText(*value);
    } else if (!key.empty() && options.StrictMissing()) {
      return Status::InvalidArgument("missing parameter \"" + key + "\"");
    } else {
      out.append(text.substr(open, close + 2 - open));  // kept as written
    }
    pos = close + 2;
  }
  out.append(text.substr(pos));
  return out;
}

// The parameter a string consists of exactly, when it is a number or a boolean.
const JsonValue* TypedSingleParam(std::string_view text, const JsonValue& params,
                                  const TemplateOptions& options) {
  const JsonValue* value = nullptr;
  if (options.go_template) {
    value = SingleGoField(text, params);
  } else if (text.size() >= 4 && text.substr(0, 2) == "{{" &&
             text.substr(text.size() - 2) == "}}" && text.find("{{", 2) == std::string_view::npos) {
    std::string key = Trimmed(text.substr(2, text.size() - 4));
    if (!key.empty()) value = FindFlat(params, key);
  }
  return value && (value->IsNumber() || value->IsBool()) ? value : nullptr;
}

Status RenderNode(JsonValue* node, JsonAllocator& allocator, const JsonValue& params,
                  const TemplateOptions& options, const std::string& path);

Status RenderStringNode(JsonValue* node, JsonAllocator& allocator, const JsonValue& params,
                        const TemplateOptions& options, const std::string& path) {
  std::string_view text(node->GetString(), node->GetStringLength());
  if (text.find("{{") == std::string_view::npos) return Status::OK();
  if (const JsonValue* typed = TypedSingleParam(text, params, options)) {
    node->CopyFrom(*typed, allocator);
    return Status::OK();
  }
  auto rendered = RenderTemplateString(text, params, options);
  if (!rendered.ok()) return rendered.status().Prefixed(path);
  node->SetString(rendered->data(), static_cast<rapidjson::SizeType>(rendered->size()), allocator);
  return Status::OK();
}

Status RenderNode(JsonValue* node, JsonAllocator& allocator, const JsonValue& params,
                  const TemplateOptions& options, const std::string& path) {
  if (node->IsString()) return RenderStringNode(node, allocator, params, options, path);
  if (node->IsArray()) {
    size_t index = 0;
    for (auto& item : node->GetArray()) {
      Status s =
          RenderNode(&item, allocator, params, options, path + "[" + std::to_string(index++) + "]");
      if (!s.ok()) return s;
    }
    return Status::OK();
  }
  if (!node->IsObject()) return Status::OK();
  for (auto& member : node->GetObject()) {
    std::string key(member.name.GetString(), member.name.GetStringLength());
    std::string child = path.empty() ? key : path + "." + key;
    if (key.find("{{") != std::string::npos) {
      auto rendered = RenderTemplateString(key, params, options);
      if (!rendered.ok()) return rendered.status().Prefixed(child + " (key)");
      member.name.SetString(rendered->data(), static_cast<rapidjson::SizeType>(rendered->size()),
                            allocator);
    }
    Status s = RenderNode(&member.value, allocator, params, options, child);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

Result<std::string> RenderTemplateString(std::string_view text, const JsonValue& params,
                                         const TemplateOptions& options) {
  if (options.go_template) return RenderGoTemplate(text, params, options);
  return RenderFast(text, params, options);
}

Status RenderTree(JsonValue* tree, JsonAllocator& allocator, const JsonValue& params,
                  const TemplateOptions& options) {
  return RenderNode(tree, allocator, params, options, "");
}

std::string NormalizeName(std::string_view text) {
  std::string out;
  for (char c : text) {
    char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += IsNameChar(lower) || lower == '-' || lower == '.' ? lower : '-';
  }
  if (out.size() > 253) out.resize(253);
  size_t b = out.find_first_not_of("-.");
  if (b == std::string::npos) return "";
  return out.substr(b, out.find_last_not_of("-.") - b + 1);
}

std::string Slugify(std::string_view text, size_t max_size, bool smart_truncate) {
  std::vector<std::string> words(1);
  for (char c : text) {
    char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (IsNameChar(lower)) {
      words.back() += lower;
    } else if (!words.back().empty()) {
      words.emplace_back();
    }
  }
  if (words.back().empty()) words.pop_back();
  std::string slug;
  for (const auto& w : words) slug += (slug.empty() ? "" : "-") + w;
  if (max_size == 0 || slug.size() <= max_size) return slug;
  if (!smart_truncate) {
    slug.resize(max_size);
    while (!slug.empty() && slug.back() == '-') slug.pop_back();
    return slug;
  }
  std::string cut;
  for (const auto& w : words) {
    size_t grown = cut.size() + (cut.empty() ? 0 : 1) + w.size();
    if (grown > max_size) break;
    cut += (cut.empty() ? "" : "-") + w;
  }
  return cut;
}

void MergePatch(JsonValue* target, const JsonValue& patch, JsonAllocator& allocator) {
  if (!patch.IsObject() || !target->IsObject()) {
    target->CopyFrom(patch, allocator);
    return;
  }
  for (const auto& member : patch.GetObject()) {
    auto existing = target->FindMember(member.name);
    if (member.value.IsNull()) {
      if (existing != target->MemberEnd()) target->RemoveMember(existing);
      continue;
    }
    if (existing == target->MemberEnd()) {
      target->AddMember(JsonValue(member.name, allocator), JsonValue(member.value, allocator),
                        allocator);
      continue;
    }
    MergePatch(&existing->value, member.value, allocator);
  }
}

}  // namespace mlgitops
