// Tests of the Lua health engine: the fixture tree of health_test.yaml cases, wildcard lookup,
// loading errors, sandbox escapes and limits. MLGITOPS_ARGO_LUA_DIR may point at a tree of
// Argo CD's own scripts (not kept in the repo) to check them against their expectations.
#include "health/lua_health.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <lua.hpp>
#include <string>
#include <vector>

#include "argocd_corpus.h"
#include "health_test_util.h"
#include "test_util.h"

namespace mlgitops {
namespace {

std::string FixtureDir() { return testing::SourceDir() + "/tests/fixtures/lua"; }

struct TreeRun {
  int cases = 0;
  int matched = 0;
  std::vector<std::string> failures;  // one line per differing case or unreadable file
};

void RunTestFile(const LuaScript& script, const testing::HealthTestFolder& folder, TreeRun* run) {
  auto cases = testing::ReadHealthTestFile(folder.path);
  if (!cases.ok()) {
    run->failures.push_back(cases.status().ToString());
    return;
  }
  for (const testing::HealthTestCase& test : *cases) {
    ++run->cases;
    std::string input = folder.path + "/" + test.input_path;
    if (!test.error.empty()) {
      run->failures.push_back(input + ": " + test.error);
      continue;
    }
    HealthStatus actual = RunHealthScript(script, test.object.json());
    if (actual == test.expected) {
      ++run->matched;
    } else {
      run->failures.push_back(input + "\n    want " + testing::DescribeHealth(test.expected) +
                              "\n    got  " + testing::DescribeHealth(actual));
    }
  }
}

// Every <group>/<Kind>/ folder with a health_test.yaml must have its own health.lua, as in
// Argo CD's util/lua health test over resource_customizations.
TreeRun RunTree(const std::string& dir) {
  TreeRun run;
  auto scripts = LuaHealthScripts::Load(dir);
  if (!scripts.ok()) {
    run.failures.push_back(scripts.status().ToString());
    return run;
  }
  for (const testing::HealthTestFolder& folder : testing::ListHealthTestFolders(dir)) {
    const LuaScript* script = scripts->Find(folder.group, folder.kind);
    if (!script || script->path != folder.name + "/health.lua") {
      run.failures.push_back(folder.path + ": its own health.lua was not found");
      continue;
    }
    RunTestFile(*script, folder, &run);
  }
  return run;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

TEST(LuaHealthFixtures, EveryCaseMatchesByteForByte) {
  TreeRun run = RunTree(FixtureDir());
  EXPECT_GE(run.cases, 20);
  EXPECT_EQ(run.matched, run.cases) << Joined(run.failures);
  EXPECT_TRUE(run.failures.empty()) << Joined(run.failures);
}

TEST(LuaHealthArgoScripts, MatchTheirOwnExpectations) {
  const char* dir = std::getenv("MLGITOPS_ARGO_LUA_DIR");
  if (!dir || !*dir) GTEST_SKIP() << "MLGITOPS_ARGO_LUA_DIR is not set";
  TreeRun run = RunTree(dir);
  std::cout << "Argo CD cases byte-identical: " << run.matched << "/" << run.cases << "\n"
            << Joined(run.failures);
  EXPECT_EQ(run.matched, run.cases) << Joined(run.failures);
}

// ---- Running single scripts ----------------------------------------------------------------

HealthStatus RunSource(const std::string& source, const std::string& yaml = "kind: Thing\n",
                       const LuaLimits& limits = LuaLimits()) {
  Object obj = testing::ParseOne(yaml);
  return RunHealthScript(LuaScript{source, "inline/health.lua"}, obj.json(), limits);
}

TEST(LuaHealthRun, SyntaxErrorIsUnknownWithLuaPosition) {
  HealthStatus status = RunSource("local hs = {\nreturn hs\n");
  EXPECT_EQ(status.code, HealthCode::kUnknown);
  EXPECT_EQ(status.message, "<string>:2: unexpected symbol near 'return'");
}

TEST(LuaHealthRun, ObjectIsFreshForEveryRun) {
  const std::string source =
      "runs = (runs or 0) + 1\n"
      "obj.metadata.name = 'changed'\n"
      "string.upper = nil\n"
      "return { status = 'Healthy', message = runs .. ' ' .. obj.kind }";
  std::string yaml = "kind: Thing\nmetadata: {name: a}\n";
  Object obj = testing::ParseOne(yaml);
  LuaScript script{source, "inline/health.lua"};
  EXPECT_EQ(RunHealthScript(script, obj.json()).message, "1 Thing");
  EXPECT_EQ(RunHealthScript(script, obj.json()).message, "1 Thing");
  EXPECT_EQ(RunSource("return { status = 'Healthy', message = string.upper('ok') }").message, "OK");
  EXPECT_EQ(GetString(obj.json(), "metadata.name"), "a");
}

TEST(LuaHealthRun, RequireServesTheSafeModules) {
  HealthStatus status = RunSource(
      "local os = require('os')\nlocal s = require('string')\n"
      "return { status = 'Healthy', message = s.format('%s', type(os.time())) }");
  EXPECT_EQ(status, (HealthStatus{HealthCode::kHealthy, "number"}));
}

TEST(LuaHealthRun, OverlyDeepObjectIsUnknownNotACrash) {
  rapidjson::Document doc;
  JsonValue* innermost = &doc.SetArray();
  for (int i = 0; i < 600; ++i) {
    innermost->PushBack(JsonValue(rapidjson::kArrayType), doc.GetAllocator());
    innermost = &(*innermost)[0];
  }
  HealthStatus status =
      RunHealthScript(LuaScript{"return { status = 'Healthy' }", "inline/health.lua"}, doc);
  EXPECT_EQ(status, (HealthStatus{HealthCode::kUnknown,
                                  "cannot hand the object to Lua: object nested deeper than 512 "
                                  "levels"}));
}

TEST(LuaHealthRun, DeeplyNestedResultIsUnknownNotACrash) {
  HealthStatus status = RunSource(
      "local t = { status = 'Healthy' }\n"
      "local inner = t\n"
      "for i = 1, 100000 do inner.next = {} inner = inner.next end\n"
      "return t");
  EXPECT_EQ(status,
            (HealthStatus{HealthCode::kUnknown, "Lua result table nested deeper than 512 levels"}));
}

// ---- Bounded string patterns ---------------------------------------------------------------

// Lua that prints every result of `expression` (or its error) as "type:value|...".
std::string Shown(const std::string& expression) {
  return "local function show(...)\n"
         "  local out = {}\n"
         "  for i = 1, select('#', ...) do\n"
         "    local v = select(i, ...)\n"
         "    out[i] = type(v) .. ':' .. tostring(v)\n"
         "  end\n"
         "  return table.concat(out, '|')\n"
         "end\n"
         "local function all(iterator)\n"
         "  local out = {}\n"
         "  for a, b in iterator do out[#out + 1] = tostring(a) .. '=' .. tostring(b) end\n"
         "  return table.concat(out, ',')\n"
         "end\n"
         "return show(pcall(function() return " +
         expression + " end))";
}

// What LuaJIT's own string library answers, in a plain state.
std::string InPlainLuaJit(const std::string& expression) {
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  std::string source = Shown(expression);
  std::string out;
  if (luaL_loadbuffer(L, source.data(), source.size(), "=<string>") == 0 &&
      lua_pcall(L, 0, 1, 0) == 0) {
    size_t size = 0;
    const char* text = lua_tolstring(L, -1, &size);
    out.assign(text, size);
  } else {
    out = std::string("host error: ") + lua_tostring(L, -1);
  }
  lua_close(L);
  return out;
}

// What the sandbox's bounded replacements answer.
std::string InSandbox(const std::string& expression) {
  HealthStatus status = RunSource("return { status = 'Healthy', message = (function() " +
                                  Shown(expression) + " end)() }");
  return status.code == HealthCode::kHealthy ? status.message : "sandbox error: " + status.message;
}

class BoundedPatterns : public ::testing::TestWithParam<const char*> {};

TEST_P(BoundedPatterns, AgreeWithLuaJit) {
  EXPECT_EQ(InSandbox(GetParam()), InPlainLuaJit(GetParam())) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(
    Expressions, BoundedPatterns,
    ::testing::Values(
        "string.find('hello world', 'o w')", "string.find('hello world', 'o', 6)",
        "string.find('hello', 'l+')", "string.find('hello', '')", "string.find('hello', '', 10)",
        "string.find('hello', 'xyz')", "string.find('a.b', '.', 1, true)",
        "string.find('a+b', '+', 1, true)", "string.find('key=value', '(%w+)=(%w+)')",
        "string.find('  trim  ', '^%s*(.-)%s*$')", "string.find('abc', 'b', -1)",
        "string.find('abc', 'b', -10)", "string.find('abc', 'b', 0)",
        "string.match('2024-02-29T10:00:00Z', '(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)Z')",
        "string.match('hello', '()ll()')", "string.match('x [[nested]] y', '%b[]')",
        "string.match('THE (quick) fox', '%f[%a]%a+')", "string.match('abcabc', '(a)(b)(c)%1%2%3')",
        "string.match('x = 10', '^(%a+)%s*=%s*(%d+)$')", "string.match('aaa', 'a-b')",
        "string.match('aaab', 'a-b')", "string.match('a1b2c3', '[%a%d]+')",
        "string.match('a-b', '[a%-]+')", "string.match('abc]', '[]]')",
        "string.match('abc', '[^a]+')", "string.match('caf\\195\\169', '[\\128-\\255]+')",
        "string.match('hello', '.-(l+)(.*)')", "string.match('end$', 'd%$')",
        "string.match('a$b', 'a$b')", "string.match('abc', 'b?c')", "string.match('ac', 'ab?c')",
        "string.match('x', '(')", "string.match('x', '%')", "string.match('x', '[a')",
        "string.match('x', '%f')", "string.match('x', '%1')", "string.match('x', 'x)')",
        "string.match('x', '%bx')", "string.match(nil, 'x')",
        "string.gsub('hello world', 'o', '0')", "string.gsub('hello world', 'o', '0', 1)",
        "string.gsub('hello', '', '-')", "string.gsub('abc', '%w', '%0%0')",
        "string.gsub('abc', '(%w)', '%1.')", "string.gsub('hello world', '(%w+)', '<%1>')",
        "string.gsub('$name is $age', '%$(%w+)', {name = 'Ann', age = 3})",
        "string.gsub('$name is $x', '%$(%w+)', {name = 'Ann'})",
        "string.gsub('abc', '%w', function(c) return c:upper() .. '!' end)",
        "string.gsub('abc', '%w', function(c) if c == 'b' then return false end return 'x' end)",
        "string.gsub('abc', '^a', 'A')", "string.gsub('100%', '%%', ' percent')",
        "string.gsub('abc', 'b', '%')", "string.gsub('abc', 'b', '%2')",
        "string.gsub('abc', 'b', true)", "string.gsub('abc', '%w', function() return {} end)",
        "string.gsub('a,b,,c', ',', ';')", "string.gsub('abc', 'b', 7)",
        "all(string.gmatch('one two  three', '%a+'))",
        "all(string.gmatch('k1=v1, k2=v2', '(%w+)=(%w+)'))", "all(string.gmatch('abc', ''))",
        "all(string.gmatch('hello', '()l'))", "('x'):rep(3):find('xx')",
        "('Ready=True'):match('^(%w+)=(%w+)$')"));

TEST(BoundedPatternsLimits, CatastrophicPatternStopsAtTheBudget) {
  LuaLimits limits;
  limits.max_instructions = 5'000'000;
  auto start = std::chrono::steady_clock::now();
  HealthStatus status = RunSource(
      "local s = string.rep('a', 100000)\nlocal found = string.find(s, '.-.-.-.-b')\nreturn found",
      "kind: T\n", limits);
  EXPECT_EQ(status.code, HealthCode::kUnknown);
  EXPECT_EQ(status.message,
            "<string>:2: Lua script exceeded the instruction limit (5000000 instructions)");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

// ---- Sandbox escapes -----------------------------------------------------------------------

struct EscapeCase {
  const char* name;
  const char* source;
  const char* expected_message;
};

class LuaSandboxEscape : public ::testing::TestWithParam<EscapeCase> {};

TEST_P(LuaSandboxEscape, IsRefusedWithUnknown) {
  const EscapeCase& c = GetParam();
  HealthStatus status = RunSource(c.source);
  EXPECT_EQ(status.code, HealthCode::kUnknown) << status.message;
  EXPECT_EQ(status.message, c.expected_message);
}

INSTANTIATE_TEST_SUITE_P(
    Attempts, LuaSandboxEscape,
    ::testing::Values(
        EscapeCase{"OsExecute", "os.execute('touch /tmp/pwned')",
                   "<string>:1: attempt to call field 'execute' (a nil value)"},
        EscapeCase{"OsGetenv", "return os.getenv('HOME')",
                   "<string>:1: attempt to call field 'getenv' (a nil value)"},
        EscapeCase{"OsRemove", "os.remove('/tmp/x')",
                   "<string>:1: attempt to call field 'remove' (a nil value)"},
        EscapeCase{"IoOpen", "local f = io.open('/etc/passwd')",
                   "<string>:1: attempt to index global 'io' (a nil value)"},
        EscapeCase{"RequireIo", "local io = require('io')",
                   "<string>:1: module 'io' not found: only string, table, math and os can be "
                   "required"},
        EscapeCase{"RequireFfi", "local ffi = require('ffi')",
                   "<string>:1: module 'ffi' not found: only string, table, math and os can be "
                   "required"},
        EscapeCase{"Dofile", "dofile('/etc/passwd')",
                   "<string>:1: attempt to call global 'dofile' (a nil value)"},
        EscapeCase{"Loadfile", "loadfile('/etc/passwd')",
                   "<string>:1: attempt to call global 'loadfile' (a nil value)"},
        EscapeCase{"Package", "package.loadlib('libc.so.6', 'system')",
                   "<string>:1: attempt to index global 'package' (a nil value)"},
        EscapeCase{"Debug", "debug.sethook()",
                   "<string>:1: attempt to index global 'debug' (a nil value)"},
        EscapeCase{"Jit", "jit.on()", "<string>:1: attempt to index global 'jit' (a nil value)"},
        EscapeCase{"StringDump", "return string.dump(print)",
                   "<string>:1: attempt to call field 'dump' (a nil value)"},
        EscapeCase{"Bytecode", "local f, err = loadstring('\\27LJ\\2junk') error(err, 0)",
                   "loading binary chunks is not allowed"},
        EscapeCase{"LoadReader", "load(function() return nil end)",
                   "<string>:1: load: only source strings can be loaded in this sandbox"},
        EscapeCase{"CollectGarbage", "collectgarbage('stop')",
                   "<string>:1: attempt to call global 'collectgarbage' (a nil value)"},
        EscapeCase{"Newproxy", "newproxy(true)",
                   "<string>:1: attempt to call global 'newproxy' (a nil value)"}),
    [](const ::testing::TestParamInfo<EscapeCase>& info) { return info.param.name; });

// ---- Errors without heap addresses ---------------------------------------------------------

// Lua's tostring of a table or function is "<type>: 0x<address>"; such errors reach the CLI,
// Application status and webhook responses, so the address must not (it helps an attacker
// defeat ASLR and makes the same failure read differently on every run).
struct AddressCase {
  const char* name;
  const char* source;
  const char* expected_message;
};

class LuaErrorAddresses : public ::testing::TestWithParam<AddressCase> {};

TEST_P(LuaErrorAddresses, AreReplacedByTheTypeName) {
  const AddressCase& c = GetParam();
  HealthStatus status = RunSource(c.source);
  EXPECT_EQ(status.code, HealthCode::kUnknown) << status.message;
  EXPECT_EQ(status.message, c.expected_message);
}

INSTANTIATE_TEST_SUITE_P(
    Scripts, LuaErrorAddresses,
    ::testing::Values(
        AddressCase{"ErrorWithTableText", "error(tostring({}))", "<string>:1: table"},
        AddressCase{"ErrorNamingAFunction",
                    "local f = function() end\nerror('handler ' .. tostring(f) .. ' failed')",
                    "<string>:2: handler function failed"},
        AddressCase{"SeveralAddresses",
                    "error(tostring({}) .. ', ' .. tostring(obj) .. ', ' .. tostring(error))",
                    "<string>:1: table, table, function: builtin#19"},
        AddressCase{"ErrorWithoutPosition", "error('in ' .. tostring(setmetatable({}, {})), 0)",
                    "in table"},
        AddressCase{"ThrownTable", "error({})", "(error object is a table value)"},
        AddressCase{"CallsATable", "local t = {}\nt()",
                    "<string>:2: attempt to call local 't' (a table value)"},
        AddressCase{"HexThatIsNotAnAddress", "error('mask 0x1f is not table: data', 0)",
                    "mask 0x1f is not table: data"}),
    [](const ::testing::TestParamInfo<AddressCase>& info) { return info.param.name; });

TEST(LuaHealthRun, LoadstringStillCompilesSource) {
  HealthStatus status = RunSource(
      "local f = loadstring('return obj.kind .. \"!\"')\n"
      "return { status = 'Healthy', message = f() }");
  EXPECT_EQ(status, (HealthStatus{HealthCode::kHealthy, "Thing!"}));
}

// ---- Limits --------------------------------------------------------------------------------

struct LimitCase {
  const char* name;
  const char* source;
  const char* expected_fragment;
};

class LuaLimitsTest : public ::testing::TestWithParam<LimitCase> {};

TEST_P(LuaLimitsTest, StopsQuicklyWithUnknown) {
  LuaLimits limits;
  limits.max_instructions = 2'000'000;
  limits.max_memory_bytes = 16u << 20;
  auto start = std::chrono::steady_clock::now();
  HealthStatus status = RunSource(GetParam().source, "kind: Thing\n", limits);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(status.code, HealthCode::kUnknown);
  EXPECT_NE(status.message.find(GetParam().expected_fragment), std::string::npos) << status.message;
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

INSTANTIATE_TEST_SUITE_P(
    Hostile, LuaLimitsTest,
    ::testing::Values(
        LimitCase{"InfiniteLoop", "while true do end",
                  "<string>:1: Lua script exceeded the instruction limit (2000000 instructions)"},
        LimitCase{"LoopSwallowingErrors",
                  "while true do pcall(function() while true do end end) end",
                  "exceeded the instruction limit"},
        LimitCase{"LoopInCoroutine",
                  "local co = coroutine.wrap(function() while true do end end)\nco()",
                  "exceeded the instruction limit"},
        LimitCase{"ErrorHandlerLoop",
                  "xpcall(function() while true do end end, function() while true do end end)\n"
                  "while true do end",
                  "exceeded the instruction limit"},
        LimitCase{"MemoryBomb",
                  "local t = {} local i = 0\n"
                  "while true do i = i + 1 t[#t + 1] = string.rep('x', 1e6) .. i end",
                  "Lua script exceeded the memory limit (16 MiB)"},
        LimitCase{"HugeString", "return string.rep('x', 1e9)", "exceeded the memory limit"},
        LimitCase{"TableBomb", "local t = {} for i = 1, 1e9 do t[i] = { i, i, i } end",
                  "exceeded the memory limit"},
        LimitCase{"DeepRecursion", "local function f() return 1 + f() end\nreturn f()",
                  "stack overflow"}),
    [](const ::testing::TestParamInfo<LimitCase>& info) { return info.param.name; });

TEST(LuaLimits, WallClockStopsSlowScripts) {
  LuaLimits limits;
  limits.max_instructions = UINT64_MAX / 2;
  limits.max_milliseconds = 50;
  auto start = std::chrono::steady_clock::now();
  HealthStatus status = RunSource("local x = 0 while true do x = x + 1 end", "kind: T\n", limits);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(status, (HealthStatus{HealthCode::kUnknown,
                                  "<string>:1: Lua script exceeded the time limit (50 ms)"}));
  EXPECT_LT(elapsed, std::chrono::milliseconds(1000));
}

TEST(LuaLimits, OrdinaryScriptsFitComfortably) {
  HealthStatus status = RunSource(
      "local n = 0 for i = 1, 100000 do n = n + i end\n"
      "local parts = {} for i = 1, 1000 do parts[i] = tostring(i) end\n"
      "return { status = 'Healthy', message = n .. ' ' .. #table.concat(parts) }");
  EXPECT_EQ(status, (HealthStatus{HealthCode::kHealthy, "5000050000 2893"}));
}

// ---- Loading and lookup --------------------------------------------------------------------

// A script that names itself, so lookups can be told apart.
std::string Named(const std::string& name) {
  return "return { status = 'Healthy', message = '" + name + "' }\n";
}

class LuaHealthLookup : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* folder : {"_.crossplane.io/_", "_.aws.crossplane.io/_",
                               "ec2.aws.crossplane.io/_", "ec2.aws.crossplane.io/Instance",
                               "_.crossplane.io/Bucket", "apps/Deployment", "Pod", "_/_"}) {
      dir_.Write(std::string(folder) + "/health.lua", Named(folder));
    }
    auto loaded = LuaHealthScripts::Load(dir_.path());
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    scripts_ = std::make_unique<LuaHealthScripts>(std::move(*loaded));
  }

  std::string Winner(const std::string& group, const std::string& kind) {
    const LuaScript* script = scripts_->Find(group, kind);
    return script ? script->path : "none";
  }

  testing::TempDir dir_;
  std::unique_ptr<LuaHealthScripts> scripts_;
};

TEST_F(LuaHealthLookup, MostSpecificFolderWins) {
  EXPECT_EQ(scripts_->size(), 8u);
  EXPECT_EQ(Winner("ec2.aws.crossplane.io", "Instance"),
            "ec2.aws.crossplane.io/Instance/health.lua");
  EXPECT_EQ(Winner("ec2.aws.crossplane.io", "VPC"), "ec2.aws.crossplane.io/_/health.lua");
  EXPECT_EQ(Winner("s3.aws.crossplane.io", "Bucket"), "_.crossplane.io/Bucket/health.lua");
  EXPECT_EQ(Winner("s3.aws.crossplane.io", "Queue"), "_.aws.crossplane.io/_/health.lua");
  EXPECT_EQ(Winner("pkg.crossplane.io", "Provider"), "_.crossplane.io/_/health.lua");
  EXPECT_EQ(Winner("apps", "Deployment"), "apps/Deployment/health.lua");
  EXPECT_EQ(Winner("", "Pod"), "Pod/health.lua");
  EXPECT_EQ(Winner("apps", "StatefulSet"), "_/_/health.lua");
}

TEST_F(LuaHealthLookup, WildcardsNeedTheLiteralParts) {
  EXPECT_EQ(Winner("crossplane.io", "Thing"), "_/_/health.lua");  // "_." needs a dot before
  EXPECT_EQ(Winner("example.com", "Crossplane"), "_/_/health.lua");
  EXPECT_EQ(Winner("", "Service"), "none");  // core kinds have no "/" for _/_ to match
  EXPECT_EQ(Winner("", "Deployment"), "none");
}

TEST(LuaHealthLoad, ReportsTheFileWithASyntaxError) {
  testing::TempDir dir;
  dir.Write("example.com/Good/health.lua", Named("good"));
  std::string bad = dir.Write("example.com/Bad/health.lua", "if then\n");
  auto loaded = LuaHealthScripts::Load(dir.path());
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find(bad + ":1:"), std::string::npos)
      << loaded.status().message();
}

TEST(LuaHealthLoad, MissingDirectoryIsNotFound) {
  auto loaded = LuaHealthScripts::Load("/nonexistent/mlgitops/lua");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), Status::Code::kNotFound);
  EXPECT_NE(loaded.status().message().find("/nonexistent/mlgitops/lua"), std::string::npos);
}

