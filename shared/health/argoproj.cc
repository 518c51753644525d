// Built-in health checks: argoproj family (to be filled in).
#include "health/health.h"

namespace mlgitops {

void RegisterArgoprojHealth(HealthRegistry& r) { (void)r; }

}  // namespace mlgitops
