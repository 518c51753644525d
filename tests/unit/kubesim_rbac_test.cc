// kubesim's RBAC authorizer, escalation check, aggregation, token file and impersonation, each
// case named after the kube-apiserver rule it follows (plugin/pkg/auth/authorizer/rbac,
// pkg/registry/rbac/validation, the clusterrole aggregation controller, the impersonation filter).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kubesim/authn.h"
#include "kubesim/json_util.h"
#include "kubesim/rbac.h"
#include "kubesim/store.h"

namespace mlgitops::kubesim {
namespace {

PolicyRule Rule(std::vector<std::string> verbs, std::vector<std::string> groups,
                std::vector<std::string> resources, std::vector<std::string> names = {}) {
  return {std::move(verbs), std::move(groups), std::move(resources), std::move(names), {}};
}

AuthzAttributes Ask(const UserInfo& user, const std::string& verb, const std::string& group,
                    const std::string& resource, const std::string& ns = "",
                    const std::string& name = "", const std::string& subresource = "") {
  AuthzAttributes a;
  a.user = &user;
  a.verb = verb;
  a.group = group;
  a.resource = resource;
  a.namespace_ = ns;
  a.name = name;
  a.subresource = subresource;
  return a;
}

class RbacTest : public ::testing::Test {
 protected:
  void Put(const std::string& plural, const std::string& json) {
    auto parsed = ParseJson(json, "test");
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    store_.Put("rbac.authorization.k8s.io/" + plural, std::move(*parsed));
  }
  void Remove(const std::string& plural, const std::string& json) {
    auto parsed = ParseJson(json, "test");
    ASSERT_TRUE(parsed.ok());
    store_.Remove("rbac.authorization.k8s.io/" + plural, std::move(*parsed));
  }
  void Role(const std::string& ns, const std::string& name, const std::string& rules) {
    Put("roles", R"({"kind":"Role","metadata":{"name":")" + name + R"(","namespace":")" + ns +
                     R"("},"rules":)" + rules + "}");
  }
  void ClusterRole(const std::string& name, const std::string& rules) {
    Put("clusterroles",
        R"({"kind":"ClusterRole","metadata":{"name":")" + name + R"("},"rules":)" + rules + "}");
  }
  void RoleBinding(const std::string& ns, const std::string& name, const std::string& kind,
                   const std::string& role, const std::string& subjects) {
    Put("rolebindings", R"({"kind":"RoleBinding","metadata":{"name":")" + name +
                            R"(","namespace":")" + ns + R"("},"roleRef":{"kind":")" + kind +
                            R"(","name":")" + role + R"("},"subjects":)" + subjects + "}");
  }
  void ClusterRoleBinding(const std::string& name, const std::string& role,
                          const std::string& subjects) {
    Put("clusterrolebindings", R"({"kind":"ClusterRoleBinding","metadata":{"name":")" + name +
                                   R"("},"roleRef":{"kind":"ClusterRole","name":")" + role +
                                   R"("},"subjects":)" + subjects + "}");
  }

  Store store_;
  RbacAuthorizer rbac_{&store_};
  UserInfo alice_{"alice", "", {"devs", kAuthenticatedGroup}, {}};
};

TEST(RbacRuleTest, RuleAllowsMatchesVerbsGroupsResourcesAndNames) {
  UserInfo u{"u", "", {}, {}};
  // VerbMatches / APIGroupMatches: "*" matches everything.
  EXPECT_TRUE(RuleAllows(Ask(u, "delete", "apps", "deployments"), Rule({"*"}, {"*"}, {"*"})));
  EXPECT_FALSE(RuleAllows(Ask(u, "delete", "apps", "deployments"),
                          Rule({"get"}, {"apps"}, {"deployments"})));
  EXPECT_FALSE(RuleAllows(Ask(u, "get", "", "deployments"), Rule({"get"}, {"apps"}, {"*"})));
  // ResourceMatches: a subresource needs "res/sub" or "*/sub"; "pods" does not cover pods/status.
  EXPECT_FALSE(RuleAllows(Ask(u, "update", "", "pods", "ml", "p", "status"),
                          Rule({"update"}, {""}, {"pods"})));
  EXPECT_TRUE(RuleAllows(Ask(u, "update", "", "pods", "ml", "p", "status"),
                         Rule({"update"}, {""}, {"pods/status"})));
  EXPECT_TRUE(RuleAllows(Ask(u, "patch", "apps", "deployments", "ml", "web", "scale"),
                         Rule({"patch"}, {"apps"}, {"*/scale"})));
  EXPECT_FALSE(RuleAllows(Ask(u, "patch", "apps", "deployments", "ml", "web"),
                          Rule({"patch"}, {"apps"}, {"*/scale"})));
  // ResourceNameMatches: a named rule never matches a list (no name).
  EXPECT_TRUE(RuleAllows(Ask(u, "get", "", "configmaps", "ml", "a"),
                         Rule({"get", "list"}, {""}, {"configmaps"}, {"a"})));
  EXPECT_FALSE(RuleAllows(Ask(u, "get", "", "configmaps", "ml", "b"),
                          Rule({"get"}, {""}, {"configmaps"}, {"a"})));
  EXPECT_FALSE(RuleAllows(Ask(u, "list", "", "configmaps", "ml"),
                          Rule({"list"}, {""}, {"configmaps"}, {"a"})));
}

