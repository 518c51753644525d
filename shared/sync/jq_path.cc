// A recursive-descent parser for the jq path subset, and its evaluation as a set of
// (path, node) pairs flowing through the pipe stages.
#include "sync/jq_path.h"

#include <rapidjson/document.h>

#include <cctype>
#include <cstdint>

namespace mlgitops {

namespace {

struct Step {
  enum class Type { kField, kIndex, kIterate } type;
  std::string field;
  int64_t index = 0;
};

struct Comparison {
  std::vector<Step> path;
  bool equal = true;  // == or !=
  std::shared_ptr<rapidjson::Document> literal;
};

// select(a == 1 and b != "x" or c == null): an OR of ANDs.
using Condition = std::vector<std::vector<Comparison>>;

constexpr size_t kMaxExpressionLength = 4096;

}  // namespace

struct JqPath::Stage {
  bool is_select = false;
  std::vector<Step> path;
  Condition condition;
};

namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Status ParseStages(std::vector<JqPath::Stage>* stages) {
    do {
      JqPath::Stage stage;
      SkipSpace();
      if (ConsumeWord("select")) {
        stage.is_select = true;
        if (!Consume('(')) return Unsupported("expected '(' after select");
        Status s = ParseCondition(&stage.condition);
        if (!s.ok()) return s;
        if (!Consume(')')) return Unsupported("expected ')' closing select(");
      } else {
        Status s = ParsePath(&stage.path);
        if (!s.ok()) return s;
      }
      stages->push_back(std::move(stage));
    } while (Consume('|'));
    SkipSpace();
    if (pos_ != text_.size()) return Unsupported("unexpected text");
    return Status::OK();
  }

 private:
  Status Unsupported(const std::string& what) const {
    size_t end = std::min(text_.size(), pos_ + 16);
    return Status::InvalidArgument("jqPathExpression \"" + std::string(text_) + "\": " + what +
                                   " at offset " + std::to_string(pos_) + " (near \"" +
                                   std::string(text_.substr(pos_, end - pos_)) +
                                   "\"); supported: .a.b, .a[\"k\"], .a[], .a[0], '|' and "
                                   "select(.f == literal) with != / and / or");
  }

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool Peek(char c) {
    SkipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  bool Consume(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }
  static bool IsIdentChar(char c, bool first) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
           (!first && std::isdigit(static_cast<unsigned char>(c)));
  }
  bool ConsumeWord(std::string_view word) {
    SkipSpace();
    if (text_.substr(pos_, word.size()) != word) return false;
    size_t after = pos_ + word.size();
    if (after < text_.size() && IsIdentChar(text_[after], false)) return false;
    pos_ = after;
    return true;
  }

  std::string Identifier() {
    size_t start = pos_;
    while (pos_ < text_.size() && IsIdentChar(text_[pos_], pos_ == start)) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  // A JSON string literal starting at pos_ (which is '"').
  Status StringLiteral(std::string* out) {
    size_t start = pos_++;
    while (pos_ < text_.size() && text_[pos_] != '"') pos_ += text_[pos_] == '\\' ? 2 : 1;
    if (pos_ >= text_.size()) return Unsupported("unterminated string");
    ++pos_;
    rapidjson::Document d;
    std::string json(text_.substr(start, pos_ - start));
    if (d.Parse(json.c_str(), json.size()).HasParseError() || !d.IsString()) {
      return Unsupported("invalid string literal");
    }
    out->assign(d.GetString(), d.GetStringLength());
    return Status::OK();
  }

  Status Bracket(std::vector<Step>* steps) {
    SkipSpace();
    if (Consume(']')) {
      steps->push_back({Step::Type::kIterate, "", 0});
      return Status::OK();
    }
    if (Peek('"')) {
      std::string key;
      Status s = StringLiteral(&key);
      if (!s.ok()) return s;
      steps->push_back({Step::Type::kField, key, 0});
    } else {
      size_t start = pos_;
      if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      std::string digits(text_.substr(start, pos_ - start));
      if (digits.empty() || digits == "-" || digits.size() > 12) {
        pos_ = start;
        return Unsupported("only [], [\"key\"] and [integer] are supported inside brackets");
      }
      steps->push_back({Step::Type::kIndex, "", std::stoll(digits)});
    }
    if (!Consume(']')) return Unsupported("expected ']'");
    return Status::OK();
  }

  // .a.b["c"][0][]? — an empty step list is the identity '.'.
  Status ParsePath(std::vector<Step>* steps) {
    if (!Consume('.')) return Unsupported("a path must start with '.'");
    bool after_dot = true;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (after_dot && IsIdentChar(c, true)) {
        steps->push_back({Step::Type::kField, Identifier(), 0});
      } else if (after_dot && c == '"') {
        std::string key;
        Status s = StringLiteral(&key);
        if (!s.ok()) return s;
        steps->push_back({Step::Type::kField, key, 0});
      } else if (c == '[') {
        ++pos_;
        Status s = Bracket(steps);
        if (!s.ok()) return s;
      } else if (c == '?') {
        ++pos_;  // errors are already suppressed: a missing path simply matches nothing
      } else if (c == '.' && !after_dot) {
        ++pos_;
        after_dot = true;
        continue;
      } else {
        break;
      }
      after_dot = false;
    }
    return Status::OK();
  }

