// Built-in health checks: streaming family (to be filled in).
#include "health/health.h"

namespace mlgitops {

void RegisterStreamingHealth(HealthRegistry& r) { (void)r; }

}  // namespace mlgitops
