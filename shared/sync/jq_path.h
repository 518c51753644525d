// The subset of jq that ignoreDifferences.jqPathExpressions are written in: paths (.a.b,
// .a["k"], ."k", .a[], .a[0], ?), pipes, and select() comparing a path with a literal.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "object/object.h"
#include "object/status.h"
#include "sync/json_path.h"

namespace mlgitops {

/// A parsed expression; Match lists the paths of the nodes it selects, as jq's path() would.
class JqPath {
 public:
  /// InvalidArgument naming the expression, the offset and what is not supported.
  static Result<JqPath> Parse(std::string_view expression);

  std::vector<JsonPath> Match(const JsonValue& root) const;
  const std::string& expression() const { return expression_; }

  struct Stage;  // defined in jq_path.cc

 private:
  std::string expression_;
  std::shared_ptr<const std::vector<Stage>> stages_;
};

}  // namespace mlgitops
