#include "health/lua_health.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <lua.hpp>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "object/yaml_loader.h"

namespace mlgitops {

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxScriptBytes = 1u << 20;
constexpr char kScriptFile[] = "health.lua";
// Argo CD runs scripts with DoString, so positions read "<string>:<line>".
constexpr char kChunkName[] = "<string>";
// Argo CD's own wording, kept byte for byte.
constexpr char kInvalidStatus[] = "Lua returned an invalid health status";
constexpr char kWrongReturnType[] = "expect table output from Lua script, not ";
// Each level of gopher-json's MarshalJSON adds this in front of an encoding error.
constexpr char kMarshalPrefix[] = "json: error calling MarshalJSON for type json.jsonValue: ";
// Our own bound on returned tables (Go's stack would just grow); keeps C++ recursion shallow.
constexpr int kMaxResultDepth = 512;

HealthStatus Unknown(std::string message) { return {HealthCode::kUnknown, std::move(message)}; }

// ---- Loading -------------------------------------------------------------------------------

Result<std::vector<std::string>> SortedSubdirectories(const fs::path& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return Status::IOError(dir.string() + ": " + ec.message());
  std::vector<std::string> names;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return Status::IOError(dir.string() + ": " + ec.message());
    std::error_code type_ec;
    if (it->is_directory(type_ec)) names.push_back(it->path().filename().string());
  }
  if (ec) return Status::IOError(dir.string() + ": " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

bool IsWildcard(std::string_view pattern) { return pattern.find('_') != std::string_view::npos; }

// Argo CD's key for a kind: "group/Kind", or "Kind" alone for the core group.
std::string ConfigKey(std::string_view group, std::string_view kind) {
  return group.empty() ? std::string(kind) : std::string(group) + "/" + std::string(kind);
}

// Glob where `_` matches any run of characters (Argo CD turns `_` into `*`, whose match also
// crosses '/').
bool GlobMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '_') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '_') ++p;
  return p == pattern.size();
}

// ---- Reading the returned table the way Argo CD does ----------------------------------------
// Argo CD encodes the table with gopher-json and decodes that JSON into a Go HealthStatus, so
// tables gopher-json refuses, and fields of the wrong JSON type, become error messages.

struct EncodeError {
  std::string text;
  int depth = 0;  // nesting of the value at fault; each level adds one kMarshalPrefix
};

enum class TableShape { kArray, kObject, kInvalidKeys, kSparse };

std::string TypeName(lua_State* L, int index) { return lua_typename(L, lua_type(L, index)); }

// Keys of the table at `index`: numbers 1..n make an array (an empty table counts as
// one), all-string keys an object; anything else gopher-json refuses.
TableShape ShapeOf(lua_State* L, int index, std::vector<std::string>* string_keys, size_t* length) {
  if (index < 0) index = lua_gettop(L) + index + 1;  // the traversal pushes onto the stack
  std::vector<double> numbers;
  bool other_keys = false;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TNUMBER) {
      numbers.push_back(lua_tonumber(L, -1));
    } else if (lua_type(L, -1) == LUA_TSTRING) {
      size_t size = 0;
      const char* text = lua_tolstring(L, -1, &size);
      string_keys->emplace_back(text, size);
    } else {
      other_keys = true;
    }
  }
  if (other_keys || (!numbers.empty() && !string_keys->empty())) return TableShape::kInvalidKeys;
  if (!string_keys->empty()) {
    std::sort(string_keys->begin(), string_keys->end());
    return TableShape::kObject;
  }
  std::sort(numbers.begin(), numbers.end());
  for (size_t i = 0; i < numbers.size(); ++i) {
    if (numbers[i] != static_cast<double>(i + 1)) return TableShape::kSparse;
  }
  *length = numbers.size();
  return TableShape::kArray;
}

class GopherJsonCheck {
 public:
  explicit GopherJsonCheck(lua_State* L) : L_(L) {}

  /// Why gopher-json cannot encode the value at absolute `index`, if it cannot.
  std::optional<EncodeError> Check(int index, int depth) {
    switch (lua_type(L_, index)) {
      case LUA_TBOOLEAN:
      case LUA_TSTRING:
        return std::nullopt;
      case LUA_TNUMBER:
        return CheckNumber(lua_tonumber(L_, index), depth);
      case LUA_TTABLE:
        return CheckTable(index, depth);
      default:
        return EncodeError{"cannot encode " + TypeName(L_, index) + " to JSON", depth};
    }
  }

 private:
  std::optional<EncodeError> CheckNumber(double number, int depth) {
    if (std::isnan(number)) return EncodeError{"json: unsupported value: NaN", depth};
    if (std::isinf(number)) {
      return EncodeError{
          number > 0 ? "json: unsupported value: +Inf" : "json: unsupported value: -Inf", depth};
    }
    return std::nullopt;
  }

