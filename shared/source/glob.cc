// Glob compilation (a small recursive-descent parser over code points) and matching by
// tracking the set of text positions each term can reach, so `{...}` and `*` never backtrack
// exponentially.
#include "source/glob.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace mlgitops {

namespace {

constexpr size_t kMaxPatternChars = 4096;
constexpr int kMaxBraceDepth = 32;
constexpr char32_t kReplacementChar = 0xFFFD;

enum class TermKind { kText, kAny, kSingle, kClass, kAlternatives };

struct Term {
  explicit Term(TermKind k) : kind(k) {}
  TermKind kind;
  std::u32string text;  // kText: the literal; kClass: the set members
  bool negated = false;
  bool is_range = false;
  bool super = false;  // kAny: `**`, which crosses the separator too
  char32_t lo = 0, hi = 0;
  std::vector<Glob::Sequence> alternatives;
};

}  // namespace

struct Glob::Sequence {
  std::vector<Term> terms;
};

namespace {

// Decodes UTF-8; invalid bytes become U+FFFD (as Go's range over a string does) unless
// `strict`, in which case decoding stops and returns false.
bool DecodeUtf8(std::string_view in, std::u32string* out, bool strict) {
  size_t i = 0;
  while (i < in.size()) {
    unsigned char lead = static_cast<unsigned char>(in[i]);
    int extra = lead < 0x80           ? 0
                : (lead >> 5) == 0x6  ? 1
                : (lead >> 4) == 0xE  ? 2
                : (lead >> 3) == 0x1E ? 3
                                      : -1;
    bool valid = extra >= 0 && i + extra < in.size();
    char32_t cp = extra <= 0 ? lead : lead & (0x7F >> (extra + 1));
    for (int k = 1; valid && k <= extra; ++k) {
      unsigned char next = static_cast<unsigned char>(in[i + k]);
      valid = (next & 0xC0) == 0x80;
      cp = (cp << 6) | (next & 0x3F);
    }
    if (!valid) {
      if (strict) return false;
      out->push_back(kReplacementChar);
      ++i;
      continue;
    }
    out->push_back(cp);
    i += extra + 1;
  }
  return true;
}

class Parser {
 public:
  explicit Parser(std::u32string pattern) : in_(std::move(pattern)) {}

  Status Parse(Glob::Sequence* out) {
    *out = ParseSequence(/*in_braces=*/false, 0);
    return status_;
  }

 private:
  bool AtEnd() const { return pos_ >= in_.size(); }
  char32_t Peek() const { return in_[pos_]; }

  void Fail(const std::string& why) {
    if (status_.ok()) status_ = Status::InvalidArgument(why);
    pos_ = in_.size();
  }

  static bool BreaksText(char32_t c, bool in_braces) {
    if (c == '*' || c == '?' || c == '[' || c == '{') return true;
    return in_braces && (c == ',' || c == '}');
  }

  Glob::Sequence ParseSequence(bool in_braces, int depth) {
    Glob::Sequence seq;
    while (!AtEnd() && status_.ok()) {
      char32_t c = Peek();
      if (in_braces && (c == ',' || c == '}')) break;
      if (c == '*') {
        ++pos_;
        // `**` crosses separators; without separators it is the same as `*`.
        bool super = !AtEnd() && Peek() == '*';
        if (super) ++pos_;
        if (seq.terms.empty() || seq.terms.back().kind != TermKind::kAny) {
          seq.terms.push_back(Term(TermKind::kAny));
        }
        seq.terms.back().super = seq.terms.back().super || super;
      } else if (c == '?') {
        ++pos_;
        seq.terms.push_back(Term(TermKind::kSingle));
      } else if (c == '[') {
        ++pos_;
        seq.terms.push_back(ParseClass());
      } else if (c == '{') {
        ++pos_;
        seq.terms.push_back(ParseAlternatives(depth + 1));
      } else {
        AppendText(&seq, in_braces);
      }
    }
    return seq;
  }

  void AppendText(Glob::Sequence* seq, bool in_braces) {
    if (seq->terms.empty() || seq->terms.back().kind != TermKind::kText) {
      seq->terms.push_back(Term(TermKind::kText));
    }
    std::u32string& text = seq->terms.back().text;
    while (!AtEnd() && !BreaksText(Peek(), in_braces)) {
      char32_t c = in_[pos_++];
      if (c == '\\') {
        if (AtEnd()) return Fail("trailing backslash");
        c = in_[pos_++];
      }
      text.push_back(c);
    }
  }

  Term ParseAlternatives(int depth) {
    Term term{TermKind::kAlternatives};
    if (depth > kMaxBraceDepth) {
      Fail("`{` nested more than " + std::to_string(kMaxBraceDepth) + " deep");
      return term;
    }
    while (status_.ok()) {
      term.alternatives.push_back(ParseSequence(/*in_braces=*/true, depth));
      if (AtEnd()) {
        Fail("unclosed `{`");
      } else if (in_[pos_++] == '}') {
        break;
      }  // else a `,`: another alternative follows
    }
    return term;
  }

