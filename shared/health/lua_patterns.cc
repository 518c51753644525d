#include "health/lua_patterns.h"

#include <cctype>
#include <cstddef>
#include <cstring>
#include <lua.hpp>

#include "health/lua_sandbox.h"

// Plain C-style code on purpose: errors leave these functions through luaL_error, so nothing
// here owns resources that would need unwinding.

namespace mlgitops {

namespace {

constexpr int kMaxCaptures = 32;
constexpr int kMaxRecursion = 200;  // as LuaJIT's matcher: deeper is "pattern too complex"
constexpr ptrdiff_t kUnfinished = -1;
constexpr ptrdiff_t kPosition = -2;
constexpr unsigned kChargeEvery = 1024;  // matching steps per call into the budget
constexpr char kSpecials[] = "^$*+?.([%-";

struct Capture {
  const char* start;
  ptrdiff_t length;  // or kUnfinished / kPosition
};

struct Matcher {
  lua_State* L;
  const char* subject;
  const char* subject_end;
  const char* pattern_end;
  int level;  // captures opened so far
  int depth;
  unsigned steps;
  Capture captures[kMaxCaptures];
};

unsigned char Byte(const char* p) { return static_cast<unsigned char>(*p); }

void Step(Matcher* m) {
  if (++m->steps == kChargeEvery) {
    m->steps = 0;
    ChargeLuaWork(m->L, kChargeEvery);
  }
}

// One past the single-character class starting at p.
const char* ClassEnd(Matcher* m, const char* p) {
  char c = *p++;
  if (c == '%') {
    if (p >= m->pattern_end) luaL_error(m->L, "malformed pattern (ends with '%%')");
    return p + 1;
  }
  if (c == '[') {
    if (p < m->pattern_end && *p == '^') ++p;
    do {  // the first character may be a literal ']'
      if (p >= m->pattern_end) luaL_error(m->L, "malformed pattern (missing ']')");
      if (*p++ == '%' && p < m->pattern_end) ++p;
    } while (p >= m->pattern_end || *p != ']');
    return p + 1;
  }
  return p;
}

bool MatchClass(int c, int class_letter) {
  bool result;
  switch (std::tolower(class_letter)) {
    case 'a':
      result = std::isalpha(c);
      break;
    case 'c':
      result = std::iscntrl(c);
      break;
    case 'd':
      result = std::isdigit(c);
      break;
    case 'l':
      result = std::islower(c);
      break;
    case 'p':
      result = std::ispunct(c);
      break;
    case 's':
      result = std::isspace(c);
      break;
    case 'u':
      result = std::isupper(c);
      break;
    case 'w':
      result = std::isalnum(c);
      break;
    case 'x':
      result = std::isxdigit(c);
      break;
    case 'z':
      result = (c == 0);
      break;
    default:
      return class_letter == c;
  }
  return std::isupper(class_letter) ? !result : result;
}

// `p` at '[', `last` at the closing ']'.
bool MatchBracket(int c, const char* p, const char* last) {
  bool wanted = true;
  if (p[1] == '^') {
    wanted = false;
    ++p;
  }
  while (++p < last) {
    if (*p == '%') {
      ++p;
      if (MatchClass(c, Byte(p))) return wanted;
    } else if (p[1] == '-' && p + 2 < last) {
      p += 2;
      if (Byte(p - 2) <= c && c <= Byte(p)) return wanted;
    } else if (Byte(p) == c) {
      return wanted;
    }
  }
  return !wanted;
}

bool SingleMatch(int c, const char* p, const char* class_end) {
  switch (*p) {
    case '.':
      return true;
    case '%':
      return MatchClass(c, Byte(p + 1));
    case '[':
      return MatchBracket(c, p, class_end - 1);
    default:
      return Byte(p) == c;
  }
}

const char* Match(Matcher* m, const char* s, const char* p);

const char* MaxExpand(Matcher* m, const char* s, const char* p, const char* ep) {
  ptrdiff_t count = 0;
  while (s + count < m->subject_end && SingleMatch(Byte(s + count), p, ep)) {
    Step(m);
    ++count;
  }
  for (; count >= 0; --count) {  // try the longest run first, then give back one at a time
    if (const char* end = Match(m, s + count, ep + 1)) return end;
  }
  return nullptr;
}

const char* MinExpand(Matcher* m, const char* s, const char* p, const char* ep) {
  for (;;) {
    if (const char* end = Match(m, s, ep + 1)) return end;
    if (s >= m->subject_end || !SingleMatch(Byte(s), p, ep)) return nullptr;
    ++s;
  }
}

const char* StartCapture(Matcher* m, const char* s, const char* p, ptrdiff_t what) {
  if (m->level >= kMaxCaptures) luaL_error(m->L, "too many captures");
  m->captures[m->level] = {s, what};
  ++m->level;
  const char* end = Match(m, s, p);
  if (!end) --m->level;
  return end;
}

const char* EndCapture(Matcher* m, const char* s, const char* p) {
  int open = m->level - 1;
  while (open >= 0 && m->captures[open].length != kUnfinished) --open;
  if (open < 0) luaL_error(m->L, "invalid pattern capture");
  m->captures[open].length = s - m->captures[open].start;
  const char* end = Match(m, s, p);
  if (!end) m->captures[open].length = kUnfinished;
  return end;
}

const char* MatchBalance(Matcher* m, const char* s, const char* p) {
  if (p + 1 >= m->pattern_end) luaL_error(m->L, "unbalanced pattern");
  if (s >= m->subject_end || *s != *p) return nullptr;
  char open = p[0], close = p[1];
  int nesting = 1;
  while (++s < m->subject_end) {
    Step(m);
    if (*s == close) {
      if (--nesting == 0) return s + 1;
    } else if (*s == open) {
      ++nesting;
    }
  }
  return nullptr;
}

int CheckCapture(Matcher* m, int letter) {
  int index = letter - '1';
  if (index < 0 || index >= m->level || m->captures[index].length == kUnfinished) {
    luaL_error(m->L, "invalid capture index");
  }
  return index;
}

const char* MatchBackReference(Matcher* m, const char* s, int letter) {
  const Capture& capture = m->captures[CheckCapture(m, letter)];
  size_t length = static_cast<size_t>(capture.length);
  if (static_cast<size_t>(m->subject_end - s) >= length &&
      std::memcmp(capture.start, s, length) == 0) {
    return s + length;
  }
  return nullptr;
}

const char* MatchFrontier(Matcher* m, const char* s, const char* p, const char** next) {
  if (p >= m->pattern_end || *p != '[') luaL_error(m->L, "missing '[' after '%%f' in pattern");
  const char* ep = ClassEnd(m, p);
  int previous = (s == m->subject) ? 0 : Byte(s - 1);
  int current = (s < m->subject_end) ? Byte(s) : 0;
  *next = ep;
  return (!MatchBracket(previous, p, ep - 1) && MatchBracket(current, p, ep - 1)) ? s : nullptr;
}

// The end of the match of pattern `p` at `s`, or nullptr.
const char* MatchItems(Matcher* m, const char* s, const char* p) {
  for (;;) {
    Step(m);
    if (p == m->pattern_end) return s;
    switch (*p) {
      case '(':
        if (p + 1 < m->pattern_end && p[1] == ')') return StartCapture(m, s, p + 2, kPosition);
        return StartCapture(m, s, p + 1, kUnfinished);
      case ')':
        return EndCapture(m, s, p + 1);
      case '$':
        if (p + 1 == m->pattern_end) return (s == m->subject_end) ? s : nullptr;
        break;
      case '%':
        if (p + 1 < m->pattern_end && p[1] == 'b') {
          s = MatchBalance(m, s, p + 2);
          if (!s) return nullptr;
          p += 4;
          continue;
        }
        if (p + 1 < m->pattern_end && p[1] == 'f') {
          const char* next = nullptr;
          if (!MatchFrontier(m, s, p + 2, &next)) return nullptr;
          p = next;
          continue;
        }
        if (p + 1 < m->pattern_end && std::isdigit(Byte(p + 1))) {
          s = MatchBackReference(m, s, Byte(p + 1));
          if (!s) return nullptr;
          p += 2;
          continue;
        }
        break;
      default:
        break;
    }
    const char* ep = ClassEnd(m, p);
    bool here = s < m->subject_end && SingleMatch(Byte(s), p, ep);
    char suffix = ep < m->pattern_end ? *ep : '\0';
    switch (suffix) {
      case '?':
        if (here) {
          if (const char* end = Match(m, s + 1, ep + 1)) return end;
        }
        p = ep + 1;
        continue;
      case '*':
        return MaxExpand(m, s, p, ep);
      case '+':
        return here ? MaxExpand(m, s + 1, p, ep) : nullptr;
      case '-':
        return MinExpand(m, s, p, ep);
      default:
        if (!here) return nullptr;
        ++s;
        p = ep;
        continue;
    }
  }
}

const char* Match(Matcher* m, const char* s, const char* p) {
  if (++m->depth > kMaxRecursion) luaL_error(m->L, "pattern too complex");
  const char* end = MatchItems(m, s, p);
  --m->depth;
  return end;
}

void Reset(Matcher* m) {
  m->level = 0;
  m->depth = 0;
}

// Capture `i` of the match s..e; the whole match stands in when the pattern has none.
void PushCapture(Matcher* m, int i, const char* s, const char* e) {
  if (i >= m->level) {
    if (i != 0) luaL_error(m->L, "invalid capture index");
    lua_pushlstring(m->L, s, static_cast<size_t>(e - s));
    return;
  }
  const Capture& capture = m->captures[i];
  if (capture.length == kUnfinished) luaL_error(m->L, "unfinished capture");
  if (capture.length == kPosition) {
    lua_pushinteger(m->L, capture.start - m->subject + 1);
  } else {
    lua_pushlstring(m->L, capture.start, static_cast<size_t>(capture.length));
  }
}

int PushCaptures(Matcher* m, const char* s, const char* e) {
  int count = (m->level == 0 && s) ? 1 : m->level;
  luaL_checkstack(m->L, count, "too many captures");
  for (int i = 0; i < count; ++i) PushCapture(m, i, s, e);
  return count;
}

void InitMatcher(Matcher* m, lua_State* L, const char* subject, size_t subject_size,
                 const char* pattern_end) {
  m->L = L;
  m->subject = subject;
  m->subject_end = subject + subject_size;
  m->pattern_end = pattern_end;
  m->steps = 0;
  Reset(m);
}

// Naive substring search, charged per comparison start.
const char* FindPlain(Matcher* m, const char* s, size_t s_size, const char* p, size_t p_size) {
  if (p_size == 0) return s;
  if (p_size > s_size) return nullptr;
  for (const char* last = s + (s_size - p_size); s <= last; ++s) {
    Step(m);
    if (*s == *p && std::memcmp(s + 1, p + 1, p_size - 1) == 0) return s;
  }
  return nullptr;
}

int FindOrMatch(lua_State* L, bool find) {
  size_t s_size = 0, p_size = 0;
  const char* s = luaL_checklstring(L, 1, &s_size);
  const char* p = luaL_checklstring(L, 2, &p_size);
  lua_Integer start = luaL_optinteger(L, 3, 1);
  if (start < 0) start += static_cast<lua_Integer>(s_size) + 1;
  if (start < 1) start = 1;
  if (start > static_cast<lua_Integer>(s_size) + 1) start = static_cast<lua_Integer>(s_size) + 1;
  const char* from = s + start - 1;
  Matcher m;
  InitMatcher(&m, L, s, s_size, p + p_size);
  // Lua strings end in NUL, so strpbrk looks (as Lua 5.1 does) only up to the first NUL.
  if (find && (lua_toboolean(L, 4) || std::strpbrk(p, kSpecials) == nullptr)) {
    const char* hit = FindPlain(&m, from, s_size - (from - s), p, p_size);
    if (!hit) {
      lua_pushnil(L);
      return 1;
    }
    lua_pushinteger(L, hit - s + 1);
    lua_pushinteger(L, hit - s + static_cast<lua_Integer>(p_size));
    return 2;
  }
  bool anchored = (p_size > 0 && *p == '^');
  if (anchored) ++p;
  do {
    Reset(&m);
    if (const char* end = Match(&m, from, p)) {
      if (!find) return PushCaptures(&m, from, end);
      lua_pushinteger(L, from - s + 1);
      lua_pushinteger(L, end - s);
      return PushCaptures(&m, nullptr, nullptr) + 2;
    }
  } while (from++ < m.subject_end && !anchored);
  lua_pushnil(L);
  return 1;
}

int BoundedFind(lua_State* L) { return FindOrMatch(L, true); }
int BoundedMatch(lua_State* L) { return FindOrMatch(L, false); }

int GmatchStep(lua_State* L) {
  size_t s_size = 0, p_size = 0;
  const char* s = lua_tolstring(L, lua_upvalueindex(1), &s_size);
  const char* p = lua_tolstring(L, lua_upvalueindex(2), &p_size);
  Matcher m;
  InitMatcher(&m, L, s, s_size, p + p_size);
  for (const char* from = s + lua_tointeger(L, lua_upvalueindex(3)); from <= m.subject_end;
       ++from) {
    Reset(&m);
    if (const char* end = Match(&m, from, p)) {
      lua_Integer next = end - s;
      if (end == from) ++next;  // an empty match moves on by one
      lua_pushinteger(L, next);
      lua_replace(L, lua_upvalueindex(3));
      return PushCaptures(&m, from, end);
    }
  }
  return 0;
}

int BoundedGmatch(lua_State* L) {
  luaL_checkstring(L, 1);
  luaL_checkstring(L, 2);
  lua_settop(L, 2);
  lua_pushinteger(L, 0);
  lua_pushcclosure(L, GmatchStep, 3);
  return 1;
}

// Appends the replacement template with %0-%9 and %% expanded.
void AddTemplate(Matcher* m, luaL_Buffer* b, const char* s, const char* e) {
  size_t size = 0;
  const char* text = lua_tolstring(m->L, 3, &size);
  for (size_t i = 0; i < size; ++i) {
    Step(m);
    if (text[i] != '%') {
      luaL_addchar(b, text[i]);
      continue;
    }
    ++i;  // a trailing '%' reads the terminating NUL, as in Lua 5.1
    if (!std::isdigit(Byte(text + i))) {
      luaL_addchar(b, text[i]);
    } else if (text[i] == '0') {
      luaL_addlstring(b, s, static_cast<size_t>(e - s));
    } else {
      PushCapture(m, text[i] - '1', s, e);
      luaL_addvalue(b);
    }
  }
}

void AddReplacement(Matcher* m, luaL_Buffer* b, const char* s, const char* e) {
  lua_State* L = m->L;
  switch (lua_type(L, 3)) {
    case LUA_TNUMBER:
    case LUA_TSTRING:
      AddTemplate(m, b, s, e);
      return;
    case LUA_TFUNCTION: {
      lua_pushvalue(L, 3);
      int count = PushCaptures(m, s, e);
      lua_call(L, count, 1);
      break;
    }
    default:  // table
      PushCapture(m, 0, s, e);
      lua_gettable(L, 3);
      break;
  }
  if (!lua_toboolean(L, -1)) {  // nil or false keeps the original text
    lua_pop(L, 1);
    lua_pushlstring(L, s, static_cast<size_t>(e - s));
  } else if (!lua_isstring(L, -1)) {
    luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  }
  luaL_addvalue(b);
}

int BoundedGsub(lua_State* L) {
  size_t s_size = 0, p_size = 0;
  const char* s = luaL_checklstring(L, 1, &s_size);
  const char* p = luaL_checklstring(L, 2, &p_size);
  int replacement_type = lua_type(L, 3);
  luaL_argcheck(L,
                replacement_type == LUA_TNUMBER || replacement_type == LUA_TSTRING ||
                    replacement_type == LUA_TFUNCTION || replacement_type == LUA_TTABLE,
                3, "string/function/table expected");
  lua_Integer max_replacements = luaL_optinteger(L, 4, static_cast<lua_Integer>(s_size) + 1);
  Matcher m;
  InitMatcher(&m, L, s, s_size, p + p_size);
  bool anchored = (p_size > 0 && *p == '^');
  if (anchored) ++p;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  const char* from = s;
  lua_Integer replaced = 0;
  while (replaced < max_replacements) {
    Reset(&m);
    const char* end = Match(&m, from, p);
    if (end) {
      ++replaced;
      AddReplacement(&m, &b, from, end);
    }
    if (end && end > from) {
      from = end;
    } else if (from < m.subject_end) {
      luaL_addchar(&b, *from++);
    } else {
      break;
    }
    if (anchored) break;
  }
  luaL_addlstring(&b, from, static_cast<size_t>(m.subject_end - from));
  luaL_pushresult(&b);
  lua_pushinteger(L, replaced);
  return 2;
}

}  // namespace

void InstallBoundedPatterns(lua_State* L) {
  lua_getglobal(L, LUA_STRLIBNAME);
  const luaL_Reg functions[] = {{"find", BoundedFind},
                                {"match", BoundedMatch},
                                {"gmatch", BoundedGmatch},
                                {"gsub", BoundedGsub}};
  for (const luaL_Reg& f : functions) {
    lua_pushcfunction(L, f.func);
    lua_setfield(L, -2, f.name);
  }
  lua_pop(L, 1);
}

}  // namespace mlgitops