  std::optional<EncodeError> CheckTable(int index, int depth) {
    if (depth > kMaxResultDepth) {
      return EncodeError{
          "Lua result table nested deeper than " + std::to_string(kMaxResultDepth) + " levels",
          -1};  // our refusal, not gopher-json's: no MarshalJSON wrapping
    }
    // gopher-json never forgets a table it has seen, so a table used twice fails like a cycle.
    if (!seen_.insert(lua_topointer(L_, index)).second) {
      return EncodeError{"cannot encode recursively nested tables to JSON", depth};
    }
    if (!lua_checkstack(L_, 4)) return EncodeError{"table nested too deeply", depth};
    std::vector<std::string> keys;
    size_t length = 0;
    switch (ShapeOf(L_, index, &keys, &length)) {
      case TableShape::kInvalidKeys:
        return EncodeError{"cannot encode mixed or invalid key types", depth};
      case TableShape::kSparse:
        return EncodeError{"cannot encode sparse array", depth};
      case TableShape::kArray:
        for (size_t i = 1; i <= length; ++i) {
          lua_rawgeti(L_, index, static_cast<int>(i));
          auto error = Check(lua_gettop(L_), depth + 1);
          lua_pop(L_, 1);
          if (error) return error;
        }
        return std::nullopt;
      case TableShape::kObject:
        for (const std::string& key : keys) {  // Go marshals map keys in sorted order
          lua_pushlstring(L_, key.data(), key.size());
          lua_rawget(L_, index);
          auto error = Check(lua_gettop(L_), depth + 1);
          lua_pop(L_, 1);
          if (error) return error;
        }
        return std::nullopt;
    }
    return std::nullopt;
  }

  lua_State* L_;
  std::set<const void*> seen_;
};

// Go's json type name for the value at `index` (after gopher-json encoding).
std::string GoJsonKind(lua_State* L, int index) {
  switch (lua_type(L, index)) {
    case LUA_TNUMBER:
      return "number";
    case LUA_TBOOLEAN:
      return "bool";
    case LUA_TTABLE: {
      std::vector<std::string> keys;
      size_t length = 0;
      return ShapeOf(L, index, &keys, &length) == TableShape::kObject ? "object" : "array";
    }
    default:
      return "string";
  }
}

bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Length of the valid UTF-8 sequence at s[i], or 0 (Go's utf8.DecodeRune rules).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (n == 0 || c > 0xF4 || i + n > s.size()) return 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c == 0xE0) lo = 0xA0;
  if (c == 0xED) hi = 0x9F;  // no surrogates
  if (c == 0xF0) lo = 0x90;
  if (c == 0xF4) hi = 0x8F;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

// Go's JSON encoder writes each invalid UTF-8 byte as U+FFFD.
std::string WithInvalidUtf8Replaced(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

struct StatusTable {
  std::string error;  // set when Argo CD would fail to read the table
  std::string status;
  std::string message;
};

// Decodes an encodable table into status/message as Go's json.Unmarshal would: keys match
// case-insensitively, later keys (in sorted order) win, the first type error is reported.
void DecodeStatusFields(lua_State* L, int index, StatusTable* out) {
  std::vector<std::string> keys;
  size_t length = 0;
  if (ShapeOf(L, index, &keys, &length) != TableShape::kObject) {
    out->error = "json: cannot unmarshal array into Go value of type health.HealthStatus";
    return;
  }
  struct Field {
    const char* name;
    const char* go_type;
    std::string* target;
  };
  const Field fields[] = {{"status", "health.HealthStatusCode", &out->status},
                          {"message", "string", &out->message}};
  for (const std::string& key : keys) {
    for (const Field& field : fields) {
      if (!EqualsIgnoringAsciiCase(key, field.name)) continue;
      lua_pushlstring(L, key.data(), key.size());
      lua_rawget(L, index);
      if (lua_type(L, -1) == LUA_TSTRING) {
        size_t size = 0;
        const char* text = lua_tolstring(L, -1, &size);
        *field.target = WithInvalidUtf8Replaced(std::string_view(text, size));
      } else if (out->error.empty()) {
        out->error = "json: cannot unmarshal " + GoJsonKind(L, -1) +
                     " into Go struct field HealthStatus." + field.name + " of type " +
                     field.go_type;
      }
      lua_pop(L, 1);
    }
  }
}

struct ReadRequest {
  StatusTable* out;
};

// Runs under lua_pcall with the returned table as argument 1.
int ReadStatusTable(lua_State* L) {
  auto* request = static_cast<ReadRequest*>(lua_touserdata(L, 2));
  GopherJsonCheck check(L);
  if (auto error = check.Check(1, 0)) {
    std::string text;
    for (int i = 0; i <= error->depth; ++i) text += kMarshalPrefix;
    request->out->error = text + error->text;
    return 0;
  }
  DecodeStatusFields(L, 1, request->out);
  return 0;
}

HealthStatus StatusFromResults(lua_State* L, int result_count) {
  if (result_count == 0 || lua_type(L, -1) != LUA_TTABLE) {
    return Unknown(kWrongReturnType + (result_count == 0 ? std::string("nil") : TypeName(L, -1)));
  }
  StatusTable table;
  ReadRequest request{&table};
  lua_pushcfunction(L, ReadStatusTable);
  lua_pushvalue(L, -2);
  lua_pushlightuserdata(L, &request);
  if (lua_pcall(L, 2, 0, 0) != 0) {
    return Unknown("cannot read the Lua result: " + LuaErrorText(L));
  }
  if (!table.error.empty()) return Unknown(table.error);
  std::optional<HealthCode> code = ParseHealthCode(table.status);
  if (!code) return Unknown(kInvalidStatus);
  return {*code, table.message};
}

}  // namespace

// ---- LuaHealthScripts ----------------------------------------------------------------------

LuaHealthScripts::Entry LuaHealthScripts::MakeEntry(const std::string& group,
                                                    const std::string& kind, bool core_level,
                                                    LuaScript script) {
  Entry entry;
  entry.pattern = core_level ? kind : group + "/" + kind;
  bool group_wild = IsWildcard(group);
  bool kind_wild = IsWildcard(kind);
  if (core_level && kind_wild) {
    entry.tier = 3;  // its pattern may match any key, grouped or not
  } else {
    entry.tier = group_wild ? (kind_wild ? 3 : 2) : (kind_wild ? 1 : 0);
  }
  std::string literal = group + kind;
  entry.literal_chars = literal.size() - std::count(literal.begin(), literal.end(), '_');
  entry.script = std::move(script);
  return entry;
}

Result<LuaHealthScripts> LuaHealthScripts::Load(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound(dir + ": not a directory");
  LuaHealthScripts scripts;
  auto add = [&](const std::string& group, const std::string& kind, bool core_level,
                 const fs::path& folder) -> Status {
    fs::path file = folder / kScriptFile;
    std::error_code exists_ec;
    if (!fs::is_regular_file(file, exists_ec)) return Status::OK();
    std::string relative =
        core_level ? kind + "/" + kScriptFile : group + "/" + kind + "/" + kScriptFile;
    auto text = ReadFileLimited(file.string(), kMaxScriptBytes, file.string());
    if (!text.ok()) return text.status();
    if (text->empty()) return Status::OK();
    Status syntax = CheckLuaSyntax(*text, file.string());
    if (!syntax.ok()) return syntax;
    scripts.entries_.push_back(
        MakeEntry(group, kind, core_level, LuaScript{std::move(*text), relative}));
    return Status::OK();
  };
  auto groups = SortedSubdirectories(dir);
  if (!groups.ok()) return groups.status();
  for (const std::string& group : *groups) {
    fs::path group_dir = fs::path(dir) / group;
    if (Status s = add("", group, true, group_dir); !s.ok()) return s;
    auto kinds = SortedSubdirectories(group_dir);
    if (!kinds.ok()) return kinds.status();
    for (const std::string& kind : *kinds) {
      if (Status s = add(group, kind, false, group_dir / kind); !s.ok()) return s;
    }
  }
  std::stable_sort(scripts.entries_.begin(), scripts.entries_.end(),
                   [](const Entry& a, const Entry& b) {
                     if (a.tier != b.tier) return a.tier < b.tier;
                     if (a.literal_chars != b.literal_chars) {
                       return a.literal_chars > b.literal_chars;
                     }
                     return a.script.path < b.script.path;
                   });
  return scripts;
}

const LuaScript* LuaHealthScripts::Find(std::string_view group, std::string_view kind) const {
  std::string key = ConfigKey(group, kind);
  for (const Entry& entry : entries_) {
    bool match = entry.tier == 0 ? entry.pattern == key : GlobMatch(entry.pattern, key);
    if (match) return &entry.script;
  }
  return nullptr;
}

// ---- Running -------------------------------------------------------------------------------

HealthStatus RunHealthScript(const LuaScript& script, const JsonValue& obj,
                             const LuaLimits& limits) {
  auto sandbox = LuaSandbox::Create(limits);
  if (!sandbox.ok()) return Unknown(sandbox.status().message());
  if (Status set = (*sandbox)->SetGlobalJson("obj", obj); !set.ok()) {
    return Unknown(set.message());
  }
  auto results = (*sandbox)->Run(script.source, kChunkName);
  if (!results.ok()) return Unknown(results.status().message());
  return StatusFromResults((*sandbox)->state(), *results);
}

std::optional<HealthStatus> AssessWithLua(const LuaHealthScripts& scripts, const Object& obj,
                                          const LuaLimits& limits) {
  const LuaScript* script = scripts.Find(obj.group(), obj.kind());
  if (!script) return std::nullopt;
  return RunHealthScript(*script, obj.json(), limits);
}

}  // namespace mlgitops
