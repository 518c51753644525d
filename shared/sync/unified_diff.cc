// Myers' O(ND) diff in linear space (middle-snake bisection), preceded by setting aside lines
// that cannot match and followed by sliding change runs, so the output lines up with GNU diff.
#include "sync/unified_diff.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <unordered_map>

namespace mlgitops {

namespace {

using Ids = std::vector<int>;

// Both sides as small integers: equal lines share an id.
void InternLines(const std::vector<std::string_view>& before,
                 const std::vector<std::string_view>& after, Ids* before_ids, Ids* after_ids) {
  std::unordered_map<std::string_view, int> ids;
  ids.reserve(before.size() + after.size());
  auto intern = [&ids](const std::vector<std::string_view>& lines, Ids* out) {
    out->reserve(lines.size());
    for (std::string_view line : lines) {
      out->push_back(ids.emplace(line, static_cast<int>(ids.size())).first->second);
    }
  };
  intern(before, before_ids);
  intern(after, after_ids);
}

// Where a bisection splits a region, and whether each half must still be searched minimally.
struct Split {
  int64_t x = 0;
  int64_t y = 0;
  bool first_half_minimal = true;
  bool second_half_minimal = true;
};

struct Region {
  int64_t x_begin, x_end, y_begin, y_end;
  bool minimal;
};

// The edit-graph search over two id sequences. Diagonals k = x - y index the two frontier
// arrays; each array has one sentinel slot past both extreme diagonals.
class MyersSearch {
 public:
  MyersSearch(const Ids& a, const Ids& b, std::vector<bool>* a_changed,
              std::vector<bool>* b_changed)
      : a_(a), b_(b), a_changed_(*a_changed), b_changed_(*b_changed) {
    size_t diagonals = a.size() + b.size() + 3;
    forward_.assign(diagonals, -1);
    backward_.assign(diagonals, INT64_MAX);
    offset_ = static_cast<int64_t>(b.size()) + 1;
    // Past this many edit steps in one bisection, settle for the furthest-reaching diagonal:
    // roughly twice the square root of the input size, never below 4096.
    int64_t budget = 1;
    for (size_t d = diagonals; d != 0; d >>= 2) budget <<= 1;
    step_budget_ = std::max<int64_t>(4096, budget);
  }

  void Run() {
    std::vector<Region> pending;
    pending.push_back(
        {0, static_cast<int64_t>(a_.size()), 0, static_cast<int64_t>(b_.size()), false});
    while (!pending.empty()) {
      Region r = pending.back();
      pending.pop_back();
      while (r.x_begin < r.x_end && r.y_begin < r.y_end && a_[r.x_begin] == b_[r.y_begin]) {
        ++r.x_begin, ++r.y_begin;
      }
      while (r.x_begin < r.x_end && r.y_begin < r.y_end && a_[r.x_end - 1] == b_[r.y_end - 1]) {
        --r.x_end, --r.y_end;
      }
      if (r.x_begin == r.x_end) {
        for (int64_t y = r.y_begin; y < r.y_end; ++y) b_changed_[y] = true;
      } else if (r.y_begin == r.y_end) {
        for (int64_t x = r.x_begin; x < r.x_end; ++x) a_changed_[x] = true;
      } else {
        Split s = Bisect(r);
        pending.push_back({s.x, r.x_end, s.y, r.y_end, s.second_half_minimal});
        pending.push_back({r.x_begin, s.x, r.y_begin, s.y, s.first_half_minimal});
      }
    }
  }

 private:
  int64_t& Fwd(int64_t k) { return forward_[static_cast<size_t>(k + offset_)]; }
  int64_t& Bwd(int64_t k) { return backward_[static_cast<size_t>(k + offset_)]; }
  bool Same(int64_t x, int64_t y) const {
    return a_[static_cast<size_t>(x)] == b_[static_cast<size_t>(y)];
  }

