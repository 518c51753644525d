// Lua 5.1 string patterns for the sandbox: string.find, match, gmatch and gsub reimplemented so
// every matching step is charged to the run's budget, and a pathological pattern stops at the
// limits instead of hanging inside C code where the count hook never fires.
#pragma once

struct lua_State;

namespace mlgitops {

/// Replaces find, match, gmatch and gsub in the global `string` table. Call while opening the
/// libraries of a LuaSandbox state (inside a protected call).
void InstallBoundedPatterns(lua_State* L);

}  // namespace mlgitops
