// Validation and system-metadata helpers.
#include "kubesim/object_rules.h"

#include <cctype>
#include <random>

#include "kubesim/json_util.h"
#include "object/timeutil.h"

namespace mlgitops::kubesim {

namespace {

constexpr const char* kSubdomainMessage =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
constexpr const char* kLabelMessage =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

constexpr const char* kDns1035Message =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

bool IsLowerAlnum(char c) {
  return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c));
}

bool ValidLabel(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  if (!IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-') return false;
  }
  return true;
}

bool ValidSubdomain(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    if (dot == std::string::npos) dot = s.size();
    if (!ValidLabel(s.substr(start, dot - start))) return false;
    start = dot + 1;
  }
  return true;
}

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng;
}

// Members compared apart from the object's spec-like content.
bool IsBookkeeping(std::string_view key) {
  return key == "metadata" || key == "status" || key == "apiVersion" || key == "kind";
}

}  // namespace

std::vector<StatusCause> ValidateName(const std::string& name, NameRule rule) {
  std::vector<StatusCause> causes;
  if (name.empty()) {
    causes.push_back({"FieldValueRequired", "Required value: name or generateName is required",
                      "metadata.name"});
    return causes;
  }
  bool label = rule != NameRule::kDns1123Subdomain;
  bool ok = label ? ValidLabel(name) : ValidSubdomain(name);
  std::string why = rule == NameRule::kDns1123Label   ? kLabelMessage
                    : rule == NameRule::kDns1035Label ? kDns1035Message
                                                      : kSubdomainMessage;
  if (rule == NameRule::kDns1035Label && ok) {
    ok = std::islower(static_cast<unsigned char>(name[0])) != 0;
  }
  if (!ok) {
    if (label && name.size() > 63) why = "must be no more than 63 characters";
    causes.push_back(
        {"FieldValueInvalid", "Invalid value: \"" + name + "\": " + why, "metadata.name"});
  }
  return causes;
}

std::string NewUid() {
  std::uniform_int_distribution<int> nibble(0, 15);
  static const char kHex[] = "0123456789abcdef";
  std::string uid = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx";
  for (char& c : uid) {
    if (c == 'x') c = kHex[nibble(Rng())];
    if (c == 'y') c = kHex[8 + nibble(Rng()) % 4];
  }
  return uid;
}

std::string GenerateNameSuffix() {
  static const char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::uniform_int_distribution<int> pick(0, sizeof(kAlphabet) - 2);
  std::string out;
  for (int i = 0; i < 5; ++i) out += kAlphabet[pick(Rng())];
  return out;
}

std::string Timestamp(int64_t unix_seconds) { return FormatRfc3339(unix_seconds); }

bool SpecChanged(const JsonValue& before, const JsonValue& after) {
  if (!before.IsObject() || !after.IsObject()) return true;
  size_t counted = 0;
  for (const auto& m : after.GetObject()) {
    if (IsBookkeeping(View(m.name))) continue;
    ++counted;
    const JsonValue* old = FindMember(before, View(m.name));
    if (!old || *old != m.value) return true;
  }
  size_t before_count = 0;
  for (const auto& m : before.GetObject()) {
    if (!IsBookkeeping(View(m.name))) ++before_count;
  }
  return before_count != counted;
}

bool SameObject(const JsonValue& a, const JsonValue& b) {
  if (!a.IsObject() || !b.IsObject()) return a == b;
  if (a.MemberCount() != b.MemberCount()) return false;
  for (const auto& m : a.GetObject()) {
    const JsonValue* other = FindMember(b, View(m.name));
    if (!other) return false;
    if (View(m.name) != "metadata") {
      if (m.value != *other) return false;
      continue;
    }
    if (!m.value.IsObject() || !other->IsObject()) return m.value == *other;
    if (m.value.MemberCount() != other->MemberCount()) return false;
    for (const auto& field : m.value.GetObject()) {
      std::string_view key = View(field.name);
      if (key == "resourceVersion") continue;
      const JsonValue* theirs = FindMember(*other, key);
      if (!theirs) return false;
      if (key == "managedFields") {
        if (!field.value.IsArray() || !theirs->IsArray() || field.value.Size() != theirs->Size()) {
          return false;
        }
        for (rapidjson::SizeType i = 0; i < field.value.Size(); ++i) {
          for (const char* part :
               {"manager", "operation", "apiVersion", "fieldsV1", "subresource"}) {
            const JsonValue* x = FindMember(field.value[i], part);
            const JsonValue* y = FindMember((*theirs)[i], part);
            if ((x == nullptr) != (y == nullptr) || (x && *x != *y)) return false;
          }
        }
        continue;
      }
      if (field.value != *theirs) return false;
    }
  }
  return true;
}

std::string RenderAs(const Object& object, const std::string& api_version) {
  if (GetString(object.json(), "apiVersion") == api_version) return ToJson(object.json());
  Object copy = object.Clone();
  SetString(copy.mutable_json(), "apiVersion", api_version, copy.allocator());
  return ToJson(copy.json());
}

void CopyMemberFrom(JsonValue& to, const JsonValue& from, const char* key, JsonAllocator& a) {
  const JsonValue* source = FindMember(from, key);
  if (!source) {
    RemoveMember(to, key);
    return;
  }
  SetMember(to, key, JsonValue(*source, a), a);
}

}  // namespace mlgitops::kubesim