  // Runs the forward and backward searches one edit step at a time until their paths meet.
  Split Bisect(const Region& r) {
    const int64_t k_min = r.x_begin - r.y_end, k_max = r.x_end - r.y_begin;
    const int64_t f_mid = r.x_begin - r.y_begin, b_mid = r.x_end - r.y_end;
    const bool odd = (f_mid - b_mid) % 2 != 0;
    int64_t f_lo = f_mid, f_hi = f_mid, b_lo = b_mid, b_hi = b_mid;
    Fwd(f_mid) = r.x_begin;
    Bwd(b_mid) = r.x_end;
    for (int64_t step = 1;; ++step) {
      if (f_lo > k_min) {
        Fwd(--f_lo - 1) = -1;
      } else {
        ++f_lo;
      }
      if (f_hi < k_max) {
        Fwd(++f_hi + 1) = -1;
      } else {
        --f_hi;
      }
      for (int64_t k = f_hi; k >= f_lo; k -= 2) {
        int64_t below = Fwd(k - 1), above = Fwd(k + 1);
        int64_t x = below < above ? above : below + 1;
        int64_t y = x - k;
        while (x < r.x_end && y < r.y_end && Same(x, y)) ++x, ++y;
        Fwd(k) = x;
        if (odd && b_lo <= k && k <= b_hi && Bwd(k) <= x) return {x, y, true, true};
      }
      if (b_lo > k_min) {
        Bwd(--b_lo - 1) = INT64_MAX;
      } else {
        ++b_lo;
      }
      if (b_hi < k_max) {
        Bwd(++b_hi + 1) = INT64_MAX;
      } else {
        --b_hi;
      }
      for (int64_t k = b_hi; k >= b_lo; k -= 2) {
        int64_t below = Bwd(k - 1), above = Bwd(k + 1);
        int64_t x = below < above ? below : above - 1;
        int64_t y = x - k;
        while (x > r.x_begin && y > r.y_begin && Same(x - 1, y - 1)) --x, --y;
        Bwd(k) = x;
        if (!odd && f_lo <= k && k <= f_hi && x <= Fwd(k)) return {x, y, true, true};
      }
      if (!r.minimal && step >= step_budget_) {
        return FurthestReach(r, f_lo, f_hi, b_lo, b_hi);
      }
    }
  }

  // The search got too expensive: split where either search has come furthest.
  Split FurthestReach(const Region& r, int64_t f_lo, int64_t f_hi, int64_t b_lo, int64_t b_hi) {
    int64_t f_best_sum = -1, f_best_x = 0;
    for (int64_t k = f_hi; k >= f_lo; k -= 2) {
      int64_t x = std::min(Fwd(k), r.x_end), y = x - k;
      if (y > r.y_end) x = r.y_end + k, y = r.y_end;
      if (x + y > f_best_sum) f_best_sum = x + y, f_best_x = x;
    }
    int64_t b_best_sum = INT64_MAX, b_best_x = 0;
    for (int64_t k = b_hi; k >= b_lo; k -= 2) {
      int64_t x = std::max(r.x_begin, Bwd(k)), y = x - k;
      if (y < r.y_begin) x = r.y_begin + k, y = r.y_begin;
      if (x + y < b_best_sum) b_best_sum = x + y, b_best_x = x;
    }
    if ((r.x_end + r.y_end) - b_best_sum < f_best_sum - (r.x_begin + r.y_begin)) {
      return {f_best_x, f_best_sum - f_best_x, true, false};
    }
    return {b_best_x, b_best_sum - b_best_x, false, true};
  }

  const Ids& a_;
  const Ids& b_;
  std::vector<bool>& a_changed_;
  std::vector<bool>& b_changed_;
  std::vector<int64_t> forward_, backward_;
  int64_t offset_ = 0;
  int64_t step_budget_ = 0;
};

// A line with no equal in the other side is certainly changed; leaving it out of the search
// keeps the search small and places changes as GNU diff does.
Ids KeepMatchable(const Ids& ids, const std::vector<int>& count_in_other,
                  std::vector<bool>* changed, std::vector<size_t>* original_index) {
  Ids kept;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (count_in_other[static_cast<size_t>(ids[i])] == 0) {
      (*changed)[i] = true;
    } else {
      kept.push_back(ids[i]);
      original_index->push_back(i);
    }
  }
  return kept;
}

// Change flags with an unchanged sentinel before the first and after the last line.
class Flags {
 public:
  explicit Flags(const std::vector<bool>& changed) : v_(changed.size() + 2, false) {
    for (size_t i = 0; i < changed.size(); ++i) v_[i + 1] = changed[i];
  }
  bool operator[](int64_t i) const { return v_[static_cast<size_t>(i + 1)]; }
  void Set(int64_t i, bool value) { v_[static_cast<size_t>(i + 1)] = value; }
  void CopyTo(std::vector<bool>* out) const {
    for (size_t i = 0; i < out->size(); ++i) (*out)[i] = v_[i + 1];
  }

