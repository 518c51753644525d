// RollingSync: an ApplicationSet's Applications synced step by step (dev, then staging, then
// production), each step's apps chosen by label and at most maxUpdate at a time.
#pragma once

#include <string>
#include <vector>

#include "app/application.h"
#include "appset/appset.h"
#include "appset/appset_sync.h"
#include "object/status.h"

namespace mlgitops {

struct RollingStep {
  LabelSelector selector;  // matchExpressions only
  std::string max_update;  // "" = 100%; an integer or a percentage
};

/// spec.strategy.rollingSync.steps; an empty list when the strategy is not RollingSync.
Result<std::vector<RollingStep>> ParseRollingSteps(const ApplicationSet& appset);

/// How many of a step's `apps` may sync at once: an integer as is, a percentage rounded down
/// but at least 1 when above 0% (Argo CD's rule); 0 means none.
Result<size_t> MaxUpdateCount(const std::string& max_update, size_t apps);

/// Each app's step index (the first step that selects it), or -1 when no step does.
std::vector<int> AssignSteps(const std::vector<RollingStep>& steps,
                             const std::vector<const Application*>& apps);

/// Syncs step by step. A step whose apps do not all end Synced and Healthy stops the rollout:
/// later steps are not synced, and the report names the step and the app. As in Argo CD,
/// apps no step selects are left alone (sync them by hand), and a step with maxUpdate 0
/// waits for a manual sync, so the rollout stops there.
AppSetSyncReport SyncRolling(const std::vector<RollingStep>& steps,
                             const std::vector<const Application*>& apps, const AppSyncFn& sync);

}  // namespace mlgitops
