// Server-side apply: merges an applied configuration into the live object as one field
// manager, removes fields that manager stopped applying, and reports conflicts with fields
// other managers own (unless forced).
#pragma once

#include <string>
#include <vector>

#include "kubesim/api_errors.h"
#include "kubesim/merge_schema.h"
#include "object/object.h"

namespace mlgitops::kubesim {

struct ApplyParams {
  std::string manager;
  bool force = false;
  std::string api_version;
  std::string subresource;  // "" or "status"
  std::string time;         // RFC 3339, recorded on the manager's entry
  bool include_status = false;
};

struct ApplyResult {
  Object object;                       // the merged object with updated managedFields
  std::vector<StatusCause> conflicts;  // non-empty: nothing may be written
};

/// Applies `config` to `live` (an empty object `{}` when creating).
ApplyResult ServerSideApply(const JsonValue& live, const JsonValue& config,
                            const MergeSchema& schema, const ApplyParams& params);

/// The 409 body for apply conflicts, in the real server's wording.
ApiError ApplyConflictError(const std::string& group, const std::string& resource,
                            const std::string& name, const std::vector<StatusCause>& conflicts);

}  // namespace mlgitops::kubesim