 private:
  std::vector<bool> v_;
};

// Moves each run of changed lines along runs of equal lines: first up (merging with runs
// above), then down as far as it goes (merging with runs below), and finally back up to the
// lowest place where it sits next to a change in the other side, so a replaced block reads
// as one change.
void SlideRuns(const Ids& ids, Flags* changed_flags, const Flags& other) {
  Flags& changed = *changed_flags;
  const int64_t n = static_cast<int64_t>(ids.size());
  int64_t i = 0, j = 0;  // j: the matching position in the other side
  while (true) {
    while (i < n && !changed[i]) {
      while (other[j]) ++j;
      ++i, ++j;
    }
    if (i == n) return;
    int64_t start = i;
    while (changed[i]) ++i;
    while (other[j]) ++j;
    int64_t corresponding;
    int64_t run_length;
    do {
      run_length = i - start;
      while (start > 0 && ids[start - 1] == ids[i - 1]) {
        changed.Set(--start, true);
        changed.Set(--i, false);
        while (changed[start - 1]) --start;
        --j;
        while (other[j]) --j;
      }
      corresponding = other[j - 1] ? i : n;
      while (i != n && ids[start] == ids[i]) {
        changed.Set(start++, false);
        changed.Set(i++, true);
        while (changed[i]) ++i;
        ++j;
        while (other[j]) ++j, corresponding = i;
      }
    } while (run_length != i - start);
    while (corresponding < i) {
      changed.Set(--start, true);
      changed.Set(--i, false);
      --j;
      while (other[j]) --j;
    }
  }
}

struct Block {
  size_t a_start, a_count, b_start, b_count;
};

std::vector<Block> CollectBlocks(const LineEdits& edits) {
  std::vector<Block> blocks;
  size_t i = 0, j = 0;
  const size_t n = edits.deleted.size(), m = edits.inserted.size();
  while (i < n || j < m) {
    if (i < n && j < m && !edits.deleted[i] && !edits.inserted[j]) {
      ++i, ++j;
      continue;
    }
    Block block{i, 0, j, 0};
    while (i < n && edits.deleted[i]) ++i, ++block.a_count;
    while (j < m && edits.inserted[j]) ++j, ++block.b_count;
    blocks.push_back(block);
  }
  return blocks;
}

// "l,s" as diff prints a hunk range: an empty range names the line before it.
void AppendRange(size_t start, size_t count, std::string* out) {
  if (count == 0) {
    out->append(std::to_string(start)).append(",0");
  } else if (count == 1) {
    out->append(std::to_string(start + 1));
  } else {
    out->append(std::to_string(start + 1)).append(",").append(std::to_string(count));
  }
}

void AppendLine(char prefix, std::string_view line, std::string* out) {
  out->push_back(prefix);
  if (!line.empty() && line.back() == '\n') {
    out->append(line);
  } else {
    out->append(line).append("\n\\ No newline at end of file\n");
  }
}

void AppendHunk(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b,
                const Block* first, const Block* last, size_t context, std::string* out) {
  size_t lead = std::min(context, first->a_start);
  size_t a_end = last->a_start + last->a_count, b_end = last->b_start + last->b_count;
  size_t trail = std::min(context, a.size() - a_end);
  size_t a_begin = first->a_start - lead, b_begin = first->b_start - lead;
  out->append("@@ -");
  AppendRange(a_begin, a_end + trail - a_begin, out);
  out->append(" +");
  AppendRange(b_begin, b_end + trail - b_begin, out);
  out->append(" @@\n");
  size_t i = a_begin;
  for (const Block* block = first; block <= last; ++block) {
    for (; i < block->a_start; ++i) AppendLine(' ', a[i], out);
    for (size_t k = 0; k < block->a_count; ++k) AppendLine('-', a[i++], out);
    for (size_t k = 0; k < block->b_count; ++k) AppendLine('+', b[block->b_start + k], out);
  }
  for (; i < a_end + trail; ++i) AppendLine(' ', a[i], out);
}

}  // namespace

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return lines;
}