TEST(RbacRuleTest, NonResourceUrlsMatchExactlyOrByTrailingStar) {
  UserInfo u{"u", "", {}, {}};
  PolicyRule rule{{"get"}, {}, {}, {}, {"/healthz", "/apis/*"}};
  AuthzAttributes a;
  a.user = &u;
  a.verb = "get";
  a.resource_request = false;
  a.path = "/healthz";
  EXPECT_TRUE(RuleAllows(a, rule));
  a.path = "/apis/apps/v1";
  EXPECT_TRUE(RuleAllows(a, rule));
  a.path = "/healthz/etcd";
  EXPECT_FALSE(RuleAllows(a, rule));
  a.verb = "post";
  a.path = "/healthz";
  EXPECT_FALSE(RuleAllows(a, rule));
}

// responsewriters.forbiddenMessage and apierrors.NewForbidden.
TEST(RbacRuleTest, ForbiddenMessagesAreTheRealServers) {
  UserInfo u{"alice", "", {}, {}};
  ApiError list = ForbiddenFor(Ask(u, "list", "", "configmaps", "ml"), "");
  EXPECT_EQ(list.code, 403);
  EXPECT_EQ(list.reason, "Forbidden");
  EXPECT_EQ(list.message,
            "configmaps is forbidden: User \"alice\" cannot list resource \"configmaps\" in API "
            "group \"\" in the namespace \"ml\"");
  EXPECT_EQ(ForbiddenFor(Ask(u, "get", "apps", "deployments", "ml", "web"), "").message,
            "deployments.apps \"web\" is forbidden: User \"alice\" cannot get resource "
            "\"deployments\" in API group \"apps\" in the namespace \"ml\"");
  EXPECT_EQ(ForbiddenFor(Ask(u, "list", "", "nodes"), "").message,
            "nodes is forbidden: User \"alice\" cannot list resource \"nodes\" in API group \"\" "
            "at the cluster scope");
  EXPECT_EQ(ForbiddenFor(Ask(u, "update", "apps", "deployments", "ml", "web", "scale"), "").message,
            "deployments.apps \"web\" is forbidden: User \"alice\" cannot update resource "
            "\"deployments/scale\" in API group \"apps\" in the namespace \"ml\"");
  std::string body = list.ToJson();
  EXPECT_NE(body.find(R"("details":{"kind":"configmaps"})"), std::string::npos) << body;
  AuthzAttributes path;
  path.user = &u;
  path.verb = "get";
  path.resource_request = false;
  path.path = "/metrics";
  EXPECT_EQ(ForbiddenFor(path, "").message,
            "forbidden: User \"alice\" cannot get path \"/metrics\"");
}

TEST_F(RbacTest, RoleBindingGrantsOnlyInItsNamespace) {
  Role("ml", "cm-reader",
       R"([{"apiGroups":[""],"resources":["configmaps"],"verbs":["get","list"]}])");
  RoleBinding("ml", "read", "Role", "cm-reader", R"([{"kind":"User","name":"alice"}])");
  AuthzDecision in_ml = rbac_.Authorize(Ask(alice_, "list", "", "configmaps", "ml"));
  EXPECT_TRUE(in_ml.allowed);
  // rbac.go: "RBAC: allowed by " + the roleBindingDescriber.
  EXPECT_EQ(in_ml.reason,
            "RBAC: allowed by RoleBinding \"read/ml\" of Role \"cm-reader\" to User \"alice\"");
  EXPECT_FALSE(rbac_.Authorize(Ask(alice_, "list", "", "configmaps", "other")).allowed);
  EXPECT_FALSE(rbac_.Authorize(Ask(alice_, "list", "", "configmaps")).allowed)
      << "a RoleBinding never grants cluster-wide";
  EXPECT_FALSE(rbac_.Authorize(Ask(alice_, "delete", "", "configmaps", "ml", "x")).allowed);
}

