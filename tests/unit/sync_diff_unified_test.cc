// UnifiedDiff against the real `diff -u` (GNU diffutils): generated line sequences, edge cases
// (empty sides, missing final newline, changes at either end) and a large input.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "sync/unified_diff.h"
#include "test_util.h"

namespace mlgitops {
namespace {

class SyncDiffUnifiedTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string out;
    has_diff_ = testing::RunCommand("diff --version", &out) == 0 &&
                out.find("GNU diffutils") != std::string::npos;
  }
  void SetUp() override {
    if (!has_diff_) GTEST_SKIP() << "GNU diff is not installed";
  }

  // What `diff -u` prints with the same labels (labels replace the timestamped headers).
  std::string GnuDiff(const std::string& before, const std::string& after, int context = 3) {
    std::string a = dir_.Write("a", before), b = dir_.Write("b", after), out;
    int rc = testing::RunCommand(
        "diff -U " + std::to_string(context) + " --label live --label desired " + a + " " + b,
        &out);
    EXPECT_EQ(rc, before == after ? 0 : 1);
    return out;
  }

  void ExpectSameAsGnu(const std::string& before, const std::string& after, int context = 3) {
    EXPECT_EQ(UnifiedDiff(before, after, "live", "desired", context),
              GnuDiff(before, after, context))
        << "before:\n"
        << before << "\nafter:\n"
        << after;
  }

  static bool has_diff_;
  testing::TempDir dir_;
};

bool SyncDiffUnifiedTest::has_diff_ = false;

std::string Join(const std::vector<std::string>& lines, bool final_newline = true) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  if (!final_newline && !text.empty()) text.pop_back();
  return text;
}

struct EdgeCase {
  const char* name;
  const char* before;
  const char* after;
};

