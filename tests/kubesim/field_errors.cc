// field.Error messages and the string checks of k8s.io/apimachinery/pkg/util/validation.
#include "kubesim/field_errors.h"

#include <cctype>
#include <set>

#include "kubesim/field_causes.h"
#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

// RegexError: the message, its examples and the regular expression used.
std::string RegexError(const std::string& msg, const std::string& regex,
                       const std::vector<std::string>& examples) {
  std::string out = msg + " (e.g. ";
  for (size_t i = 0; i < examples.size(); ++i) {
    if (i) out += ",  or ";
    out += "'" + examples[i] + "'";
  }
  return out + ", regex used for validation is '" + regex + "')";
}

bool LowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool Alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool Dns1123Label(const std::string& s) {
  if (s.empty() || !LowerAlnum(s.front()) || !LowerAlnum(s.back())) return false;
  for (char c : s) {
    if (!LowerAlnum(c) && c != '-') return false;
  }
  return true;
}

bool Dns1123Subdomain(const std::string& s) {
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (!Dns1123Label(s.substr(start, dot == std::string::npos ? std::string::npos : dot - start)))
      return false;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool QualifiedPart(const std::string& s) {
  if (s.empty() || !Alnum(s.front()) || !Alnum(s.back())) return false;
  for (char c : s) {
    if (!Alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

std::string MaxLen(size_t n) { return "must be no more than " + std::to_string(n) + " characters"; }

const char* const kLabelRegex = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const char* const kQualifiedRegex = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";

}  // namespace

std::string QuotedText(const std::string& s) {
  // Go's %q: printable ASCII as is, quotes and backslashes escaped.
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string FieldValueText(const JsonValue* value) {
  if (!value || value->IsNull()) return "null";
  if (value->IsString()) return QuotedText(value->GetString());
  if (value->IsObject() && value->MemberCount() > 1) {
    // Go's json.Marshal sorts map keys.
    std::set<std::string> keys;
    for (const auto& m : value->GetObject()) keys.insert(std::string(View(m.name)));
    std::string out = "{";
    for (const std::string& k : keys) {
      if (out.size() > 1) out += ',';
      out += Quote(k) + ":" + FieldValueText(FindMember(*value, k));
    }
    return out + "}";
  }
  return ToJson(*value);
}

// Each kind of cause is worded once, in field_causes.h.
void FieldErrors::Required(const std::string& field, const std::string& detail) {
  causes_.push_back(field::Required(field, detail));
}

void FieldErrors::Invalid(const std::string& field, const std::string& value_text,
                          const std::string& detail) {
  causes_.push_back(field::Invalid(field, value_text, detail));
}

void FieldErrors::NotSupported(const std::string& field, const std::string& value,
                               const std::vector<std::string>& supported) {
  causes_.push_back(field::NotSupported(field, QuotedText(value), supported));
}

void FieldErrors::Duplicate(const std::string& field, const std::string& value_text) {
  causes_.push_back(field::Duplicate(field, value_text));
}

void FieldErrors::Forbidden(const std::string& field, const std::string& detail) {
  causes_.push_back(field::Forbidden(field, detail));
}

void FieldErrors::NotFound(const std::string& field, const std::string& value_text) {
  causes_.push_back(field::NotFound(field, value_text));
}

void FieldErrors::TooLong(const std::string& field, size_t max) {
  causes_.push_back(field::TooLong(field, static_cast<long>(max)));
}

std::vector<std::string> Dns1123LabelErrors(const std::string& value) {
  std::vector<std::string> out;
  if (value.size() > 63) out.push_back(MaxLen(63));
  if (!Dns1123Label(value)) {
    out.push_back(RegexError(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
        "and must start and end with an alphanumeric character",
        kLabelRegex, {"my-name", "123-abc"}));
  }
  return out;
}

std::vector<std::string> Dns1123SubdomainErrors(const std::string& value) {
  std::vector<std::string> out;
  if (value.size() > 253) out.push_back(MaxLen(253));
  if (!Dns1123Subdomain(value)) {
    out.push_back(RegexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
        "or '.', and must start and end with an alphanumeric character",
        "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", {"example.com"}));
  }
  return out;
}

std::vector<std::string> Dns1035LabelErrors(const std::string& value) {
  std::vector<std::string> out;
  if (value.size() > 63) out.push_back(MaxLen(63));
  if (!Dns1123Label(value) || !(value[0] >= 'a' && value[0] <= 'z')) {
    out.push_back(RegexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
        "an alphabetic character, and end with an alphanumeric character",
        "[a-z]([-a-z0-9]*[a-z0-9])?", {"my-name", "abc-123"}));
  }
  return out;
}

std::vector<std::string> QualifiedNameErrors(const std::string& value) {
  std::vector<std::string> out;
  std::string name = value;
  size_t slash = value.find('/');
  if (slash != std::string::npos) {
    if (value.find('/', slash + 1) != std::string::npos) {
      out.push_back(
          RegexError("a qualified name must consist of alphanumeric characters, '-', '_' or "
                     "'.', and must start and end with an alphanumeric character",
                     kQualifiedRegex, {"MyName", "my.name", "123-abc"}) +
          " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return out;
    }
    std::string prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      out.push_back("prefix part must be non-empty");
    } else {
      for (const std::string& e : Dns1123SubdomainErrors(prefix)) out.push_back("prefix part " + e);
    }
  }
  if (name.empty()) {
    out.push_back("name part must be non-empty");
  } else if (name.size() > 63) {
    out.push_back("name part " + MaxLen(63));
  }
  if (!name.empty() && !QualifiedPart(name)) {
    out.push_back("name part " +
                  RegexError("must consist of alphanumeric characters, '-', '_' or '.', and must "
                             "start and end with an alphanumeric character",
                             kQualifiedRegex, {"MyName", "my.name", "123-abc"}));
  }
  return out;
}

std::vector<std::string> LabelValueErrors(const std::string& value) {
  std::vector<std::string> out;
  if (value.size() > 63) out.push_back(MaxLen(63));
  if (!value.empty() && !QualifiedPart(value)) {
    out.push_back(RegexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
        "or '.', and must start and end with an alphanumeric character",
        "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", {"MyValue", "my_value", "12345"}));
  }
  return out;
}

std::vector<std::string> ConfigMapKeyErrors(const std::string& value) {
  std::vector<std::string> out;
  if (value.size() > 253) out.push_back(MaxLen(253));
  bool ok = !value.empty();
  for (char c : value) {
    if (!Alnum(c) && c != '-' && c != '_' && c != '.') ok = false;
  }
  if (!ok) {
    out.push_back(
        RegexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                   "[-._a-zA-Z0-9]+", {"key.name", "KEY_NAME", "key-name"}));
  }
  if (value == ".") {
    out.push_back("must not be '.'");
  } else if (value == "..") {
    out.push_back("must not be '..'");
  } else if (value.rfind("..", 0) == 0) {
    out.push_back("must not start with '..'");
  }
  return out;
}