TEST_F(RbacTest, ClusterRoleBindingGroupsAndServiceAccountSubjects) {
  ClusterRole("pod-reader", R"([{"apiGroups":[""],"resources":["pods"],"verbs":["list"]}])");
  ClusterRoleBinding("devs-read", "pod-reader", R"([{"kind":"Group","name":"devs"}])");
  AuthzDecision d = rbac_.Authorize(Ask(alice_, "list", "", "pods", "anywhere"));
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.reason,
            "RBAC: allowed by ClusterRoleBinding \"devs-read\" of ClusterRole "
            "\"pod-reader\" to Group \"devs\"");
  EXPECT_TRUE(rbac_.Authorize(Ask(alice_, "list", "", "pods")).allowed) << "cluster scope too";

  // A ServiceAccount subject without a namespace takes the RoleBinding's (describeSubject).
  RoleBinding("ml", "sa-read", "ClusterRole", "pod-reader",
              R"([{"kind":"ServiceAccount","name":"runner"}])");
  UserInfo sa = ServiceAccountUser("ml", "runner", "uid-1");
  AuthzDecision sa_decision = rbac_.Authorize(Ask(sa, "list", "", "pods", "ml"));
  EXPECT_TRUE(sa_decision.allowed);
  EXPECT_EQ(sa_decision.reason,
            "RBAC: allowed by RoleBinding \"sa-read/ml\" of ClusterRole "
            "\"pod-reader\" to ServiceAccount \"runner/ml\"");
  EXPECT_FALSE(
      rbac_.Authorize(Ask(ServiceAccountUser("other", "runner", ""), "list", "", "pods", "ml"))
          .allowed);
  // Groups system:serviceaccounts:NS match like any group.
  ClusterRoleBinding("all-sa", "pod-reader",
                     R"([{"kind":"Group","name":"system:serviceaccounts:ci"}])");
  EXPECT_TRUE(rbac_.Authorize(Ask(ServiceAccountUser("ci", "x", ""), "list", "", "pods")).allowed);
}

// The privileged-group authorizer answers before RBAC: system:masters may do anything.
TEST_F(RbacTest, SystemMastersBypassesRbac) {
  UserInfo admin = AdminUser();
  AuthzDecision d = rbac_.Authorize(Ask(admin, "escalate", "rbac.authorization.k8s.io", "roles"));
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.reason, "");
}

// rbac.go: a binding to a missing role is an evaluation error reported in the denial.
TEST_F(RbacTest, MissingRoleIsNamedInTheDenialReason) {
  RoleBinding("ml", "dangling", "Role", "ghost", R"([{"kind":"User","name":"alice"}])");
  AuthzDecision d = rbac_.Authorize(Ask(alice_, "get", "", "pods", "ml", "p"));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "RBAC: role.rbac.authorization.k8s.io \"ghost\" not found");
  EXPECT_EQ(ForbiddenFor(Ask(alice_, "get", "", "pods", "ml", "p"), d.reason).message,
            "pods \"p\" is forbidden: User \"alice\" cannot get resource \"pods\" in API group "
            "\"\" in the namespace \"ml\": RBAC: role.rbac.authorization.k8s.io \"ghost\" not "
            "found");
}

TEST_F(RbacTest, DecisionsFollowRbacChangesThroughTheCache) {
  EXPECT_FALSE(rbac_.Authorize(Ask(alice_, "list", "", "secrets", "ml")).allowed);
  ClusterRole("secret-reader", R"([{"apiGroups":[""],"resources":["secrets"],"verbs":["list"]}])");
  EXPECT_FALSE(rbac_.Authorize(Ask(alice_, "list", "", "secrets", "ml")).allowed);
  std::string binding = R"({"kind":"RoleBinding","metadata":{"name":"b","namespace":"ml"},)"
                        R"("roleRef":{"kind":"ClusterRole","name":"secret-reader"},)"
                        R"("subjects":[{"kind":"User","name":"alice"}]})";
  Put("rolebindings", binding);
  EXPECT_TRUE(rbac_.Authorize(Ask(alice_, "list", "", "secrets", "ml")).allowed);
  // Unrelated writes keep the snapshot; the removal of the binding is seen.
  auto other = ParseJson(R"({"kind":"ConfigMap","metadata":{"name":"c","namespace":"ml"}})", "t");
  store_.Put("/configmaps", std::move(*other));
  EXPECT_TRUE(rbac_.Authorize(Ask(alice_, "list", "", "secrets", "ml")).allowed);
  Remove("rolebindings", binding);
  EXPECT_FALSE(rbac_.Authorize(Ask(alice_, "list", "", "secrets", "ml")).allowed);
}

