// Built-in health checks: serving family (to be filled in).
#include "health/health.h"

namespace mlgitops {

void RegisterServingHealth(HealthRegistry& r) { (void)r; }

}  // namespace mlgitops
