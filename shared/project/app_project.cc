// AppProject parsing and Argo CD's permission checks (app_project_types.go), as pure functions.
#include "project/app_project.h"

#include <algorithm>
#include <cctype>

#include "source/glob.h"

namespace mlgitops {

namespace {

bool IsDeny(std::string_view pattern) { return !pattern.empty() && pattern.front() == '!'; }

// gobwas glob without separators, as Argo CD's glob.Match; a malformed pattern matches nothing
// (Argo CD logs it and treats it as no match).
bool GlobMatch(std::string_view pattern, std::string_view value, char separator = 0) {
  if (pattern == "*") return true;  // Argo CD's globMatch shortcut, separators or not
  auto glob = Glob::Compile(pattern, separator);
  return glob.ok() && glob->Match(value);
}

// Argo CD's globMatch with negation: "!p" matches whatever p does not.
bool GlobMatchNegatable(std::string_view pattern, std::string_view value, char separator = 0) {
  if (IsDeny(pattern)) return !GlobMatch(pattern.substr(1), value, separator);
  return GlobMatch(pattern, value, separator);
}

// The parts of git.NormalizeGitURL that matter for comparing: case, a trailing `/` and `.git`.
std::string NormalizeRepoUrl(std::string url) {
  std::transform(url.begin(), url.end(), url.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.size() > 4 && url.compare(url.size() - 4, 4, ".git") == 0) url.resize(url.size() - 4);
  return url;
}

bool InList(const std::vector<GroupKindPattern>& list, const std::string& group,
            const std::string& kind) {
  return std::any_of(list.begin(), list.end(), [&](const GroupKindPattern& p) {
    return GlobMatch(p.kind, kind) && GlobMatch(p.group, group);
  });
}

// ---------- parsing ----------

class ProjectReader {
 public:
  explicit ProjectReader(std::string subject) : subject_(std::move(subject)) {}
  const Status& status() const { return status_; }

  void Fail(const std::string& path, const std::string& what) {
    if (status_.ok()) status_ = Status::InvalidArgument(subject_ + ": " + path + ": " + what);
  }

  std::string String(const JsonValue& parent, const char* key, const std::string& path) {
    const JsonValue* v = Find(parent, key);
    if (!v || v->IsNull()) return "";
    if (!v->IsString()) {
      Fail(path + "." + key, "expected a string");
      return "";
    }
    return std::string(v->GetString(), v->GetStringLength());
  }

  bool Bool(const JsonValue& parent, const char* key, const std::string& path) {
    const JsonValue* v = Find(parent, key);
    if (!v || v->IsNull()) return false;
    if (!v->IsBool()) {
      Fail(path + "." + key, "expected true or false");
      return false;
    }
    return v->GetBool();
  }

  // The items of a list field (absent = empty); `present` says whether it was given.
  std::vector<const JsonValue*> List(const JsonValue& parent, const char* key,
                                     const std::string& path, bool* present = nullptr) {
    std::vector<const JsonValue*> out;
    const JsonValue* v = Find(parent, key);
    if (present) *present = v && !v->IsNull();
    if (!v || v->IsNull()) return out;
    if (!v->IsArray()) {
      Fail(path + "." + key, "expected a list");
      return out;
    }
    for (const auto& item : v->GetArray()) out.push_back(&item);
    return out;
  }

  /// The map items of a list field with their paths ("spec.destinations[0]"); an item that is
  /// not a map fails, saying it should be `what`.
  std::vector<std::pair<const JsonValue*, std::string>> Maps(const JsonValue& parent,
                                                             const char* key,
                                                             const std::string& path,
                                                             const std::string& what,
                                                             bool* present = nullptr) {
    std::vector<std::pair<const JsonValue*, std::string>> out;
    for (const JsonValue* item : List(parent, key, path, present)) {
      std::string item_path = path + "." + key + "[" + std::to_string(out.size()) + "]";
      if (!item->IsObject()) {
        Fail(item_path, "expected " + what);
        break;
      }
      out.emplace_back(item, std::move(item_path));
    }
    return out;
  }

  std::vector<std::string> Strings(const JsonValue& parent, const char* key,
                                   const std::string& path) {
    std::vector<std::string> out;
    size_t i = 0;
    for (const JsonValue* item : List(parent, key, path)) {
      if (!item->IsString()) {
        Fail(path + "." + key + "[" + std::to_string(i) + "]", "expected a string");
        break;
      }
      out.emplace_back(item->GetString(), item->GetStringLength());
      ++i;
    }
    return out;
  }