// validation.Covers with BreakdownRule, CompactRules and the ConfirmNoEscalation message.
TEST(RbacEscalationTest, MissingRulesAreBrokenDownCompactedAndSorted) {
  std::vector<PolicyRule> owner = {Rule({"get", "list"}, {""}, {"configmaps"}),
                                   Rule({"*"}, {"apps"}, {"deployments", "*/scale"})};
  EXPECT_TRUE(MissingRules(owner, {Rule({"get"}, {""}, {"configmaps"})}).empty());
  EXPECT_TRUE(MissingRules(owner, {Rule({"patch"}, {"apps"}, {"statefulsets/scale"})}).empty())
      << "*/scale covers every scale subresource";
  std::vector<PolicyRule> missing =
      MissingRules(owner, {Rule({"get", "list", "watch"}, {""}, {"configmaps", "secrets"}),
                           Rule({"get"}, {"batch"}, {"jobs"}, {"train"})});
  ASSERT_EQ(missing.size(), 5u);
  UserInfo alice{"alice", "", {"devs", kAuthenticatedGroup}, {}};
  EXPECT_EQ(EscalationMessage(alice, missing, {}),
            "user \"alice\" (groups=[\"devs\" \"system:authenticated\"]) is attempting to grant "
            "RBAC permissions not currently held:\n"
            "{APIGroups:[\"\"], Resources:[\"configmaps\"], Verbs:[\"watch\"]}\n"
            "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"list\" \"watch\"]}\n"
            "{APIGroups:[\"batch\"], Resources:[\"jobs\"], ResourceNames:[\"train\"], "
            "Verbs:[\"get\"]}");
  // Resource names: an unnamed owner rule covers named requests, not the other way round.
  EXPECT_TRUE(
      MissingRules({Rule({"get"}, {""}, {"secrets"})}, {Rule({"get"}, {""}, {"secrets"}, {"a"})})
          .empty());
  EXPECT_EQ(
      MissingRules({Rule({"get"}, {""}, {"secrets"}, {"a"})}, {Rule({"get"}, {""}, {"secrets"})})
          .size(),
      1u);
  // Non-resource URLs: a trailing * covers the subtree.
  PolicyRule urls{{"get"}, {}, {}, {}, {"/apis/*"}};
  EXPECT_TRUE(MissingRules({urls}, {{{"get"}, {}, {}, {}, {"/apis/apps"}}}).empty());
}

// The clusterrole aggregation controller: rules of every ClusterRole a selector matches, in
// name order, without duplicates; chains (view -> edit -> admin) settle.
TEST(RbacAggregationTest, BootstrapAdminEditViewAggregateInChains) {
  std::vector<ObjectPtr> roles;
  for (Object& o : BootstrapPolicy()) {
    if (GetString(o.json(), "kind") == "ClusterRole") {
      roles.push_back(std::make_shared<const Object>(std::move(o)));
    }
  }
  std::vector<Object> changed = AggregateClusterRoles(roles);
  std::map<std::string, std::vector<PolicyRule>> by_name;
  for (const Object& o : changed) {
    by_name[GetString(o.json(), "metadata.name")] = ReadRules(FindMember(o.json(), "rules"));
  }
  ASSERT_EQ(by_name.count("admin"), 1u);
  ASSERT_EQ(by_name.count("edit"), 1u);
  ASSERT_EQ(by_name.count("view"), 1u);
  UserInfo u{"u", "", {}, {}};
  auto allows = [&](const std::string& role, const AuthzAttributes& a) {
    for (const PolicyRule& r : by_name[role]) {
      if (RuleAllows(a, r)) return true;
    }
    return false;
  };
  AuthzAttributes list_deploy = Ask(u, "list", "apps", "deployments", "ml");
  AuthzAttributes create_deploy = Ask(u, "create", "apps", "deployments", "ml");
  AuthzAttributes create_role = Ask(u, "create", "rbac.authorization.k8s.io", "roles", "ml");
  AuthzAttributes get_secret = Ask(u, "get", "", "secrets", "ml", "s");
  EXPECT_TRUE(allows("view", list_deploy));
  EXPECT_FALSE(allows("view", create_deploy));
  EXPECT_FALSE(allows("view", get_secret)) << "view never reads Secrets";
  EXPECT_TRUE(allows("edit", list_deploy)) << "edit aggregates view";
  EXPECT_TRUE(allows("edit", create_deploy));
  EXPECT_FALSE(allows("edit", create_role));
  EXPECT_TRUE(allows("admin", list_deploy)) << "admin aggregates edit, which aggregates view";
  EXPECT_TRUE(allows("admin", create_role));

  // A second run over the aggregated roles changes nothing.
  std::vector<ObjectPtr> settled;
  for (const ObjectPtr& r : roles) {
    std::string name = GetString(r->json(), "metadata.name");
    bool replaced = false;
    for (Object& o : changed) {
      if (GetString(o.json(), "metadata.name") == name) {
        settled.push_back(std::make_shared<const Object>(o.Clone()));
        replaced = true;
      }
    }
    if (!replaced) settled.push_back(r);
  }
  EXPECT_TRUE(AggregateClusterRoles(settled).empty());
}