  // `[` already consumed. Either `lo-hi]` or a set of (escapable) members up to `]`.
  Term ParseClass() {
    Term term{TermKind::kClass};
    if (!AtEnd() && Peek() == '!') {
      term.negated = true;
      ++pos_;
    }
    if (pos_ + 1 < in_.size() && in_[pos_ + 1] == '-') {
      term.is_range = true;
      term.lo = in_[pos_];
      pos_ += 2;
      if (AtEnd()) return Fail("unclosed `[`"), term;
      term.hi = in_[pos_++];
      if (AtEnd() || in_[pos_++] != ']') Fail("a range `[a-z]` must close right after it");
      return term;
    }
    while (!AtEnd() && Peek() != ']') {
      char32_t c = in_[pos_++];
      if (c == '\\') {
        if (AtEnd()) break;
        c = in_[pos_++];
      }
      term.text.push_back(c);
    }
    if (AtEnd()) return Fail("unclosed `[`"), term;
    ++pos_;  // the `]`
    if (term.text.empty()) Fail("empty character class `[]`");
    return term;
  }

  std::u32string in_;
  size_t pos_ = 0;
  Status status_;
};

// Which text positions are reachable; index i means "the first i characters are matched".
using Positions = std::vector<char>;

bool ClassMatches(const Term& term, char32_t c) {
  bool in =
      term.is_range ? (term.lo <= c && c <= term.hi) : term.text.find(c) != std::u32string::npos;
  return in != term.negated;
}

Positions Advance(const Glob::Sequence& seq, const std::u32string& text, Positions from,
                  char32_t separator);

Positions Step(const Term& term, const std::u32string& text, const Positions& from,
               char32_t separator) {
  const size_t n = text.size();
  Positions next(n + 1, 0);
  if (term.kind == TermKind::kAny && (term.super || separator == 0)) {
    auto first = std::find(from.begin(), from.end(), 1);
    std::fill(next.begin() + (first - from.begin()), next.end(), 1);
    return next;
  }
  if (term.kind == TermKind::kAny) {
    // `*` with a separator: any run of characters up to (not over) the next separator.
    bool open = false;
    for (size_t p = 0; p <= n; ++p) {
      open = from[p] || (open && text[p - 1] != separator);
      next[p] = open;
    }
    return next;
  }
  if (term.kind == TermKind::kAlternatives) {
    for (const auto& alternative : term.alternatives) {
      Positions reached = Advance(alternative, text, from, separator);
      for (size_t i = 0; i <= n; ++i) next[i] |= reached[i];
    }
    return next;
  }
  for (size_t p = 0; p <= n; ++p) {
    if (!from[p]) continue;
    switch (term.kind) {
      case TermKind::kText:
        if (p + term.text.size() <= n && text.compare(p, term.text.size(), term.text) == 0) {
          next[p + term.text.size()] = 1;
        }
        break;
      case TermKind::kSingle:
        if (p < n && (separator == 0 || text[p] != separator)) next[p + 1] = 1;
        break;
      case TermKind::kClass:
        if (p < n && ClassMatches(term, text[p])) next[p + 1] = 1;
        break;
      default:
        break;
    }
  }
  return next;
}

Positions Advance(const Glob::Sequence& seq, const std::u32string& text, Positions from,
                  char32_t separator) {
  for (const Term& term : seq.terms) {
    from = Step(term, text, from, separator);
    if (std::find(from.begin(), from.end(), 1) == from.end()) break;
  }
  return from;
}

}  // namespace

Glob::Glob(std::string pattern, std::shared_ptr<const Sequence> root, char separator)
    : pattern_(std::move(pattern)), root_(std::move(root)), separator_(separator) {}

Result<Glob> Glob::Compile(std::string_view pattern, char separator) {
  auto fail = [&](const std::string& why) {
    return Status::InvalidArgument("invalid glob \"" + std::string(pattern) + "\": " + why);
  };
  std::u32string decoded;
  if (!DecodeUtf8(pattern, &decoded, /*strict=*/true)) return fail("invalid UTF-8");
  if (decoded.size() > kMaxPatternChars) {
    return fail("longer than " + std::to_string(kMaxPatternChars) + " characters");
  }
  auto root = std::make_shared<Sequence>();
  Status parsed = Parser(std::move(decoded)).Parse(root.get());
  if (!parsed.ok()) return fail(parsed.message());
  return Glob(std::string(pattern), std::move(root), separator);
}

bool Glob::Match(std::string_view text) const {
  std::u32string decoded;
  DecodeUtf8(text, &decoded, /*strict=*/false);
  Positions start(decoded.size() + 1, 0);
  start[0] = 1;
  return Advance(*root_, decoded, std::move(start), static_cast<unsigned char>(separator_))
             .back() == 1;
}

}  // namespace mlgitops
