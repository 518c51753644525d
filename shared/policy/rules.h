// The policy rules behind `lint`, `plan` and the admission webhook: one implementation each.
// Per-object rules need only the object and its classification; app rules see the whole set.
#pragma once

#include <vector>

#include "object/object.h"
#include "policy/conventions.h"
#include "policy/findings.h"

namespace mlgitops {

/// The per-object rules (every rule but serving-before-pipeline), with the modes of
/// `conventions` applied: off rules do not run, deny/warn replace the default severity.
std::vector<Finding> CheckObject(const Object& obj, const Classified& classified,
                                 const Conventions& conventions);

/// The rules over an app's whole object set (serving-before-pipeline); `classes` is
/// Classify(objects) index for index.
std::vector<Finding> CheckApp(const std::vector<Object>& objects,
                              const std::vector<Classified>& classes,
                              const Conventions& conventions);

/// Every rule: CheckObject on each object in order, then CheckApp.
std::vector<Finding> Lint(const std::vector<Object>& objects,
                          const std::vector<Classified>& classes, const Conventions& conventions);
/// As above, classifying the objects first.
std::vector<Finding> Lint(const std::vector<Object>& objects, const Conventions& conventions);

}  // namespace mlgitops
