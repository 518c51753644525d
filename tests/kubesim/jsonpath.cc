// A small JSONPath evaluator: enough for additionalPrinterColumns.
#include "kubesim/jsonpath.h"

#include <cstdlib>
#include <vector>

#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

std::string Text(const JsonValue& v) {
  if (v.IsString()) return v.GetString();
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  if (v.IsNumber()) {
    std::string s = std::to_string(v.GetDouble());
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }
  if (v.IsNull()) return "";
  return ToJson(v);
}

std::string Unquote(std::string s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
    return s.substr(1, s.size() - 2);
  }
  return s;
}

// Applies one bracket expression ("0", "*", "?(@.type==\"Ready\")") to the current values.
std::vector<const JsonValue*> Bracket(const std::vector<const JsonValue*>& current,
                                      const std::string& expr) {
  std::vector<const JsonValue*> next;
  for (const JsonValue* v : current) {
    if (!v->IsArray()) continue;
    if (expr == "*") {
      for (const auto& e : v->GetArray()) next.push_back(&e);
    } else if (expr.rfind("?(@.", 0) == 0 && expr.back() == ')') {
      std::string cond = expr.substr(4, expr.size() - 5);
      size_t eq = cond.find("==");
      if (eq == std::string::npos) continue;
      std::string field = cond.substr(0, eq);
      std::string want = Unquote(cond.substr(eq + 2));
      for (const auto& e : v->GetArray()) {
        const JsonValue* f = Find(e, field);
        if (f && Text(*f) == want) next.push_back(&e);
      }
    } else if (!expr.empty() && expr.find_first_not_of("0123456789-") == std::string::npos) {
      long index = std::strtol(expr.c_str(), nullptr, 10);
      long size = static_cast<long>(v->Size());
      if (index < 0) index += size;
      if (index >= 0 && index < size)
        next.push_back(&(*v)[static_cast<rapidjson::SizeType>(index)]);
    }
  }
  return next;
}

}  // namespace

std::string EvaluateJsonPath(const JsonValue& root, const std::string& path) {
  std::string p = path;
  if (p.size() >= 2 && p.front() == '{' && p.back() == '}') p = p.substr(1, p.size() - 2);
  if (!p.empty() && p[0] == '$') p = p.substr(1);
  std::vector<const JsonValue*> current{&root};
  size_t i = 0;
  while (i < p.size() && !current.empty()) {
    if (p[i] == '.') {
      size_t end = p.find_first_of(".[", i + 1);
      if (end == std::string::npos) end = p.size();
      std::string field = p.substr(i + 1, end - i - 1);
      std::vector<const JsonValue*> next;
      for (const JsonValue* v : current) {
        if (const JsonValue* child = FindMember(*v, field)) next.push_back(child);
      }
      current = std::move(next);
      i = end;
    } else if (p[i] == '[') {
      size_t end = p.find(']', i);
      if (end == std::string::npos) return "";
      current = Bracket(current, p.substr(i + 1, end - i - 1));
      i = end + 1;
    } else {
      return "";
    }
  }
  std::string out;
  for (const JsonValue* v : current) {
    if (!out.empty()) out += ',';
    out += Text(*v);
  }
  return out;
}

}  // namespace mlgitops::kubesim
