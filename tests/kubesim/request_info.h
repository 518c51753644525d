// RequestInfo: what an API path and method ask for (verb, group/version, namespace, resource,
// name, subresource), parsed the way kube-apiserver splits its URLs.
#pragma once

#include <string>
#include <vector>

namespace mlgitops::kubesim {

struct RequestInfo {
  bool is_resource_request = false;  // false for /version, /api, /apis, /healthz, ...
  std::string path;
  std::string verb;  // get, list, watch, create, update, patch, delete, deletecollection
  std::string group;
  std::string version;
  std::string namespace_;
  std::string resource;
  std::string name;
  std::string subresource;
};

/// The non-empty segments of a URL path.
std::vector<std::string> SplitPath(const std::string& path);

/// Splits `path` ("/apis/apps/v1/namespaces/ml/deployments/web/status") for `method`;
/// `watch` is true when the query asked for a watch (watch=1/true).
RequestInfo ParseRequestInfo(const std::string& method, const std::string& path, bool watch);

}  // namespace mlgitops::kubesim
