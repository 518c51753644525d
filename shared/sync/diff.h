// Comparing one resource's live state with its desired state (a server-side dry-run apply):
// the verdict behind sync status and self-heal, and the text `kubectl mlgitops diff` prints.
#pragma once

#include <string>
#include <vector>

#include "object/object.h"
#include "object/status.h"
#include "sync/normalize.h"
#include "sync/unified_diff.h"

namespace mlgitops {

struct ResourceDiff {
  ObjectRef ref;
  bool live_missing = false;     // would be created
  bool desired_missing = false;  // would be pruned
  bool differs = false;
  /// "===== group/Kind ns/name ======\n" and a unified diff of the normalised YAML; "" when
  /// equal. Secret data/stringData values are masked.
  std::string text;
};

/// Normalises both sides, applies the ignoreDifferences that match, and compares. `live` null =
/// would be created (all lines "+"), `desired` null = would be pruned (all lines "-"); both null
/// is InvalidArgument, as are bad ignore rules and objects nested deeper than 256 levels.
Result<ResourceDiff> DiffResource(const Object* live, const Object* desired,
                                  const DiffOptions& options);

/// The "===== group/Kind ns/name ======" line (Argo CD's; core group prints as "/Kind").
std::string DiffHeader(const ObjectRef& ref);

/// Replaces each data/stringData value of a core/v1 Secret (either may be null) as kubectl diff
/// does: "***" when both sides agree or only one has the key, "*** (before)" and "*** (after)"
/// when they differ.
void MaskSecretValues(Object* live, Object* desired);

}  // namespace mlgitops
