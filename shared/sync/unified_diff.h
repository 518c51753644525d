// Line diffs of two texts printed in `diff -u` format, for `kubectl mlgitops diff`.
// Same hunks, ranges and change placement as GNU diffutils, in linear memory.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mlgitops {

/// Which lines of each side are not part of the common subsequence.
struct LineEdits {
  std::vector<bool> deleted;   // one per line of `before`
  std::vector<bool> inserted;  // one per line of `after`
};

/// Splits into lines, each keeping its '\n' (a last line without one stays distinct from the
/// same text with one, as in `diff`).
std::vector<std::string_view> SplitLines(std::string_view text);

/// A minimal edit script between the two line lists (while the search stays affordable; past
/// that, a near-minimal one), with changes slid to where GNU diff puts them. Changes never
/// slide further than `horizon` lines into the common head or tail (diff uses its context).
LineEdits DiffLines(const std::vector<std::string_view>& before,
                    const std::vector<std::string_view>& after, int horizon = 0);

/// `--- before_label` / `+++ after_label` and the hunks with `context` lines around each change;
/// "" when the texts are equal. A last line without '\n' is followed by
/// "\ No newline at end of file" as `diff -u` does.
std::string UnifiedDiff(std::string_view before, std::string_view after,
                        std::string_view before_label, std::string_view after_label,
                        int context = 3);

}  // namespace mlgitops
