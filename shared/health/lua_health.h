// Argo CD compatible Lua health scripts: a resource_customizations tree loaded from disk,
// found by group/kind (with `_` wildcard folders), and run in the sandbox against one object.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "health/health.h"
#include "health/lua_sandbox.h"
#include "object/object.h"
#include "object/status.h"

namespace mlgitops {

/// One health.lua: its text and where it came from (for messages).
struct LuaScript {
  std::string source;
  std::string path;  // "argoproj.io/Rollout/health.lua", relative to the loaded directory
};

/// A directory laid out as Argo CD's resource_customizations: `<group>/<Kind>/health.lua`, and
/// `<Kind>/health.lua` for the core group (Argo CD keys core kinds by the kind alone). In a
/// folder name `_` stands for any run of characters: `_.crossplane.io/_` serves every kind of
/// every group ending in `.crossplane.io`.
class LuaHealthScripts {
 public:
  /// Reads every health.lua two levels deep and checks that it compiles. Empty files are
  /// skipped (Argo CD treats an empty script as none). Errors name the file.
  static Result<LuaHealthScripts> Load(const std::string& dir);

  /// The script for group/kind ("" is the core group), or nullptr. An exact folder wins; then
  /// a wildcard kind under a literal group; then a wildcard group with a literal kind; then
  /// both wildcard. Within a tier, more literal characters win, then folder name order.
  const LuaScript* Find(std::string_view group, std::string_view kind) const;

  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string pattern;  // Argo CD's key with `_` kept: "group/Kind", or "Kind" for core
    int tier = 0;         // 0 exact, 1 wildcard kind, 2 wildcard group, 3 both
    size_t literal_chars = 0;
    LuaScript script;
  };
  static Entry MakeEntry(const std::string& group, const std::string& kind, bool core_level,
                         LuaScript script);
  std::vector<Entry> entries_;  // exact ones first, then wildcards in precedence order
};

/// Runs `script` in a fresh sandbox with `obj` as the global `obj` and reads the returned table as
/// Argo CD does (gopher-json encoding, then Go's JSON decoding into a HealthStatus). Never fails: a
/// script error, a limit, a non-table result or a bad field gives Unknown with the reason, and a
/// status outside the six codes gives Unknown "Lua returned an invalid health status".
/// A missing message is "".
HealthStatus RunHealthScript(const LuaScript& script, const JsonValue& obj,
                             const LuaLimits& limits = LuaLimits());

/// The Lua verdict for `obj`, or nullopt when no script serves its group/kind.
std::optional<HealthStatus> AssessWithLua(const LuaHealthScripts& scripts, const Object& obj,
                                          const LuaLimits& limits = LuaLimits());

}  // namespace mlgitops
