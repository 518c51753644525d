// OpenAPI v3 index and per-group-version documents built from the catalog.
#include "kubesim/openapi.h"

#include <functional>

#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

constexpr const char* kPrefix = "/openapi/v3";

std::string GroupVersionPath(const std::string& group, const std::string& version) {
  return group.empty() ? "api/" + version : "apis/" + group + "/" + version;
}

// Changes whenever the resources of a group/version change, so clients refetch after a CRD.
std::string DocumentHash(const std::vector<ResourceType>& types) {
  std::string names;
  for (const ResourceType& t : types) names += t.plural + "/" + t.kind + ";";
  char hex[20];
  std::snprintf(hex, sizeof hex, "%016zX", std::hash<std::string>{}(names));
  return hex;
}

std::string PatchOperation(const ResourceType& t) {
  return "{\"patch\":{\"x-kubernetes-group-version-kind\":{\"group\":" + Quote(t.group) +
         ",\"version\":" + Quote(t.version) + ",\"kind\":" + Quote(t.kind) +
         "},\"parameters\":[{\"name\":\"fieldManager\",\"in\":\"query\",\"schema\":{\"type\":"
         "\"string\"}},{\"name\":\"fieldValidation\",\"in\":\"query\",\"schema\":{\"type\":"
         "\"string\"}},{\"name\":\"force\",\"in\":\"query\",\"schema\":{\"type\":\"boolean\"}}],"
         "\"responses\":{\"200\":{\"description\":\"OK\"}}}}";
}

std::string GroupVersionDocument(const std::vector<ResourceType>& types,
                                 const std::string& gv_path) {
  std::string paths;
  for (const ResourceType& t : types) {
    std::string path = "/" + gv_path + "/" +
                       (t.namespaced ? "namespaces/{namespace}/" : std::string()) + t.plural +
                       "/{name}";
    if (!paths.empty()) paths += ',';
    paths += Quote(path) + ":" + PatchOperation(t);
  }
  return R"({"openapi":"3.0.0","info":{"title":"Kubernetes","version":"v1.32.4"},"paths":{)" +
         paths + R"(},"components":{"schemas":{}}})";
}

}  // namespace

HttpResponse ServeOpenApi(const Catalog& catalog, const HttpRequest& request) {
  const std::string& path = request.path;
  if (path == kPrefix || path == std::string(kPrefix) + "/") {
    std::string entries;
    for (const GroupVersions& gv : catalog.Groups()) {
      for (const std::string& version : gv.versions) {
        std::string gv_path = GroupVersionPath(gv.group, version);
        if (!entries.empty()) entries += ',';
        entries += Quote(gv_path) + ":{\"serverRelativeURL\":" +
                   Quote(std::string(kPrefix) + "/" + gv_path +
                         "?hash=" + DocumentHash(catalog.InGroupVersion(gv.group, version))) +
                   "}";
      }
    }
    return JsonResponse(200, "{\"paths\":{" + entries + "}}");
  }
  std::string prefix = std::string(kPrefix) + "/";
  if (path.compare(0, prefix.size(), prefix) == 0) {
    std::string gv_path = path.substr(prefix.size());
    for (const GroupVersions& gv : catalog.Groups()) {
      for (const std::string& version : gv.versions) {
        if (GroupVersionPath(gv.group, version) != gv_path) continue;
        return JsonResponse(
            200, GroupVersionDocument(catalog.InGroupVersion(gv.group, version), gv_path));
      }
    }
  }
  return ErrorResponse(ResourceNotServed());
}

}  // namespace mlgitops::kubesim
