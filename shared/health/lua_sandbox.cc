#include "health/lua_sandbox.h"

#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <lua.hpp>
#include <string_view>

#include "health/lua_patterns.h"

namespace mlgitops {

namespace {

using Clock = std::chrono::steady_clock;

// The count hook fires this often; limits are checked at that granularity.
constexpr int kHookEvery = 1000;
// JSON nesting the converter accepts; the YAML loader already stops at 256.
constexpr int kMaxJsonDepth = 512;
// Modules `require` may hand out (all already opened in the sandbox).
constexpr const char* kRequirable[] = {LUA_STRLIBNAME, LUA_TABLIBNAME, LUA_MATHLIBNAME,
                                       LUA_OSLIBNAME};

}  // namespace

struct LuaSandbox::Guard {
  LuaLimits limits;
  // The allocator's cap: the limit while the script runs, unlimited afterwards so the host can
  // read the results without an unprotected allocation failure.
  size_t memory_cap = 0;
  size_t bytes_in_use = 0;
  uint64_t instructions = 0;
  Clock::time_point deadline;
  // Set once a limit is hit; from then on every instruction raises, so pcall cannot keep the
  // script alive.
  bool tripped = false;
  std::string trip_reason;
};

namespace {

using Guard = LuaSandbox::Guard;

Guard* GuardOf(lua_State* L) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  return static_cast<Guard*>(ud);
}

// Refusing an allocation makes LuaJIT raise "not enough memory" (LUA_ERRMEM), which the
// script cannot turn into more memory.
void* GuardedAlloc(void* ud, void* ptr, size_t old_size, size_t new_size) {
  auto* guard = static_cast<Guard*>(ud);
  size_t counted = ptr ? old_size : 0;
  if (new_size == 0) {
    guard->bytes_in_use -= counted;
    std::free(ptr);
    return nullptr;
  }
  if (new_size > counted && guard->bytes_in_use - counted + new_size > guard->memory_cap) {
    return nullptr;
  }
  void* grown = std::realloc(ptr, new_size);
  if (grown) guard->bytes_in_use = guard->bytes_in_use - counted + new_size;
  return grown;
}

// Adds `units` to the instruction count; true (with trip_reason set) once a limit is passed.
// Once tripped, every instruction raises, so pcall cannot keep the script alive.
bool Trips(lua_State* L, Guard* guard, uint64_t units);

void LimitHook(lua_State* L, lua_Debug* ar) {
  Guard* guard = GuardOf(L);
  if (!guard->tripped && !Trips(L, guard, kHookEvery)) return;
  lua_getinfo(L, "Sl", ar);
  lua_pushfstring(L, "%s:%d: %s", ar->short_src, ar->currentline, guard->trip_reason.c_str());
  lua_error(L);
}

bool Trips(lua_State* L, Guard* guard, uint64_t units) {
  guard->instructions += units;
  if (guard->instructions > guard->limits.max_instructions) {
    guard->trip_reason = "Lua script exceeded the instruction limit (" +
                         std::to_string(guard->limits.max_instructions) + " instructions)";
  } else if (Clock::now() > guard->deadline) {
    guard->trip_reason = "Lua script exceeded the time limit (" +
                         std::to_string(guard->limits.max_milliseconds) + " ms)";
  } else {
    return false;
  }
  guard->tripped = true;
  lua_sethook(L, LimitHook, LUA_MASKCOUNT, 1);
  return true;
}

bool IsBytecode(const char* text, size_t size) { return size > 0 && text[0] == LUA_SIGNATURE[0]; }

// Pushes the compiled chunk, or nil and a message (Lua's load convention).
int LoadTextChunk(lua_State* L, const char* text, size_t size, const char* chunk_name) {
  if (IsBytecode(text, size)) {
    lua_pushnil(L);
    lua_pushliteral(L, "loading binary chunks is not allowed");
    return 2;
  }
  if (luaL_loadbuffer(L, text, size, chunk_name) != 0) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  return 1;
}

int SafeLoadString(lua_State* L) {
  size_t size = 0;
  const char* text = luaL_checklstring(L, 1, &size);
  return LoadTextChunk(L, text, size, luaL_optstring(L, 2, text));
}

int SafeLoad(lua_State* L) {
  if (lua_type(L, 1) != LUA_TSTRING) {
    return luaL_error(L, "load: only source strings can be loaded in this sandbox");
  }
  size_t size = 0;
  const char* text = lua_tolstring(L, 1, &size);
  return LoadTextChunk(L, text, size, luaL_optstring(L, 2, "=(load)"));
}

int SafeRequire(lua_State* L) {
  const char* name = luaL_checkstring(L, 1);
  for (const char* allowed : kRequirable) {
    if (std::strcmp(name, allowed) == 0) {
      lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
      lua_getfield(L, -1, name);
      return 1;
    }
  }
  return luaL_error(L, "module '%s' not found: only string, table, math and os can be required",
                    name);
}

// Scripts may print while debugging; the output has nowhere safe to go.
int DiscardPrint(lua_State*) { return 0; }

void OpenLibrary(lua_State* L, lua_CFunction open, const char* name) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 0);
}