std::vector<std::string> EnvVarNameErrors(const std::string& value) {
  for (unsigned char c : value) {
    if (c < 32 || c > 126 || c == '=') {
      return {
          "a valid environment variable name must consist only of printable ASCII characters "
          "other than '='"};
    }
  }
  return {};
}

std::vector<std::string> PortNameErrors(const std::string& value) {
  std::vector<std::string> out;
  if (value.size() > 15) out.push_back(MaxLen(15));
  bool charset = !value.empty();
  bool letter = false;
  for (char c : value) {
    if (!LowerAlnum(c) && c != '-') charset = false;
    if (c >= 'a' && c <= 'z') letter = true;
  }
  if (!charset) {
    out.push_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  } else if (!letter) {
    out.push_back("must contain at least one letter (a-z)");
  }
  if (value.find("--") != std::string::npos) out.push_back("must not contain consecutive hyphens");
  if (!value.empty() && (value.front() == '-' || value.back() == '-')) {
    out.push_back("must not begin or end with a hyphen");
  }
  return out;
}

void AddInvalidReasons(FieldErrors* errors, const std::string& field, const std::string& value,
                       const std::vector<std::string>& reasons) {
  for (const std::string& r : reasons) errors->InvalidString(field, value, r);
}

void ValidateLabelMap(const JsonValue* labels, const std::string& field, FieldErrors* errors) {
  if (!labels || !labels->IsObject()) return;
  for (const auto& m : labels->GetObject()) {
    std::string key(View(m.name));
    AddInvalidReasons(errors, field, key, QualifiedNameErrors(key));
    if (m.value.IsString()) {
      AddInvalidReasons(errors, field, m.value.GetString(), LabelValueErrors(m.value.GetString()));
    }
  }
}

