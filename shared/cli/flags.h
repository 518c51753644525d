// kubectl-style flag parsing: --name=value, --name value, -n value, -nvalue, bool flags,
// positional arguments, and `--` to end flags. Unknown flags are usage errors.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "object/status.h"

namespace mlgitops {

struct FlagSpec {
  std::string name;     // long name without dashes: "output"
  char short_name = 0;  // 'o', or 0
  bool takes_value = true;
  std::string value_name;  // "FORMAT" in help
  std::string help;
  std::string default_value;
};

class ParsedFlags {
 public:
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  /// The last value given (kubectl: the last one wins), else the spec's default.
  std::string Get(const std::string& name) const;
  bool GetBool(const std::string& name) const { return Has(name) && Get(name) != "false"; }
  const std::vector<std::string>& positional() const { return positional_; }
  /// Every value given for a repeatable flag, in order, each split on commas
  /// (`--resource a --resource b,c`).
  std::vector<std::string> GetAll(const std::string& name) const;

 private:
  friend Result<ParsedFlags> ParseFlags(const std::vector<std::string>&,
                                        const std::vector<FlagSpec>&);
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_values_;
  std::map<std::string, std::string> defaults_;
  std::vector<std::string> positional_;
};

/// Errors read like kubectl's: "unknown flag: --foo", "flag needs an argument: -f".
Result<ParsedFlags> ParseFlags(const std::vector<std::string>& args,
                               const std::vector<FlagSpec>& specs);

/// The "Flags:" block of a help text.
std::string FlagsHelp(const std::vector<FlagSpec>& specs);

}  // namespace mlgitops
