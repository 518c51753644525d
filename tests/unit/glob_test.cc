// Table tests of directory include/exclude globs, with Argo CD's (gobwas/glob) semantics.
#include "source/glob.h"

#include <gtest/gtest.h>

#include <string>

namespace mlgitops {
namespace {

struct MatchCase {
  const char* pattern;
  const char* text;
  bool matches;
};

TEST(Glob, MatchesLikeArgoCd) {
  const MatchCase cases[] = {
      // `*` crosses `/`: Argo CD compiles without separators.
      {"*.yaml", "a.yaml", true},
      {"*.yaml", "sub/deep/a.yaml", true},
      {"*.yaml", "a.yml", false},
      {"*.YAML", "a.yaml", false},
      {"*", "", true},
      {"sub/*", "sub/a.yaml", true},
      {"sub/*", "sub/deep/a.yaml", true},
      {"sub/*", "other/a.yaml", false},
      {"sub/*", "sub", false},
      // `**` is the same as `*` here, but the `/` after it is literal.
      {"**/*.yaml", "sub/a.yaml", true},
      {"**/*.yaml", "a.yaml", false},
      {"***", "anything/at/all", true},
      // `?` is one character (a code point), `/` included.
      {"?.yaml", "a.yaml", true},
      {"?.yaml", "ab.yaml", false},
      {"?.yaml", "\xC3\xA9.yaml", true},
      {"a?b", "a/b", true},
      // Classes: one range or one set.
      {"[abc].yaml", "b.yaml", true},
      {"[abc].yaml", "d.yaml", false},
      {"[!abc].yaml", "d.yaml", true},
      {"[!abc].yaml", "a.yaml", false},
      {"[a-c]x", "bx", true},
      {"[a-c]x", "dx", false},
      {"[!a-c]x", "dx", true},
      {"[xa-c]", "-", true},  // a set: `-` is a member, not a range
      {"[xa-c]", "b", false},
      {"[\\]]", "]", true},
      // Alternatives, nested, with wildcards, and empty ones.
      {"{config.json,env-usw2/*}", "config.json", true},
      {"{config.json,env-usw2/*}", "env-usw2/configmap.yaml", true},
      {"{config.json,env-usw2/*}", "env-use2/configmap.yaml", false},
      {"{*.yml,*.yaml}", "x.yml", true},
      {"{*.yml,*.yaml}", "x.json", false},
      {"{a,{b,c}}d", "cd", true},
      {"{a*,b?}z", "axxz", true},
      {"{a*,b?}z", "bxz", true},
      {"{a*,b?}z", "bz", false},
      {"{a,}b", "b", true},
      {"{a,}b", "ab", true},
      // Literal characters that are only special in context, and escapes.
      {"a,b", "a,b", true},
      {"}", "}", true},
      {"]", "]", true},
      {"\\*.yaml", "*.yaml", true},
      {"\\*.yaml", "a.yaml", false},
      {"\\{a,b\\}", "{a,b}", true},
      // The whole text must match.
      {"a", "ba", false},
      {"a", "ab", false},
      {"", "", true},
      {"", "a", false},
  };
  for (const MatchCase& c : cases) {
    auto glob = Glob::Compile(c.pattern);
    ASSERT_TRUE(glob.ok()) << c.pattern << ": " << glob.status().ToString();
    EXPECT_EQ(glob->Match(c.text), c.matches) << "pattern " << c.pattern << " text " << c.text;
    EXPECT_EQ(glob->pattern(), c.pattern);
  }
}

TEST(Glob, MalformedPatternsAreErrors) {
  const char* bad[] = {
      "[abc",       // unclosed class
      "[]",         // empty class
      "[!]",        // empty negated class
      "{a,b",       // unclosed alternatives
      "abc\\",      // trailing backslash
      "[a-z0-9]",   // gobwas allows one range per class
      "[a-",        // unfinished range
      "\xFF.yaml",  // invalid UTF-8
  };
  for (const char* pattern : bad) {
    auto glob = Glob::Compile(pattern);
    ASSERT_FALSE(glob.ok()) << pattern;
    EXPECT_EQ(glob.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(glob.status().message().find("invalid glob"), std::string::npos);
  }
}

TEST(Glob, HostilePatternsStayBounded) {
  std::string deep(40, '{');
  EXPECT_FALSE(Glob::Compile(deep + "a" + std::string(40, '}')).ok());
  EXPECT_FALSE(Glob::Compile(std::string(5000, 'a')).ok());
  // Many stars against a long near-miss: linear in the text per term, no backtracking blowup.
  auto glob = Glob::Compile("*a*a*a*a*a*a*a*a*a*a*a*a*b");
  ASSERT_TRUE(glob.ok());
  EXPECT_FALSE(glob->Match(std::string(3000, 'a')));
  EXPECT_TRUE(glob->Match(std::string(3000, 'a') + "b"));
}

TEST(Glob, CopiesShareTheCompiledPattern) {
  auto glob = Glob::Compile("{a,b}*");
  ASSERT_TRUE(glob.ok());
  Glob copy = *glob;
  EXPECT_TRUE(copy.Match("bee"));
  EXPECT_FALSE(copy.Match("cat"));
}

}  // namespace
}  // namespace mlgitops

namespace mlgitops {
namespace {

// gobwas/glob compiled with '/' as separator (Argo CD's project source repos): `*` and `?`
// stop at it, `**` crosses it.
TEST(Glob, SeparatorKeepsSingleStarsInsideASegment) {
  auto star = Glob::Compile("https://h/team-a/*", '/');
  ASSERT_TRUE(star.ok());
  EXPECT_TRUE(star->Match("https://h/team-a/models"));
  EXPECT_FALSE(star->Match("https://h/team-a/sub/models"));
  auto super = Glob::Compile("https://h/team-a/**", '/');
  ASSERT_TRUE(super.ok());
  EXPECT_TRUE(super->Match("https://h/team-a/sub/models"));
  auto single = Glob::Compile("a?b", '/');
  ASSERT_TRUE(single.ok());
  EXPECT_TRUE(single->Match("axb"));
  EXPECT_FALSE(single->Match("a/b"));
  auto plain = Glob::Compile("a?b");
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->Match("a/b"));
}

}  // namespace
}  // namespace mlgitops
