// Built-in health checks: pipeline family (to be filled in).
#include "health/health.h"

namespace mlgitops {

void RegisterPipelineHealth(HealthRegistry& r) { (void)r; }

}  // namespace mlgitops
