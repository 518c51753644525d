// Server-side printing: the meta.k8s.io/v1 Table kubectl get asks for, with the columns the
// real server prints for common kinds, CRD additionalPrinterColumns, or NAME and AGE.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kubesim/catalog.h"
#include "kubesim/store.h"

namespace mlgitops::kubesim {

/// True when the Accept header lists `as=Table` (meta.k8s.io v1 or v1beta1).
bool WantsTable(const std::string& accept);
/// True when the Accept header asks for metadata only (`as=PartialObjectMetadata[List]`).
bool WantsPartialMetadata(const std::string& accept);
/// The meta.k8s.io/v1 PartialObjectMetadata of an object: its kind and metadata only.
std::string PartialObjectMetadata(const JsonValue& object);

struct TableOptions {
  int64_t now = 0;                                       // Unix seconds, for ages
  std::string include_object = "PartialObjectMetadata";  // None | Object | PartialObjectMetadata
  std::string resource_version;
  std::string continue_token;
  int64_t remaining = -1;
  bool with_columns = true;  // watch events after the first may omit them
};

/// The Table JSON for `objects` of `type`.
std::string RenderTable(const ResourceType& type, const std::vector<ObjectPtr>& objects,
                        const TableOptions& options);

/// Kubernetes' short human age: "45s", "4m12s", "37m", "5h3m", "20h", "3d4h", "120d", "3y20d".
std::string HumanDuration(int64_t seconds);

}  // namespace mlgitops::kubesim
