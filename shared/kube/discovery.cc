// Reading /api and /apis: aggregated (APIGroupDiscoveryList) or legacy (APIVersions,
// APIGroupList, then one APIResourceList per group version).
#include "kube/discovery.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>

#include "object/object.h"

namespace mlgitops {

namespace {

// v2 first, v2beta1 for servers that only have the beta, then plain JSON for old servers.
constexpr char kAggregatedAccept[] =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json";

std::vector<std::string> Strings(const JsonValue& object, const char* member) {
  std::vector<std::string> out;
  const JsonValue* list = Find(object, member);
  if (!list || !list->IsArray()) return out;
  for (const JsonValue& item : list->GetArray()) {
    if (item.IsString()) out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return out;
}

template <typename Visit>
void ForEachObject(const JsonValue& parent, const char* member, Visit visit) {
  const JsonValue* list = Find(parent, member);
  if (!list || !list->IsArray()) return;
  for (const JsonValue& item : list->GetArray()) {
    if (item.IsObject()) visit(item);
  }
}

ResourceInfo AggregatedResource(const JsonValue& entry, const std::string& group,
                                const std::string& version) {
  ResourceInfo info;
  info.group = group;
  info.version = version;
  info.resource = MemberString(entry, "resource");
  info.kind = GetString(entry, "responseKind.kind");
  info.singular = MemberString(entry, "singularResource");
  info.namespaced = MemberString(entry, "scope") != "Cluster";
  info.verbs = Strings(entry, "verbs");
  info.short_names = Strings(entry, "shortNames");
  ForEachObject(entry, "subresources", [&](const JsonValue& sub) {
    info.subresources.push_back(MemberString(sub, "subresource"));
  });
  return info;
}

/// APIResourceList: "pods/status" entries become subresources of "pods".
std::vector<ResourceInfo> LegacyResources(const JsonValue& list, const std::string& group,
                                          const std::string& version) {
  std::vector<ResourceInfo> out;
  std::vector<std::pair<std::string, std::string>> subresources;
  ForEachObject(list, "resources", [&](const JsonValue& entry) {
    std::string name = MemberString(entry, "name");
    if (size_t slash = name.find('/'); slash != std::string::npos) {
      subresources.emplace_back(name.substr(0, slash), name.substr(slash + 1));
      return;
    }
    ResourceInfo info;
    info.group = group;
    info.version = version;
    info.resource = name;
    info.kind = MemberString(entry, "kind");
    info.singular = MemberString(entry, "singularName");
    info.namespaced = GetBool(entry, "namespaced").value_or(false);
    info.verbs = Strings(entry, "verbs");
    info.short_names = Strings(entry, "shortNames");
    out.push_back(std::move(info));
  });
  for (const auto& [parent, sub] : subresources) {
    for (ResourceInfo& info : out) {
      if (info.resource == parent) info.subresources.push_back(sub);
    }
  }
  return out;
}

RequestSubject DiscoverySubject(const std::string& path) {
  RequestSubject subject;
  subject.verb = "get";
  subject.kind = "API discovery";
  subject.name = path;
  return subject;
}

}  // namespace

bool ResourceInfo::HasSubresource(std::string_view name) const {
  return std::find(subresources.begin(), subresources.end(), name) != subresources.end();
}

bool ResourceInfo::Matches(std::string_view name) const {
  std::string wanted = AsciiLower(name);
  if (size_t dot = wanted.find('.'); dot != std::string::npos) {
    if (wanted.substr(dot + 1) != group) return false;
    wanted.resize(dot);
  }
  if (wanted.empty()) return false;
  if (AsciiLower(resource) == wanted || AsciiLower(singular) == wanted ||
      AsciiLower(kind) == wanted) {
    return true;
  }
  return std::any_of(short_names.begin(), short_names.end(),
                     [&](const std::string& s) { return AsciiLower(s) == wanted; });
}

Discovery::Discovery(const RetryingSender* sender, const Clock* clock, DiscoveryOptions options)
    : sender_(sender), clock_(clock), options_(options) {}

Status Discovery::FetchRootLocked(const std::string& path, Root* root) {
  HttpRequest request;
  request.method = "GET";
  request.path = path;
  request.accept = kAggregatedAccept;
  if (!root->etag.empty()) request.headers.emplace("If-None-Match", root->etag);
  SendResult sent = sender_->Send(request, Repeatable::kAlways);
  const HttpOutcome& outcome = sent.outcome;
  if (outcome.ok() && outcome.response.status == 304) return Status::OK();
  if (!outcome.ok() || outcome.response.status != 200) {
    return SendFailureStatus(sent, DiscoverySubject(path), sender_->transport().redactor());
  }
  rapidjson::Document doc;
  const std::string& body = outcome.response.body;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Status::IOError("API discovery " + path + ": the answer is not a JSON object");
  }
  Root fresh;
  fresh.etag = outcome.response.Header("ETag");
  std::string kind = GetString(doc, "kind");
  if (kind == "APIGroupDiscoveryList") {
    fresh.aggregated = true;
    ForEachObject(doc, "items", [&](const JsonValue& item) {
      Group group;
      group.name = GetString(item, "metadata.name");
      ForEachObject(item, "versions", [&](const JsonValue& v) {
        std::string version = MemberString(v, "version");
        group.versions.push_back(version);
        auto& list = group.resources[version];
        ForEachObject(v, "resources", [&](const JsonValue& entry) {
          list.push_back(AggregatedResource(entry, group.name, version));
        });
      });
      fresh.groups.push_back(std::move(group));
    });
  } else if (kind == "APIVersions") {  // legacy /api
    fresh.groups.push_back(Group{"", Strings(doc, "versions"), {}});
  } else {  // legacy /apis: APIGroupList
    ForEachObject(doc, "groups", [&](const JsonValue& item) {
      Group group;
      group.name = MemberString(item, "name");
      std::string preferred = GetString(item, "preferredVersion.version");
      if (!preferred.empty()) group.versions.push_back(preferred);
      ForEachObject(item, "versions", [&](const JsonValue& v) {
        std::string version = MemberString(v, "version");
        if (version != preferred) group.versions.push_back(version);
      });
      fresh.groups.push_back(std::move(group));
    });
  }
  *root = std::move(fresh);
  return Status::OK();
}

Status Discovery::LoadLocked() {
  Status status = FetchRootLocked("/api", &core_);
  if (status.ok()) status = FetchRootLocked("/apis", &groups_);
  if (!status.ok()) return status;
  // Legacy resource lists are fetched per group version; a reload must fetch them anew even
  // when the group list itself did not change (a CRD may add a kind to an existing version).
  for (Root* root : {&core_, &groups_}) {
    if (root->aggregated) continue;
    for (Group& group : root->groups) group.resources.clear();
  }
  loaded_ = true;
  loaded_at_ = clock_->NowUnix();
  ++loads_;
  return Status::OK();
}

bool Discovery::StaleLocked() const {
  return !loaded_ || clock_->NowUnix() - loaded_at_ >= options_.ttl.count();
}

Status Discovery::EnsureResourcesLocked(Group& group, const std::string& version) {
  if (group.resources.count(version)) return Status::OK();
  HttpRequest request;
  request.method = "GET";
  request.path = group.name.empty() ? "/api/" + version : "/apis/" + group.name + "/" + version;
  SendResult sent = sender_->Send(request, Repeatable::kAlways);
  const HttpOutcome& outcome = sent.outcome;
  if (outcome.ok() && outcome.response.status == 404) {
    group.resources[version];  // gone since the group list was read
    return Status::OK();
  }
  if (!outcome.ok() || outcome.response.status != 200) {
    return SendFailureStatus(sent, DiscoverySubject(request.path), sender_->transport().redactor());
  }
  rapidjson::Document doc;
  const std::string& body = outcome.response.body;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Status::IOError("API discovery " + request.path + ": the answer is not a JSON object");
  }
  group.resources[version] = LegacyResources(doc, group.name, version);
  return Status::OK();
}

