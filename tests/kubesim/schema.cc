// Structural schemas: CRD-side checks, pruning, defaulting and value validation of custom
// resources. Messages follow kube-openapi's validate package as apiextensions-apiserver turns
// them into field errors ("spec.replicas in body must be of type integer: \"string\"").
#include "kubesim/schema.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <regex>
#include <set>

#include "kubesim/field_causes.h"
#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

constexpr int kMaxSchemaDepth = 64;

bool Flag(const JsonValue& s, const char* key) {
  const JsonValue* v = FindMember(s, key);
  return v && v->IsBool() && v->GetBool();
}

std::string TypeOf(const JsonValue& s) {
  const JsonValue* t = FindMember(s, "type");
  return t && t->IsString() ? t->GetString() : "";
}

const JsonValue* Properties(const JsonValue& s) {
  const JsonValue* p = FindMember(s, "properties");
  return p && p->IsObject() ? p : nullptr;
}

// additionalProperties as a schema (nullptr when absent, boolean or malformed).
const JsonValue* AdditionalSchema(const JsonValue& s) {
  const JsonValue* p = FindMember(s, "additionalProperties");
  return p && p->IsObject() ? p : nullptr;
}

const JsonValue* Items(const JsonValue& s) {
  const JsonValue* p = FindMember(s, "items");
  return p && p->IsObject() ? p : nullptr;
}

std::string Child(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string GoFloat(double d) {
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  if (d == std::floor(d) && std::fabs(d) < 1e21) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f", d);
    return buf;
  }
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  return buf;
}

std::string NumberText(const JsonValue& v) {
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  return GoFloat(v.GetDouble());
}

