// The CEL parser: a lexer and a recursive-descent parser over CEL's grammar (conditional, ||, &&,
// relations, + -, * / %, unary, member access, literals, lists, maps, macros), bounded in depth.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "kubesim/cel.h"

namespace mlgitops::kubesim::cel {

namespace {

enum class Tok { kEnd, kIdent, kInt, kUint, kDouble, kString, kPunct };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // identifier, punctuation, or the decoded string
  Value value;       // numbers
  size_t pos = 0;
};

// Functions and methods the evaluator implements (cel.cc); anything else is refused.
const std::set<std::string>& Functions() {
  static const std::set<std::string> names = {
      "size",    "int",        "uint",     "double",      "string",     "bool",       "dyn",
      "matches", "startsWith", "endsWith", "contains",    "lowerAscii", "upperAscii", "trim",
      "split",   "join",       "indexOf",  "lastIndexOf", "substring",  "replace"};
  return names;
}

const std::set<std::string>& Macros() {
  static const std::set<std::string> names = {"all", "exists", "exists_one", "map", "filter"};
  return names;
}

bool IsReserved(const std::string& s) {
  static const std::set<std::string> words = {
      "as",  "break", "const",   "continue",  "else",   "for", "function", "if",   "import",
      "let", "loop",  "package", "namespace", "return", "var", "void",     "while"};
  return words.count(s) > 0;
}

class Parser {
 public:
  Parser(std::string_view src, const std::set<std::string>& variables, const Limits& limits,
         std::set<std::string>* referenced)
      : src_(src), variables_(variables), limits_(limits), referenced_(referenced) {}

  Result<std::shared_ptr<const Node>> Run() {
    if (src_.size() > limits_.max_source_bytes) {
      return Status::LimitExceeded("expression is " + std::to_string(src_.size()) +
                                   " bytes, more than the limit of " +
                                   std::to_string(limits_.max_source_bytes));
    }
    Status lexed = Lex();
    if (!lexed.ok()) return lexed;
    auto expr = Expr();
    if (!error_.empty()) return Status::InvalidArgument(error_);
    if (Peek().kind != Tok::kEnd) {
      Fail(Peek().pos, "Syntax error: extraneous input '" + Peek().text + "'");
      return Status::InvalidArgument(error_);
    }
    // Long operator chains (a + b + c ...) nest without parser recursion: bound them too.
    int limit = limits_.max_nesting * 2;
    if (TreeHeight(*expr, limit + 1) > limit) {
      Fail(0, "expression recursion limit exceeded: " + std::to_string(limit));
      return Status::LimitExceeded(error_);
    }
    return expr;
  }

 private:
  using NodePtr = std::shared_ptr<const Node>;

  // ---------- errors ----------

  void Fail(size_t pos, const std::string& message) {
    if (!error_.empty()) return;
    size_t line = 1, col = 0;
    for (size_t i = 0; i < pos && i < src_.size(); ++i) {
      if (src_[i] == '\n') {
        ++line;
        col = 0;
      } else {
        ++col;
      }
    }
    error_ = "ERROR: <input>:" + std::to_string(line) + ":" + std::to_string(col) + ": " + message;
  }

  // ---------- lexer ----------

