// A minimal OpenAPI v3 surface: the /openapi/v3 index and one document per group/version
// listing each resource's PATCH operation with its fieldValidation parameter. That is what
// kubectl checks before trusting the server to validate fields (kubectl apply's default
// --validate=strict); schemas are not served, so kubectl explain does not work.
#pragma once

#include "kubesim/catalog.h"
#include "kubesim/http_types.h"

namespace mlgitops::kubesim {

/// Serves /openapi/v3 and /openapi/v3/<api|apis/group>/<version>; 404 for anything else
/// (including /openapi/v2).
HttpResponse ServeOpenApi(const Catalog& catalog, const HttpRequest& request);

}  // namespace mlgitops::kubesim
