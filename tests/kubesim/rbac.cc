// RBAC evaluation. Every request is authorized, so the role and binding objects are parsed once
// into a snapshot indexed by subject (user name, group, ServiceAccount user name) and reused
// until an RBAC object changes: a request costs a few hash lookups and rule comparisons.
#include "kubesim/rbac.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

const char* const kRbacKeys[] = {
    "rbac.authorization.k8s.io/roles", "rbac.authorization.k8s.io/rolebindings",
    "rbac.authorization.k8s.io/clusterroles", "rbac.authorization.k8s.io/clusterrolebindings"};

std::vector<std::string> Strings(const JsonValue& rule, const char* key) {
  std::vector<std::string> out;
  const JsonValue* list = FindMember(rule, key);
  if (!list || !list->IsArray()) return out;
  for (const auto& v : list->GetArray()) {
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

bool Has(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool HasAll(const std::vector<std::string>& set, const std::vector<std::string>& wanted) {
  for (const std::string& w : wanted) {
    if (!Has(set, w)) return false;
  }
  return true;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Go's %q of a []string: ["a" "b"].
std::string GoQuotedList(const std::vector<std::string>& list) {
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i) {
    if (i) out += ' ';
    out += Quote(list[i]);
  }
  return out + "]";
}

bool VerbMatches(const PolicyRule& rule, const std::string& verb) {
  for (const std::string& v : rule.verbs) {
    if (v == "*" || v == verb) return true;
  }
  return false;
}

bool GroupMatches(const PolicyRule& rule, const std::string& group) {
  for (const std::string& g : rule.api_groups) {
    if (g == "*" || g == group) return true;
  }
  return false;
}

// ResourceMatches: "*", the exact "resource[/subresource]", or "*/subresource".
bool ResourceMatches(const PolicyRule& rule, const std::string& combined,
                     const std::string& subresource) {
  for (const std::string& r : rule.resources) {
    if (r == "*" || r == combined) return true;
    if (subresource.empty()) continue;
    if (r.size() == subresource.size() + 2 && r.compare(0, 2, "*/") == 0 &&
        EndsWith(r, subresource)) {
      return true;
    }
  }
  return false;
}

bool NameMatches(const PolicyRule& rule, const std::string& name) {
  if (rule.resource_names.empty()) return true;
  return Has(rule.resource_names, name);
}

bool UrlMatches(const std::string& rule_url, const std::string& path) {
  if (rule_url == "*" || rule_url == path) return true;
  return !rule_url.empty() && rule_url.back() == '*' &&
         path.compare(0, rule_url.size() - 1, rule_url, 0, rule_url.size() - 1) == 0;
}

std::string DescribeSubject(const std::string& kind, const std::string& name,
                            const std::string& subject_ns, const std::string& binding_ns) {
  if (kind == "ServiceAccount") {
    return kind + " " + Quote(name + "/" + (subject_ns.empty() ? binding_ns : subject_ns));
  }
  return kind + " " + Quote(name);
}

}  // namespace

PolicyRule ReadRule(const JsonValue& r) {
  return {Strings(r, "verbs"), Strings(r, "apiGroups"), Strings(r, "resources"),
          Strings(r, "resourceNames"), Strings(r, "nonResourceURLs")};
}

std::vector<PolicyRule> ReadRules(const JsonValue* rules) {
  std::vector<PolicyRule> out;
  if (!rules || !rules->IsArray()) return out;
  for (const auto& r : rules->GetArray()) {
    if (r.IsObject()) out.push_back(ReadRule(r));
  }
  return out;
}

std::string CompactString(const PolicyRule& rule) {
  std::vector<std::string> parts;
  if (!rule.api_groups.empty()) parts.push_back("APIGroups:" + GoQuotedList(rule.api_groups));
  if (!rule.resources.empty()) parts.push_back("Resources:" + GoQuotedList(rule.resources));
  if (!rule.non_resource_urls.empty()) {
    parts.push_back("NonResourceURLs:" + GoQuotedList(rule.non_resource_urls));
  }
  if (!rule.resource_names.empty()) {
    parts.push_back("ResourceNames:" + GoQuotedList(rule.resource_names));
  }
  if (!rule.verbs.empty()) parts.push_back("Verbs:" + GoQuotedList(rule.verbs));
  std::string out = "{";
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out + "}";
}

AuthzAttributes AttributesFor(const UserInfo& user, const RequestInfo& info) {
  AuthzAttributes attrs;
  attrs.user = &user;
  attrs.verb = info.verb;
  attrs.resource_request = info.is_resource_request;
  if (!info.is_resource_request) {
    attrs.path = info.path;
    // Non-resource verbs are the HTTP method, lowercased (get, post, put, ...).
    return attrs;
  }
  attrs.group = info.group;
  attrs.resource = info.resource;
  attrs.subresource = info.subresource;
  attrs.namespace_ = info.namespace_;
  attrs.name = info.name;
  return attrs;
}

bool RuleAllows(const AuthzAttributes& attrs, const PolicyRule& rule) {
  if (!attrs.resource_request) {
    if (!VerbMatches(rule, attrs.verb)) return false;
    for (const std::string& url : rule.non_resource_urls) {
      if (UrlMatches(url, attrs.path)) return true;
    }
    return false;
  }
  std::string combined = attrs.resource;
  if (!attrs.subresource.empty()) combined += "/" + attrs.subresource;
  return VerbMatches(rule, attrs.verb) && GroupMatches(rule, attrs.group) &&
         ResourceMatches(rule, combined, attrs.subresource) && NameMatches(rule, attrs.name);
}

ApiError ForbiddenFor(const AuthzAttributes& attrs, const std::string& reason) {
  std::string user = attrs.user ? attrs.user->name : "";
  std::string msg;
  if (!attrs.resource_request) {
    msg = "User " + Quote(user) + " cannot " + attrs.verb + " path " + Quote(attrs.path);
  } else {
    std::string resource = attrs.resource;
    if (!attrs.subresource.empty()) resource += "/" + attrs.subresource;
    msg = "User " + Quote(user) + " cannot " + attrs.verb + " resource " + Quote(resource) +
          " in API group " + Quote(attrs.group);
    msg += attrs.namespace_.empty() ? " at the cluster scope"
                                    : " in the namespace " + Quote(attrs.namespace_);
  }
  if (!reason.empty()) msg += ": " + reason;
  if (!attrs.resource_request || attrs.resource.empty()) {
    // NewForbidden with an empty GroupResource.
    ApiError e;
    e.code = 403;
    e.reason = "Forbidden";
    e.message = "forbidden: " + msg;
    e.has_details = true;
    return e;
  }
  return Forbidden(attrs.group, attrs.resource, attrs.name, msg);
}

// ---------- the snapshot ----------

// One subject of one binding, resolved to its role's rules.
struct RbacAuthorizer::Grant {
  size_t order = 0;    // cluster bindings first, then namespaced ones, each in name order
  std::string source;  // `ClusterRoleBinding "x" of ClusterRole "y" to User "alice"`
  const std::vector<PolicyRule>* rules = nullptr;  // null: the role does not exist
  std::string missing;                             // then: its NotFound text
};

struct RbacAuthorizer::Snapshot {
  int64_t count = 0;
  int64_t max_version = 0;
  std::map<std::string, std::vector<PolicyRule>> cluster_roles;  // by name
  std::map<std::string, std::vector<PolicyRule>> roles;          // by "ns/name"
  // Subject key ("u:NAME" for users and ServiceAccounts, "g:NAME" for groups) -> grants.
  std::unordered_map<std::string, std::vector<Grant>> cluster;
  std::unordered_map<std::string, std::unordered_map<std::string, std::vector<Grant>>> in_ns;
};

namespace {

// The key a subject is indexed under, "" for subjects that can never match.
std::string SubjectKey(const JsonValue& subject, const std::string& binding_ns, std::string* kind,
                       std::string* name, std::string* ns) {
  *kind = GetString(subject, "kind");
  *name = GetString(subject, "name");
  *ns = GetString(subject, "namespace");
  if (*kind == "User") return "u:" + *name;
  if (*kind == "Group") return "g:" + *name;
  if (*kind == "ServiceAccount") {
    std::string sa_ns = ns->empty() ? binding_ns : *ns;
    if (sa_ns.empty()) return "";
    return "u:" + std::string(kServiceAccountPrefix) + sa_ns + ":" + *name;
  }
  return "";
}

void Signature(const Store& store, int64_t* count, int64_t* max_version,
               std::vector<std::vector<ObjectPtr>>* lists) {
  *count = 0;
  *max_version = 0;
  for (const char* key : kRbacKeys) {
    lists->push_back(store.List(key, ""));
    for (const ObjectPtr& o : lists->back()) {
      ++*count;
      std::string rv = GetString(o->json(), "metadata.resourceVersion");
      *max_version = std::max<int64_t>(*max_version, std::strtoll(rv.c_str(), nullptr, 10));
    }
  }
}

}  // namespace

RbacAuthorizer::RbacAuthorizer(const Store* store) : store_(store) {}
RbacAuthorizer::~RbacAuthorizer() = default;

std::shared_ptr<const RbacAuthorizer::Snapshot> RbacAuthorizer::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t version = store_->CurrentResourceVersion();
  if (snapshot_ && version == checked_version_) return snapshot_;
  std::vector<std::vector<ObjectPtr>> lists;
  int64_t count = 0, max_version = 0;
  Signature(*store_, &count, &max_version, &lists);
  checked_version_ = version;
  if (snapshot_ && snapshot_->count == count && snapshot_->max_version == max_version) {
    return snapshot_;
  }
  auto snap = std::make_shared<Snapshot>();
  snap->count = count;
  snap->max_version = max_version;
  for (const ObjectPtr& o : lists[0]) {
    snap->roles[o->namespace_() + "/" + GetString(o->json(), "metadata.name")] =
        ReadRules(FindMember(o->json(), "rules"));
  }
  for (const ObjectPtr& o : lists[2]) {
    snap->cluster_roles[GetString(o->json(), "metadata.name")] =
        ReadRules(FindMember(o->json(), "rules"));
  }
  size_t order = 0;
  for (int list : {3, 1}) {
    bool cluster = list == 3;
    for (const ObjectPtr& o : lists[list]) {
      const JsonValue& b = o->json();
      std::string binding = GetString(b, "metadata.name");
      std::string binding_ns = cluster ? "" : o->namespace_();
      std::string role_kind = GetString(b, "roleRef.kind");
      std::string role_name = GetString(b, "roleRef.name");
      const std::vector<PolicyRule>* rules = nullptr;
      std::string missing;
      if (role_kind == "ClusterRole") {
        auto it = snap->cluster_roles.find(role_name);
        if (it != snap->cluster_roles.end()) rules = &it->second;
        missing = "clusterrole.rbac.authorization.k8s.io " + Quote(role_name) + " not found";
      } else if (role_kind == "Role" && !cluster) {
        auto it = snap->roles.find(binding_ns + "/" + role_name);
        if (it != snap->roles.end()) rules = &it->second;
        missing = "role.rbac.authorization.k8s.io " + Quote(role_name) + " not found";
      } else {
        missing = "unsupported role reference kind: " + Quote(role_kind);
      }
      const JsonValue* subjects = FindMember(b, "subjects");
      if (!subjects || !subjects->IsArray()) continue;
      for (const auto& s : subjects->GetArray()) {
        if (!s.IsObject()) continue;
        std::string kind, name, ns;
        std::string key = SubjectKey(s, binding_ns, &kind, &name, &ns);
        if (key.empty()) continue;
        Grant grant;
        grant.order = order++;
        grant.source = (cluster ? "ClusterRoleBinding " + Quote(binding)
                                : "RoleBinding " + Quote(binding + "/" + binding_ns)) +
                       " of " + role_kind + " " + Quote(role_name) + " to " +
                       DescribeSubject(kind, name, ns, binding_ns);
        grant.rules = rules;
        if (!rules) grant.missing = missing;
        if (cluster) {
          snap->cluster[key].push_back(std::move(grant));
        } else {
          snap->in_ns[binding_ns][key].push_back(std::move(grant));
        }
      }
    }
  }
  snapshot_ = std::move(snap);
  return snapshot_;
}

std::vector<const RbacAuthorizer::Grant*> RbacAuthorizer::GrantsFor(const Snapshot& snap,
                                                                    const UserInfo& user,
                                                                    const std::string& ns) const {
  std::vector<const Grant*> out;
  auto collect = [&](const std::unordered_map<std::string, std::vector<Grant>>& index) {
    auto add = [&](const std::string& key) {
      auto it = index.find(key);
      if (it == index.end()) return;
      for (const Grant& g : it->second) out.push_back(&g);
    };
    add("u:" + user.name);
    for (const std::string& g : user.groups) add("g:" + g);
  };
  collect(snap.cluster);
  if (!ns.empty()) {
    auto it = snap.in_ns.find(ns);
    if (it != snap.in_ns.end()) collect(it->second);
  }
  std::sort(out.begin(), out.end(),
            [](const Grant* a, const Grant* b) { return a->order < b->order; });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

AuthzDecision RbacAuthorizer::Authorize(const AuthzAttributes& attrs) const {
  if (always_allow_) return {true, ""};
  if (!attrs.user) return {false, ""};
  if (attrs.user->InGroup(kMastersGroup)) return {true, ""};
  std::shared_ptr<const Snapshot> snap = Current();
  std::vector<std::string> errors;
  for (const Grant* g : GrantsFor(*snap, *attrs.user, attrs.namespace_)) {
    if (!g->rules) {
      errors.push_back(g->missing);
      continue;
    }
    for (const PolicyRule& rule : *g->rules) {
      if (RuleAllows(attrs, rule)) return {true, "RBAC: allowed by " + g->source};
    }
  }
  if (errors.empty()) return {false, ""};
  std::string reason = "RBAC: ";
  if (errors.size() == 1) return {false, reason + errors[0]};
  reason += "[";
  for (size_t i = 0; i < errors.size(); ++i) reason += (i ? ", " : "") + errors[i];
  return {false, reason + "]"};
}

std::vector<PolicyRule> RbacAuthorizer::RulesFor(const UserInfo& user, const std::string& ns,
                                                 std::vector<std::string>* errors) const {
  std::shared_ptr<const Snapshot> snap = Current();
  std::vector<PolicyRule> out;
  for (const Grant* g : GrantsFor(*snap, user, ns)) {
    if (!g->rules) {
      if (errors) errors->push_back(g->missing);
      continue;
    }
    out.insert(out.end(), g->rules->begin(), g->rules->end());
  }
  return out;
}

ApiResult<std::vector<PolicyRule>> RbacAuthorizer::RoleReferenceRules(
    const std::string& kind, const std::string& ns, const std::string& name) const {
  std::shared_ptr<const Snapshot> snap = Current();
  if (kind == "ClusterRole") {
    auto it = snap->cluster_roles.find(name);
    if (it == snap->cluster_roles.end()) return NotFound(kRbacGroup, "clusterrole", name);
    return it->second;
  }
  if (kind == "Role") {
    auto it = snap->roles.find(ns + "/" + name);
    if (it == snap->roles.end()) return NotFound(kRbacGroup, "role", name);
    return it->second;
  }
  return BadRequest("unsupported role reference kind: " + Quote(kind));
}

// ---------- escalation ----------

namespace {

std::vector<PolicyRule> Breakdown(const PolicyRule& rule) {
  std::vector<PolicyRule> out;
  for (const std::string& group : rule.api_groups) {
    for (const std::string& resource : rule.resources) {
      for (const std::string& verb : rule.verbs) {
        if (rule.resource_names.empty()) {
          out.push_back({{verb}, {group}, {resource}, {}, {}});
          continue;
        }
        for (const std::string& name : rule.resource_names) {
          out.push_back({{verb}, {group}, {resource}, {name}, {}});
        }
      }
    }
  }
  for (const std::string& url : rule.non_resource_urls) {
    for (const std::string& verb : rule.verbs) out.push_back({{verb}, {}, {}, {}, {url}});
  }
  return out;
}

bool ResourcesCover(const std::vector<std::string>& owner, const std::vector<std::string>& sub) {
  if (Has(owner, "*")) return true;
  for (const std::string& r : sub) {
    if (Has(owner, r)) continue;
    size_t slash = r.find('/');
    if (slash == std::string::npos) return false;
    if (!Has(owner, "*/" + r.substr(slash + 1))) return false;
  }
  return true;
}

bool UrlsCover(const std::vector<std::string>& owner, const std::vector<std::string>& sub) {
  for (const std::string& url : sub) {
    bool covered = false;
    for (const std::string& o : owner) covered = covered || UrlMatches(o, url);
    if (!covered) return false;
  }
  return true;
}

bool RuleCovers(const PolicyRule& owner, const PolicyRule& sub) {
  bool verbs = Has(owner.verbs, "*") || HasAll(owner.verbs, sub.verbs);
  bool groups = Has(owner.api_groups, "*") || HasAll(owner.api_groups, sub.api_groups);
  bool names = sub.resource_names.empty() ? owner.resource_names.empty()
                                          : owner.resource_names.empty() ||
                                                HasAll(owner.resource_names, sub.resource_names);
  return verbs && groups && ResourcesCover(owner.resources, sub.resources) && names &&
         UrlsCover(owner.non_resource_urls, sub.non_resource_urls);
}

}  // namespace

std::vector<PolicyRule> MissingRules(const std::vector<PolicyRule>& owner,
                                     const std::vector<PolicyRule>& requested) {
  std::vector<PolicyRule> missing;
  for (const PolicyRule& rule : requested) {
    for (PolicyRule& sub : Breakdown(rule)) {
      bool covered = false;
      for (const PolicyRule& o : owner) {
        if (RuleCovers(o, sub)) {
          covered = true;
          break;
        }
      }
      if (!covered) missing.push_back(std::move(sub));
    }
  }
  return missing;
}

std::string EscalationMessage(const UserInfo& user, const std::vector<PolicyRule>& missing,
                              const std::vector<std::string>& resolution_errors) {
  // CompactRules: single-group, single-resource rules (at most one name) merge their verbs.
  std::vector<PolicyRule> compacted;
  std::map<std::vector<std::string>, size_t> simple;
  for (const PolicyRule& rule : missing) {
    bool is_simple = rule.non_resource_urls.empty() && rule.api_groups.size() == 1 &&
                     rule.resources.size() == 1 && rule.resource_names.size() <= 1;
    if (!is_simple) {
      compacted.push_back(rule);
      continue;
    }
    std::vector<std::string> key = {
        rule.api_groups[0], rule.resources[0],
        rule.resource_names.empty() ? "" : "=" + rule.resource_names[0]};
    auto it = simple.find(key);
    if (it == simple.end()) {
      simple[key] = compacted.size();
      compacted.push_back(rule);
    } else {
      PolicyRule& merged = compacted[it->second];
      merged.verbs.insert(merged.verbs.end(), rule.verbs.begin(), rule.verbs.end());
    }
  }
  std::set<std::string> descriptions;
  for (const PolicyRule& rule : compacted) descriptions.insert(CompactString(rule));
  std::string msg = "user " + Quote(user.name) + " (groups=" + GoQuotedList(user.groups) +
                    ") is attempting to grant RBAC permissions not currently held:";
  for (const std::string& d : descriptions) msg += "\n" + d;
  if (!resolution_errors.empty()) {
    msg += "; resolution errors: [";
    for (size_t i = 0; i < resolution_errors.size(); ++i) {
      msg += (i ? ", " : "") + resolution_errors[i];
    }
    msg += "]";
  }
  return msg;
}

}  // namespace mlgitops::kubesim