  Status Lex() {
    size_t i = 0;
    while (i < src_.size()) {
      char c = src_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      if (c == '/' && i + 1 < src_.size() && src_[i + 1] == '/') {
        while (i < src_.size() && src_[i] != '\n') ++i;
        continue;
      }
      Token t;
      t.pos = i;
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t j = i;
        while (j < src_.size() &&
               (std::isalnum(static_cast<unsigned char>(src_[j])) || src_[j] == '_')) {
          ++j;
        }
        std::string word(src_.substr(i, j - i));
        bool prefixed_string = (word == "r" || word == "R" || word == "b" || word == "B") &&
                               j < src_.size() && (src_[j] == '\'' || src_[j] == '"');
        if (prefixed_string && (word == "b" || word == "B")) {
          Fail(i, "kubesim cannot evaluate bytes literals (outside its CEL subset)");
          return Status::InvalidArgument(error_);
        }
        if (prefixed_string) {
          if (!LexString(j, true, &t)) return Status::InvalidArgument(error_);
          i = t.pos;
          t.pos = j - 1;
          tokens_.push_back(std::move(t));
          continue;
        }
        t.kind = Tok::kIdent;
        t.text = word;
        tokens_.push_back(std::move(t));
        i = j;
        continue;
      }
      if (std::isdigit(static_cast<unsigned char>(c)) ||
          (c == '.' && i + 1 < src_.size() &&
           std::isdigit(static_cast<unsigned char>(src_[i + 1])))) {
        if (!LexNumber(i, &t)) return Status::InvalidArgument(error_);
        i = t.pos;
        t.pos = i - t.text.size();
        tokens_.push_back(std::move(t));
        continue;
      }
      if (c == '\'' || c == '"') {
        if (!LexString(i, false, &t)) return Status::InvalidArgument(error_);
        i = t.pos;
        t.pos = i;
        tokens_.push_back(std::move(t));
        continue;
      }
      static const char* const kTwo[] = {"==", "!=", "<=", ">=", "&&", "||", ".?"};
      std::string two(src_.substr(i, 2));
      bool matched = false;
      for (const char* op : kTwo) {
        if (two == op) {
          t.kind = Tok::kPunct;
          t.text = two;
          matched = true;
        }
      }
      if (!matched) {
        if (std::string("+-*/%!<>?:.,()[]{}").find(c) == std::string::npos) {
          Fail(i, std::string("Syntax error: token recognition error at: '") + c + "'");
          return Status::InvalidArgument(error_);
        }
        t.kind = Tok::kPunct;
        t.text = std::string(1, c);
      }
      if (t.text == ".?") {
        Fail(i, "kubesim cannot evaluate optional field selection '.?' (outside its CEL subset)");
        return Status::InvalidArgument(error_);
      }
      i += t.text.size();
      tokens_.push_back(std::move(t));
    }
    Token end;
    end.pos = src_.size();
    tokens_.push_back(end);
    return Status::OK();
  }

  // On success t->pos is the index just past the number; t->text its spelling.
  bool LexNumber(size_t i, Token* t) {
    size_t j = i;
    bool is_double = false;
    bool hex = src_.substr(i, 2) == "0x" || src_.substr(i, 2) == "0X";
    if (hex) {
      j += 2;
      while (j < src_.size() && std::isxdigit(static_cast<unsigned char>(src_[j]))) ++j;
    } else {
      while (j < src_.size() && std::isdigit(static_cast<unsigned char>(src_[j]))) ++j;
      if (j < src_.size() && src_[j] == '.' && j + 1 < src_.size() &&
          std::isdigit(static_cast<unsigned char>(src_[j + 1]))) {
        is_double = true;
        ++j;
        while (j < src_.size() && std::isdigit(static_cast<unsigned char>(src_[j]))) ++j;
      }
      if (j < src_.size() && (src_[j] == 'e' || src_[j] == 'E')) {
        size_t k = j + 1;
        if (k < src_.size() && (src_[k] == '+' || src_[k] == '-')) ++k;
        if (k < src_.size() && std::isdigit(static_cast<unsigned char>(src_[k]))) {
          is_double = true;
          j = k;
          while (j < src_.size() && std::isdigit(static_cast<unsigned char>(src_[j]))) ++j;
        }
      }
    }
    std::string text(src_.substr(i, j - i));
    bool is_uint = !is_double && j < src_.size() && (src_[j] == 'u' || src_[j] == 'U');
    t->text = text;
    errno = 0;
    if (is_double) {
      t->kind = Tok::kDouble;
      t->value = Value::Double(std::strtod(text.c_str(), nullptr));
    } else if (is_uint) {
      t->kind = Tok::kUint;
      t->value = Value::Uint(std::strtoull(text.c_str(), nullptr, hex ? 16 : 10));
      ++j;
      t->text += 'u';
    } else {
      t->kind = Tok::kInt;
      unsigned long long v = std::strtoull(text.c_str(), nullptr, hex ? 16 : 10);
      // 9223372036854775808 is only valid negated; the parser handles that case.
      if (v > 9223372036854775808ULL) errno = ERANGE;
      t->value = Value::Uint(v);
    }
    if (errno == ERANGE) {
      Fail(i, "invalid int literal");
      return false;
    }
    t->pos = j;
    return true;
  }

