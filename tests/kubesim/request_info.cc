// URL layout: /api/v1/... (core) and /apis/<group>/<version>/..., then either
// namespaces/<ns>/<resource>[/<name>[/<sub>]] or <resource>[/<name>[/<sub>]].
#include "kubesim/request_info.h"

#include <vector>

namespace mlgitops::kubesim {

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

namespace {

// Subresources of a Namespace object itself, as opposed to resources inside a namespace.
bool IsNamespaceSubresource(const std::string& s) { return s == "status" || s == "finalize"; }

std::string VerbFor(const std::string& method, bool has_name, bool watch) {
  if (method == "GET" || method == "HEAD") {
    if (watch) return "watch";
    return has_name ? "get" : "list";
  }
  if (method == "POST") return "create";
  if (method == "PUT") return "update";
  if (method == "PATCH") return "patch";
  if (method == "DELETE") return has_name ? "delete" : "deletecollection";
  return "";
}

}  // namespace

RequestInfo ParseRequestInfo(const std::string& method, const std::string& path, bool watch) {
  RequestInfo info;
  info.path = path;
  std::vector<std::string> parts = SplitPath(path);
  size_t i = 0;
  if (parts.size() >= 2 && parts[0] == "api") {
    info.version = parts[1];
    i = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    info.group = parts[1];
    info.version = parts[2];
    i = 3;
  } else {
    info.verb = method == "GET" ? "get" : "";
    return info;
  }
  if (i >= parts.size()) return info;  // group/version discovery
  info.is_resource_request = true;
  if (parts[i] == "namespaces" && i + 1 < parts.size()) {
    bool inside = i + 2 < parts.size() && !IsNamespaceSubresource(parts[i + 2]);
    if (inside) {
      info.namespace_ = parts[i + 1];
      i += 2;
    } else {
      info.namespace_ = parts[i + 1];  // a Namespace is its own namespace in audit records
    }
  }
  info.resource = parts[i];
  if (i + 1 < parts.size()) info.name = parts[i + 1];
  if (i + 2 < parts.size()) info.subresource = parts[i + 2];
  if (i + 3 < parts.size()) info.is_resource_request = false;  // deeper paths are not served
  info.verb = VerbFor(method, !info.name.empty(), watch);
  return info;
}

}  // namespace mlgitops::kubesim