TEST_F(SyncDiffUnifiedTest, EdgeCasesMatchGnuDiff) {
  const EdgeCase cases[] = {
      {"both_empty", "", ""},
      {"equal", "a\nb\n", "a\nb\n"},
      {"from_empty", "", "a\nb\nc\n"},
      {"to_empty", "a\nb\nc\n", ""},
      {"change_first_line", "x\nb\nc\nd\ne\nf\ng\n", "y\nb\nc\nd\ne\nf\ng\n"},
      {"change_last_line", "a\nb\nc\nd\ne\nf\nx\n", "a\nb\nc\nd\ne\nf\ny\n"},
      {"insert_at_start", "a\nb\n", "new\na\nb\n"},
      {"append_at_end", "a\nb\n", "a\nb\nnew\n"},
      {"no_newline_before", "a\nb", "a\nb\n"},
      {"no_newline_after", "a\nb\n", "a\nb"},
      {"no_newline_both_changed", "a\nb", "a\nc"},
      {"no_newline_context", "x\nb\nc", "y\nb\nc"},
      {"single_line_no_newline", "a", ""},
      {"repeated_lines_slide", "x\nl\nl\nl\ny\n", "x\nl\nl\ny\n"},
      {"two_hunks_apart", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n",
       "1\nX\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\nY\n16\n"},
      {"gap_of_six_merges", "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "X\n2\n3\n4\n5\n6\n7\nY\n9\n"},
      {"gap_of_seven_splits", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "X\n2\n3\n4\n5\n6\n7\n8\nY\n10\n"},
  };
  for (const EdgeCase& c : cases) {
    SCOPED_TRACE(c.name);
    ExpectSameAsGnu(c.before, c.after);
  }
}

TEST_F(SyncDiffUnifiedTest, EqualTextsGiveNoOutput) {
  EXPECT_EQ(UnifiedDiff("a\nb\n", "a\nb\n", "l", "r"), "");
  EXPECT_EQ(UnifiedDiff("", "", "l", "r"), "");
}

TEST_F(SyncDiffUnifiedTest, OtherContextSizesMatchGnuDiff) {
  std::string before = Join({"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"});
  std::string after = Join({"a", "B", "c", "d", "e", "f", "g", "h", "I", "j"});
  for (int context : {0, 1, 2, 5}) {
    SCOPED_TRACE(context);
    ExpectSameAsGnu(before, after, context);
  }
}

// Random edits of random files: small alphabets make many equally short edit scripts, so these
// exercise which one is chosen and where runs of repeated lines place a change.
struct RandomShape {
  int alphabet;
  int max_lines;
  int max_edits;
};

class SyncDiffUnifiedRandomTest : public SyncDiffUnifiedTest,
                                  public ::testing::WithParamInterface<RandomShape> {};

TEST_P(SyncDiffUnifiedRandomTest, MatchesGnuDiff) {
  const RandomShape shape = GetParam();
  for (unsigned seed = 1; seed <= 25; ++seed) {
    std::mt19937 rng(seed * 7919u + static_cast<unsigned>(shape.alphabet));
    auto line = [&] { return "line " + std::to_string(rng() % shape.alphabet); };
    std::vector<std::string> before(rng() % static_cast<unsigned>(shape.max_lines));
    for (std::string& l : before) l = line();
    std::vector<std::string> after = before;
    int edits = static_cast<int>(rng() % static_cast<unsigned>(shape.max_edits + 1));
    for (int e = 0; e < edits; ++e) {
      size_t pos = after.empty() ? 0 : rng() % after.size();
      switch (rng() % 3) {
        case 0:
          after.insert(after.begin() + static_cast<std::ptrdiff_t>(pos),
                       rng() % 2 ? line() : "new " + std::to_string(e));
          break;
        case 1:
          if (!after.empty()) after.erase(after.begin() + static_cast<std::ptrdiff_t>(pos));
          break;
        default:
          if (!after.empty()) after[pos] = line();
      }
    }
    SCOPED_TRACE("seed " + std::to_string(seed));
    ExpectSameAsGnu(Join(before, rng() % 4 != 0), Join(after, rng() % 4 != 0));
  }
}

INSTANTIATE_TEST_SUITE_P(SyncDiff, SyncDiffUnifiedRandomTest,
                         ::testing::Values(RandomShape{1000, 40, 6}, RandomShape{8, 60, 10},
                                           RandomShape{3, 120, 30}, RandomShape{2, 40, 40},
                                           RandomShape{30, 400, 120}));

TEST_F(SyncDiffUnifiedTest, LargeInputsDiffFastAndMatchGnuDiff) {
  std::mt19937 rng(42);
  std::vector<std::string> before(10000);
  for (size_t i = 0; i < before.size(); ++i) {
    before[i] = "  key" + std::to_string(i % 97) + ": value " + std::to_string(rng() % 50);
  }
  std::vector<std::string> after = before;
  for (int e = 0; e < 200; ++e) after[rng() % after.size()] = "changed " + std::to_string(e);
  for (int e = 0; e < 50; ++e)
    after.erase(after.begin() + static_cast<std::ptrdiff_t>(rng() % 9000));
  std::string a = Join(before), b = Join(after);
  std::string mine = UnifiedDiff(a, b, "live", "desired");
  EXPECT_EQ(mine, GnuDiff(a, b));
}

TEST_F(SyncDiffUnifiedTest, UnrelatedLargeInputsStayBounded) {
  // Every line shared but shuffled: the worst case for the search, which gives up on
  // minimality past its cost limit. The answer must still be a correct diff: as many lines
  // removed as added (the same lines, reordered).
  std::vector<std::string> before(10000);
  for (size_t i = 0; i < before.size(); ++i) before[i] = "line " + std::to_string(i % 100);
  std::vector<std::string> after = before;
  std::shuffle(after.begin(), after.end(), std::mt19937(7));
  std::string text = UnifiedDiff(Join(before), Join(after), "live", "desired");
  EXPECT_EQ(text.rfind("--- live\n+++ desired\n@@ -", 0), 0u);
  size_t removed = 0, added = 0;
  for (std::string_view line : SplitLines(text)) {
    if (line.rfind("---", 0) == 0 || line.rfind("+++", 0) == 0) continue;
    if (!line.empty() && line[0] == '-') ++removed;
    if (!line.empty() && line[0] == '+') ++added;
  }
  EXPECT_GT(removed, 0u);
  EXPECT_EQ(removed, added);
}

}  // namespace
}  // namespace mlgitops
