// Reading server-side-apply ownership (metadata.managedFields[].fieldsV1) as paths, so fields a
// trusted manager (an HPA, a controller) owns on the live object can be left out of a diff.
#pragma once

#include <string>
#include <vector>

#include "object/object.h"
#include "sync/json_path.h"

namespace mlgitops {

/// The fieldsV1 sets of the live object's managedFields entries whose manager is listed.
std::vector<const JsonValue*> FieldSetsOf(const JsonValue& live,
                                          const std::vector<std::string>& managers);

/// The paths in `object` of the leaf fields a fieldsV1 set names: "f:name" steps into a member,
/// "k:{...}" into the list items whose fields equal the key, "v:<json>" into the list items
/// equal to the value, "i:N" into an index. A set entry the object lacks yields nothing.
std::vector<JsonPath> OwnedPaths(const JsonValue& field_set, const JsonValue& object);

}  // namespace mlgitops