Discovery::Group* Discovery::FindGroupLocked(const std::string& name) {
  Root& root = name.empty() ? core_ : groups_;
  for (Group& group : root.groups) {
    if (group.name == name) return &group;
  }
  return nullptr;
}

const ResourceInfo* Discovery::FindKindLocked(const std::string& group_name,
                                              const std::string& version, const std::string& kind,
                                              Status* error) {
  Group* group = FindGroupLocked(group_name);
  if (!group || group->versions.empty()) return nullptr;
  const std::string& wanted = version.empty() ? group->versions.front() : version;
  if (std::find(group->versions.begin(), group->versions.end(), wanted) == group->versions.end()) {
    return nullptr;
  }
  *error = EnsureResourcesLocked(*group, wanted);
  if (!error->ok()) return nullptr;
  for (const ResourceInfo& info : group->resources[wanted]) {
    if (info.kind == kind) return &info;
  }
  return nullptr;
}

Result<std::vector<ResourceInfo>> Discovery::PreferredLocked() {
  std::vector<ResourceInfo> out;
  for (Root* root : {&core_, &groups_}) {
    for (Group& group : root->groups) {
      if (group.versions.empty()) continue;
      Status status = EnsureResourcesLocked(group, group.versions.front());
      if (!status.ok()) return status;
      const auto& list = group.resources[group.versions.front()];
      out.insert(out.end(), list.begin(), list.end());
    }
  }
  return out;
}