  Status Literal(std::shared_ptr<rapidjson::Document>* out) {
    SkipSpace();
    auto doc = std::make_shared<rapidjson::Document>();
    if (Peek('"')) {
      std::string value;
      Status s = StringLiteral(&value);
      if (!s.ok()) return s;
      doc->SetString(value.c_str(), static_cast<rapidjson::SizeType>(value.size()),
                     doc->GetAllocator());
    } else {
      size_t start = pos_;
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '-' ||
              text_[pos_] == '.' || text_[pos_] == '+')) {
        ++pos_;
      }
      std::string token(text_.substr(start, pos_ - start));
      if (token.empty() || doc->Parse(token.c_str(), token.size()).HasParseError() ||
          doc->IsObject() || doc->IsArray()) {
        pos_ = start;
        return Unsupported("expected a string, number, true, false or null literal");
      }
    }
    *out = std::move(doc);
    return Status::OK();
  }

  Status ParseComparison(Comparison* c) {
    Status s = ParsePath(&c->path);
    if (!s.ok()) return s;
    for (const Step& step : c->path) {
      if (step.type == Step::Type::kIterate) {
        return Unsupported("'[]' inside select() conditions");
      }
    }
    SkipSpace();
    if (text_.substr(pos_, 2) == "==") {
      c->equal = true;
    } else if (text_.substr(pos_, 2) == "!=") {
      c->equal = false;
    } else {
      return Unsupported("expected == or != in select()");
    }
    pos_ += 2;
    return Literal(&c->literal);
  }

  Status ParseCondition(Condition* condition) {
    do {
      std::vector<Comparison> all_of;
      do {
        Comparison c;
        Status s = ParseComparison(&c);
        if (!s.ok()) return s;
        all_of.push_back(std::move(c));
      } while (ConsumeWord("and"));
      condition->push_back(std::move(all_of));
    } while (ConsumeWord("or"));
    return Status::OK();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

struct Hit {
  JsonPath path;
  const JsonValue* node;
};

void ApplyStep(const Step& step, const Hit& in, std::vector<Hit>* out) {
  const JsonValue& v = *in.node;
  auto push = [&](PathStep s, const JsonValue* child) {
    Hit m{in.path, child};
    m.path.push_back(std::move(s));
    out->push_back(std::move(m));
  };
  switch (step.type) {
    case Step::Type::kField:
      if (const JsonValue* child = FindMember(v, step.field))
        push(PathStep::Key(step.field), child);
      break;
    case Step::Type::kIndex:
      if (v.IsArray()) {
        int64_t size = static_cast<int64_t>(v.Size());
        int64_t i = step.index < 0 ? size + step.index : step.index;
        if (i >= 0 && i < size) {
          push(PathStep::Index(static_cast<size_t>(i)), &v[static_cast<rapidjson::SizeType>(i)]);
        }
      }
      break;
    case Step::Type::kIterate:
      if (v.IsArray()) {
        for (rapidjson::SizeType i = 0; i < v.Size(); ++i) push(PathStep::Index(i), &v[i]);
      } else if (v.IsObject()) {
        for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
          push(PathStep::Key(std::string_view(it->name.GetString(), it->name.GetStringLength())),
               &it->value);
        }
      }
      break;
  }
}

std::vector<Hit> FollowPath(const std::vector<Step>& steps, std::vector<Hit> matches) {
  for (const Step& step : steps) {
    std::vector<Hit> next;
    for (const Hit& m : matches) ApplyStep(step, m, &next);
    matches = std::move(next);
  }
  return matches;
}

bool Holds(const Comparison& c, const JsonValue& node) {
  std::vector<Hit> found = FollowPath(c.path, {Hit{{}, &node}});
  static const JsonValue kNull;
  const JsonValue& value = found.empty() ? kNull : *found.front().node;
  return (value == *c.literal) == c.equal;
}

bool Holds(const Condition& condition, const JsonValue& node) {
  for (const auto& all_of : condition) {
    bool ok = true;
    for (const Comparison& c : all_of) ok = ok && Holds(c, node);
    if (ok) return true;
  }
  return false;
}

}  // namespace

Result<JqPath> JqPath::Parse(std::string_view expression) {
  if (expression.size() > kMaxExpressionLength) {
    return Status::InvalidArgument("jqPathExpression of " + std::to_string(expression.size()) +
                                   " bytes is longer than the limit of " +
                                   std::to_string(kMaxExpressionLength));
  }
  auto stages = std::make_shared<std::vector<Stage>>();
  Status s = Parser(expression).ParseStages(stages.get());
  if (!s.ok()) return s;
  JqPath parsed;
  parsed.expression_ = std::string(expression);
  parsed.stages_ = std::move(stages);
  return parsed;
}

std::vector<JsonPath> JqPath::Match(const JsonValue& root) const {
  std::vector<Hit> matches{{{}, &root}};
  for (const Stage& stage : *stages_) {
    if (stage.is_select) {
      std::vector<Hit> kept;
      for (auto& m : matches) {
        if (Holds(stage.condition, *m.node)) kept.push_back(std::move(m));
      }
      matches = std::move(kept);
    } else {
      matches = FollowPath(stage.path, std::move(matches));
    }
  }
  std::vector<JsonPath> paths;
  for (auto& m : matches) paths.push_back(std::move(m.path));
  return paths;
}

}  // namespace mlgitops