  // `at` is the opening quote. On success t->pos is the index past the closing quote.
  bool LexString(size_t at, bool raw, Token* t) {
    char q = src_[at];
    if (src_.substr(at, 3) == std::string(3, q)) {
      Fail(at, "kubesim cannot evaluate triple-quoted strings (outside its CEL subset)");
      return false;
    }
    std::string out;
    size_t j = at + 1;
    while (j < src_.size() && src_[j] != q) {
      char c = src_[j];
      if (c == '\n') break;
      if (c == '\\' && !raw && j + 1 < src_.size()) {
        char e = src_[j + 1];
        j += 2;
        switch (e) {
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          case 'r':
            out += '\r';
            break;
          case '\\':
            out += '\\';
            break;
          case '\'':
            out += '\'';
            break;
          case '"':
            out += '"';
            break;
          case '`':
            out += '`';
            break;
          case '?':
            out += '?';
            break;
          case 'a':
            out += '\a';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'v':
            out += '\v';
            break;
          default:
            Fail(j - 2, "kubesim cannot evaluate the string escape '\\" + std::string(1, e) +
                            "' (outside its CEL subset)");
            return false;
        }
        continue;
      }
      out += c;
      ++j;
    }
    if (j >= src_.size() || src_[j] != q) {
      Fail(at, "Syntax error: token recognition error at: '" + std::string(1, q) + "'");
      return false;
    }
    t->kind = Tok::kString;
    t->text = out;
    t->value = Value::String(out);
    t->pos = j + 1;
    return true;
  }

  // ---------- parser ----------

  const Token& Peek() const { return tokens_[next_]; }
  bool IsPunct(const char* p) const { return Peek().kind == Tok::kPunct && Peek().text == p; }
  bool Accept(const char* p) {
    if (!IsPunct(p)) return false;
    ++next_;
    return true;
  }
  bool Expect(const char* p) {
    if (Accept(p)) return true;
    const Token& t = Peek();
    Fail(t.pos, t.kind == Tok::kEnd
                    ? std::string("Syntax error: missing '") + p + "' at '<EOF>'"
                    : "Syntax error: mismatched input '" + t.text + "' expecting '" + p + "'");
    return false;
  }

  static NodePtr Make(Node::Op op, std::vector<NodePtr> args, std::string name = "") {
    auto n = std::make_shared<Node>();
    n->op = op;
    n->args = std::move(args);
    n->name = std::move(name);
    return n;
  }

  // Guards recursion: every nested Expr() passes here.
  struct Depth {
    explicit Depth(Parser* p) : p(p) { ++p->depth_; }
    ~Depth() { --p->depth_; }
    Parser* p;
  };

  bool TooDeep() {
    if (depth_ <= limits_.max_nesting) return false;
    Fail(Peek().pos, "expression recursion limit exceeded: " + std::to_string(limits_.max_nesting));
    return true;
  }

  NodePtr Expr() {
    Depth guard(this);
    if (TooDeep()) return nullptr;
    NodePtr cond = Or();
    if (!error_.empty()) return nullptr;
    if (!Accept("?")) return cond;
    NodePtr yes = Or();
    if (!Expect(":")) return nullptr;
    NodePtr no = Expr();
    if (!error_.empty()) return nullptr;
    return Make(Node::Op::kCond, {cond, yes, no});
  }

  NodePtr Or() {
    NodePtr left = And();
    while (error_.empty() && Accept("||")) left = Make(Node::Op::kOr, {left, And()});
    return left;
  }

  NodePtr And() {
    NodePtr left = Relation();
    while (error_.empty() && Accept("&&")) left = Make(Node::Op::kAnd, {left, Relation()});
    return left;
  }

  NodePtr Relation() {
    NodePtr left = Addition();
    while (error_.empty()) {
      std::string op;
      for (const char* p : {"==", "!=", "<=", ">=", "<", ">"}) {
        if (op.empty() && IsPunct(p)) op = p;
      }
      if (op.empty() && Peek().kind == Tok::kIdent && Peek().text == "in") op = "in";
      if (op.empty()) break;
      ++next_;
      left = Make(Node::Op::kBinary, {left, Addition()}, op);
    }
    return left;
  }

