// Built-in health checks: platform family (to be filled in).
#include "health/health.h"

namespace mlgitops {

void RegisterPlatformHealth(HealthRegistry& r) { (void)r; }

}  // namespace mlgitops
