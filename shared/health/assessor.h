// Health as a user sees it, in Argo CD's order: deletion, a Lua override for the kind, the
// built-in check, then the Ready-condition fallback for custom resources nobody knows.
#pragma once

#include <string_view>

#include "health/health.h"
#include "health/lua_health.h"

namespace mlgitops {

enum class HealthSource { kDeletion, kLua, kBuiltin, kReadyCondition, kNone };
std::string_view HealthSourceName(HealthSource source);  // "deletion", "lua", ...

struct Assessment {
  HealthStatus status;
  HealthSource source = HealthSource::kNone;
};

class HealthAssessor {
 public:
  /// `lua` may be null; it must outlive the assessor.
  explicit HealthAssessor(const LuaHealthScripts* lua = nullptr) : lua_(lua) {}
  /// Never fails: a kind with no check at all is Healthy with an empty message, as Argo CD
  /// counts resources without health.
  Assessment Assess(const Object& obj, const HealthContext& ctx) const;

 private:
  const LuaHealthScripts* lua_;
};

}  // namespace mlgitops
