// Glob patterns for directory include/exclude, matched the way Argo CD matches them.
// Argo CD compiles them with gobwas/glob and no separators, so `*` also crosses `/`.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "object/status.h"

namespace mlgitops {

/// A compiled pattern. Syntax (gobwas/glob, compiled without separators):
///   `*` and `**`  any run of characters, `/` included
///   `?`           any one character, `/` included
///   `[abc]` `[!abc]`  one character from (not from) a set; `[a-z]` `[!a-z]` a single range.
///                 As in gobwas, a class holds either one range or a set: `[a-z0-9]` is an
///                 error and in `[xa-c]` the `-` is a plain member.
///   `{a,b}`       alternatives, which may nest and hold wildcards
///   `\c`          the character c itself
/// The whole text must match. Argo CD matches include/exclude against the file's path
/// relative to the application directory ("sub/x.yaml"), never the base name alone.
class Glob {
 public:
  /// Fails with InvalidArgument on malformed patterns (unclosed `[` or `{`, empty class,
  /// trailing `\`, invalid UTF-8) where Argo CD would log a warning and match nothing.
  /// With a `separator` (Argo CD passes '/' for project source repos) `*` and `?` do not
  /// match it and `**` does.
  static Result<Glob> Compile(std::string_view pattern, char separator = 0);

  bool Match(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

  struct Sequence;  // the parsed pattern; defined in glob.cc

 private:
  Glob(std::string pattern, std::shared_ptr<const Sequence> root, char separator);
  std::string pattern_;
  std::shared_ptr<const Sequence> root_;  // immutable, so copies share it
  char separator_ = 0;
};

}  // namespace mlgitops