TEST(LuaHealthLoad, SkipsEmptyScriptsAndOtherFiles) {
  testing::TempDir dir;
  dir.Write("example.com/Empty/health.lua", "");
  dir.Write("example.com/Actions/actions/restart/action.lua", "return obj");
  dir.Write("README.md", "not a folder");
  auto loaded = LuaHealthScripts::Load(dir.path());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->size(), 0u);
  EXPECT_EQ(loaded->Find("example.com", "Empty"), nullptr);
}

TEST(LuaHealthLoad, RefusesBytecodeFiles) {
  testing::TempDir dir;
  std::string path = dir.Write("example.com/Blob/health.lua", std::string("\x1bLJ\x02junk", 8));
  auto loaded = LuaHealthScripts::Load(dir.path());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(), path + ": binary chunks are not allowed");
}

TEST(LuaHealthAssess, UsesTheObjectsGroupAndKind) {
  testing::TempDir dir;
  dir.Write("serving.kserve.io/InferenceService/health.lua",
            "return { status = 'Progressing', message = obj.metadata.name }");
  auto loaded = LuaHealthScripts::Load(dir.path());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  Object isvc = testing::ParseOne(
      "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: m}\n");
  Object pod = testing::ParseOne("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n");
  EXPECT_EQ(AssessWithLua(*loaded, isvc), (HealthStatus{HealthCode::kProgressing, "m"}));
  EXPECT_EQ(AssessWithLua(*loaded, pod), std::nullopt);
}

}  // namespace
}  // namespace mlgitops