  NodePtr Addition() {
    NodePtr left = Multiplication();
    while (error_.empty() && (IsPunct("+") || IsPunct("-"))) {
      std::string op = tokens_[next_++].text;
      left = Make(Node::Op::kBinary, {left, Multiplication()}, op);
    }
    return left;
  }

  NodePtr Multiplication() {
    NodePtr left = Unary();
    while (error_.empty() && (IsPunct("*") || IsPunct("/") || IsPunct("%"))) {
      std::string op = tokens_[next_++].text;
      left = Make(Node::Op::kBinary, {left, Unary()}, op);
    }
    return left;
  }

  NodePtr Unary() {
    Depth guard(this);
    if (TooDeep()) return nullptr;
    if (Accept("!")) return Make(Node::Op::kNot, {Unary()});
    if (IsPunct("-")) {
      ++next_;
      // A negated literal is folded so that -9223372036854775808 stays representable.
      if (Peek().kind == Tok::kInt) {
        const Token& t = tokens_[next_];
        NodePtr lit = Literal(Value::Int(
            t.value.u == 9223372036854775808ULL ? INT64_MIN : -static_cast<int64_t>(t.value.u)));
        ++next_;
        return Postfix(lit);
      }
      return Make(Node::Op::kNeg, {Unary()});
    }
    return Postfix(Primary());
  }

  NodePtr Literal(Value v) {
    auto n = std::make_shared<Node>();
    n->op = Node::Op::kLiteral;
    n->literal = std::move(v);
    return n;
  }

  std::vector<NodePtr> Args(const char* close) {
    std::vector<NodePtr> args;
    if (Accept(close)) return args;
    do {
      if (IsPunct(close)) break;  // trailing comma
      args.push_back(Expr());
      if (!error_.empty()) return args;
    } while (Accept(","));
    Expect(close);
    return args;
  }

  NodePtr Primary() {
    if (!error_.empty()) return nullptr;
    const Token t = Peek();
    switch (t.kind) {
      case Tok::kInt:
        ++next_;
        if (t.value.u > 9223372036854775807ULL) {
          Fail(t.pos, "invalid int literal");
          return nullptr;
        }
        return Literal(Value::Int(static_cast<int64_t>(t.value.u)));
      case Tok::kUint:
      case Tok::kDouble:
      case Tok::kString:
        ++next_;
        return Literal(t.value);
      case Tok::kIdent:
        ++next_;
        return Identifier(t);
      case Tok::kEnd:
        Fail(t.pos, "Syntax error: mismatched input '<EOF>'");
        return nullptr;
      case Tok::kPunct:
        break;
    }
    if (Accept("(")) {
      NodePtr inner = Expr();
      Expect(")");
      return inner;
    }
    if (Accept("[")) return Make(Node::Op::kList, Args("]"));
    if (Accept("{")) {
      std::vector<NodePtr> entries;
      if (!Accept("}")) {
        do {
          if (IsPunct("}")) break;
          entries.push_back(Expr());
          if (!Expect(":")) return nullptr;
          entries.push_back(Expr());
          if (!error_.empty()) return nullptr;
        } while (Accept(","));
        Expect("}");
      }
      return Make(Node::Op::kMap, std::move(entries));
    }
    if (IsPunct(".")) {
      Fail(t.pos, "kubesim cannot evaluate qualified names (outside its CEL subset)");
      return nullptr;
    }
    Fail(t.pos, "Syntax error: mismatched input '" + t.text + "'");
    return nullptr;
  }