void ValidateLabelSelector(const JsonValue* selector, const std::string& field,
                           FieldErrors* errors) {
  if (!selector || !selector->IsObject()) return;
  ValidateLabelMap(FindMember(*selector, "matchLabels"), field + ".matchLabels", errors);
  const JsonValue* exprs = FindMember(*selector, "matchExpressions");
  if (!exprs || !exprs->IsArray()) return;
  for (rapidjson::SizeType i = 0; i < exprs->Size(); ++i) {
    const JsonValue& e = (*exprs)[i];
    std::string path = field + ".matchExpressions[" + std::to_string(i) + "]";
    std::string op = GetString(e, "operator");
    const JsonValue* values = FindMember(e, "values");
    size_t count = values && values->IsArray() ? values->Size() : 0;
    if (op == "In" || op == "NotIn") {
      if (count == 0) {
        errors->Required(path + ".values", "must be specified when `operator` is 'In' or 'NotIn'");
      }
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (count > 0) {
        errors->Forbidden(path + ".values",
                          "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      }
    } else {
      errors->InvalidString(path + ".operator", op, "not a valid selector operator");
    }
    std::string key = GetString(e, "key");
    AddInvalidReasons(errors, path + ".key", key, QualifiedNameErrors(key));
    for (size_t j = 0; j < count; ++j) {
      const JsonValue& v = (*values)[static_cast<rapidjson::SizeType>(j)];
      if (!v.IsString()) continue;
      AddInvalidReasons(errors, path + ".values[" + std::to_string(j) + "]", v.GetString(),
                        LabelValueErrors(v.GetString()));
    }
  }
}

bool SelectorEmpty(const JsonValue* selector) {
  if (!selector || !selector->IsObject()) return true;
  const JsonValue* labels = FindMember(*selector, "matchLabels");
  const JsonValue* exprs = FindMember(*selector, "matchExpressions");
  return !(labels && labels->IsObject() && labels->MemberCount() > 0) &&
         !(exprs && exprs->IsArray() && exprs->Size() > 0);
}

bool SelectorMatches(const JsonValue* selector, const JsonValue* labels) {
  if (!selector || !selector->IsObject()) return false;  // a nil selector selects nothing
  auto label = [&](const std::string& key) -> const JsonValue* {
    return labels && labels->IsObject() ? FindMember(*labels, key) : nullptr;
  };
  if (const JsonValue* ml = FindMember(*selector, "matchLabels"); ml && ml->IsObject()) {
    for (const auto& m : ml->GetObject()) {
      const JsonValue* have = label(std::string(View(m.name)));
      if (!have || *have != m.value) return false;
    }
  }
  const JsonValue* exprs = FindMember(*selector, "matchExpressions");
  if (!exprs || !exprs->IsArray()) return true;
  for (const auto& e : exprs->GetArray()) {
    std::string op = GetString(e, "operator");
    const JsonValue* have = label(GetString(e, "key"));
    bool in_values = false;
    if (const JsonValue* values = FindMember(e, "values"); values && values->IsArray() && have) {
      for (const auto& v : values->GetArray()) in_values = in_values || v == *have;
    }
    if (op == "In" && !in_values) return false;
    if (op == "NotIn" && in_values) return false;
    if (op == "Exists" && !have) return false;
    if (op == "DoesNotExist" && have) return false;
  }
  return true;
}

}  // namespace mlgitops::kubesim
