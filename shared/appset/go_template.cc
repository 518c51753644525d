// A small Go text/template: the template is split into text and actions, actions are parsed into
// a tree (if/else/with/range blocks, pipelines of commands), then executed against the params.
#include "appset/go_template.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "object/yaml_writer.h"

namespace mlgitops {

namespace {

// ---- Parse tree ----

struct Pipeline;

struct Operand {
  enum Kind { kDot, kField, kVar, kString, kInt, kFloat, kBool, kNil, kFunc, kSub } kind = kDot;
  std::string text;                 // variable, literal or function name
  std::vector<std::string> fields;  // `.a.b` after the dot, a variable or a sub-pipeline
  int64_t integer = 0;
  double number = 0;
  bool boolean = false;
  std::shared_ptr<Pipeline> sub;
};

struct Command {
  std::vector<Operand> operands;
};

struct Pipeline {
  std::vector<std::string> declared;  // `$i, $v :=`
  std::vector<Command> commands;
};

struct Node {
  enum Kind { kText, kOutput, kIf, kWith, kRange } kind = kText;
  std::string text;
  Pipeline pipeline;
  std::vector<Node> body;
  std::vector<Node> else_body;
};

const std::set<std::string>& KnownFunctions() {
  static const std::set<std::string> names = {
      "index",     "default",   "lower",    "upper",     "replace",  "trunc",      "quote",
      "squote",    "toJson",    "toYaml",   "normalize", "slugify",  "eq",         "ne",
      "not",       "and",       "or",       "len",       "trim",     "trimPrefix", "trimSuffix",
      "hasPrefix", "hasSuffix", "contains", "join",      "toString", "empty",      "hasKey",
      "printf",    "print",     "title",    "lt",        "le",       "gt",         "ge"};
  return names;
}

bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Reads the operands of one action's text.
class ActionParser {
 public:
  explicit ActionParser(std::string_view text) : text_(text) {}

  Result<Pipeline> ParseWhole() {
    auto pipeline = ParsePipeline();
    if (!pipeline.ok()) return pipeline;
    SkipSpace();
    if (pos_ < text_.size()) return Error("unexpected \"" + std::string(text_.substr(pos_)) + "\"");
    return pipeline;
  }

