// Flag parsing.
#include "cli/flags.h"

#include <algorithm>

namespace mlgitops {

std::string ParsedFlags::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it != values_.end()) return it->second;
  auto d = defaults_.find(name);
  return d == defaults_.end() ? "" : d->second;
}

Result<ParsedFlags> ParseFlags(const std::vector<std::string>& args,
                               const std::vector<FlagSpec>& specs) {
  ParsedFlags out;
  for (const auto& s : specs) out.defaults_[s.name] = s.default_value;
  auto by_long = [&](const std::string& n) -> const FlagSpec* {
    for (const auto& s : specs) {
      if (s.name == n) return &s;
    }
    return nullptr;
  };
  auto by_short = [&](char c) -> const FlagSpec* {
    for (const auto& s : specs) {
      if (s.short_name == c) return &s;
    }
    return nullptr;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      out.positional_.insert(out.positional_.end(), args.begin() + static_cast<long>(i) + 1,
                             args.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-' || a == "-") {
      out.positional_.push_back(a);
      continue;
    }
    const FlagSpec* spec = nullptr;
    std::string inline_value;
    bool has_inline = false;
    std::string shown;
    if (a[1] == '-') {
      std::string body = a.substr(2);
      auto eq = body.find('=');
      if (eq != std::string::npos) {
        inline_value = body.substr(eq + 1);
        has_inline = true;
        body = body.substr(0, eq);
      }
      spec = by_long(body);
      shown = "--" + body;
    } else {
      spec = by_short(a[1]);
      shown = a.substr(0, 2);
      if (a.size() > 2) {
        inline_value = a[2] == '=' ? a.substr(3) : a.substr(2);
        has_inline = true;
      }
    }
    if (!spec) return Status::InvalidArgument("unknown flag: " + shown);
    if (!spec->takes_value) {
      if (has_inline && inline_value != "true" && inline_value != "false") {
        return Status::InvalidArgument("invalid argument \"" + inline_value + "\" for \"" + shown +
                                       "\" flag: expected true or false");
      }
      out.values_[spec->name] = has_inline ? inline_value : "true";
      continue;
    }
    if (!has_inline) {
      if (i + 1 >= args.size()) return Status::InvalidArgument("flag needs an argument: " + shown);
      inline_value = args[++i];
    }
    out.values_[spec->name] = inline_value;
    out.all_values_[spec->name].push_back(inline_value);
  }
  return out;
}

std::vector<std::string> ParsedFlags::GetAll(const std::string& name) const {
  std::vector<std::string> out;
  auto it = all_values_.find(name);
  if (it == all_values_.end()) return out;
  for (const std::string& value : it->second) {
    size_t start = 0;
    while (start <= value.size()) {
      size_t comma = value.find(',', start);
      if (comma == std::string::npos) comma = value.size();
      if (comma > start) out.push_back(value.substr(start, comma - start));
      start = comma + 1;
    }
  }
  return out;
}

std::string FlagsHelp(const std::vector<FlagSpec>& specs) {
  std::vector<std::pair<std::string, std::string>> lines;
  size_t width = 0;
  for (const auto& s : specs) {
    std::string left = s.short_name ? std::string("-") + s.short_name + ", " : "    ";
    left += "--" + s.name;
    if (s.takes_value) left += " " + (s.value_name.empty() ? std::string("VALUE") : s.value_name);
    std::string right = s.help;
    if (!s.default_value.empty()) right += " (default \"" + s.default_value + "\")";
    width = std::max(width, left.size());
    lines.emplace_back(left, right);
  }
  std::string out = "Flags:\n";
  for (const auto& [l, r] : lines) {
    out += "  " + l + std::string(width - l.size() + 3, ' ') + r + "\n";
  }
  return out;
}

}  // namespace mlgitops
