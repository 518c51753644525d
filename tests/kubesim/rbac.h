// The RBAC authorizer of kube-apiserver (plugin/pkg/auth/authorizer/rbac): PolicyRules from
// Roles and ClusterRoles granted through RoleBindings and ClusterRoleBindings, the 403 text a
// denied request gets, and the escalation rules (pkg/registry/rbac/validation) that keep a user
// from granting what they do not hold.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kubesim/api_errors.h"
#include "kubesim/request_info.h"
#include "kubesim/store.h"
#include "kubesim/user_info.h"

namespace mlgitops::kubesim {

inline constexpr char kRbacGroup[] = "rbac.authorization.k8s.io";

/// One rbacv1.PolicyRule.
struct PolicyRule {
  std::vector<std::string> verbs;
  std::vector<std::string> api_groups;
  std::vector<std::string> resources;
  std::vector<std::string> resource_names;
  std::vector<std::string> non_resource_urls;

  bool operator==(const PolicyRule& o) const {
    return verbs == o.verbs && api_groups == o.api_groups && resources == o.resources &&
           resource_names == o.resource_names && non_resource_urls == o.non_resource_urls;
  }
};

/// One entry of a `rules` array.
PolicyRule ReadRule(const JsonValue& rule);
/// The rules of a Role/ClusterRole `rules` array (entries that are not objects are skipped).
std::vector<PolicyRule> ReadRules(const JsonValue* rules);
/// `{APIGroups:["apps"], Resources:["deployments"], Verbs:["get" "list"]}` (rbacv1 CompactString).
std::string CompactString(const PolicyRule& rule);

/// What is asked (authorizer.Attributes).
struct AuthzAttributes {
  const UserInfo* user = nullptr;
  std::string verb;
  bool resource_request = true;
  std::string group;
  std::string resource;
  std::string subresource;
  std::string namespace_;
  std::string name;
  std::string path;  // non-resource requests
};

/// The attributes of an HTTP request as RequestInfo split it.
AuthzAttributes AttributesFor(const UserInfo& user, const RequestInfo& info);
/// RuleAllows: verb, group, resource (with "*", "*/sub"), name; or verb and non-resource URL.
bool RuleAllows(const AuthzAttributes& attrs, const PolicyRule& rule);

struct AuthzDecision {
  bool allowed = false;
  std::string reason;  // "RBAC: allowed by ...", or why resolution failed
};

/// The 403 a denied request gets (responsewriters.ForbiddenStatusError):
/// `configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in
/// the namespace "ml"`.
ApiError ForbiddenFor(const AuthzAttributes& attrs, const std::string& reason);

class RbacAuthorizer {
 public:
  explicit RbacAuthorizer(const Store* store);
  ~RbacAuthorizer();

  /// --authorization-mode=AlwaysAllow: every authenticated request is allowed.
  void set_always_allow(bool value) { always_allow_ = value; }
  bool always_allow() const { return always_allow_; }

  /// system:masters first (the privileged-group authorizer), then RBAC.
  AuthzDecision Authorize(const AuthzAttributes& attrs) const;
  /// The rules `user` holds in namespace `ns` (only cluster-wide ones when `ns` is ""); roles
  /// that bindings name but do not exist are reported in `errors`.
  std::vector<PolicyRule> RulesFor(const UserInfo& user, const std::string& ns,
                                   std::vector<std::string>* errors) const;
  /// The rules of the role a roleRef names (kind Role in `ns`, or ClusterRole); a 404 when it
  /// does not exist (GetRoleReferenceRules).
  ApiResult<std::vector<PolicyRule>> RoleReferenceRules(const std::string& kind,
                                                        const std::string& ns,
                                                        const std::string& name) const;

 private:
  struct Snapshot;
  struct Grant;
  std::shared_ptr<const Snapshot> Current() const;
  std::vector<const Grant*> GrantsFor(const Snapshot& snap, const UserInfo& user,
                                      const std::string& ns) const;

  const Store* store_;
  std::atomic<bool> always_allow_{false};
  mutable std::mutex mu_;
  mutable std::shared_ptr<const Snapshot> snapshot_;
  mutable int64_t checked_version_ = -1;
};

/// ConfirmNoEscalation's Covers: the atomic rules of `requested` that `owner` does not cover.
std::vector<PolicyRule> MissingRules(const std::vector<PolicyRule>& owner,
                                     const std::vector<PolicyRule>& requested);
/// `user "alice" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not
/// currently held:\n{APIGroups:...}` with the missing rules compacted and sorted.
std::string EscalationMessage(const UserInfo& user, const std::vector<PolicyRule>& missing,
                              const std::vector<std::string>& resolution_errors);

// rbac_bootstrap.cc

/// The bootstrap ClusterRoles and ClusterRoleBindings a new cluster has (policy.go's subset).
std::vector<Object> BootstrapPolicy();
/// The clusterrole aggregation controller over every ClusterRole: the aggregated ones whose
/// `rules` must change, with their new rules in place.
std::vector<Object> AggregateClusterRoles(const std::vector<ObjectPtr>& cluster_roles);

}  // namespace mlgitops::kubesim