 private:
  Status Error(const std::string& what) const {
    return Status::InvalidArgument("template: " + what + " in {{" + std::string(text_) + "}}");
  }
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Peek(char c) {
    SkipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  std::string Ident() {
    size_t start = pos_;
    while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }
  // `.a.b.c` at pos_ (pos_ on a '.').
  std::vector<std::string> FieldChain() {
    std::vector<std::string> fields;
    while (pos_ < text_.size() && text_[pos_] == '.' && pos_ + 1 < text_.size() &&
           IsIdentChar(text_[pos_ + 1])) {
      ++pos_;
      fields.push_back(Ident());
    }
    return fields;
  }

  Result<Pipeline> ParsePipeline() {
    Pipeline pipeline;
    size_t save = pos_;
    // Declarations: `$v :=` or `$i, $v :=`.
    std::vector<std::string> names;
    while (Peek('$')) {
      ++pos_;
      names.push_back(Ident());
      if (Peek(',')) {
        ++pos_;
        continue;
      }
      break;
    }
    SkipSpace();
    if (!names.empty() && text_.substr(pos_, 2) == ":=") {
      pos_ += 2;
      pipeline.declared = std::move(names);
    } else {
      pos_ = save;
    }
    while (true) {
      Command command;
      while (true) {
        SkipSpace();
        if (pos_ >= text_.size() || text_[pos_] == '|' || text_[pos_] == ')') break;
        auto operand = ParseOperand();
        if (!operand.ok()) return operand.status();
        command.operands.push_back(std::move(*operand));
      }
      if (command.operands.empty()) return Error("missing value for command");
      pipeline.commands.push_back(std::move(command));
      if (!Peek('|')) break;
      ++pos_;
    }
    return pipeline;
  }

  Result<Operand> ParseOperand() {
    Operand op;
    char c = text_[pos_];
    if (c == '.') {
      op.kind = Operand::kField;
      op.fields = FieldChain();
      if (op.fields.empty()) {
        ++pos_;
        op.kind = Operand::kDot;
      }
      return op;
    }
    if (c == '$') {
      ++pos_;
      op.kind = Operand::kVar;
      op.text = Ident();
      op.fields = FieldChain();
      return op;
    }
    if (c == '"' || c == '`') return ParseString();
    if (c == '(') {
      ++pos_;
      auto sub = ParsePipeline();
      if (!sub.ok()) return sub.status();
      if (!Peek(')')) return Error("unclosed (");
      ++pos_;
      op.kind = Operand::kSub;
      op.sub = std::make_shared<Pipeline>(std::move(*sub));
      op.fields = FieldChain();
      return op;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+') return ParseNumber();
    if (IsIdentChar(c)) {
      op.text = Ident();
      if (op.text == "true" || op.text == "false") {
        op.kind = Operand::kBool;
        op.boolean = op.text == "true";
      } else if (op.text == "nil") {
        op.kind = Operand::kNil;
      } else if (KnownFunctions().count(op.text)) {
        op.kind = Operand::kFunc;
      } else {
        return Error("function \"" + op.text + "\" not defined");
      }
      return op;
    }
    return Error(std::string("unexpected character '") + c + "'");
  }

  Result<Operand> ParseString() {
    Operand op;
    op.kind = Operand::kString;
    char quote = text_[pos_++];
    while (pos_ < text_.size() && text_[pos_] != quote) {
      char c = text_[pos_++];
      if (c == '\\' && quote == '"' && pos_ < text_.size()) {
        char e = text_[pos_++];
        op.text += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      } else {
        op.text += c;
      }
    }
    if (pos_ >= text_.size()) return Error("unterminated quoted string");
    ++pos_;
    return op;
  }

  Result<Operand> ParseNumber() {
    size_t start = pos_;
    ++pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.')) {
      ++pos_;
    }
    std::string literal(text_.substr(start, pos_ - start));
    Operand op;
    char* end = nullptr;
    op.integer = std::strtoll(literal.c_str(), &end, 10);
    if (end && *end == '\0') {
      op.kind = Operand::kInt;
      return op;
    }
    op.number = std::strtod(literal.c_str(), &end);
    if (!end || *end != '\0') return Error("bad number syntax: " + literal);
    op.kind = Operand::kFloat;
    return op;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// ---- Splitting the template into text and actions ----

struct Item {
  bool action = false;
  std::string text;  // the text, or the action's inner text without trim markers
};

Result<std::vector<Item>> SplitTemplate(std::string_view text) {
  std::vector<Item> items;
  size_t pos = 0;
  bool trim_next = false;
  while (pos <= text.size()) {
    size_t open = text.find("{{", pos);
    std::string chunk(text.substr(pos, open == std::string_view::npos ? text.npos : open - pos));
    if (trim_next) {
      size_t first = chunk.find_first_not_of(" \t\r\n");
      chunk = first == std::string::npos ? "" : chunk.substr(first);
    }
    if (open == std::string_view::npos) {
      if (!chunk.empty()) items.push_back({false, chunk});
      break;
    }
    size_t inner = open + 2;
    bool trim_before = text.size() > inner + 1 && text[inner] == '-' &&
                       std::isspace(static_cast<unsigned char>(text[inner + 1]));
    if (trim_before) {
      size_t last = chunk.find_last_not_of(" \t\r\n");
      chunk = last == std::string::npos ? "" : chunk.substr(0, last + 1);
      ++inner;
    }
    if (!chunk.empty()) items.push_back({false, chunk});
    size_t close = text.find("}}", inner);
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("template: unclosed action \"" +
                                     std::string(text.substr(open, 40)) + "\"");
    }
    size_t inner_end = close;
    trim_next = close > inner && text[close - 1] == '-' && close - 1 > inner &&
                std::isspace(static_cast<unsigned char>(text[close - 2]));
    if (trim_next) --inner_end;
    std::string action(text.substr(inner, inner_end - inner));
    size_t a = action.find_first_not_of(" \t\r\n");
    size_t b = action.find_last_not_of(" \t\r\n");
    action = a == std::string::npos ? "" : action.substr(a, b - a + 1);
    if (!(action.size() >= 4 && action.compare(0, 2, "/*") == 0)) items.push_back({true, action});
    pos = close + 2;
  }
  return items;
}

// The first word of an action ("if", "end", ...) and the rest.
std::pair<std::string, std::string> Keyword(const std::string& action) {
  size_t end = 0;
  while (end < action.size() && IsIdentChar(action[end])) ++end;
  std::string word = action.substr(0, end);
  static const std::set<std::string> keywords = {
      "if", "else", "end", "with", "range", "define", "template", "block", "break", "continue"};
  if (!keywords.count(word)) return {"", action};
  size_t rest = action.find_first_not_of(" \t\r\n", end);
  return {word, rest == std::string::npos ? "" : action.substr(rest)};
}

class TreeParser {
 public:
  explicit TreeParser(std::vector<Item> items) : items_(std::move(items)) {}

  Result<std::vector<Node>> ParseAll() {
    std::string keyword, rest;
    auto nodes = ParseList(&keyword, &rest);
    if (!nodes.ok()) return nodes;
    if (!keyword.empty())
      return Status::InvalidArgument("template: unexpected {{" + keyword + "}}");
    return nodes;
  }

 private:
  // Nodes until an `else` or `end` (returned in *keyword) or the end of the template ("").
  Result<std::vector<Node>> ParseList(std::string* keyword, std::string* rest) {
    std::vector<Node> nodes;
    while (pos_ < items_.size()) {
      const Item& item = items_[pos_++];
      if (!item.action) {
        nodes.push_back(Node{Node::kText, item.text, {}, {}, {}});
        continue;
      }
      auto [word, remainder] = Keyword(item.text);
      if (word == "else" || word == "end") {
        *keyword = word;
        *rest = remainder;
        return nodes;
      }
      Node node;
      if (word == "if" || word == "with" || word == "range") {
        node.kind = word == "if" ? Node::kIf : word == "with" ? Node::kWith : Node::kRange;
        Status s = ParseBlock(remainder, &node);
        if (!s.ok()) return s;
      } else if (!word.empty()) {
        return Status::InvalidArgument("template: {{" + word + "}} is not supported");
      } else {
        node.kind = Node::kOutput;
        auto pipeline = ActionParser(item.text).ParseWhole();
        if (!pipeline.ok()) return pipeline.status();
        node.pipeline = std::move(*pipeline);
      }
      nodes.push_back(std::move(node));
    }
    keyword->clear();
    return nodes;
  }

  Status ParseBlock(const std::string& condition, Node* node) {
    auto pipeline = ActionParser(condition).ParseWhole();
    if (!pipeline.ok()) return pipeline.status();
    node->pipeline = std::move(*pipeline);
    std::string keyword, rest;
    auto body = ParseList(&keyword, &rest);
    if (!body.ok()) return body.status();
    node->body = std::move(*body);
    if (keyword == "else") {
      auto [word, remainder] = Keyword(rest);
      if (word == "if" || word == "with") {
        Node chained;
        chained.kind = word == "if" ? Node::kIf : Node::kWith;
        Status s = ParseBlock(remainder, &chained);
        node->else_body.push_back(std::move(chained));
        return s;
      }
      auto else_body = ParseList(&keyword, &rest);
      if (!else_body.ok()) return else_body.status();
      node->else_body = std::move(*else_body);
    }
    if (keyword != "end")
      return Status::InvalidArgument("template: unexpected EOF (missing {{end}})");
    return Status::OK();
  }

  std::vector<Item> items_;
  size_t pos_ = 0;
};

// ---- Execution ----

struct Value {
  enum Kind { kMissing, kNil, kString, kInt, kFloat, kBool, kJson } kind = kNil;
  std::string str;  // kString; for kMissing the key that was missing
  int64_t integer = 0;
  double number = 0;
  bool boolean = false;
  const JsonValue* json = nullptr;  // kJson: a map or list inside the params

  static Value String(std::string s) {
    Value v;
    v.kind = kString;
    v.str = std::move(s);
    return v;
  }
  static Value Bool(bool b) {
    Value v;
    v.kind = kBool;
    v.boolean = b;
    return v;
  }
  static Value Int(int64_t i) {
    Value v;
    v.kind = kInt;
    v.integer = i;
    return v;
  }
  static Value Missing(std::string key) {
    Value v;
    v.kind = kMissing;
    v.str = std::move(key);
    return v;
  }
};

Value FromJson(const JsonValue& j) {
  Value v;
  if (j.IsString()) return Value::String(std::string(j.GetString(), j.GetStringLength()));
  if (j.IsBool()) return Value::Bool(j.GetBool());
  if (j.IsInt64()) return Value::Int(j.GetInt64());
  if (j.IsNumber()) {
    v.kind = Value::kFloat;
    v.number = j.GetDouble();
  } else if (j.IsObject() || j.IsArray()) {
    v.kind = Value::kJson;
    v.json = &j;
  }
  return v;
}

bool Truthy(const Value& v) {
  switch (v.kind) {
    case Value::kString:
      return !v.str.empty();
    case Value::kInt:
      return v.integer != 0;
    case Value::kFloat:
      return v.number != 0;
    case Value::kBool:
      return v.boolean;
    case Value::kJson:
      return v.json->IsObject() ? v.json->MemberCount() > 0 : !v.json->Empty();
    default:
      return false;
  }
}

std::string GoQuote(const std::string& s, char quote) {
  std::string out(1, quote);
  for (char c : s) {
    if (c == quote || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + quote;
}

using Vars = std::vector<std::pair<std::string, Value>>;

class Executor {
 public:
  Executor(const JsonValue& params, const TemplateOptions& options)
      : root_(FromJson(params)), options_(options) {}

  Status Run(const std::vector<Node>& nodes, std::string* out) {
    vars_.push_back({"", root_});
    return RunList(nodes, root_, out);
  }

 private:
  Status MissingError(const Value& v) const {
    return Status::InvalidArgument("map has no entry for key \"" + v.str + "\"");
  }

  // Text of a value as the template prints it.
  Result<std::string> Text(const Value& v) const {
    switch (v.kind) {
      case Value::kMissing:
        if (options_.StrictMissing()) return MissingError(v);
        return std::string("<no value>");
      case Value::kNil:
        return std::string("<no value>");
      case Value::kString:
        return v.str;
      case Value::kInt:
        return std::to_string(v.integer);
      case Value::kFloat:
        return FormatFloat(v.number);
      case Value::kBool:
        return std::string(v.boolean ? "true" : "false");
      case Value::kJson:
        return ToJson(*v.json);
    }
    return std::string();
  }

  // A function argument as text: a missing key is an error when strict, else "".
  Result<std::string> ArgText(const Value& v) const {
    if (v.kind == Value::kMissing && !options_.StrictMissing()) return std::string();
    if (v.kind == Value::kNil) return std::string();
    return Text(v);
  }

  Result<int64_t> ArgInt(const Value& v) const {
    if (v.kind == Value::kInt) return v.integer;
    if (v.kind == Value::kFloat) return static_cast<int64_t>(v.number);
    auto text = ArgText(v);
    if (!text.ok()) return text.status();
    char* end = nullptr;
    long long n = std::strtoll(text->c_str(), &end, 10);
    if (text->empty() || *end)
      return Status::InvalidArgument("expected an integer, got \"" + *text + "\"");
    return static_cast<int64_t>(n);
  }

  Result<Value> Field(Value base, const std::vector<std::string>& fields) const {
    for (const std::string& name : fields) {
      if (base.kind == Value::kMissing || base.kind == Value::kNil) {
        base = Value::Missing(base.kind == Value::kMissing ? base.str + "." + name : name);
        continue;
      }
      if (base.kind != Value::kJson || !base.json->IsObject()) {
        static const char* kTypes[] = {"missing", "nil",  "string",        "int",
                                       "float64", "bool", "[]interface {}"};
        return Status::InvalidArgument("can't evaluate field " + name + " in type " +
                                       kTypes[base.kind]);
      }
      auto it = base.json->FindMember(name.c_str());
      base = it == base.json->MemberEnd() ? Value::Missing(name) : FromJson(it->value);
    }
    return base;
  }

  Result<Value> EvalOperand(const Operand& op, const Value& dot) {
    switch (op.kind) {
      case Operand::kDot:
        return dot;
      case Operand::kField:
        return Field(dot, op.fields);
      case Operand::kVar: {
        for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
          if (it->first == op.text) return Field(it->second, op.fields);
        }
        return Status::InvalidArgument("undefined variable: $" + op.text);
      }
      case Operand::kString:
        return Value::String(op.text);
      case Operand::kInt:
        return Value::Int(op.integer);
      case Operand::kFloat: {
        Value v;
        v.kind = Value::kFloat;
        v.number = op.number;
        return v;
      }
      case Operand::kBool:
        return Value::Bool(op.boolean);
      case Operand::kNil:
        return Value();
      case Operand::kSub: {
        auto v = Eval(*op.sub, dot);
        if (!v.ok()) return v;
        return Field(*v, op.fields);
      }
      case Operand::kFunc:
        break;
    }
    return Status::Internal("function used as a value");
  }

  Result<Value> Eval(const Pipeline& pipeline, const Value& dot) {
    std::optional<Value> piped;
    for (const Command& command : pipeline.commands) {
      const Operand& head = command.operands.front();
      if (head.kind != Operand::kFunc) {
        if (command.operands.size() > 1 || piped) {
          return Status::InvalidArgument("can't give argument to non-function");
        }
        auto v = EvalOperand(head, dot);
        if (!v.ok()) return v;
        piped = std::move(*v);
        continue;
      }
      std::vector<Value> args;
      for (size_t i = 1; i < command.operands.size(); ++i) {
        auto v = EvalOperand(command.operands[i], dot);
        if (!v.ok()) return v;
        args.push_back(std::move(*v));
      }
      if (piped) args.push_back(std::move(*piped));
      auto result = Call(head.text, args);
      if (!result.ok()) return result.status().Prefixed("error calling " + head.text);
      piped = std::move(*result);
    }
    Value result = piped ? std::move(*piped) : Value();
    if (pipeline.declared.size() == 1) vars_.push_back({pipeline.declared[0], result});
    return result;
  }

  Status Need(const std::vector<Value>& args, size_t n, const std::string& name) const {
    if (args.size() == n) return Status::OK();
    return Status::InvalidArgument("wrong number of args for " + name + ": want " +
                                   std::to_string(n) + " got " + std::to_string(args.size()));
  }

  Result<Value> StringFn(const std::vector<Value>& args, size_t n, const std::string& name,
                         const std::function<std::string(const std::vector<std::string>&)>& fn) {
    Status s = Need(args, n, name);
    if (!s.ok()) return s;
    std::vector<std::string> texts;
    for (const Value& v : args) {
      auto t = ArgText(v);
      if (!t.ok()) return t.status();
      texts.push_back(std::move(*t));
    }
    return Value::String(fn(texts));
  }

  Result<bool> Equal(const Value& a, const Value& b) const {
    if (a.kind == Value::kInt && b.kind == Value::kFloat) return a.integer == b.number;
    if (a.kind == Value::kFloat && b.kind == Value::kInt) return a.number == b.integer;
    if ((a.kind == Value::kMissing || a.kind == Value::kNil) &&
        (b.kind == Value::kMissing || b.kind == Value::kNil)) {
      return true;
    }
    if (a.kind != b.kind) return false;
    auto ta = Text(a), tb = Text(b);
    if (!ta.ok()) return ta.status();
    if (!tb.ok()) return tb.status();
    return *ta == *tb;
  }

  Result<Value> Compare(const std::vector<Value>& args, const std::string& name) {
    Status s = Need(args, 2, name);
    if (!s.ok()) return s;
    double a = 0, b = 0;
    bool numeric = args[0].kind == Value::kInt || args[0].kind == Value::kFloat;
    if (numeric) {
      a = args[0].kind == Value::kInt ? args[0].integer : args[0].number;
      b = args[1].kind == Value::kInt ? args[1].integer : args[1].number;
    }
    int cmp = 0;
    if (numeric) {
      cmp = a < b ? -1 : a > b ? 1 : 0;
    } else {
      auto ta = ArgText(args[0]), tb = ArgText(args[1]);
      if (!ta.ok()) return ta.status();
      if (!tb.ok()) return tb.status();
      cmp = ta->compare(*tb);
    }
    if (name == "lt") return Value::Bool(cmp < 0);
    if (name == "le") return Value::Bool(cmp <= 0);
    if (name == "gt") return Value::Bool(cmp > 0);
    return Value::Bool(cmp >= 0);
  }

  Result<Value> Index(const std::vector<Value>& args) {
    if (args.empty()) return Status::InvalidArgument("index of nothing");
    Value v = args[0];
    for (size_t i = 1; i < args.size(); ++i) {
      if (v.kind == Value::kMissing || v.kind == Value::kNil) return Value::Missing(args[i].str);
      if (v.kind != Value::kJson) return Status::InvalidArgument("can't index item of this type");
      if (v.json->IsObject()) {
        auto key = ArgText(args[i]);
        if (!key.ok()) return key.status();
        auto it = v.json->FindMember(key->c_str());
        v = it == v.json->MemberEnd() ? Value::Missing(*key) : FromJson(it->value);
      } else {
        auto n = ArgInt(args[i]);
        if (!n.ok()) return n.status();
        if (*n < 0 || static_cast<size_t>(*n) >= v.json->Size()) {
          return Status::InvalidArgument("index out of range: " + std::to_string(*n));
        }
        v = FromJson((*v.json)[static_cast<rapidjson::SizeType>(*n)]);
      }
    }
    return v;
  }

  Result<Value> Call(const std::string& name, const std::vector<Value>& args) {
    if (name == "index") return Index(args);
    if (name == "default") {
      if (args.empty() || args.size() > 2) return Need(args, 2, name);
      if (args.size() == 1 || !Truthy(args[1])) return args[0];
      return args[1];
    }
    if (name == "empty" || name == "not") {
      Status s = Need(args, 1, name);
      if (!s.ok()) return s;
      return Value::Bool(!Truthy(args[0]));
    }
    if (name == "and" || name == "or") {
      if (args.empty()) return Need(args, 1, name);
      for (const Value& v : args) {
        if (Truthy(v) == (name == "or")) return v;
      }
      return args.back();
    }
    if (name == "eq" || name == "ne") {
      if (args.size() < 2) return Need(args, 2, name);
      bool any = false;
      for (size_t i = 1; i < args.size(); ++i) {
        auto e = Equal(args[0], args[i]);
        if (!e.ok()) return e.status();
        any = any || *e;
      }
      return Value::Bool(name == "eq" ? any : !any);
    }
    if (name == "lt" || name == "le" || name == "gt" || name == "ge") return Compare(args, name);
    if (name == "hasKey") {
      Status s = Need(args, 2, name);
      if (!s.ok()) return s;
      auto key = ArgText(args[1]);
      if (!key.ok()) return key.status();
      return Value::Bool(args[0].kind == Value::kJson && args[0].json->IsObject() &&
                         args[0].json->HasMember(key->c_str()));
    }
    if (name == "len") {
      Status s = Need(args, 1, name);
      if (!s.ok()) return s;
      if (args[0].kind == Value::kJson) {
        return Value::Int(args[0].json->IsObject() ? args[0].json->MemberCount()
                                                   : args[0].json->Size());
      }
      auto t = ArgText(args[0]);
      if (!t.ok()) return t.status();
      return Value::Int(static_cast<int64_t>(t->size()));
    }
    if (name == "toJson") {
      Status s = Need(args, 1, name);
      if (!s.ok()) return s;
      if (args[0].kind == Value::kJson) return Value::String(ToJson(*args[0].json));
      if (args[0].kind == Value::kString) return Value::String(GoQuote(args[0].str, '"'));
      if (args[0].kind == Value::kNil || args[0].kind == Value::kMissing) {
        if (args[0].kind == Value::kMissing && options_.StrictMissing())
          return MissingError(args[0]);
        return Value::String("null");
      }
      auto text = Text(args[0]);
      if (!text.ok()) return text.status();
      return Value::String(*text);
    }
    if (name == "toYaml") {
      Status s = Need(args, 1, name);
      if (!s.ok()) return s;
      if (args[0].kind != Value::kJson)
        return StringFn(args, 1, name, [](auto& a) { return a[0]; });
      std::string yaml = ToYaml(*args[0].json);
      while (!yaml.empty() && yaml.back() == '\n') yaml.pop_back();
      return Value::String(yaml);
    }
    if (name == "join") {
      Status s = Need(args, 2, name);
      if (!s.ok()) return s;
      auto sep = ArgText(args[0]);
      if (!sep.ok()) return sep.status();
      if (args[1].kind != Value::kJson || !args[1].json->IsArray()) {
        auto text = ArgText(args[1]);
        if (!text.ok()) return text.status();
        return Value::String(*text);
      }
      std::string out;
      for (const auto& item : args[1].json->GetArray()) {
        auto t = Text(FromJson(item));
        if (!t.ok()) return t.status();
        if (!out.empty() || &item != args[1].json->Begin()) out += *sep;
        out += *t;
      }
      return Value::String(out);
    }
    if (name == "slugify") {
      Status s = Need(args, 3, name);
      if (!s.ok()) return s;
      auto size = ArgInt(args[0]);
      if (!size.ok()) return size.status();
      auto text = ArgText(args[2]);
      if (!text.ok()) return text.status();
      return Value::String(
          Slugify(*text, static_cast<size_t>(std::max<int64_t>(0, *size)), Truthy(args[1])));
    }
    if (name == "trunc") {
      Status s = Need(args, 2, name);
      if (!s.ok()) return s;
      auto n = ArgInt(args[0]);
      if (!n.ok()) return n.status();
      auto text = ArgText(args[1]);
      if (!text.ok()) return text.status();
      size_t count = static_cast<size_t>(std::llabs(*n));
      if (count >= text->size()) return Value::String(*text);
      return Value::String(*n >= 0 ? text->substr(0, count) : text->substr(text->size() - count));
    }
    if (name == "quote" || name == "squote") {
      std::string out;
      for (const Value& v : args) {
        auto t = ArgText(v);
        if (!t.ok()) return t.status();
        if (!out.empty()) out += ' ';
        out += GoQuote(*t, name == "quote" ? '"' : '\'');
      }
      return Value::String(out);
    }
    if (name == "printf" || name == "print") return Printf(name, args);
    return SimpleStringFunction(name, args);
  }

  // One-line string functions: the arguments as text in, text out.
  Result<Value> SimpleStringFunction(const std::string& name, const std::vector<Value>& args) {
    using Texts = std::vector<std::string>;
    auto mapped = [](std::string s, int (*fn)(int)) {
      for (char& c : s) c = static_cast<char>(fn(static_cast<unsigned char>(c)));
      return s;
    };
    if (name == "lower")
      return StringFn(args, 1, name, [&](const Texts& a) { return mapped(a[0], ::tolower); });
    if (name == "upper")
      return StringFn(args, 1, name, [&](const Texts& a) { return mapped(a[0], ::toupper); });
    if (name == "toString") return StringFn(args, 1, name, [](const Texts& a) { return a[0]; });
    if (name == "normalize")
      return StringFn(args, 1, name, [](const Texts& a) { return NormalizeName(a[0]); });
    if (name == "title") {
      return StringFn(args, 1, name, [](const Texts& a) {
        std::string s = a[0];
        bool start = true;
        for (char& c : s) {
          if (start) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
          start = std::isspace(static_cast<unsigned char>(c));
        }
        return s;
      });
    }
    if (name == "trim") {
      return StringFn(args, 1, name, [](const Texts& a) {
        size_t b = a[0].find_first_not_of(" \t\r\n"), e = a[0].find_last_not_of(" \t\r\n");
        return b == std::string::npos ? std::string() : a[0].substr(b, e - b + 1);
      });
    }
    if (name == "replace") {
      return StringFn(args, 3, name, [](const Texts& a) {
        if (a[0].empty()) return a[2];
        std::string out;
        size_t pos = 0, hit;
        while ((hit = a[2].find(a[0], pos)) != std::string::npos) {
          out += a[2].substr(pos, hit - pos) + a[1];
          pos = hit + a[0].size();
        }
        return out + a[2].substr(pos);
      });
    }
    if (name == "trimPrefix") {
      return StringFn(args, 2, name, [](const Texts& a) {
        return a[1].compare(0, a[0].size(), a[0]) == 0 ? a[1].substr(a[0].size()) : a[1];
      });
    }
    if (name == "trimSuffix") {
      return StringFn(args, 2, name, [](const Texts& a) {
        bool has = a[1].size() >= a[0].size() &&
                   a[1].compare(a[1].size() - a[0].size(), a[0].size(), a[0]) == 0;
        return has ? a[1].substr(0, a[1].size() - a[0].size()) : a[1];
      });
    }
    if (name == "hasPrefix" || name == "hasSuffix" || name == "contains") {
      Status s = Need(args, 2, name);
      if (!s.ok()) return s;
      auto part = ArgText(args[0]), whole = ArgText(args[1]);
      if (!part.ok()) return part.status();
      if (!whole.ok()) return whole.status();
      if (name == "contains") return Value::Bool(whole->find(*part) != std::string::npos);
      if (part->size() > whole->size()) return Value::Bool(false);
      size_t at = name == "hasPrefix" ? 0 : whole->size() - part->size();
      return Value::Bool(whole->compare(at, part->size(), *part) == 0);
    }
    return Status::InvalidArgument("function \"" + name + "\" not defined");
  }

  // printf with %s %d %v %q and %%; print joins its arguments.
  Result<Value> Printf(const std::string& name, const std::vector<Value>& args) {
    std::vector<std::string> texts;
    for (const Value& v : args) {
      auto t = ArgText(v);
      if (!t.ok()) return t.status();
      texts.push_back(std::move(*t));
    }
    if (name == "print") {
      std::string out;
      for (const auto& t : texts) out += t;
      return Value::String(out);
    }
    if (texts.empty()) return Need(args, 1, name);
    std::string out;
    size_t next = 1;
    const std::string& format = texts[0];
    for (size_t i = 0; i < format.size(); ++i) {
      if (format[i] != '%' || i + 1 >= format.size()) {
        out += format[i];
        continue;
      }
      char verb = format[++i];
      if (verb == '%') {
        out += '%';
      } else if (next < texts.size()) {
        out += verb == 'q' ? GoQuote(texts[next++], '"') : texts[next++];
      } else {
        out += std::string("%!") + verb + "(MISSING)";
      }
    }
    return Value::String(out);
  }

  Status RunList(const std::vector<Node>& nodes, const Value& dot, std::string* out) {
    size_t scope = vars_.size();
    for (const Node& node : nodes) {
      Status s = RunNode(node, dot, out);
      if (!s.ok()) return s;
    }
    vars_.resize(scope);
    return Status::OK();
  }

  Status RunNode(const Node& node, const Value& dot, std::string* out) {
    if (node.kind == Node::kText) {
      *out += node.text;
      return Status::OK();
    }
    size_t scope = vars_.size();
    if (node.kind == Node::kRange) return RunRange(node, dot, out);
    auto value = Eval(node.pipeline, dot);
    if (!value.ok()) return value.status();
    if (node.kind == Node::kOutput) {
      if (!node.pipeline.declared.empty()) return Status::OK();  // `{{$x := ...}}` prints nothing
      auto text = Text(*value);
      if (!text.ok()) return text.status();
      *out += *text;
      return Status::OK();
    }
    bool truthy = Truthy(*value);
    Status s = truthy ? RunList(node.body, node.kind == Node::kWith ? *value : dot, out)
                      : RunList(node.else_body, dot, out);
    vars_.resize(scope);
    return s;
  }

  Status RunRange(const Node& node, const Value& dot, std::string* out) {
    Pipeline pipeline = node.pipeline;
    std::vector<std::string> names = std::move(pipeline.declared);
    pipeline.declared.clear();
    auto value = Eval(pipeline, dot);
    if (!value.ok()) return value.status();
    if (value->kind != Value::kJson || !Truthy(*value)) {
      if (value->kind == Value::kString || value->kind == Value::kInt ||
          value->kind == Value::kBool || value->kind == Value::kFloat) {
        return Status::InvalidArgument("range can't iterate over " + *Text(*value));
      }
      return RunList(node.else_body, dot, out);
    }
    std::vector<std::pair<Value, const JsonValue*>> entries;
    if (value->json->IsArray()) {
      int64_t i = 0;
      for (const auto& item : value->json->GetArray()) entries.push_back({Value::Int(i++), &item});
    } else {
      for (const auto& m : value->json->GetObject()) {
        entries.push_back({Value::String(m.name.GetString()), &m.value});
      }
      std::sort(entries.begin(), entries.end(),
                [](const auto& a, const auto& b) { return a.first.str < b.first.str; });
    }
    for (const auto& [key, item] : entries) {
      size_t scope = vars_.size();
      Value element = FromJson(*item);
      if (names.size() == 1) vars_.push_back({names[0], element});
      if (names.size() == 2) {
        vars_.push_back({names[0], key});
        vars_.push_back({names[1], element});
      }
      Status s = RunList(node.body, element, out);
      vars_.resize(scope);
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

  Value root_;
  const TemplateOptions& options_;
  Vars vars_;
};

}  // namespace

std::string FormatFloat(double d) {
  if (std::floor(d) == d && std::fabs(d) < 1e15) return std::to_string(static_cast<int64_t>(d));
  char buf[40];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

Result<std::string> RenderGoTemplate(std::string_view text, const JsonValue& params,
                                     const TemplateOptions& options) {
  auto items = SplitTemplate(text);
  if (!items.ok()) return items.status();
  auto tree = TreeParser(std::move(*items)).ParseAll();
  if (!tree.ok()) return tree.status();
  std::string out;
  Status s = Executor(params, options).Run(*tree, &out);
  if (!s.ok()) return s;
  return out;
}

const JsonValue* SingleGoField(std::string_view text, const JsonValue& params) {
  if (text.size() < 5 || text.substr(0, 2) != "{{" || text.substr(text.size() - 2) != "}}") {
    return nullptr;
  }
  std::string_view inner = text.substr(2, text.size() - 4);
  if (inner.find("{{") != std::string_view::npos) return nullptr;
  size_t b = inner.find_first_not_of(' '), e = inner.find_last_not_of(' ');
  if (b == std::string_view::npos) return nullptr;
  inner = inner.substr(b, e - b + 1);
  if (inner.size() < 2 || inner[0] != '.') return nullptr;
  const JsonValue* v = &params;
  size_t pos = 1;
  while (pos <= inner.size()) {
    size_t dot = inner.find('.', pos);
    std::string name(inner.substr(pos, dot == std::string_view::npos ? inner.npos : dot - pos));
    if (name.empty() || !std::all_of(name.begin(), name.end(), IsIdentChar)) return nullptr;
    if (!v->IsObject()) return nullptr;
    auto it = v->FindMember(name.c_str());
    if (it == v->MemberEnd()) return nullptr;
    v = &it->value;
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  return v;
}

}  // namespace mlgitops
