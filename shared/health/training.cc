// Built-in health checks: training family (to be filled in).
#include "health/health.h"

namespace mlgitops {

void RegisterTrainingHealth(HealthRegistry& r) { (void)r; }

}  // namespace mlgitops