  std::vector<GroupKindPattern> GroupKinds(const JsonValue& spec, const char* key,
                                           bool* present = nullptr) {
    std::vector<GroupKindPattern> out;
    for (const auto& [item, path] : Maps(spec, key, "spec", "a map with group and kind", present)) {
      GroupKindPattern p{String(*item, "group", path), String(*item, "kind", path)};
      // Argo CD's AppProject validation: a group/kind entry needs its kind.
      if (p.kind.empty()) Fail(path + ".kind", "must not be empty (use \"*\" for every kind)");
      out.push_back(std::move(p));
    }
    return out;
  }

 private:
  std::string subject_;
  Status status_;
};

Status CheckPattern(const std::string& pattern, const std::string& where) {
  std::string_view body = IsDeny(pattern) ? std::string_view(pattern).substr(1) : pattern;
  auto glob = Glob::Compile(body);
  if (!glob.ok()) return Status::InvalidArgument(where + ": " + glob.status().message());
  return Status::OK();
}

}  // namespace

AppProject BuiltInDefaultProject() {
  AppProject p;
  p.api_version = "argoproj.io/v1alpha1";
  p.name = std::string(kDefaultProject);
  p.source_repos = {"*"};
  p.destinations = {{"*", "*", "*"}};
  p.cluster_resource_whitelist = {{"*", "*"}};
  // Only where the cluster serves no AppProject kind (single-tenant use of the CLI): Argo CD's
  // default project does not list sourceNamespaces, but with no projects installed there is no
  // other project an app outside the control namespace could use.
  p.source_namespaces = {"*"};
  p.built_in = true;
  return p;
}

Result<AppProject> ParseAppProject(const Object& object) {
  AppProject p;
  p.api_version = object.api_version();
  p.name = object.name();
  p.namespace_ = object.namespace_();
  std::string subject = (object.origin().empty() ? "" : object.origin() + ": ") + "AppProject " +
                        (p.namespace_.empty() ? "" : p.namespace_ + "/") + p.name;
  if (object.kind() != "AppProject" ||
      (p.api_version != "argoproj.io/v1alpha1" && p.api_version != "mlgitops.io/v1alpha1")) {
    return Status::InvalidArgument(subject + ": not an AppProject (apiVersion " + p.api_version +
                                   ", kind " + object.kind() + ")");
  }
  ProjectReader r(subject);
  static const JsonValue kEmpty(rapidjson::kObjectType);
  const JsonValue* spec_value = Find(object.json(), "spec");
  if (spec_value && !spec_value->IsNull() && !spec_value->IsObject()) {
    return Status::InvalidArgument(subject + ": spec: expected a map");
  }
  const JsonValue& spec = spec_value && spec_value->IsObject() ? *spec_value : kEmpty;
  p.source_repos = r.Strings(spec, "sourceRepos", "spec");
  for (const auto& [d, path] :
       r.Maps(spec, "destinations", "spec", "a map with server or name, and namespace")) {
    p.destinations.push_back({r.String(*d, "server", path), r.String(*d, "name", path),
                              r.String(*d, "namespace", path)});
  }
  p.cluster_resource_whitelist = r.GroupKinds(spec, "clusterResourceWhitelist");
  p.cluster_resource_blacklist = r.GroupKinds(spec, "clusterResourceBlacklist");
  bool whitelist_present = false;
  auto namespace_whitelist = r.GroupKinds(spec, "namespaceResourceWhitelist", &whitelist_present);
  if (whitelist_present) p.namespace_resource_whitelist = std::move(namespace_whitelist);
  p.namespace_resource_blacklist = r.GroupKinds(spec, "namespaceResourceBlacklist");
  p.source_namespaces = r.Strings(spec, "sourceNamespaces", "spec");
  for (const auto& [d, path] : r.Maps(spec, "destinationServiceAccounts", "spec",
                                      "a map with server, namespace and defaultServiceAccount")) {
    DestinationServiceAccount sa{r.String(*d, "server", path), r.String(*d, "namespace", path),
                                 r.String(*d, "defaultServiceAccount", path)};
    if (sa.default_service_account.empty()) {
      r.Fail(path + ".defaultServiceAccount", "must not be empty");
    }
    p.destination_service_accounts.push_back(std::move(sa));
  }
  for (const auto& [w, path] : r.Maps(spec, "syncWindows", "spec", "a map")) {
    SyncWindow window;
    std::string kind = r.String(*w, "kind", path);
    if (kind == "allow") {
      window.kind = SyncWindowKind::kAllow;
    } else if (kind == "deny") {
      window.kind = SyncWindowKind::kDeny;
    } else {
      r.Fail(path + ".kind", "must be allow or deny, got \"" + kind + "\"");
    }
    window.schedule = r.String(*w, "schedule", path);
    window.duration = r.String(*w, "duration", path);
    window.applications = r.Strings(*w, "applications", path);
    window.namespaces = r.Strings(*w, "namespaces", path);
    window.clusters = r.Strings(*w, "clusters", path);
    window.manual_sync = r.Bool(*w, "manualSync", path);
    window.time_zone = r.String(*w, "timeZone", path);
    p.sync_windows.push_back(std::move(window));
  }
  if (const JsonValue* orphaned = Find(spec, "orphanedResources");
      orphaned && !orphaned->IsNull()) {
    AppProject::OrphanedResources o;
    if (!orphaned->IsObject()) {
      r.Fail("spec.orphanedResources", "expected a map with warn and ignore");
    } else {
      o.warn = r.Bool(*orphaned, "warn", "spec.orphanedResources");
      for (const auto& [item, path] : r.Maps(*orphaned, "ignore", "spec.orphanedResources",
                                             "a map with group, kind and name")) {
        o.ignore.push_back({r.String(*item, "group", path), r.String(*item, "kind", path)});
        o.ignore_names.push_back(r.String(*item, "name", path));
      }
    }
    p.orphaned_resources = std::move(o);
  }
  if (!r.status().ok()) return r.status();
  // Patterns are compiled when matched; refuse malformed ones here, naming the field.
  for (size_t k = 0; k < p.source_repos.size(); ++k) {
    Status s =
        CheckPattern(p.source_repos[k], subject + ": spec.sourceRepos[" + std::to_string(k) + "]");
    if (!s.ok()) return s;
  }
  for (size_t k = 0; k < p.destinations.size(); ++k) {
    std::string where = subject + ": spec.destinations[" + std::to_string(k) + "]";
    for (const std::string* pattern :
         {&p.destinations[k].server, &p.destinations[k].name, &p.destinations[k].namespace_}) {
      Status s = CheckPattern(*pattern, where);
      if (!s.ok()) return s;
    }
  }
  return p;
}

bool IsSourcePermitted(const AppProject& project, const std::string& repo_url) {
  std::string normalized_url = NormalizeRepoUrl(repo_url);
  bool any_matched = false;
  for (const std::string& entry : project.source_repos) {
    std::string pattern =
        IsDeny(entry) ? "!" + NormalizeRepoUrl(entry.substr(1)) : NormalizeRepoUrl(entry);
    // Argo CD matches repos with '/' as separator: `*` stays within one path segment.
    bool matched = GlobMatchNegatable(pattern, normalized_url, '/');
    if (matched) {
      any_matched = true;
    } else if (IsDeny(pattern)) {
      return false;
    }
  }
  return any_matched;
}

bool IsDestinationPermitted(const AppProject& project, const ApplicationDestination& d) {
  bool any_matched = false;
  bool no_deny_matched = true;
  for (const ProjectDestination& item : project.destinations) {
    bool name_matched = !d.name.empty() && GlobMatchNegatable(item.name, d.name);
    bool server_matched = !d.server.empty() && GlobMatchNegatable(item.server, d.server);
    bool namespace_matched = GlobMatchNegatable(item.namespace_, d.namespace_);
    if ((server_matched || name_matched) && namespace_matched) {
      any_matched = true;
    } else if (((!name_matched && IsDeny(item.name)) || (!server_matched && IsDeny(item.server))) &&
               namespace_matched) {
      no_deny_matched = false;
    } else if (!namespace_matched && IsDeny(item.namespace_) && server_matched) {
      no_deny_matched = false;
    }
  }
  return any_matched && no_deny_matched;
}

bool IsGroupKindPermitted(const AppProject& project, const std::string& group,
                          const std::string& kind, bool namespaced) {
  if (namespaced) {
    const auto& whitelist = project.namespace_resource_whitelist;
    bool white = !whitelist || (!whitelist->empty() && InList(*whitelist, group, kind));
    return white && !InList(project.namespace_resource_blacklist, group, kind);
  }
  return InList(project.cluster_resource_whitelist, group, kind) &&
         !InList(project.cluster_resource_blacklist, group, kind);
}

bool IsAppNamespacePermitted(const AppProject& project, const Application& app,
                             const std::string& control_namespace) {
  if (app.namespace_.empty() || app.namespace_ == control_namespace) return true;
  return std::any_of(
      project.source_namespaces.begin(), project.source_namespaces.end(),
      [&](const std::string& pattern) { return GlobMatchNegatable(pattern, app.namespace_); });
}

Status CheckApplicationSpec(const AppProject& project, const Application& app,
                            const std::string& control_namespace) {
  if (!IsAppNamespacePermitted(project, app, control_namespace)) {
    return Status::InvalidArgument("application '" + app.name + "' in namespace '" +
                                   app.namespace_ + "' is not permitted to use project '" +
                                   project.name + "' (its sourceNamespaces do not list '" +
                                   app.namespace_ + "')");
  }
  for (const ApplicationSource& source : app.sources) {
    if (!IsSourcePermitted(project, source.repo_url)) {
      return Status::InvalidArgument("application repo " + source.repo_url +
                                     " is not permitted in project '" + project.name + "'");
    }
  }
  if (!IsDestinationPermitted(project, app.destination)) {
    std::string where = app.destination.server.empty() ? "name '" + app.destination.name + "'"
                                                       : "server '" + app.destination.server + "'";
    return Status::InvalidArgument(
        "application destination " + where + " and namespace '" + app.destination.namespace_ +
        "' do not match any of the allowed destinations in project '" + project.name + "'");
  }
  return Status::OK();
}

Status CheckManifests(const AppProject& project, const Application& app,
                      const std::vector<Object>& objects, const ScopeLookup& namespaced) {
  for (const Object& object : objects) {
    std::optional<bool> scope = namespaced ? namespaced(object) : std::nullopt;
    // A kind the cluster does not know yet (a CRD in the same app): placed by its manifest.
    bool is_namespaced = scope.value_or(!object.namespace_().empty());
    std::string what = object.kind() + " " +
                       (object.namespace_().empty() ? "" : object.namespace_() + "/") +
                       object.name();
    if (!IsGroupKindPermitted(project, object.group(), object.kind(), is_namespaced)) {
      return Status::InvalidArgument(what + ": resource " + object.group() + ":" + object.kind() +
                                     " is not permitted in project '" + project.name + "' (" +
                                     (is_namespaced ? "namespaceResourceWhitelist/Blacklist"
                                                    : "clusterResourceWhitelist/Blacklist") +
                                     ")");
    }
    if (!is_namespaced) continue;
    ApplicationDestination d = app.destination;
    if (!object.namespace_().empty()) d.namespace_ = object.namespace_();
    if (!IsDestinationPermitted(project, d)) {
      return Status::InvalidArgument(what + ": namespace " + d.namespace_ +
                                     " is not permitted in project '" + project.name + "'");
    }
  }
  return Status::OK();
}

std::vector<ObjectRef> CountedOrphans(const AppProject& project,
                                      const std::vector<ObjectRef>& orphans) {
  std::vector<ObjectRef> counted;
  for (const ObjectRef& ref : orphans) {
    // Kubernetes creates these in every namespace: nobody's orphans.
    if ((ref.group.empty() && ref.kind == "ServiceAccount" && ref.name == "default") ||
        (ref.group.empty() && ref.kind == "ConfigMap" && ref.name == "kube-root-ca.crt")) {
      continue;
    }
    bool ignored = false;
    if (project.orphaned_resources) {
      const auto& o = *project.orphaned_resources;
      for (size_t i = 0; i < o.ignore.size() && !ignored; ++i) {
        // An empty group or kind in an ignore entry matches any (Argo CD's OrphanedResourceKey).
        ignored = (o.ignore[i].group.empty() || GlobMatch(o.ignore[i].group, ref.group)) &&
                  (o.ignore[i].kind.empty() || GlobMatch(o.ignore[i].kind, ref.kind)) &&
                  (o.ignore_names[i].empty() || GlobMatch(o.ignore_names[i], ref.name));
      }
    }
    if (!ignored) counted.push_back(ref);
  }
  return counted;
}

Result<std::string> ImpersonationUserFor(const AppProject& project,
                                         const ApplicationDestination& d) {
  for (const DestinationServiceAccount& item : project.destination_service_accounts) {
    bool server = GlobMatch(item.server, d.server.empty() ? d.name : d.server);
    if (!server || !GlobMatch(item.namespace_, d.namespace_)) continue;
    std::string sa = item.default_service_account;
    std::string ns = d.namespace_;
    if (size_t colon = sa.find(':'); colon != std::string::npos) {
      ns = sa.substr(0, colon);
      sa = sa.substr(colon + 1);
    }
    if (ns.empty() || sa.empty()) {
      return Status::InvalidArgument(
          "project '" + project.name + "': destinationServiceAccounts entry for server '" +
          item.server + "' namespace '" + item.namespace_ + "' names no ServiceAccount namespace");
    }
    return "system:serviceaccount:" + ns + ":" + sa;
  }
  return Status::NotFound("no matching service account found for destination server " +
                          (d.server.empty() ? d.name : d.server) + " and namespace " +
                          d.namespace_ + " in project '" + project.name + "'");
}

}  // namespace mlgitops
