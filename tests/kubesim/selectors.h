// Label selectors (equality- and set-based) and field selectors, as list and watch filter with.
// Parsing errors carry the message the real server returns with 400 BadRequest.
#pragma once

#include <string>
#include <vector>

#include "object/object.h"
#include "object/status.h"

namespace mlgitops::kubesim {

struct LabelRequirement {
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist };
  std::string key;
  Op op = Op::kExists;
  std::vector<std::string> values;
};

class LabelSelector {
 public:
  /// "app=web,tier!=db,env in (prod,staging),!legacy,team"; "" selects everything.
  static Result<LabelSelector> Parse(const std::string& text);
  bool Matches(const JsonValue& object) const;
  bool empty() const { return requirements_.empty(); }

 private:
  std::vector<LabelRequirement> requirements_;
};

class FieldSelector {
 public:
  /// "metadata.name=web,metadata.namespace!=kube-system"; only fields the real server indexes
  /// for `resource` are accepted.
  static Result<FieldSelector> Parse(const std::string& text, const std::string& resource);
  bool Matches(const JsonValue& object) const;
  /// The name when the selector pins metadata.name (kubectl wait / delete --wait use this).
  std::string PinnedName() const;

 private:
  struct Term {
    std::string field;
    bool equals = true;
    std::string value;
  };
  std::vector<Term> terms_;
};

}  // namespace mlgitops::kubesim