void RemoveGlobals(lua_State* L, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
}

// Replaces os with a table of its clock functions, in _G and in _LOADED.
void KeepOsClockOnly(lua_State* L) {
  lua_getglobal(L, LUA_OSLIBNAME);
  lua_createtable(L, 0, 4);
  for (const char* name : {"time", "clock", "date", "difftime"}) {
    lua_getfield(L, -2, name);
    lua_setfield(L, -2, name);
  }
  lua_pushvalue(L, -1);
  lua_setglobal(L, LUA_OSLIBNAME);
  lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, LUA_OSLIBNAME);
  lua_pop(L, 3);
}

// LuaJIT runs an xpcall handler at the point of the error with hooks still suspended, so a
// handler that loops would escape the limits. This xpcall calls it after unwinding instead.
constexpr char kHookedXpcall[] =
    "local pcall = pcall\n"
    "local function finish(handler, ok, ...)\n"
    "  if ok then return true, ... end\n"
    "  return false, handler((...))\n"
    "end\n"
    "xpcall = function(f, handler)\n"
    "  return finish(handler, pcall(f))\n"
    "end\n";

int OpenSafeLibraries(lua_State* L) {
  OpenLibrary(L, luaopen_base, "");
  OpenLibrary(L, luaopen_string, LUA_STRLIBNAME);
  OpenLibrary(L, luaopen_table, LUA_TABLIBNAME);
  OpenLibrary(L, luaopen_math, LUA_MATHLIBNAME);
  OpenLibrary(L, luaopen_os, LUA_OSLIBNAME);
  RemoveGlobals(L, {"dofile", "loadfile", "collectgarbage", "gcinfo", "newproxy", "module"});
  lua_register(L, "load", SafeLoad);
  lua_register(L, "loadstring", SafeLoadString);
  lua_register(L, "require", SafeRequire);
  lua_register(L, "print", DiscardPrint);
  lua_getglobal(L, LUA_STRLIBNAME);
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  lua_pop(L, 1);
  KeepOsClockOnly(L);
  InstallBoundedPatterns(L);
  if (luaL_loadbuffer(L, kHookedXpcall, sizeof(kHookedXpcall) - 1, "=xpcall") != 0) {
    return lua_error(L);
  }
  lua_call(L, 0, 0);
  return 0;
}

