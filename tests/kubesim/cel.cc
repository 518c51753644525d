// The CEL evaluator: values, equality and ordering, operators, the functions and macros of the
// subset, and a cost budget that ends runaway evaluations with cel-go's "actual cost limit
// exceeded" error.
#include "kubesim/cel.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <regex>

namespace mlgitops::kubesim::cel {

// ---------- evaluation ----------

namespace {

using K = Value::Kind;
using Vars = std::map<std::string, Value>;

// Errors travel as values so that && and || can absorb them as CEL requires.
struct Outcome {
  Value value;
  std::string error;
  bool ok() const { return error.empty(); }
};

Outcome Ok(Value v) { return Outcome{std::move(v), ""}; }
Outcome Err(std::string e) { return Outcome{Value(), std::move(e)}; }

std::string Overload(const std::string& fn, const std::vector<Value>& args) {
  std::string types;
  for (const Value& a : args) types += (types.empty() ? "" : ", ") + TypeName(a);
  return "no such overload: " + fn + "(" + types + ")";
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

class Evaluator {
 public:
  Evaluator(const Limits& limits, Vars vars) : limits_(limits), vars_(std::move(vars)) {}

  Outcome Eval(const Node& n) {
    if (!Charge(1)) return Err(kCostExceeded);
    switch (n.op) {
      case Node::Op::kLiteral:
        return Ok(n.literal);
      case Node::Op::kIdent: {
        auto it = vars_.find(n.name);
        if (it == vars_.end()) return Err("no such attribute: " + n.name);
        return Ok(it->second);
      }
      case Node::Op::kSelect: {
        Outcome t = Eval(*n.args[0]);
        if (!t.ok()) return t;
        if (t.value.kind != K::kMap) return Err("no such overload: select on " + TypeName(t.value));
        const Value* v = t.value.Find(n.name);
        if (!v) return Err("no such key: " + n.name);
        return Ok(*v);
      }
      case Node::Op::kHas: {
        Outcome t = Eval(*n.args[0]);
        if (!t.ok()) return t;
        if (t.value.kind != K::kMap) return Err("no such overload: has on " + TypeName(t.value));
        return Ok(Value::Bool(t.value.Find(n.name) != nullptr));
      }
      case Node::Op::kIndex:
        return Index(n);
      case Node::Op::kList: {
        Value::List items;
        for (const auto& a : n.args) {
          Outcome o = Eval(*a);
          if (!o.ok()) return o;
          items.push_back(std::move(o.value));
        }
        return Ok(Value::ListOf(std::move(items)));
      }
      case Node::Op::kMap: {
        Value::Map entries;
        for (size_t i = 0; i + 1 < n.args.size(); i += 2) {
          Outcome k = Eval(*n.args[i]);
          if (!k.ok()) return k;
          Outcome v = Eval(*n.args[i + 1]);
          if (!v.ok()) return v;
          for (const auto& e : entries) {
            if (Equal(e.first, k.value)) return Err("Failed with repeated key");
          }
          entries.emplace_back(std::move(k.value), std::move(v.value));
        }
        return Ok(Value::MapOf(std::move(entries)));
      }
      case Node::Op::kAnd:
      case Node::Op::kOr:
        return Logic(n);
      case Node::Op::kNot: {
        Outcome o = Eval(*n.args[0]);
        if (!o.ok()) return o;
        if (o.value.kind != K::kBool) return Err(Overload("!_", {o.value}));
        return Ok(Value::Bool(!o.value.b));
      }
      case Node::Op::kNeg: {
        Outcome o = Eval(*n.args[0]);
        if (!o.ok()) return o;
        if (o.value.kind == K::kInt) {
          if (o.value.i == std::numeric_limits<int64_t>::min()) return Err("integer overflow");
          return Ok(Value::Int(-o.value.i));
        }
        if (o.value.kind == K::kDouble) return Ok(Value::Double(-o.value.d));
        return Err(Overload("-_", {o.value}));
      }
      case Node::Op::kCond: {
        Outcome c = Eval(*n.args[0]);
        if (!c.ok()) return c;
        if (c.value.kind != K::kBool) return Err(Overload("_?_:_", {c.value}));
        return Eval(*n.args[c.value.b ? 1 : 2]);
      }
      case Node::Op::kBinary: {
        Outcome a = Eval(*n.args[0]);
        if (!a.ok()) return a;
        Outcome b = Eval(*n.args[1]);
        if (!b.ok()) return b;
        return Binary(n.name, a.value, b.value);
      }
      case Node::Op::kCall: {
        std::vector<Value> args;
        for (const auto& a : n.args) {
          Outcome o = Eval(*a);
          if (!o.ok()) return o;
          args.push_back(std::move(o.value));
        }
        return Call(n.name, n.method, args);
      }
      case Node::Op::kCompre:
        return Comprehension(n);
    }
    return Err("unknown expression");
  }

  int64_t cost() const { return cost_; }

  static constexpr const char* kCostExceeded = "operation cancelled: actual cost limit exceeded";

 private:
  bool Charge(int64_t units) {
    cost_ += units;
    return cost_ <= limits_.max_cost;
  }

  Outcome Index(const Node& n) {
    Outcome t = Eval(*n.args[0]);
    if (!t.ok()) return t;
    Outcome k = Eval(*n.args[1]);
    if (!k.ok()) return k;
    if (t.value.kind == K::kList) {
      if (!IsNumber(k.value) ||
          (k.value.kind == K::kDouble && k.value.d != std::floor(k.value.d))) {
        return Err(Overload("_[_]", {t.value, k.value}));
      }
      int64_t i = k.value.kind == K::kInt    ? k.value.i
                  : k.value.kind == K::kUint ? static_cast<int64_t>(k.value.u)
                                             : static_cast<int64_t>(k.value.d);
      int64_t size = static_cast<int64_t>(t.value.list->size());
      if (i < 0 || i >= size) {
        return Err("index '" + std::to_string(i) + "' out of range in list size '" +
                   std::to_string(size) + "'");
      }
      return Ok((*t.value.list)[i]);
    }
    if (t.value.kind == K::kMap) {
      for (const auto& [key, v] : *t.value.map) {
        if (Equal(key, k.value)) return Ok(v);
      }
      return Err("no such key: " + (k.value.kind == K::kString ? k.value.s : TypeName(k.value)));
    }
    return Err(Overload("_[_]", {t.value, k.value}));
  }

  // CEL's commutative logic: an error on one side is absorbed when the other side decides.
  Outcome Logic(const Node& n) {
    bool is_and = n.op == Node::Op::kAnd;
    Outcome a = Eval(*n.args[0]);
    if (a.ok() && a.value.kind == K::kBool && a.value.b != is_and) return a;
    Outcome b = Eval(*n.args[1]);
    if (b.ok() && b.value.kind == K::kBool && b.value.b != is_and) return b;
    if (b.error == kCostExceeded) return b;
    if (!a.ok()) return a;
    if (!b.ok()) return b;
    if (a.value.kind != K::kBool || b.value.kind != K::kBool) {
      return Err(Overload(is_and ? "_&&_" : "_||_", {a.value, b.value}));
    }
    return Ok(Value::Bool(is_and));
  }

  Outcome Binary(const std::string& op, const Value& a, const Value& b) {
    if (op == "==") return Ok(Value::Bool(Equal(a, b)));
    if (op == "!=") return Ok(Value::Bool(!Equal(a, b)));
    if (op == "in") {
      if (b.kind == K::kList) {
        if (!Charge(static_cast<int64_t>(b.list->size()))) return Err(kCostExceeded);
        for (const Value& v : *b.list) {
          if (Equal(a, v)) return Ok(Value::Bool(true));
        }
        return Ok(Value::Bool(false));
      }
      if (b.kind == K::kMap) {
        for (const auto& e : *b.map) {
          if (Equal(a, e.first)) return Ok(Value::Bool(true));
        }
        return Ok(Value::Bool(false));
      }
      return Err(Overload("@in", {a, b}));
    }
    if (op == "<" || op == "<=" || op == ">" || op == ">=") {
      int c;
      if (IsNumber(a) && IsNumber(b)) {
        c = CompareNumbers(a, b);
        if (c == 2) return Ok(Value::Bool(false));
      } else if (a.kind == K::kString && b.kind == K::kString) {
        c = a.s < b.s ? -1 : a.s > b.s ? 1 : 0;
      } else if (a.kind == K::kBool && b.kind == K::kBool) {
        c = a.b == b.b ? 0 : a.b ? 1 : -1;
      } else {
        return Err(Overload("_" + op + "_", {a, b}));
      }
      bool r = op == "<" ? c < 0 : op == "<=" ? c <= 0 : op == ">" ? c > 0 : c >= 0;
      return Ok(Value::Bool(r));
    }
    return Arithmetic(op, a, b);
  }

  Outcome Arithmetic(const std::string& op, const Value& a, const Value& b) {
    if (op == "+" && a.kind == K::kString && b.kind == K::kString) {
      if (!Charge(static_cast<int64_t>((a.s.size() + b.s.size()) / 10))) return Err(kCostExceeded);
      return Ok(Value::String(a.s + b.s));
    }
    if (op == "+" && a.kind == K::kList && b.kind == K::kList) {
      if (!Charge(static_cast<int64_t>(a.list->size() + b.list->size()))) {
        return Err(kCostExceeded);
      }
      Value::List out = *a.list;
      out.insert(out.end(), b.list->begin(), b.list->end());
      return Ok(Value::ListOf(std::move(out)));
    }
    if (a.kind == K::kInt && b.kind == K::kInt) {
      int64_t r = 0;
      bool overflow = false;
      if (op == "+") overflow = __builtin_add_overflow(a.i, b.i, &r);
      if (op == "-") overflow = __builtin_sub_overflow(a.i, b.i, &r);
      if (op == "*") overflow = __builtin_mul_overflow(a.i, b.i, &r);
      if (op == "/" || op == "%") {
        if (b.i == 0) return Err(op == "/" ? "division by zero" : "modulus by zero");
        if (a.i == std::numeric_limits<int64_t>::min() && b.i == -1) return Err("integer overflow");
        r = op == "/" ? a.i / b.i : a.i % b.i;
      }
      if (overflow) return Err("integer overflow");
      return Ok(Value::Int(r));
    }
    if (a.kind == K::kUint && b.kind == K::kUint) {
      uint64_t r = 0;
      bool overflow = false;
      if (op == "+") overflow = __builtin_add_overflow(a.u, b.u, &r);
      if (op == "-") overflow = __builtin_sub_overflow(a.u, b.u, &r);
      if (op == "*") overflow = __builtin_mul_overflow(a.u, b.u, &r);
      if (op == "/" || op == "%") {
        if (b.u == 0) return Err(op == "/" ? "division by zero" : "modulus by zero");
        r = op == "/" ? a.u / b.u : a.u % b.u;
      }
      if (overflow) return Err("unsigned integer overflow");
      return Ok(Value::Uint(r));
    }
    if (a.kind == K::kDouble && b.kind == K::kDouble && op != "%") {
      double r = op == "+" ? a.d + b.d : op == "-" ? a.d - b.d : op == "*" ? a.d * b.d : a.d / b.d;
      return Ok(Value::Double(r));
    }
    static const std::map<std::string, std::string> names = {
        {"+", "_+_"}, {"-", "_-_"}, {"*", "_*_"}, {"/", "_/_"}, {"%", "_%_"}};
    return Err(Overload(names.at(op), {a, b}));
  }

  Outcome Call(const std::string& fn, bool method, const std::vector<Value>& args);
  Outcome Comprehension(const Node& n);

  const Limits& limits_;
  Vars vars_;
  int64_t cost_ = 0;
};

Outcome Evaluator::Call(const std::string& fn, bool method, const std::vector<Value>& args) {
  auto bad = [&] { return Err(Overload(fn, args)); };
  const Value& a0 = args.empty() ? Value() : args[0];
  if (fn == "size" && args.size() == 1) {
    if (a0.kind == K::kString) return Ok(Value::Int(static_cast<int64_t>(CodePoints(a0.s))));
    if (a0.kind == K::kList) return Ok(Value::Int(static_cast<int64_t>(a0.list->size())));
    if (a0.kind == K::kMap) return Ok(Value::Int(static_cast<int64_t>(a0.map->size())));
    return bad();
  }
  if (!method && args.size() == 1) {
    if (fn == "dyn") return Ok(a0);
    if (fn == "int") {
      if (a0.kind == K::kInt) return Ok(a0);
      if (a0.kind == K::kUint) {
        if (a0.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return Err("integer overflow");
        }
        return Ok(Value::Int(static_cast<int64_t>(a0.u)));
      }
      if (a0.kind == K::kDouble) {
        if (!(a0.d > -9.2233720368547758e18 && a0.d < 9.2233720368547758e18)) {
          return Err("integer overflow");
        }
        return Ok(Value::Int(static_cast<int64_t>(a0.d)));
      }
      if (a0.kind == K::kString) {
        errno = 0;
        char* end = nullptr;
        long long v = std::strtoll(a0.s.c_str(), &end, 10);
        if (a0.s.empty() || *end || errno == ERANGE) {
          return Err("type conversion error from 'string' to 'int'");
        }
        return Ok(Value::Int(v));
      }
      return bad();
    }
    if (fn == "uint") {
      if (a0.kind == K::kUint) return Ok(a0);
      if (a0.kind == K::kInt) {
        if (a0.i < 0) return Err("unsigned integer overflow");
        return Ok(Value::Uint(static_cast<uint64_t>(a0.i)));
      }
      return bad();
    }
    if (fn == "double") {
      if (a0.kind == K::kDouble) return Ok(a0);
      if (a0.kind == K::kInt) return Ok(Value::Double(static_cast<double>(a0.i)));
      if (a0.kind == K::kUint) return Ok(Value::Double(static_cast<double>(a0.u)));
      if (a0.kind == K::kString) {
        char* end = nullptr;
        double v = std::strtod(a0.s.c_str(), &end);
        if (a0.s.empty() || *end) return Err("type conversion error from 'string' to 'double'");
        return Ok(Value::Double(v));
      }
      return bad();
    }
    if (fn == "string") {
      if (a0.kind == K::kString) return Ok(a0);
      if (a0.kind == K::kInt) return Ok(Value::String(std::to_string(a0.i)));
      if (a0.kind == K::kUint) return Ok(Value::String(std::to_string(a0.u)));
      if (a0.kind == K::kBool) return Ok(Value::String(a0.b ? "true" : "false"));
      return bad();
    }
    if (fn == "bool") {
      if (a0.kind == K::kBool) return Ok(a0);
      if (a0.kind == K::kString) {
        if (a0.s == "true" || a0.s == "True" || a0.s == "TRUE" || a0.s == "t" || a0.s == "1") {
          return Ok(Value::Bool(true));
        }
        if (a0.s == "false" || a0.s == "False" || a0.s == "FALSE" || a0.s == "f" || a0.s == "0") {
          return Ok(Value::Bool(false));
        }
        return Err("type conversion error from 'string' to 'bool'");
      }
      return bad();
    }
  }
  if (fn == "join" && method && a0.kind == K::kList && args.size() <= 2) {
    std::string sep = args.size() == 2 && args[1].kind == K::kString ? args[1].s : "";
    std::string out;
    for (size_t i = 0; i < a0.list->size(); ++i) {
      const Value& item = (*a0.list)[i];
      if (item.kind != K::kString) return bad();
      out += (i ? sep : "") + item.s;
    }
    if (!Charge(static_cast<int64_t>(out.size() / 10))) return Err(kCostExceeded);
    return Ok(Value::String(out));
  }
  // String functions: receiver and arguments are strings (indices are ints).
  if (a0.kind != K::kString) return bad();
  if (!Charge(static_cast<int64_t>(a0.s.size() / 10))) return Err(kCostExceeded);
  const std::string& s = a0.s;
  auto str_arg = [&](size_t i) -> const std::string* {
    return i < args.size() && args[i].kind == K::kString ? &args[i].s : nullptr;
  };
  if (args.size() == 1) {
    if (fn == "lowerAscii" || fn == "upperAscii") {
      std::string out = s;
      for (char& c : out) c = fn == "lowerAscii" ? std::tolower(c) : std::toupper(c);
      return Ok(Value::String(out));
    }
    if (fn == "trim") {
      size_t b = s.find_first_not_of(" \t\n\r\f\v");
      if (b == std::string::npos) return Ok(Value::String(""));
      size_t e = s.find_last_not_of(" \t\n\r\f\v");
      return Ok(Value::String(s.substr(b, e - b + 1)));
    }
    return bad();
  }
  const std::string* arg = str_arg(1);
  if (args.size() == 2 && arg) {
    if (fn == "startsWith") return Ok(Value::Bool(s.rfind(*arg, 0) == 0));
    if (fn == "endsWith") {
      return Ok(Value::Bool(s.size() >= arg->size() &&
                            s.compare(s.size() - arg->size(), arg->size(), *arg) == 0));
    }
    if (fn == "contains") return Ok(Value::Bool(s.find(*arg) != std::string::npos));
    if (fn == "indexOf" || fn == "lastIndexOf") {
      size_t at = fn == "indexOf" ? s.find(*arg) : s.rfind(*arg);
      return Ok(Value::Int(at == std::string::npos ? -1 : static_cast<int64_t>(at)));
    }
    if (fn == "split") {
      Value::List parts;
      size_t start = 0;
      while (!arg->empty()) {
        size_t at = s.find(*arg, start);
        if (at == std::string::npos) break;
        parts.push_back(Value::String(s.substr(start, at - start)));
        start = at + arg->size();
      }
      parts.push_back(Value::String(s.substr(start)));
      return Ok(Value::ListOf(std::move(parts)));
    }
    if (fn == "matches") {
      // RE2 syntax evaluated with ECMAScript regexes: the common subset agrees; inputs and
      // patterns are bounded so backtracking stays small.
      if (arg->size() > 1024 || s.size() > 64 * 1024) return Err("regex too large to evaluate");
      if (!Charge(static_cast<int64_t>(s.size() * arg->size() / 10 + 1))) {
        return Err(kCostExceeded);
      }
      try {
        std::regex re(*arg, std::regex::ECMAScript);
        return Ok(Value::Bool(std::regex_search(s, re)));
      } catch (const std::regex_error&) {
        return Err("invalid regex: " + *arg);
      }
    }
  }
  if (fn == "substring" && args.size() >= 2 && args.size() <= 3 && args[1].kind == K::kInt &&
      (args.size() == 2 || args[2].kind == K::kInt)) {
    int64_t n = static_cast<int64_t>(s.size());
    int64_t b = args[1].i;
    int64_t e = args.size() == 3 ? args[2].i : n;
    if (b < 0 || e > n || b > e) return Err("index out of range: " + std::to_string(b));
    return Ok(Value::String(s.substr(b, e - b)));
  }
  if (fn == "replace" && args.size() == 3 && arg && str_arg(2)) {
    if (arg->empty()) return bad();
    std::string out;
    size_t start = 0;
    while (true) {
      size_t at = s.find(*arg, start);
      if (at == std::string::npos) break;
      out += s.substr(start, at - start) + *str_arg(2);
      start = at + arg->size();
    }
    return Ok(Value::String(out + s.substr(start)));
  }
  return bad();
}

Outcome Evaluator::Comprehension(const Node& n) {
  Outcome range = Eval(*n.args[0]);
  if (!range.ok()) return range;
  std::vector<Value> items;
  if (range.value.kind == K::kList) {
    items = *range.value.list;
  } else if (range.value.kind == K::kMap) {
    for (const auto& e : *range.value.map) items.push_back(e.first);
  } else {
    return Err(Overload(n.name, {range.value}));
  }
  auto saved = vars_.find(n.var);
  std::optional<Value> shadowed;
  if (saved != vars_.end()) shadowed = saved->second;
  Value::List mapped;
  int64_t matches = 0;
  std::string pending_error;  // all/exists absorb errors when another element decides
  Outcome result = Ok(Value::Null());
  bool decided = false;
  for (const Value& item : items) {
    if (!Charge(1)) {
      result = Err(kCostExceeded);
      decided = true;
      break;
    }
    vars_[n.var] = item;
    Outcome p = Eval(*n.args[1]);
    if (p.error == kCostExceeded) {
      result = p;
      decided = true;
      break;
    }
    if (n.name == "map" && n.args.size() == 2) {
      if (!p.ok()) {
        result = p;
        decided = true;
        break;
      }
      mapped.push_back(std::move(p.value));
      continue;
    }
    if (!p.ok()) {
      if (n.name == "all" || n.name == "exists") {
        if (pending_error.empty()) pending_error = p.error;
        continue;
      }
      result = p;
      decided = true;
      break;
    }
    if (p.value.kind != K::kBool) {
      result = Err(Overload(n.name, {p.value}));
      decided = true;
      break;
    }
    if (n.name == "all" && !p.value.b) {
      result = Ok(Value::Bool(false));
      decided = true;
      break;
    }
    if (n.name == "exists" && p.value.b) {
      result = Ok(Value::Bool(true));
      decided = true;
      break;
    }
    if (n.name == "exists_one" && p.value.b) ++matches;
    if ((n.name == "filter" || n.name == "map") && p.value.b) {
      if (n.name == "filter") {
        mapped.push_back(item);
      } else {
        Outcome f = Eval(*n.args[2]);
        if (!f.ok()) {
          result = f;
          decided = true;
          break;
        }
        mapped.push_back(std::move(f.value));
      }
    }
  }
  if (!decided) {
    if (!pending_error.empty()) {
      result = Err(pending_error);
    } else if (n.name == "all") {
      result = Ok(Value::Bool(true));
    } else if (n.name == "exists") {
      result = Ok(Value::Bool(false));
    } else if (n.name == "exists_one") {
      result = Ok(Value::Bool(matches == 1));
    } else {
      result = Ok(Value::ListOf(std::move(mapped)));
    }
  }
  if (shadowed) {
    vars_[n.var] = *shadowed;
  } else {
    vars_.erase(n.var);
  }
  return result;
}

}  // namespace

// ---------- Program ----------

Result<Program> Program::Compile(std::string_view source, const std::set<std::string>& variables,
                                 const Limits& limits) {
  Program p;
  auto parsed = Parse(source, variables, limits, &p.referenced_);
  if (!parsed.ok()) return parsed.status();
  p.root_ = *parsed;
  p.source_ = std::string(source);
  p.limits_ = limits;
  return p;
}

Result<Value> Program::Eval(const std::map<std::string, Value>& variables, int64_t* cost) const {
  Evaluator evaluator(limits_, variables);
  Outcome out = evaluator.Eval(*root_);
  if (cost) *cost = evaluator.cost();
  if (!out.ok()) return Status::InvalidArgument(out.error);
  return out.value;
}

}  // namespace mlgitops::kubesim::cel
