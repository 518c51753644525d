// A small, bounded evaluator for the subset of CEL that CRD x-kubernetes-validations and webhook
// matchConditions are written in. Anything outside the subset fails to compile (loudly).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "object/object.h"
#include "object/status.h"

namespace mlgitops::kubesim::cel {

/// A CEL value. Kubernetes objects are maps with string keys (field selection on a missing key
/// is the error "no such key", as for CEL objects built from schemas).
struct Value {
  enum class Kind { kNull, kBool, kInt, kUint, kDouble, kString, kList, kMap };
  using List = std::vector<Value>;
  using Map = std::vector<std::pair<Value, Value>>;  // insertion order, unique keys

  Kind kind = Kind::kNull;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  std::string s;
  std::shared_ptr<const List> list;
  std::shared_ptr<const Map> map;

  static Value Null() { return Value(); }
  static Value Bool(bool v);
  static Value Int(int64_t v);
  static Value Uint(uint64_t v);
  static Value Double(double v);
  static Value String(std::string v);
  static Value ListOf(List items);
  static Value MapOf(Map entries);

  /// The entry for `key` in a map, or nullptr.
  const Value* Find(std::string_view key) const;
};

/// CEL's name for the value's type: "int", "string", "map", ...
std::string TypeName(const Value& v);
/// CEL's heterogeneous equality (1 == 1.0; values of unrelated types are unequal).
bool Equal(const Value& a, const Value& b);
bool IsNumber(const Value& v);
/// Orders two numbers of any numeric kinds exactly: -1, 0, 1, or 2 when unordered (NaN).
int CompareNumbers(const Value& a, const Value& b);
/// JSON to CEL without a schema: integral numbers become int, others double.
Value FromJson(const JsonValue& v);

/// Limits that keep hostile expressions from exhausting kubesim.
struct Limits {
  size_t max_source_bytes = 8 * 1024;
  int max_nesting = 48;        // parser recursion depth
  int64_t max_cost = 1000000;  // evaluation steps per call (Kubernetes' PerCallLimit)
};

struct Node;

/// A compiled expression. Compile refuses syntax and functions outside the subset with a
/// message in cel-go's "ERROR: <input>:LINE:COL: ..." form.
class Program {
 public:
  static Result<Program> Compile(std::string_view source, const std::set<std::string>& variables,
                                 const Limits& limits = {});
  /// Evaluates with `variables` bound; errors carry cel-go's runtime wording ("no such key: x").
  /// `cost`, when given, receives the evaluation steps spent (against Limits::max_cost).
  Result<Value> Eval(const std::map<std::string, Value>& variables, int64_t* cost = nullptr) const;
  /// Whether the expression mentions the top-level variable `name` (e.g. oldSelf).
  bool References(const std::string& name) const { return referenced_.count(name) > 0; }
  const std::string& source() const { return source_; }

 private:
  std::shared_ptr<const Node> root_;
  std::set<std::string> referenced_;
  std::string source_;
  Limits limits_;
};

// ---- parser internals shared by cel_parse.cc and cel.cc ----

struct Node {
  enum class Op {
    kLiteral,
    kIdent,   // name
    kSelect,  // args[0].name
    kHas,     // has(args[0].name)
    kIndex,   // args[0][args[1]]
    kCall,    // name(args...) or args[0].name(args[1..]) when `method`
    kList,    // [args...]
    kMap,     // {args[0]: args[1], ...}
    kCompre,  // args[0].name(var, args[1]) or map(var, args[1], args[2])
    kAnd,
    kOr,
    kNot,
    kNeg,
    kCond,    // args[0] ? args[1] : args[2]
    kBinary,  // args[0] name args[1]: == != < <= > >= in + - * / %
  };
  Op op = Op::kLiteral;
  std::string name;
  std::string var;  // comprehension variable
  bool method = false;
  Value literal;
  std::vector<std::shared_ptr<const Node>> args;
};

/// Height of the tree under `n` (a leaf is 1): evaluation recurses this deep.
int TreeHeight(const Node& n, int stop_at);

/// Parses `source`; the functions and macros it may call are checked here too.
Result<std::shared_ptr<const Node>> Parse(std::string_view source,
                                          const std::set<std::string>& variables,
                                          const Limits& limits, std::set<std::string>* referenced);

}  // namespace mlgitops::kubesim::cel
