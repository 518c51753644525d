// CEL values: constructors, type names, heterogeneous equality, numeric ordering and the
// conversion of JSON documents into values.
#include <cmath>

#include "kubesim/cel.h"

namespace mlgitops::kubesim::cel {

// ---------- Value ----------

Value Value::Bool(bool v) {
  Value x;
  x.kind = Kind::kBool;
  x.b = v;
  return x;
}
Value Value::Int(int64_t v) {
  Value x;
  x.kind = Kind::kInt;
  x.i = v;
  return x;
}
Value Value::Uint(uint64_t v) {
  Value x;
  x.kind = Kind::kUint;
  x.u = v;
  return x;
}
Value Value::Double(double v) {
  Value x;
  x.kind = Kind::kDouble;
  x.d = v;
  return x;
}
Value Value::String(std::string v) {
  Value x;
  x.kind = Kind::kString;
  x.s = std::move(v);
  return x;
}
Value Value::ListOf(List items) {
  Value x;
  x.kind = Kind::kList;
  x.list = std::make_shared<const List>(std::move(items));
  return x;
}
Value Value::MapOf(Map entries) {
  Value x;
  x.kind = Kind::kMap;
  x.map = std::make_shared<const Map>(std::move(entries));
  return x;
}

const Value* Value::Find(std::string_view key) const {
  if (kind != Kind::kMap) return nullptr;
  for (const auto& [k, v] : *map) {
    if (k.kind == Kind::kString && k.s == key) return &v;
  }
  return nullptr;
}

std::string TypeName(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return "null_type";
    case Value::Kind::kBool:
      return "bool";
    case Value::Kind::kInt:
      return "int";
    case Value::Kind::kUint:
      return "uint";
    case Value::Kind::kDouble:
      return "double";
    case Value::Kind::kString:
      return "string";
    case Value::Kind::kList:
      return "list";
    case Value::Kind::kMap:
      return "map";
  }
  return "dyn";
}

using K = Value::Kind;

bool IsNumber(const Value& v) {
  return v.kind == K::kInt || v.kind == K::kUint || v.kind == K::kDouble;
}

// Orders two numbers of any numeric kinds exactly: -1, 0, 1, or 2 when unordered (NaN).
int CompareNumbers(const Value& a, const Value& b) {
  if (a.kind == K::kDouble || b.kind == K::kDouble) {
    double x = a.kind == K::kDouble ? a.d
               : a.kind == K::kInt  ? static_cast<double>(a.i)
                                    : static_cast<double>(a.u);
    double y = b.kind == K::kDouble ? b.d
               : b.kind == K::kInt  ? static_cast<double>(b.i)
                                    : static_cast<double>(b.u);
    if (std::isnan(x) || std::isnan(y)) return 2;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.kind == K::kInt && b.kind == K::kInt) return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
  if (a.kind == K::kUint && b.kind == K::kUint) return a.u < b.u ? -1 : a.u > b.u ? 1 : 0;
  if (a.kind == K::kInt) return a.i < 0 ? -1 : CompareNumbers(Value::Uint(a.i), b);
  return b.i < 0 ? 1 : CompareNumbers(a, Value::Uint(b.i));
}

bool Equal(const Value& a, const Value& b) {
  if (IsNumber(a) && IsNumber(b)) return CompareNumbers(a, b) == 0;
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case K::kNull:
      return true;
    case K::kBool:
      return a.b == b.b;
    case K::kString:
      return a.s == b.s;
    case K::kList:
      if (a.list->size() != b.list->size()) return false;
      for (size_t i = 0; i < a.list->size(); ++i) {
        if (!Equal((*a.list)[i], (*b.list)[i])) return false;
      }
      return true;
    case K::kMap:
      if (a.map->size() != b.map->size()) return false;
      for (const auto& [k, v] : *a.map) {
        bool found = false;
        for (const auto& [k2, v2] : *b.map) {
          if (Equal(k, k2)) {
            if (!Equal(v, v2)) return false;
            found = true;
            break;
          }
        }
        if (!found) return false;
      }
      return true;
    default:
      return false;
  }
}

Value FromJson(const JsonValue& v) {
  if (v.IsBool()) return Value::Bool(v.GetBool());
  if (v.IsInt64()) return Value::Int(v.GetInt64());
  if (v.IsUint64()) return Value::Uint(v.GetUint64());
  if (v.IsNumber()) return Value::Double(v.GetDouble());
  if (v.IsString()) return Value::String(std::string(v.GetString(), v.GetStringLength()));
  if (v.IsArray()) {
    Value::List items;
    items.reserve(v.Size());
    for (const auto& item : v.GetArray()) items.push_back(FromJson(item));
    return Value::ListOf(std::move(items));
  }
  if (v.IsObject()) {
    Value::Map entries;
    entries.reserve(v.MemberCount());
    for (const auto& m : v.GetObject()) {
      entries.emplace_back(Value::String(std::string(m.name.GetString(), m.name.GetStringLength())),
                           FromJson(m.value));
    }
    return Value::MapOf(std::move(entries));
  }
  return Value::Null();
}

}  // namespace mlgitops::kubesim::cel
