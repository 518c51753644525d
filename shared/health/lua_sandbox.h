// A locked-down LuaJIT state for untrusted scripts: safe libraries only, no files, processes or
// network, the JIT off, and every run bounded by instruction count, memory and wall-clock time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "object/object.h"
#include "object/status.h"

struct lua_State;

namespace mlgitops {

/// Bounds of one run. Argo CD gives a script one second; the other two are ours.
struct LuaLimits {
  uint64_t max_instructions = 50'000'000;  // VM instructions, counted in steps of 1000
  size_t max_memory_bytes = 64u << 20;     // bytes the state may hold at any moment
  int64_t max_milliseconds = 1000;         // wall clock, from the start of Run()
};

/// One sandboxed state. Libraries: base (without dofile, loadfile, collectgarbage, gcinfo,
/// newproxy; load/loadstring refuse bytecode; print discards), string (without dump), table,
/// math, os (time, clock, date, difftime only), and a `require` that serves only those four
/// modules. Not thread-safe; use one per thread or per run.
class LuaSandbox {
 public:
  static Result<std::unique_ptr<LuaSandbox>> Create(const LuaLimits& limits);
  ~LuaSandbox();
  LuaSandbox(const LuaSandbox&) = delete;
  LuaSandbox& operator=(const LuaSandbox&) = delete;

  /// Sets global `name` to `value` converted the way Argo CD hands objects to gopher-lua:
  /// objects become tables, arrays 1-based tables with null elements dropped (later elements
  /// move down), numbers Lua numbers, null nil; an empty object and an empty array are both an
  /// empty table.
  Status SetGlobalJson(const char* name, const JsonValue& value);

  /// Compiles and runs `source` as a chunk named `chunk_name` (shown in messages as
  /// "<chunk_name>:<line>: ..."). On success the chunk's results are left on the stack and
  /// their count is returned. Errors (syntax, runtime, limits) carry Lua's message.
  Result<int> Run(std::string_view source, const std::string& chunk_name);

  /// The raw state, for reading results left by Run().
  lua_State* state() const { return state_; }

  struct Guard;  // allocation and instruction accounting, shared with the C callbacks

 private:
  LuaSandbox() = default;
  lua_State* state_ = nullptr;
  std::unique_ptr<Guard> guard_;
};

/// Charges `units` of work done inside a C function to the running script's instruction
/// budget and raises the limit error when the budget or the time is spent. Only for states
/// made by LuaSandbox.
void ChargeLuaWork(lua_State* L, uint64_t units);

/// The error object on top of `L`'s stack as text for people: a string keeps its words with
/// each "table: 0x55d0c3a4b2c0" (any reference type's tostring) cut to "table", since heap
/// addresses differ on every run and help defeat ASLR; any other value is named by its type.
/// Every Lua error this project shows (CLI, Application status, webhook) passes through here.
std::string LuaErrorText(lua_State* L);

/// Checks that `source` compiles, without running it. The message names `chunk_name`.
Status CheckLuaSyntax(std::string_view source, const std::string& chunk_name);

}  // namespace mlgitops
