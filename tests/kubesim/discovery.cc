// Discovery JSON, built from the catalog on every request so CRDs show up immediately.
#include "kubesim/discovery.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <vector>

#include "kubesim/request_info.h"

namespace mlgitops::kubesim {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr const char* kAggregatedContentType =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

void Key(Writer& w, const char* key) { w.Key(key); }
void Str(Writer& w, const std::string& s) {
  w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
}
void KV(Writer& w, const char* key, const std::string& value) {
  Key(w, key);
  Str(w, value);
}
void StringArray(Writer& w, const char* key, const std::vector<std::string>& values) {
  Key(w, key);
  w.StartArray();
  for (const std::string& v : values) Str(w, v);
  w.EndArray();
}

std::string GroupVersionString(const std::string& group, const std::string& version) {
  return group.empty() ? version : group + "/" + version;
}

void WriteVersionRef(Writer& w, const std::string& group, const std::string& version) {
  w.StartObject();
  KV(w, "groupVersion", GroupVersionString(group, version));
  KV(w, "version", version);
  w.EndObject();
}

void WriteGroup(Writer& w, const GroupVersions& gv, bool with_type_meta) {
  w.StartObject();
  if (with_type_meta) {
    KV(w, "kind", "APIGroup");
    KV(w, "apiVersion", "v1");
  }
  KV(w, "name", gv.group);
  Key(w, "versions");
  w.StartArray();
  for (const std::string& v : gv.versions) WriteVersionRef(w, gv.group, v);
  w.EndArray();
  Key(w, "preferredVersion");
  WriteVersionRef(w, gv.group, gv.versions.front());
  w.EndObject();
}

std::string VersionJson() {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  KV(w, "major", "1");
  KV(w, "minor", "32");
  KV(w, "gitVersion", kServedGitVersion);
  KV(w, "gitCommit", "kubesim");
  KV(w, "gitTreeState", "clean");
  KV(w, "buildDate", "2025-04-22T00:00:00Z");
  KV(w, "goVersion", "go1.23.8");
  KV(w, "compiler", "gc");
  KV(w, "platform", "linux/amd64");
  w.EndObject();
  return buf.GetString();
}

std::string LegacyApiVersions(const std::string& server_address) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  KV(w, "kind", "APIVersions");
  StringArray(w, "versions", {"v1"});
  Key(w, "serverAddressByClientCIDRs");
  w.StartArray();
  w.StartObject();
  KV(w, "clientCIDR", "0.0.0.0/0");
  KV(w, "serverAddress", server_address);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

std::string LegacyGroupList(const Catalog& catalog) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  KV(w, "kind", "APIGroupList");
  KV(w, "apiVersion", "v1");
  Key(w, "groups");
  w.StartArray();
  for (const GroupVersions& gv : catalog.Groups()) {
    if (!gv.group.empty()) WriteGroup(w, gv, false);
  }
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

std::string ResourceList(const std::vector<ResourceType>& types, const std::string& group,
                         const std::string& version) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  KV(w, "kind", "APIResourceList");
  KV(w, "apiVersion", "v1");
  KV(w, "groupVersion", GroupVersionString(group, version));
  Key(w, "resources");
  w.StartArray();
  for (const ResourceType& t : types) {
    w.StartObject();
    KV(w, "name", t.plural);
    KV(w, "singularName", t.singular);
    Key(w, "namespaced");
    w.Bool(t.namespaced);
    KV(w, "kind", t.kind);
    StringArray(w, "verbs", t.verbs);
    if (!t.short_names.empty()) StringArray(w, "shortNames", t.short_names);
    if (!t.categories.empty()) StringArray(w, "categories", t.categories);
    w.EndObject();
    if (t.has_scale) {
      w.StartObject();
      KV(w, "name", t.plural + "/scale");
      KV(w, "singularName", "");
      Key(w, "namespaced");
      w.Bool(t.namespaced);
      KV(w, "group", "autoscaling");
      KV(w, "version", "v1");
      KV(w, "kind", "Scale");
      StringArray(w, "verbs", {"get", "patch", "update"});
      w.EndObject();
    }
    if (t.has_status) {
      w.StartObject();
      KV(w, "name", t.plural + "/status");
      KV(w, "singularName", "");
      Key(w, "namespaced");
      w.Bool(t.namespaced);
      KV(w, "kind", t.kind);
      StringArray(w, "verbs", {"get", "patch", "update"});
      w.EndObject();
    }
  }
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

void WriteResponseKind(Writer& w, const ResourceType& t) {
  Key(w, "responseKind");
  w.StartObject();
  KV(w, "group", t.group);
  KV(w, "version", t.version);
  KV(w, "kind", t.kind);
  w.EndObject();
}

void WriteAggregatedResource(Writer& w, const ResourceType& t) {
  w.StartObject();
  KV(w, "resource", t.plural);
  WriteResponseKind(w, t);
  KV(w, "scope", t.namespaced ? "Namespaced" : "Cluster");
  KV(w, "singularResource", t.singular);
  StringArray(w, "verbs", t.verbs);
  if (!t.short_names.empty()) StringArray(w, "shortNames", t.short_names);
  if (!t.categories.empty()) StringArray(w, "categories", t.categories);
  if (t.has_status || t.has_scale) {
    Key(w, "subresources");
    w.StartArray();
    if (t.has_scale) {
      w.StartObject();
      KV(w, "subresource", "scale");
      Key(w, "responseKind");
      w.StartObject();
      KV(w, "group", "autoscaling");
      KV(w, "version", "v1");
      KV(w, "kind", "Scale");
      w.EndObject();
      StringArray(w, "verbs", {"get", "patch", "update"});
      w.EndObject();
    }
    if (t.has_status) {
      w.StartObject();
      KV(w, "subresource", "status");
      WriteResponseKind(w, t);
      StringArray(w, "verbs", {"get", "patch", "update"});
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

// The aggregated list for /api (core only) or /apis (every named group).
std::string AggregatedList(const Catalog& catalog, bool core) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  KV(w, "kind", "APIGroupDiscoveryList");
  KV(w, "apiVersion", "apidiscovery.k8s.io/v2");
  Key(w, "metadata");
  w.StartObject();
  w.EndObject();
  Key(w, "items");
  w.StartArray();
  for (const GroupVersions& gv : catalog.Groups()) {
    if (gv.group.empty() != core) continue;
    w.StartObject();
    Key(w, "metadata");
    w.StartObject();
    if (!core) KV(w, "name", gv.group);
    Key(w, "creationTimestamp");
    w.Null();
    w.EndObject();
    Key(w, "versions");
    w.StartArray();
    for (const std::string& version : gv.versions) {
      w.StartObject();
      KV(w, "version", version);
      Key(w, "resources");
      w.StartArray();
      for (const ResourceType& t : catalog.InGroupVersion(gv.group, version)) {
        WriteAggregatedResource(w, t);
      }
      w.EndArray();
      KV(w, "freshness", "Current");
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

HttpResponse Aggregated(const Catalog& catalog, bool core) {
  HttpResponse r = JsonResponse(200, AggregatedList(catalog, core));
  r.content_type = kAggregatedContentType;
  return r;
}

}  // namespace

bool AcceptsAggregatedDiscovery(const std::string& accept) {
  size_t start = 0;
  while (start < accept.size()) {
    size_t comma = accept.find(',', start);
    if (comma == std::string::npos) comma = accept.size();
    std::string range = accept.substr(start, comma - start);
    start = comma + 1;
    std::string compact;
    for (char c : range) {
      if (c != ' ') compact += c;
    }
    if (compact.find("g=apidiscovery.k8s.io") != std::string::npos &&
        compact.find(";v=v2;") != std::string::npos &&
        compact.find("as=APIGroupDiscoveryList") != std::string::npos) {
      return true;
    }
  }
  return false;
}

HttpResponse ServeDiscovery(const Catalog& catalog, const HttpRequest& request,
                            const std::string& server_address) {
  std::vector<std::string> parts = SplitPath(request.path);
  bool aggregated = AcceptsAggregatedDiscovery(request.accept);
  if (parts.size() == 1 && parts[0] == "version") return JsonResponse(200, VersionJson());
  if (parts.size() == 1 && parts[0] == "api") {
    if (aggregated) return Aggregated(catalog, true);
    return JsonResponse(200, LegacyApiVersions(server_address));
  }
  if (parts.size() == 1 && parts[0] == "apis") {
    if (aggregated) return Aggregated(catalog, false);
    return JsonResponse(200, LegacyGroupList(catalog));
  }
  if (parts.size() == 2 && parts[0] == "api" && parts[1] == "v1") {
    return JsonResponse(200, ResourceList(catalog.InGroupVersion("", "v1"), "", "v1"));
  }
  if (parts.size() == 2 && parts[0] == "apis") {
    for (const GroupVersions& gv : catalog.Groups()) {
      if (gv.group != parts[1] || gv.group.empty()) continue;
      rapidjson::StringBuffer buf;
      Writer w(buf);
      WriteGroup(w, gv, true);
      return JsonResponse(200, buf.GetString());
    }
  }
  if (parts.size() == 3 && parts[0] == "apis") {
    auto types = catalog.InGroupVersion(parts[1], parts[2]);
    if (!types.empty()) return JsonResponse(200, ResourceList(types, parts[1], parts[2]));
  }
  return ErrorResponse(ResourceNotServed());
}

}  // namespace mlgitops::kubesim