// Go's %#v of an unstructured value, as field errors print maps and slices.
std::string GoSyntax(const JsonValue& v, int depth) {
  if (depth > 32) return "...";
  if (v.IsNull()) return "interface {}(nil)";
  if (v.IsString()) return Quote(View(v));
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  if (v.IsNumber()) {
    std::string n = NumberText(v);
    return v.IsInt64() || v.IsUint64() ? n : n;
  }
  std::string out;
  if (v.IsArray()) {
    out = "[]interface {}{";
    bool first = true;
    for (const auto& item : v.GetArray()) {
      out += (first ? "" : ", ") + GoSyntax(item, depth + 1);
      first = false;
    }
    return out + "}";
  }
  // Go prints map keys sorted.
  std::vector<std::pair<std::string, const JsonValue*>> members;
  for (const auto& m : v.GetObject()) members.emplace_back(std::string(View(m.name)), &m.value);
  std::sort(members.begin(), members.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  out = "map[string]interface {}{";
  bool first = true;
  for (const auto& [k, value] : members) {
    out += (first ? "" : ", ") + Quote(k) + ":" + GoSyntax(*value, depth + 1);
    first = false;
  }
  return out + "}";
}

size_t Runes(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool Matches(const std::string& pattern, std::string_view value) {
  if (pattern.size() > 4096 || value.size() > 256 * 1024) return false;
  try {
    std::regex re(pattern, std::regex::ECMAScript);
    return std::regex_search(value.begin(), value.end(), re);
  } catch (const std::regex_error&) {
    return true;  // an unusable pattern is refused with the CRD; never fail writes over it
  }
}

bool ValidFormat(const std::string& format, const JsonValue& v) {
  static const std::regex kUuid(
      "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
  static const std::regex kDate("^[0-9]{4}-[0-9]{2}-[0-9]{2}$");
  static const std::regex kDateTime(
      "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt "
      "][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$");
  static const std::regex kIpv4(
      "^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]"
      "?[0-9])$");
  static const std::regex kByte("^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$");
  if (v.IsString()) {
    std::string s(View(v));
    if (format == "uuid") return std::regex_match(s, kUuid);
    if (format == "date") return std::regex_match(s, kDate);
    if (format == "date-time") return std::regex_match(s, kDateTime);
    if (format == "ipv4") return std::regex_match(s, kIpv4);
    if (format == "byte") return std::regex_match(s, kByte);
    return true;
  }
  if (v.IsNumber() && format == "int32") {
    return v.IsInt64() && v.GetInt64() >= INT32_MIN && v.GetInt64() <= INT32_MAX;
  }
  return true;
}

bool TypeMatches(const std::string& type, const JsonValue& v) {
  if (type == "object") return v.IsObject();
  if (type == "array") return v.IsArray();
  if (type == "string") return v.IsString();
  if (type == "boolean") return v.IsBool();
  if (type == "number") return v.IsNumber();
  if (type == "integer") {
    return v.IsInt64() || v.IsUint64() ||
           (v.IsDouble() && std::isfinite(v.GetDouble()) &&
            v.GetDouble() == std::floor(v.GetDouble()));
  }
  return true;
}

double AsDouble(const JsonValue& v) { return v.IsNumber() ? v.GetDouble() : 0; }

// ---------- value validation ----------

class Validator {
 public:
  explicit Validator(std::vector<StatusCause>* causes) : causes_(causes) {}

  void Validate(const JsonValue& v, const JsonValue& s, const std::string& path, bool root,
                int depth) {
    if (depth > kMaxSchemaDepth || !s.IsObject()) return;
    std::string in_body = (path.empty() ? "." : path) + " in body";
    std::string type = TypeOf(s);
    if (v.IsNull()) {
      if (Flag(s, "nullable")) return;
      if (!type.empty()) {
        Add(field::TypeInvalid(path, "\"null\"",
                               in_body + " must be of type " + type + ": \"null\""));
      } else if (Flag(s, "x-kubernetes-int-or-string")) {
        Add(field::TypeInvalid(path, "\"null\"",
                               in_body + " must be of type integer,string: \"null\""));
      }
      return;
    }
    if (Flag(s, "x-kubernetes-int-or-string") && !(TypeMatches("integer", v) || v.IsString())) {
      Add(field::TypeInvalid(
          path, Quote(JsonTypeName(v)),
          in_body + " must be of type integer,string: " + Quote(JsonTypeName(v))));
      return;
    }
    if (!type.empty() && !TypeMatches(type, v)) {
      Add(field::TypeInvalid(path, Quote(JsonTypeName(v)),
                             in_body + " must be of type " + type + ": " + Quote(JsonTypeName(v))));
      return;
    }
    if (const JsonValue* e = FindMember(s, "enum"); e && e->IsArray()) {
      bool found = false;
      std::vector<std::string> allowed;
      for (const auto& option : e->GetArray()) {
        found = found || option == v;
        allowed.push_back(option.IsString() ? std::string(View(option)) : ToJson(option));
      }
      if (!found) Add(field::NotSupported(path, GoValue(v), allowed));
    }
    if (v.IsString()) ValidateString(v, s, path, in_body);
    if (v.IsNumber()) ValidateNumber(v, s, path, in_body);
    if (v.IsArray()) ValidateArray(v, s, path, in_body, depth);
    if (v.IsObject()) ValidateObject(v, s, path, in_body, root, depth);
    ValidateJunctions(v, s, path, root, depth);
  }

 private:
  void Add(StatusCause c) { causes_->push_back(std::move(c)); }

  // The causes of validating v against one branch of a junction, without recording them.
  std::vector<StatusCause> Branch(const JsonValue& v, const JsonValue& branch,
                                  const std::string& path, bool root, int depth) {
    std::vector<StatusCause> out;
    Validator(&out).Validate(v, branch, path, root, depth + 1);
    return out;
  }

  // kube-openapi reports a failed junction as a composite error without a field name, which
  // apiextensions turns into field.Invalid(<nil>, "", message) ("<nil>: Invalid value: \"\":
  // \"spec.source\" must validate one and only one schema (oneOf). Found none valid").
  void AddComposite(const std::string& path, const std::string& message) {
    Add(field::Invalid("<nil>", "\"\"", Quote(path) + " " + message));
  }

  void Append(std::vector<StatusCause> causes) {
    for (StatusCause& c : causes) Add(std::move(c));
  }

  // allOf / anyOf / oneOf / not as kube-openapi's schemaPropsValidator evaluates them. Of the
  // failing branches of anyOf/oneOf kube-openapi reports the one with the most passing checks;
  // kubesim reports the one with the fewest failures (the first on a tie).
  void ValidateJunctions(const JsonValue& v, const JsonValue& s, const std::string& path, bool root,
                         int depth) {
    auto branches = [&](const char* key) -> const JsonValue* {
      const JsonValue* j = FindMember(s, key);
      return j && j->IsArray() && !j->Empty() ? j : nullptr;
    };
    if (const JsonValue* any = branches("anyOf")) {
      std::optional<std::vector<StatusCause>> best;
      bool passed = false;
      for (const auto& branch : any->GetArray()) {
        std::vector<StatusCause> causes = Branch(v, branch, path, root, depth);
        if (causes.empty()) {
          passed = true;
          break;
        }
        if (!best || causes.size() < best->size()) best = std::move(causes);
      }
      if (!passed) {
        AddComposite(path, "must validate at least one schema (anyOf)");
        Append(std::move(*best));
      }
    }
    if (const JsonValue* one = branches("oneOf")) {
      std::optional<std::vector<StatusCause>> best;
      int valid = 0;
      for (const auto& branch : one->GetArray()) {
        std::vector<StatusCause> causes = Branch(v, branch, path, root, depth);
        if (causes.empty()) {
          ++valid;
        } else if (valid == 0 && (!best || causes.size() < best->size())) {
          best = std::move(causes);
        }
      }
      if (valid != 1) {
        AddComposite(path,
                     "must validate one and only one schema (oneOf). " +
                         (valid == 0 ? std::string("Found none valid")
                                     : "Found " + std::to_string(valid) + " valid alternatives"));
        if (valid == 0 && best) Append(std::move(*best));
      }
    }
    if (const JsonValue* all = branches("allOf")) {
      size_t valid = 0;
      for (const auto& branch : all->GetArray()) {
        std::vector<StatusCause> causes = Branch(v, branch, path, root, depth);
        valid += causes.empty();
        Append(std::move(causes));
      }
      if (valid != all->Size()) {
        AddComposite(path, std::string("must validate all the schemas (allOf)") +
                               (valid == 0 ? ". None validated" : ""));
      }
    }
    if (const JsonValue* n = FindMember(s, "not"); n && n->IsObject()) {
      if (Branch(v, *n, path, root, depth).empty()) {
        AddComposite(path, "must not validate the schema (not)");
      }
    }
  }

  void ValidateString(const JsonValue& v, const JsonValue& s, const std::string& path,
                      const std::string& in_body) {
    std::string_view text = View(v);
    size_t runes = Runes(text);
    if (auto max = GetInt(s, "maxLength"); max && static_cast<int64_t>(runes) > *max) {
      Add(field::TooLong(path, static_cast<long>(*max)));
    }
    if (auto min = GetInt(s, "minLength"); min && static_cast<int64_t>(runes) < *min) {
      Add(field::Invalid(path, GoValue(v),
                         in_body + " should be at least " + std::to_string(*min) + " chars long"));
    }
    std::string pattern = GetString(s, "pattern");
    if (!pattern.empty() && !Matches(pattern, text)) {
      Add(field::Invalid(path, GoValue(v), in_body + " should match '" + pattern + "'"));
    }
    std::string format = GetString(s, "format");
    if (!format.empty() && !ValidFormat(format, v)) {
      Add(field::Invalid(path, GoValue(v),
                         in_body + " must be of type " + format + ": " + Quote(text)));
    }
  }

  void ValidateNumber(const JsonValue& v, const JsonValue& s, const std::string& path,
                      const std::string& in_body) {
    double x = AsDouble(v);
    if (const JsonValue* max = FindMember(s, "maximum"); max && max->IsNumber()) {
      bool exclusive = Flag(s, "exclusiveMaximum");
      if (exclusive ? x >= max->GetDouble() : x > max->GetDouble()) {
        Add(field::Invalid(path, GoValue(v),
                           in_body + " should be less than " + (exclusive ? "" : "or equal to ") +
                               NumberText(*max)));
      }
    }
    if (const JsonValue* min = FindMember(s, "minimum"); min && min->IsNumber()) {
      bool exclusive = Flag(s, "exclusiveMinimum");
      if (exclusive ? x <= min->GetDouble() : x < min->GetDouble()) {
        Add(field::Invalid(path, GoValue(v),
                           in_body + " should be greater than " +
                               (exclusive ? "" : "or equal to ") + NumberText(*min)));
      }
    }
    if (const JsonValue* m = FindMember(s, "multipleOf");
        m && m->IsNumber() && m->GetDouble() > 0) {
      double q = x / m->GetDouble();
      if (q != std::floor(q)) {
        Add(field::Invalid(path, GoValue(v),
                           in_body + " should be a multiple of " + NumberText(*m)));
      }
    }
    std::string format = GetString(s, "format");
    if (!format.empty() && !ValidFormat(format, v)) {
      Add(field::Invalid(path, GoValue(v),
                         in_body + " must be of type " + format + ": " + Quote(NumberText(v))));
    }
  }

  void ValidateArray(const JsonValue& v, const JsonValue& s, const std::string& path,
                     const std::string& in_body, int depth) {
    int64_t n = v.Size();
    if (auto max = GetInt(s, "maxItems"); max && n > *max) {
      Add(field::TooMany(path, static_cast<long>(n), static_cast<long>(*max)));
    }
    if (auto min = GetInt(s, "minItems"); min && n < *min) {
      Add(field::Invalid(path, std::to_string(n),
                         in_body + " should have at least " + std::to_string(*min) + " items"));
    }
    if (const JsonValue* items = Items(s)) {
      for (size_t i = 0; i < v.Size(); ++i)
        Validate(v[i], *items, Index(path, i), false, depth + 1);
    }
    // x-kubernetes-list-type (pkg/apiserver/schema/listtype): sets and maps have unique entries.
    std::string list_type = GetString(s, "x-kubernetes-list-type");
    if (list_type == "set") {
      for (size_t i = 1; i < v.Size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
          if (v[i] == v[j]) {
            Add(field::Duplicate(Index(path, i), GoValue(v[i])));
            break;
          }
        }
      }
    } else if (list_type == "map") {
      const JsonValue* keys = FindMember(s, "x-kubernetes-list-map-keys");
      if (!keys || !keys->IsArray()) return;
      auto key_of = [&](const JsonValue& item) {
        Object k;
        JsonValue& obj = k.mutable_json();
        obj.SetObject();
        if (!item.IsObject()) return k;
        for (const auto& name : keys->GetArray()) {
          if (const JsonValue* f = name.IsString() ? FindMember(item, View(name)) : nullptr) {
            SetMember(obj, View(name), JsonValue(*f, k.allocator()), k.allocator());
          }
        }
        return k;
      };
      std::vector<Object> seen;
      for (size_t i = 0; i < v.Size(); ++i) {
        Object k = key_of(v[i]);
        bool dup = false;
        for (const Object& o : seen) dup = dup || o.json() == k.json();
        if (dup) Add(field::Duplicate(Index(path, i), GoSyntax(k.json(), 0)));
        seen.push_back(std::move(k));
      }
    }
  }

  void ValidateObject(const JsonValue& v, const JsonValue& s, const std::string& path,
                      const std::string& in_body, bool root, int depth) {
    if (const JsonValue* req = FindMember(s, "required"); req && req->IsArray()) {
      for (const auto& name : req->GetArray()) {
        if (name.IsString() && !FindMember(v, View(name))) {
          Add(field::Required(Child(path, std::string(View(name))), ""));
        }
      }
    }
    int64_t n = v.MemberCount();
    if (auto max = GetInt(s, "maxProperties"); max && n > *max) {
      Add(field::TooMany(path, static_cast<long>(n), static_cast<long>(*max)));
    }
    if (auto min = GetInt(s, "minProperties"); min && n < *min) {
      Add(field::Invalid(
          path, std::to_string(n),
          in_body + " should have at least " + std::to_string(*min) + " properties"));
    }
    if (Flag(s, "x-kubernetes-embedded-resource")) {
      for (const char* key : {"apiVersion", "kind"}) {
        if (GetString(v, key).empty()) {
          Add(field::Required(Child(path, key), "must not be empty"));
        }
      }
    }
    const JsonValue* props = Properties(s);
    const JsonValue* additional = AdditionalSchema(s);
    for (const auto& m : v.GetObject()) {
      std::string key(View(m.name));
      // The resource's metadata is ObjectMeta, checked by the API machinery, not the schema.
      if (root && key == "metadata") continue;
      const JsonValue* child = props ? FindMember(*props, key) : nullptr;
      if (!child) child = additional;
      if (child) Validate(m.value, *child, Child(path, key), false, depth + 1);
    }
  }

  std::vector<StatusCause>* causes_;
};

// ---------- structural checks of the schema ----------

enum class Level { kRoot, kField, kItem };

// Where a junction's schema sits in the structural part: the node and its path.
struct StructuralNode {
  const JsonValue* schema;
  std::string path;
};

void CheckNested(const JsonValue& n, const StructuralNode& structural, const std::string& path,
                 bool skip_any_of, bool skip_first_all_of_any_of, int depth,
                 std::vector<StatusCause>* causes);

// The junctions of value validation `v` (pkg/apiserver/schema validateValueValidation);
// `structural` is the node they constrain, for the completeness check.
void CheckJunctions(const JsonValue& v, const StructuralNode& structural, const std::string& path,
                    bool skip_any_of, bool skip_first_all_of_any_of, int depth,
                    std::vector<StatusCause>* causes) {
  for (const char* key : {"anyOf", "allOf", "oneOf"}) {
    const JsonValue* list = FindMember(v, key);
    if (!list || !list->IsArray() || (skip_any_of && std::string(key) == "anyOf")) continue;
    for (size_t i = 0; i < list->Size(); ++i) {
      bool skip_nested_any_of = skip_first_all_of_any_of && i == 0 && std::string(key) == "allOf";
      CheckNested((*list)[i], structural, Index(path + "." + key, i), skip_nested_any_of, false,
                  depth + 1, causes);
    }
  }
  if (const JsonValue* n = FindMember(v, "not")) {
    CheckNested(*n, structural, path + ".not", false, false, depth + 1, causes);
  }
}

// A schema under a junction (validateNestedValueValidation): no structural keywords, no
// extensions, no metadata; and every property or items it names must be specified in the
// structural part as well (validateStructuralCompleteness: "because it is defined in ...").
void CheckNested(const JsonValue& n, const StructuralNode& structural, const std::string& path,
                 bool skip_any_of, bool skip_first_all_of_any_of, int depth,
                 std::vector<StatusCause>* causes) {
  if (depth > kMaxSchemaDepth) {
    causes->push_back(field::Forbidden(path, "schema is nested too deeply"));
    return;
  }
  if (!n.IsObject()) return;
  CheckJunctions(n, structural, path, skip_any_of, skip_first_all_of_any_of, depth, causes);
  auto descend = [&](const JsonValue& nested, const JsonValue* counterpart,
                     const std::string& suffix) {
    if (structural.schema && !counterpart) {
      causes->push_back(
          field::Required(structural.path + suffix, "because it is defined in " + path + suffix));
    }
    // Past a missing counterpart apiextensions reports nothing more of completeness.
    CheckNested(nested, {counterpart, structural.path + suffix}, path + suffix, false, false,
                depth + 1, causes);
  };
  if (const JsonValue* items = Items(n)) {
    descend(*items, structural.schema ? Items(*structural.schema) : nullptr, ".items");
  }
  if (const JsonValue* props = Properties(n)) {
    const JsonValue* structural_props =
        structural.schema ? Properties(*structural.schema) : nullptr;
    for (const auto& m : props->GetObject()) {
      std::string key(View(m.name));
      descend(m.value, structural_props ? FindMember(*structural_props, key) : nullptr,
              ".properties[" + key + "]");
    }
    if (FindMember(*props, "metadata")) {
      causes->push_back(field::Forbidden(path + ".properties[metadata]",
                                         "must not be specified in a nested context"));
    }
  }
  auto forbid = [&](const char* key, const char* why) {
    causes->push_back(field::Forbidden(path + "." + key, why));
  };
  if (!TypeOf(n).empty()) forbid("type", "must be empty to be structural");
  if (FindMember(n, "additionalProperties")) {
    forbid("additionalProperties", "must be undefined to be structural");
  }
  if (FindMember(n, "default")) forbid("default", "must be undefined to be structural");
  if (!GetString(n, "title").empty()) forbid("title", "must be empty to be structural");
  if (!GetString(n, "description").empty()) forbid("description", "must be empty to be structural");
  if (Flag(n, "nullable")) forbid("nullable", "must be false to be structural");
  for (const char* ext : {"x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
                          "x-kubernetes-int-or-string"}) {
    if (Flag(n, ext)) forbid(ext, "must be false to be structural");
  }
  if (const JsonValue* keys = FindMember(n, "x-kubernetes-list-map-keys");
      keys && keys->IsArray() && !keys->Empty()) {
    forbid("x-kubernetes-list-map-keys", "must be empty to be structural");
  }
  if (FindMember(n, "x-kubernetes-list-type")) {
    forbid("x-kubernetes-list-type", "must be undefined to be structural");
  }
  if (const JsonValue* rules = FindMember(n, "x-kubernetes-validations");
      rules && rules->IsArray() && !rules->Empty()) {
    forbid("x-kubernetes-validations", "must be empty to be structural");
  }
}

void CheckStructural(const JsonValue& s, const std::string& path, Level level, int depth,
                     std::vector<StatusCause>* causes) {
  if (depth > kMaxSchemaDepth) {
    causes->push_back(field::Forbidden(path, "schema is nested too deeply"));
    return;
  }
  if (!s.IsObject()) return;
  std::string type = TypeOf(s);
  bool int_or_string = Flag(s, "x-kubernetes-int-or-string");
  bool preserve = Flag(s, "x-kubernetes-preserve-unknown-fields");
  bool embedded = Flag(s, "x-kubernetes-embedded-resource");
  if (type.empty() && !int_or_string && !preserve && !embedded) {
    causes->push_back(field::Required(
        path + ".type", level == Level::kRoot   ? "must not be empty at the root"
                        : level == Level::kItem ? "must not be empty for specified array items"
                                                : "must not be empty for specified object fields"));
  }
  static const std::set<std::string> kTypes = {"array",  "boolean", "integer",
                                               "number", "object",  "string"};
  if (!type.empty() && !kTypes.count(type)) {
    causes->push_back(
        field::NotSupported(path + ".type", Quote(type), {kTypes.begin(), kTypes.end()}));
  }
  if (level == Level::kRoot && !type.empty() && type != "object") {
    causes->push_back(field::Invalid(path + ".type", Quote(type), "must be object at the root"));
  }
  if (int_or_string && !type.empty()) {
    causes->push_back(field::Invalid(path + ".type", Quote(type),
                                     "must be empty if x-kubernetes-int-or-string is true"));
  }
  if (embedded && type != "object") {
    causes->push_back(field::Invalid(path + ".type", Quote(type),
                                     "must be object if x-kubernetes-embedded-resource is true"));
  }
  if (const JsonValue* p = FindMember(s, "x-kubernetes-preserve-unknown-fields");
      p && p->IsBool() && !p->GetBool()) {
    causes->push_back(field::Invalid(path + ".x-kubernetes-preserve-unknown-fields", "false",
                                     "must be true or undefined"));
  }
  if (type == "array" && !Items(s)) {
    causes->push_back(field::Required(path + ".items", "must be specified"));
  }
  const JsonValue* props = Properties(s);
  const JsonValue* additional = FindMember(s, "additionalProperties");
  if (props && props->MemberCount() > 0 && additional) {
    causes->push_back(field::Forbidden(path + ".additionalProperties",
                                       "additionalProperties and properties are mutual exclusive"));
  }
  if (additional && additional->IsBool() && !additional->GetBool()) {
    causes->push_back(field::Forbidden(path + ".additionalProperties",
                                       "additionalProperties cannot be set to false"));
  }
  if (Flag(s, "uniqueItems")) {
    causes->push_back(field::Forbidden(
        path + ".uniqueItems",
        "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"));
  }
  if (FindMember(s, "$ref")) {
    causes->push_back(field::Forbidden(path + ".$ref", "$ref is not supported"));
  }
  // Junctions hold value validations only; int-or-string's own anyOf (and the first allOf's
  // anyOf) of typed branches is the pattern the int-or-string extension stands for.
  CheckJunctions(s, {&s, path}, path, /*skip_any_of=*/int_or_string,
                 /*skip_first_all_of_any_of=*/int_or_string, depth, causes);
  if (const JsonValue* pattern = FindMember(s, "pattern"); pattern && pattern->IsString()) {
    try {
      std::regex re(pattern->GetString(), std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      causes->push_back(field::Invalid(path + ".pattern", GoValue(*pattern),
                                       "must be a valid regular expression"));
    }
  }
  std::string list_type = GetString(s, "x-kubernetes-list-type");
  const JsonValue* map_keys = FindMember(s, "x-kubernetes-list-map-keys");
  if (!list_type.empty()) {
    if (list_type != "atomic" && list_type != "set" && list_type != "map") {
      causes->push_back(field::NotSupported(path + ".x-kubernetes-list-type", Quote(list_type),
                                            {"atomic", "set", "map"}));
    } else if (type != "array") {
      causes->push_back(field::Invalid(path + ".x-kubernetes-list-type", Quote(list_type),
                                       "must only be used if type is array"));
    }
    if (list_type == "map" && (!map_keys || !map_keys->IsArray() || map_keys->Empty())) {
      causes->push_back(field::Required(path + ".x-kubernetes-list-map-keys",
                                        "must not be empty if x-kubernetes-list-type is map"));
    }
    const JsonValue* items = Items(s);
    if (list_type == "map" && items && TypeOf(*items) != "object") {
      causes->push_back(
          field::Invalid(path + ".items.type", Quote(TypeOf(*items)),
                         "must be object if parent array's x-kubernetes-list-type is map"));
    }
    if (list_type == "set" && items && TypeOf(*items) == "object") {
      causes->push_back(
          field::Invalid(path + ".items.type", "\"object\"",
                         "must be a scalar type if parent array's x-kubernetes-list-type is set"));
    }
  }
  if (map_keys && list_type != "map") {
    causes->push_back(
        field::Forbidden(path + ".x-kubernetes-list-map-keys",
                         "must not be specified if x-kubernetes-list-type is not map"));
  }
  if (level == Level::kRoot && props) {
    for (const char* key : {"apiVersion", "kind"}) {
      if (const JsonValue* p = FindMember(*props, key); p && TypeOf(*p) != "string") {
        causes->push_back(field::Invalid(path + ".properties[" + key + "].type", Quote(TypeOf(*p)),
                                         "must be string"));
      }
    }
    if (const JsonValue* meta = FindMember(*props, "metadata"); meta && meta->IsObject()) {
      bool plain = true;
      for (const auto& m : meta->GetObject()) {
        std::string key(View(m.name));
        if (key == "type") continue;
        if (key == "properties" && m.value.IsObject()) {
          for (const auto& p : m.value.GetObject()) {
            plain = plain && (View(p.name) == "name" || View(p.name) == "generateName");
          }
          continue;
        }
        plain = false;
      }
      if (!plain) {
        causes->push_back(field::Forbidden(path + ".properties[metadata]",
                                           "must not specify anything other than name and "
                                           "generateName, but metadata is implicitly specified"));
      }
    }
  }
  if (const JsonValue* def = FindMember(s, "default")) {
    // Defaults must validate against their own schema (pkg/apiserver/schema/defaulting).
    std::vector<StatusCause> bad;
    Validator(&bad).Validate(*def, s, "", false, depth);
    for (StatusCause& c : bad) {
      c.field = path + ".default" + (c.field.empty() ? "" : "." + c.field);
      causes->push_back(std::move(c));
    }
  }
  if (props) {
    for (const auto& m : props->GetObject()) {
      CheckStructural(m.value, path + ".properties[" + std::string(View(m.name)) + "]",
                      Level::kField, depth + 1, causes);
    }
  }
  if (const JsonValue* a = AdditionalSchema(s)) {
    CheckStructural(*a, path + ".additionalProperties", Level::kField, depth + 1, causes);
  }
  if (const JsonValue* items = Items(s)) {
    CheckStructural(*items, path + ".items", Level::kItem, depth + 1, causes);
  }
}

void Prune(JsonValue& v, const JsonValue& s, const std::string& path, bool root, int depth,
           std::vector<std::string>* unknown) {
  if (depth > kMaxSchemaDepth || !s.IsObject()) return;
  if (v.IsArray()) {
    if (const JsonValue* items = Items(s)) {
      for (size_t i = 0; i < v.Size(); ++i)
        Prune(v[i], *items, Index(path, i), false, depth + 1, unknown);
    }
    return;
  }
  if (!v.IsObject()) return;
  bool keep_type_meta = root || Flag(s, "x-kubernetes-embedded-resource");
  bool preserve = Flag(s, "x-kubernetes-preserve-unknown-fields");
  const JsonValue* props = Properties(s);
  const JsonValue* additional = AdditionalSchema(s);
  const JsonValue* additional_flag = FindMember(s, "additionalProperties");
  bool allow_any = additional_flag && additional_flag->IsBool() && additional_flag->GetBool();
  std::vector<std::string> drop;
  for (auto& m : v.GetObject()) {
    std::string key(View(m.name));
    if (keep_type_meta && (key == "apiVersion" || key == "kind" || key == "metadata")) continue;
    const JsonValue* child = props ? FindMember(*props, key) : nullptr;
    if (!child) child = additional;
    if (child) {
      Prune(m.value, *child, Child(path, key), false, depth + 1, unknown);
    } else if (!preserve && !allow_any) {
      drop.push_back(key);
    }
  }
  for (const std::string& key : drop) {
    RemoveMember(v, key);
    if (unknown) unknown->push_back(Child(path, key));
  }
}

void Default(JsonValue& v, const JsonValue& s, JsonAllocator& a, int depth) {
  if (depth > kMaxSchemaDepth || !s.IsObject()) return;
  if (v.IsArray()) {
    if (const JsonValue* items = Items(s)) {
      for (auto& item : v.GetArray()) Default(item, *items, a, depth + 1);
    }
    return;
  }
  if (!v.IsObject()) return;
  if (const JsonValue* props = Properties(s)) {
    for (const auto& p : props->GetObject()) {
      std::string_view key = View(p.name);
      JsonValue* member = FindMember(v, key);
      const JsonValue* def = FindMember(p.value, "default");
      if (member && member->IsNull() && !Flag(p.value, "nullable")) {
        RemoveMember(v, key);
        member = nullptr;
      }
      if (!member && def) SetMember(v, key, JsonValue(*def, a), a);
    }
  }
  const JsonValue* props = Properties(s);
  const JsonValue* additional = AdditionalSchema(s);
  for (auto& m : v.GetObject()) {
    const JsonValue* child = props ? FindMember(*props, View(m.name)) : nullptr;
    if (!child) child = additional;
    if (child) Default(m.value, *child, a, depth + 1);
  }
}

}  // namespace

std::string JsonTypeName(const JsonValue& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "boolean";
  if (v.IsString()) return "string";
  if (v.IsArray()) return "array";
  if (v.IsObject()) return "object";
  if (v.IsInt64() || v.IsUint64()) return "integer";
  return "number";
}

std::string GoValue(const JsonValue& v) {
  if (v.IsNull()) return "\"null\"";
  if (v.IsString()) return Quote(View(v));
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  if (v.IsNumber()) return NumberText(v);
  return GoSyntax(v, 0);
}

std::vector<StatusCause> ValidateStructuralSchema(const JsonValue& schema,
                                                  const std::string& path) {
  std::vector<StatusCause> causes;
  CheckStructural(schema, path, Level::kRoot, 0, &causes);
  return causes;
}

void PruneUnknownFields(JsonValue& object, const JsonValue& schema,
                        std::vector<std::string>* unknown) {
  Prune(object, schema, "", true, 0, unknown);
}

void ApplySchemaDefaults(JsonValue& object, const JsonValue& schema, JsonAllocator& a) {
  Default(object, schema, a, 0);
}

std::vector<StatusCause> ValidateAgainstSchema(const JsonValue& object, const JsonValue& schema) {
  std::vector<StatusCause> causes;
  Validator(&causes).Validate(object, schema, "", true, 0);
  return causes;
}

}  // namespace mlgitops::kubesim
