// Selector grammar: requirements separated by commas outside parentheses.
#include "kubesim/selectors.h"

#include <algorithm>
#include <cctype>

namespace mlgitops::kubesim {

namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Splits on commas that are not inside "(...)".
std::vector<std::string> SplitTopLevel(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(Trim(current));
      current.clear();
    } else {
      current += c;
    }
  }
  out.push_back(Trim(current));
  return out;
}

bool IsQualifiedNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == '/';
}

bool ValidKey(const std::string& key) {
  if (key.empty() || key.size() > 317) return false;
  return std::all_of(key.begin(), key.end(), IsQualifiedNameChar);
}

bool ValidValue(const std::string& value) {
  if (value.size() > 63) return false;
  return std::all_of(value.begin(), value.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

Status ParseError(const std::string& requirement, const std::string& why) {
  return Status::InvalidArgument("unable to parse requirement: " + why + " in \"" + requirement +
                                 "\"");
}

Result<LabelRequirement> ParseSetRequirement(const std::string& text, size_t op_at, bool not_in) {
  LabelRequirement r;
  r.key = Trim(text.substr(0, op_at));
  r.op = not_in ? LabelRequirement::Op::kNotIn : LabelRequirement::Op::kIn;
  size_t open = text.find('(', op_at);
  size_t close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) {
    return ParseError(text, "found '" + text.substr(op_at) + "', expected: '('");
  }
  std::string inner = text.substr(open + 1, close - open - 1);
  size_t start = 0;
  while (start <= inner.size()) {
    size_t comma = inner.find(',', start);
    if (comma == std::string::npos) comma = inner.size();
    std::string v = Trim(inner.substr(start, comma - start));
    if (!ValidValue(v)) return ParseError(text, "invalid label value: \"" + v + "\"");
    if (!v.empty()) r.values.push_back(v);
    start = comma + 1;
  }
  return r;
}

Result<LabelRequirement> ParseRequirement(const std::string& text) {
  LabelRequirement r;
  if (text[0] == '!') {
    r.key = Trim(text.substr(1));
    r.op = LabelRequirement::Op::kDoesNotExist;
    if (!ValidKey(r.key)) return ParseError(text, "invalid label key \"" + r.key + "\"");
    return r;
  }
  // Set-based: "key in (a,b)" / "key notin (a)".
  size_t space = text.find_first_of(" (");
  if (space != std::string::npos) {
    std::string rest = Trim(text.substr(space));
    if (rest.rfind("notin", 0) == 0) {
      auto set = ParseSetRequirement(text, text.find("notin", space), true);
      if (set.ok() && !ValidKey(set->key)) return ParseError(text, "invalid label key");
      return set;
    }
    if (rest.rfind("in", 0) == 0) {
      auto set = ParseSetRequirement(text, text.find("in", space), false);
      if (set.ok() && !ValidKey(set->key)) return ParseError(text, "invalid label key");
      return set;
    }
  }
  size_t ne = text.find("!=");
  size_t eq = text.find('=');
  if (ne != std::string::npos) {
    r.key = Trim(text.substr(0, ne));
    r.op = LabelRequirement::Op::kNotEquals;
    r.values = {Trim(text.substr(ne + 2))};
  } else if (eq != std::string::npos) {
    r.key = Trim(text.substr(0, eq));
    r.op = LabelRequirement::Op::kEquals;
    size_t value_at = eq + 1;
    if (value_at < text.size() && text[value_at] == '=') ++value_at;
    r.values = {Trim(text.substr(value_at))};
  } else {
    r.key = text;
    r.op = LabelRequirement::Op::kExists;
  }
  if (!ValidKey(r.key)) return ParseError(text, "invalid label key \"" + r.key + "\"");
  for (const std::string& v : r.values) {
    if (!ValidValue(v)) return ParseError(text, "invalid label value: \"" + v + "\"");
  }
  return r;
}

const JsonValue* LabelValue(const JsonValue& object, const std::string& key) {
  const JsonValue* labels = Find(object, "metadata.labels");
  if (!labels || !labels->IsObject()) return nullptr;
  auto it = labels->FindMember(key.c_str());
  if (it == labels->MemberEnd() || !it->value.IsString()) return nullptr;
  return &it->value;
}

bool Contains(const std::vector<std::string>& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

// Fields the real server indexes beyond metadata.name/namespace, per resource.
bool FieldSupported(const std::string& resource, const std::string& field) {
  if (field == "metadata.name" || field == "metadata.namespace") return true;
  if (resource == "pods") {
    return field == "spec.nodeName" || field == "spec.restartPolicy" ||
           field == "spec.schedulerName" || field == "spec.serviceAccountName" ||
           field == "spec.hostNetwork" || field == "status.phase" || field == "status.podIP" ||
           field == "status.nominatedNodeName";
  }
  if (resource == "events") {
    return field.rfind("involvedObject.", 0) == 0 || field == "reason" || field == "type" ||
           field == "source" || field == "reportingComponent";
  }
  if (resource == "secrets") return field == "type";
  if (resource == "namespaces") return field == "status.phase";
  if (resource == "jobs") return field == "status.successful";
  if (resource == "nodes") return field == "spec.unschedulable";
  return false;
}

std::string FieldValue(const JsonValue& object, const std::string& field) {
  const JsonValue* v = Find(object, field);
  if (!v) return "";
  if (v->IsString()) return v->GetString();
  if (v->IsBool()) return v->GetBool() ? "true" : "false";
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  return "";
}

}  // namespace

Result<LabelSelector> LabelSelector::Parse(const std::string& text) {
  LabelSelector selector;
  if (Trim(text).empty()) return selector;
  for (const std::string& part : SplitTopLevel(text)) {
    if (part.empty()) return ParseError(text, "found '', expected: identifier");
    auto r = ParseRequirement(part);
    if (!r.ok()) return r.status();
    selector.requirements_.push_back(std::move(*r));
  }
  return selector;
}

bool LabelSelector::Matches(const JsonValue& object) const {
  using Op = LabelRequirement::Op;
  for (const LabelRequirement& r : requirements_) {
    const JsonValue* v = LabelValue(object, r.key);
    std::string value = v ? v->GetString() : "";
    switch (r.op) {
      case Op::kExists:
        if (!v) return false;
        break;
      case Op::kDoesNotExist:
        if (v) return false;
        break;
      case Op::kEquals:
      case Op::kIn:
        if (!v || !Contains(r.values, value)) return false;
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        if (v && Contains(r.values, value)) return false;
        break;
    }
  }
  return true;
}

Result<FieldSelector> FieldSelector::Parse(const std::string& text, const std::string& resource) {
  FieldSelector selector;
  if (Trim(text).empty()) return selector;
  for (const std::string& part : SplitTopLevel(text)) {
    Term term;
    size_t ne = part.find("!=");
    size_t eq = part.find('=');
    if (ne != std::string::npos) {
      term.field = Trim(part.substr(0, ne));
      term.equals = false;
      term.value = Trim(part.substr(ne + 2));
    } else if (eq != std::string::npos) {
      term.field = Trim(part.substr(0, eq));
      size_t value_at = eq + 1;
      if (value_at < part.size() && part[value_at] == '=') ++value_at;
      term.value = Trim(part.substr(value_at));
    } else {
      return Status::InvalidArgument("invalid selector: '" + text + "'; can't understand '" + part +
                                     "'");
    }
    if (!FieldSupported(resource, term.field)) {
      return Status::InvalidArgument("field label not supported: " + term.field);
    }
    selector.terms_.push_back(std::move(term));
  }
  return selector;
}

bool FieldSelector::Matches(const JsonValue& object) const {
  for (const Term& t : terms_) {
    bool same = FieldValue(object, t.field) == t.value;
    if (same != t.equals) return false;
  }
  return true;
}

std::string FieldSelector::PinnedName() const {
  for (const Term& t : terms_) {
    if (t.field == "metadata.name" && t.equals) return t.value;
  }
  return "";
}

}  // namespace mlgitops::kubesim