LineEdits DiffLines(const std::vector<std::string_view>& before,
                    const std::vector<std::string_view>& after, int horizon) {
  Ids a_all, b_all;
  InternLines(before, after, &a_all, &b_all);
  // Like diff, leave the common head and tail out except `horizon` lines next to the changes;
  // this bounds how far a change may slide.
  size_t n = a_all.size(), m = b_all.size(), head = 0, tail = 0;
  while (head < n && head < m && a_all[head] == b_all[head]) ++head;
  while (tail < n - head && tail < m - head && a_all[n - 1 - tail] == b_all[m - 1 - tail]) ++tail;
  size_t keep = static_cast<size_t>(std::max(horizon, 0));
  size_t skip_head = head - std::min(head, keep), skip_tail = tail - std::min(tail, keep);
  Ids a(a_all.begin() + static_cast<std::ptrdiff_t>(skip_head),
        a_all.end() - static_cast<std::ptrdiff_t>(skip_tail));
  Ids b(b_all.begin() + static_cast<std::ptrdiff_t>(skip_head),
        b_all.end() - static_cast<std::ptrdiff_t>(skip_tail));

  size_t id_count = 0;
  for (int id : a) id_count = std::max(id_count, static_cast<size_t>(id) + 1);
  for (int id : b) id_count = std::max(id_count, static_cast<size_t>(id) + 1);
  std::vector<int> in_a(id_count, 0), in_b(id_count, 0);
  for (int id : a) ++in_a[static_cast<size_t>(id)];
  for (int id : b) ++in_b[static_cast<size_t>(id)];

  std::vector<bool> a_changed(a.size()), b_changed(b.size());
  std::vector<size_t> a_index, b_index;
  Ids a_kept = KeepMatchable(a, in_b, &a_changed, &a_index);
  Ids b_kept = KeepMatchable(b, in_a, &b_changed, &b_index);
  std::vector<bool> a_kept_changed(a_kept.size()), b_kept_changed(b_kept.size());
  MyersSearch(a_kept, b_kept, &a_kept_changed, &b_kept_changed).Run();
  for (size_t i = 0; i < a_kept.size(); ++i) a_changed[a_index[i]] = a_kept_changed[i];
  for (size_t i = 0; i < b_kept.size(); ++i) b_changed[b_index[i]] = b_kept_changed[i];

  Flags a_flags(a_changed), b_flags(b_changed);
  SlideRuns(a, &a_flags, b_flags);
  SlideRuns(b, &b_flags, a_flags);
  a_flags.CopyTo(&a_changed);
  b_flags.CopyTo(&b_changed);
  LineEdits edits{std::vector<bool>(n), std::vector<bool>(m)};
  for (size_t i = 0; i < a.size(); ++i) edits.deleted[skip_head + i] = a_changed[i];
  for (size_t i = 0; i < b.size(); ++i) edits.inserted[skip_head + i] = b_changed[i];
  return edits;
}

std::string UnifiedDiff(std::string_view before, std::string_view after,
                        std::string_view before_label, std::string_view after_label, int context) {
  if (before == after) return "";
  std::vector<std::string_view> a = SplitLines(before), b = SplitLines(after);
  std::vector<Block> blocks = CollectBlocks(DiffLines(a, b, context));
  if (blocks.empty()) return "";
  size_t ctx = static_cast<size_t>(std::max(context, 0));
  std::string out;
  out.append("--- ").append(before_label).append("\n+++ ").append(after_label).append("\n");
  size_t first = 0;
  for (size_t k = 1; k <= blocks.size(); ++k) {
    bool hunk_ends = k == blocks.size() ||
                     blocks[k].a_start - (blocks[k - 1].a_start + blocks[k - 1].a_count) > 2 * ctx;
    if (hunk_ends) {
      AppendHunk(a, b, &blocks[first], &blocks[k - 1], ctx, &out);
      first = k;
    }
  }
  return out;
}

}  // namespace mlgitops