template <typename Lookup>
auto Discovery::WithRefreshOnMiss(Lookup lookup) -> decltype(lookup()) {
  bool reloaded = false;
  if (StaleLocked()) {
    Status status = LoadLocked();
    if (!status.ok()) return status;
    reloaded = true;
  }
  auto found = lookup();
  if (found.ok() || reloaded || found.status().code() != Status::Code::kNotFound) return found;
  Status status = LoadLocked();
  if (!status.ok()) return status;
  return lookup();
}

Result<ResourceInfo> Discovery::ForKind(const std::string& group, const std::string& version,
                                        const std::string& kind) {
  std::lock_guard<std::mutex> lock(mu_);
  return WithRefreshOnMiss([&]() -> Result<ResourceInfo> {
    Status error;
    if (const ResourceInfo* info = FindKindLocked(group, version, kind, &error)) return *info;
    if (!error.ok()) return error;
    std::string api_version = group.empty() ? version : group + "/" + version;
    if (version.empty()) api_version = group.empty() ? "the core group" : "group " + group;
    return Status::NotFound("the server has no resource for kind \"" + kind + "\" in " +
                            api_version + " (is its CRD installed and established?)");
  });
}

Result<ResourceInfo> Discovery::Resolve(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  return WithRefreshOnMiss([&]() -> Result<ResourceInfo> {
    auto all = PreferredLocked();
    if (!all.ok()) return all.status();
    for (const ResourceInfo& info : all.value()) {
      if (info.Matches(name)) return info;
    }
    return Status::NotFound("the server has no resource type \"" + std::string(name) +
                            "\" (kubectl api-resources lists the served ones)");
  });
}

Result<std::vector<ResourceInfo>> Discovery::PreferredResources() {
  std::lock_guard<std::mutex> lock(mu_);
  if (StaleLocked()) {
    Status status = LoadLocked();
    if (!status.ok()) return status;
  }
  return PreferredLocked();
}

void Discovery::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  loaded_ = false;
}

bool Discovery::aggregated() const {
  std::lock_guard<std::mutex> lock(mu_);
  return groups_.aggregated;
}

int Discovery::loads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return loads_;
}

}  // namespace mlgitops