// kube-apiserver's --token-auth-file: token,user,uid[,"group1,group2"].
TEST(AuthnTest, TokenFileCsv) {
  auto parsed = ParseTokenFile("t1,alice,1001,\"devs,ops\"\n\n t2 , bob,1002\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].user.name, "alice");
  EXPECT_EQ((*parsed)[0].user.uid, "1001");
  EXPECT_EQ((*parsed)[0].user.groups, (std::vector<std::string>{"devs", "ops"}));
  EXPECT_EQ((*parsed)[1].token, "t2 ");
  EXPECT_EQ((*parsed)[1].user.name, "bob");
  auto short_line = ParseTokenFile("t1,alice\n");
  ASSERT_FALSE(short_line.ok());
  EXPECT_NE(short_line.status().message().find("at least 3 columns"), std::string::npos);
}

// impersonation.go: each header is authorized with the `impersonate` verb; the impersonated user
// gets system:authenticated; ServiceAccounts get their fixed groups.
TEST_F(RbacTest, ImpersonationIsAuthorizedPerHeader) {
  HeaderValues as_bob = {{"impersonate-user", "bob"}};
  auto refused = Impersonate(alice_, as_bob, rbac_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, 403);
  EXPECT_EQ(refused.error().message,
            "users \"bob\" is forbidden: User \"alice\" cannot impersonate resource \"users\" in "
            "API group \"\" at the cluster scope");

  ClusterRole(
      "impersonate-bob",
      R"([{"apiGroups":[""],"resources":["users"],"verbs":["impersonate"],"resourceNames":["bob"]}])");
  ClusterRoleBinding("alice-as-bob", "impersonate-bob", R"([{"kind":"User","name":"alice"}])");
  auto bob = Impersonate(alice_, as_bob, rbac_);
  ASSERT_TRUE(bob.ok()) << bob.error().message;
  EXPECT_EQ(bob->name, "bob");
  EXPECT_EQ(bob->groups, (std::vector<std::string>{kAuthenticatedGroup}));

  HeaderValues with_group = {{"impersonate-user", "bob"}, {"impersonate-group", "ops"}};
  auto group_refused = Impersonate(alice_, with_group, rbac_);
  ASSERT_FALSE(group_refused.ok());
  EXPECT_EQ(group_refused.error().message,
            "groups \"ops\" is forbidden: User \"alice\" cannot impersonate resource \"groups\" "
            "in API group \"\" at the cluster scope");

  HeaderValues as_sa = {{"impersonate-user", "system:serviceaccount:ml:runner"}};
  auto sa_refused = Impersonate(alice_, as_sa, rbac_);
  ASSERT_FALSE(sa_refused.ok());
  EXPECT_EQ(sa_refused.error().message,
            "serviceaccounts \"runner\" is forbidden: User \"alice\" cannot impersonate resource "
            "\"serviceaccounts\" in API group \"\" in the namespace \"ml\"");
  auto admin_as_sa = Impersonate(AdminUser(), as_sa, rbac_);
  ASSERT_TRUE(admin_as_sa.ok());
  EXPECT_EQ(admin_as_sa->groups,
            (std::vector<std::string>{"system:serviceaccounts", "system:serviceaccounts:ml",
                                      kAuthenticatedGroup}));

  HeaderValues extra = {{"impersonate-user", "bob"}, {"impersonate-extra-scopes", "read"}};
  auto extra_refused = Impersonate(alice_, extra, rbac_);
  ASSERT_FALSE(extra_refused.ok());
  EXPECT_EQ(extra_refused.error().message,
            "userextras.authentication.k8s.io \"read\" is forbidden: User \"alice\" cannot "
            "impersonate resource \"userextras/scopes\" in API group \"authentication.k8s.io\" "
            "at the cluster scope");

  auto no_user = Impersonate(alice_, {{"impersonate-group", "ops"}}, rbac_);
  ASSERT_FALSE(no_user.ok());
  EXPECT_EQ(no_user.error().code, 500);
}

}  // namespace
}  // namespace mlgitops::kubesim