void PushJson(lua_State* L, const JsonValue& value, int depth) {
  if (depth > kMaxJsonDepth) luaL_error(L, "object nested deeper than %d levels", kMaxJsonDepth);
  if (!lua_checkstack(L, 4)) luaL_error(L, "object nested too deeply for the Lua stack");
  switch (value.GetType()) {
    case rapidjson::kNullType:
      lua_pushnil(L);
      return;
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      lua_pushboolean(L, value.GetBool());
      return;
    case rapidjson::kStringType:
      lua_pushlstring(L, value.GetString(), value.GetStringLength());
      return;
    case rapidjson::kNumberType:
      lua_pushnumber(L, value.GetDouble());
      return;
    case rapidjson::kArrayType: {
      lua_createtable(L, static_cast<int>(value.Size()), 0);
      int next_index = 1;
      for (const JsonValue& element : value.GetArray()) {
        if (element.IsNull()) continue;  // gopher-lua's Append skips nil, closing the gap
        PushJson(L, element, depth + 1);
        lua_rawseti(L, -2, next_index++);
      }
      return;
    }
    case rapidjson::kObjectType: {
      lua_createtable(L, 0, static_cast<int>(value.MemberCount()));
      for (const auto& member : value.GetObject()) {
        if (member.value.IsNull()) continue;
        lua_pushlstring(L, member.name.GetString(), member.name.GetStringLength());
        PushJson(L, member.value, depth + 1);
        lua_rawset(L, -3);
      }
      return;
    }
  }
}

struct GlobalJson {
  const char* name;
  const JsonValue* value;
};

int SetGlobalJsonProtected(lua_State* L) {
  const auto* request = static_cast<const GlobalJson*>(lua_touserdata(L, 1));
  PushJson(L, *request->value, 0);
  lua_setglobal(L, request->name);
  return 0;
}

std::string MemoryMessage(const LuaLimits& limits) {
  return "Lua script exceeded the memory limit (" + std::to_string(limits.max_memory_bytes >> 20) +
         " MiB)";
}

// Whether `text` ends in a name LuaJIT's tostring gives before an address: a reference type
// ("table", "function", "userdata", "thread", "proto") or an FFI "cdata<...>".
bool EndsWithAddressedTypeName(std::string_view text) {
  if (!text.empty() && text.back() == '>') return text.rfind("cdata<") != std::string_view::npos;
  for (std::string_view name : {"table", "function", "userdata", "thread", "proto"}) {
    if (text.size() >= name.size() && text.substr(text.size() - name.size()) == name) {
      return text.size() == name.size() ||
             !std::isalnum(static_cast<unsigned char>(text[text.size() - name.size() - 1]));
    }
  }
  return false;
}

// `text` with each "<type>: 0x<hex>" cut to "<type>".
std::string WithoutLuaAddresses(std::string_view text) {
  constexpr std::string_view kAddress = ": 0x";
  std::string out;
  out.reserve(text.size());
  size_t done = 0;
  for (size_t at = text.find(kAddress); at != std::string_view::npos;
       at = text.find(kAddress, at + 1)) {
    size_t end = at + kAddress.size();
    while (end < text.size() && std::isxdigit(static_cast<unsigned char>(text[end]))) ++end;
    if (end == at + kAddress.size() || !EndsWithAddressedTypeName(text.substr(done, at - done))) {
      continue;
    }
    out.append(text.substr(done, at - done));  // keep "table", drop ": 0x55d0c3a4b2c0"
    done = end;
    at = end - 1;
  }
  out.append(text.substr(done));
  return out;
}

// The error object on top of the stack as text.
std::string ErrorText(lua_State* L, int code, const Guard& guard) {
  if (code == LUA_ERRMEM) return MemoryMessage(guard.limits);
  std::string message = LuaErrorText(L);
  if (guard.tripped && message.find(guard.trip_reason) == std::string::npos) {
    message = guard.trip_reason;  // the script replaced our error; the limit is the cause
  }
  return message;
}

}  // namespace

