// Discovery documents: /version, /api, /apis, /apis/<group>, per-group-version resource lists,
// and the aggregated (apidiscovery.k8s.io/v2) form kubectl 1.32 asks for first.
#pragma once

#include <string>

#include "kubesim/catalog.h"
#include "kubesim/http_types.h"

namespace mlgitops::kubesim {

/// The Kubernetes version kubesim reports (kubectl dispatchers pick a client by it).
constexpr const char* kServedGitVersion = "v1.32.4";

/// Serves a discovery path (/version, /api, /apis, /api/v1, /apis/g, /apis/g/v); 404 otherwise.
/// `server_address` ("127.0.0.1:PORT") appears in /api's serverAddressByClientCIDRs.
HttpResponse ServeDiscovery(const Catalog& catalog, const HttpRequest& request,
                            const std::string& server_address);

/// True when `accept` lists the aggregated discovery media type (apidiscovery.k8s.io v2).
bool AcceptsAggregatedDiscovery(const std::string& accept);

}  // namespace mlgitops::kubesim
