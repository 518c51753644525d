// Built-in health checks: core family (to be filled in).
#include "health/health.h"

namespace mlgitops {

void RegisterCoreHealth(HealthRegistry& r) { (void)r; }

}  // namespace mlgitops