Result<std::unique_ptr<LuaSandbox>> LuaSandbox::Create(const LuaLimits& limits) {
  std::unique_ptr<LuaSandbox> sandbox(new LuaSandbox());
  sandbox->guard_ = std::make_unique<Guard>();
  sandbox->guard_->limits = limits;
  sandbox->guard_->memory_cap = limits.max_memory_bytes;
  sandbox->state_ = lua_newstate(GuardedAlloc, sandbox->guard_.get());
  if (!sandbox->state_) return Status::Internal("cannot create a Lua state");
  lua_State* L = sandbox->state_;
  // Hooks only fire in the interpreter, so the JIT stays off for the whole state.
  luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
  int code = lua_cpcall(L, OpenSafeLibraries, nullptr);
  if (code != 0) {
    std::string message = ErrorText(L, code, *sandbox->guard_);
    return Status::Internal("cannot open the Lua libraries: " + message);
  }
  return sandbox;
}

LuaSandbox::~LuaSandbox() {
  if (state_) lua_close(state_);
}

Status LuaSandbox::SetGlobalJson(const char* name, const JsonValue& value) {
  GlobalJson request{name, &value};
  int code = lua_cpcall(state_, SetGlobalJsonProtected, &request);
  if (code == 0) return Status::OK();
  std::string message = ErrorText(state_, code, *guard_);
  lua_pop(state_, 1);
  return Status::LimitExceeded("cannot hand the object to Lua: " + message);
}

Result<int> LuaSandbox::Run(std::string_view source, const std::string& chunk_name) {
  lua_State* L = state_;
  guard_->instructions = 0;
  guard_->tripped = false;
  guard_->memory_cap = guard_->limits.max_memory_bytes;
  guard_->deadline = Clock::now() + std::chrono::milliseconds(guard_->limits.max_milliseconds);
  int base = lua_gettop(L);
  std::string lua_chunk_name = "=" + chunk_name;
  if (IsBytecode(source.data(), source.size())) {
    return Status::InvalidArgument(chunk_name + ": binary chunks are not allowed");
  }
  lua_sethook(L, LimitHook, LUA_MASKCOUNT, kHookEvery);
  int code = luaL_loadbuffer(L, source.data(), source.size(), lua_chunk_name.c_str());
  if (code == 0) code = lua_pcall(L, 0, LUA_MULTRET, 0);
  lua_sethook(L, nullptr, 0, 0);
  guard_->memory_cap = SIZE_MAX;
  if (code == 0) return lua_gettop(L) - base;
  std::string message = ErrorText(L, code, *guard_);
  lua_settop(L, base);
  if (guard_->tripped || code == LUA_ERRMEM) return Status::LimitExceeded(message);
  return Status::InvalidArgument(message);
}

void ChargeLuaWork(lua_State* L, uint64_t units) {
  Guard* guard = GuardOf(L);
  if (!guard->tripped && !Trips(L, guard, units)) return;
  // Name the nearest Lua line; a tail call may have replaced the direct caller.
  lua_Debug ar;
  for (int level = 1; lua_getstack(L, level, &ar); ++level) {
    if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
      lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline, guard->trip_reason.c_str());
      lua_error(L);
    }
  }
  lua_pushstring(L, guard->trip_reason.c_str());
  lua_error(L);
}

Status CheckLuaSyntax(std::string_view source, const std::string& chunk_name) {
  auto sandbox = LuaSandbox::Create(LuaLimits());
  if (!sandbox.ok()) return sandbox.status();
  if (IsBytecode(source.data(), source.size())) {
    return Status::InvalidArgument(chunk_name + ": binary chunks are not allowed");
  }
  lua_State* L = (*sandbox)->state();
  std::string lua_chunk_name = "=" + chunk_name;
  if (luaL_loadbuffer(L, source.data(), source.size(), lua_chunk_name.c_str()) == 0) {
    return Status::OK();
  }
  return Status::InvalidArgument(LuaErrorText(L));
}

std::string LuaErrorText(lua_State* L) {
  if (lua_type(L, -1) != LUA_TSTRING) {
    return std::string("(error object is a ") + luaL_typename(L, -1) + " value)";
  }
  size_t size = 0;
  const char* text = lua_tolstring(L, -1, &size);
  return WithoutLuaAddresses(std::string_view(text, size));
}

}  // namespace mlgitops