  NodePtr Identifier(const Token& t) {
    const std::string& name = t.text;
    if (name == "true" || name == "false") return Literal(Value::Bool(name == "true"));
    if (name == "null") return Literal(Value::Null());
    if (IsReserved(name) || name == "in") {
      Fail(t.pos, "Syntax error: reserved identifier: " + name);
      return nullptr;
    }
    if (Accept("(")) {
      if (name == "has") {
        size_t at = Peek().pos;
        std::vector<NodePtr> args = Args(")");
        if (!error_.empty()) return nullptr;
        if (args.size() != 1 || args[0]->op != Node::Op::kSelect) {
          Fail(at, "invalid argument to has() macro");
          return nullptr;
        }
        return Make(Node::Op::kHas, {args[0]->args[0]}, args[0]->name);
      }
      if (!Functions().count(name)) {
        Fail(t.pos, "undeclared reference to '" + name +
                        "' (in container ''): kubesim cannot evaluate this function "
                        "(outside its CEL subset)");
        return nullptr;
      }
      return Make(Node::Op::kCall, Args(")"), name);
    }
    if (IsPunct("{")) {
      Fail(t.pos, "kubesim cannot evaluate message construction (outside its CEL subset)");
      return nullptr;
    }
    if (!variables_.count(name) && !bound_.count(name)) {
      Fail(t.pos, "undeclared reference to '" + name + "' (in container '')");
      return nullptr;
    }
    if (!bound_.count(name)) referenced_->insert(name);
    return Make(Node::Op::kIdent, {}, name);
  }

  NodePtr Postfix(NodePtr target) {
    while (error_.empty()) {
      if (Accept("[")) {
        NodePtr index = Expr();
        Expect("]");
        target = Make(Node::Op::kIndex, {target, index});
        continue;
      }
      if (!IsPunct(".")) break;
      ++next_;
      const Token t = Peek();
      if (t.kind != Tok::kIdent) {
        Fail(t.pos, "Syntax error: no viable alternative at input '." + t.text + "'");
        return nullptr;
      }
      ++next_;
      if (!Accept("(")) {
        target = Make(Node::Op::kSelect, {target}, t.text);
        continue;
      }
      if (Macros().count(t.text)) {
        target = Comprehension(target, t);
        continue;
      }
      if (!Functions().count(t.text)) {
        Fail(t.pos, "undeclared reference to '" + t.text +
                        "' (in container ''): kubesim cannot evaluate this function "
                        "(outside its CEL subset)");
        return nullptr;
      }
      std::vector<NodePtr> args = Args(")");
      args.insert(args.begin(), target);
      NodePtr call = Make(Node::Op::kCall, std::move(args), t.text);
      std::const_pointer_cast<Node>(call)->method = true;
      target = call;
    }
    return target;
  }

  // list.all(x, p), exists, exists_one, filter, map(x, f) and map(x, p, f).
  NodePtr Comprehension(NodePtr range, const Token& t) {
    const Token v = Peek();
    if (v.kind != Tok::kIdent || IsReserved(v.text)) {
      Fail(v.pos, "argument must be a simple name");
      return nullptr;
    }
    ++next_;
    if (!Expect(",")) return nullptr;
    bool shadowed = bound_.count(v.text) > 0;
    bound_.insert(v.text);
    std::vector<NodePtr> args = {range, Expr()};
    if (error_.empty() && t.text == "map" && Accept(",")) args.push_back(Expr());
    if (!shadowed) bound_.erase(v.text);
    if (!Expect(")")) return nullptr;
    auto n = std::make_shared<Node>();
    n->op = Node::Op::kCompre;
    n->name = t.text;
    n->var = v.text;
    n->args = std::move(args);
    return n;
  }

  std::string_view src_;
  const std::set<std::string>& variables_;
  const Limits& limits_;
  std::set<std::string>* referenced_;
  std::set<std::string> bound_;  // comprehension variables in scope
  std::vector<Token> tokens_;
  size_t next_ = 0;
  int depth_ = 0;
  std::string error_;
};

}  // namespace

int TreeHeight(const Node& n, int stop_at) {
  if (stop_at <= 0) return 1;
  int highest = 0;
  for (const auto& a : n.args) {
    if (a) highest = std::max(highest, TreeHeight(*a, stop_at - 1));
  }
  return highest + 1;
}

Result<std::shared_ptr<const Node>> Parse(std::string_view source,
                                          const std::set<std::string>& variables,
                                          const Limits& limits, std::set<std::string>* referenced) {
  Parser parser(source, variables, limits, referenced);
  return parser.Run();
}

}  // namespace mlgitops::kubesim::cel
