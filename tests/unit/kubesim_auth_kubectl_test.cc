// Authentication, RBAC, impersonation and access reviews in kubesim, driven by the real kubectl:
// each expectation is what kubectl prints (and its exit code) against kube-apiserver with RBAC.
// Users: the kubeconfig's admin (system:masters), static tokens (--token-auth-file), a client
// certificate (--client-ca-file; CN user, O groups) and a TokenRequest ServiceAccount token.
#include <gtest/gtest.h>

#include <string>

#include "kubesim/launcher.h"
#include "kubesim_test_util.h"
#include "test_tls.h"
#include "test_util.h"

namespace mlgitops::kubesim {
namespace {

using mlgitops::testing::RunCommand;
using mlgitops::testing::TempDir;

class KubesimAuthKubectlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ca_ = new mlgitops::testing::TestCa("kubesim-client-ca");
    dir_->Write("tokens.csv", "alice-token,alice,1001,\"devs\"\nbob-token,bob,1002\n");
    dir_->Write("client-ca.pem", ca_->cert_pem());
    mlgitops::testing::KeyPair carol = ca_->IssueClient("carol", {"viewers"});
    dir_->Write("carol.crt", carol.cert_pem);
    dir_->Write("carol.key", carol.key_pem);
    LaunchOptions options;
    options.binary = mlgitops::testing::BinDir() + "/kubesim";
    options.work_dir = dir_->path();
    options.extra_args = {"--token-auth-file", dir_->path() + "/tokens.csv", "--client-ca-file",
                          dir_->path() + "/client-ca.pem"};
    auto started = KubesimProcess::Start(options);
    if (started.ok()) process_ = started->release();
  }

  static void TearDownTestSuite() {
    if (process_) {
      EXPECT_EQ(process_->Stop(), 0);
    }
    delete process_;
    process_ = nullptr;
    delete ca_;
    ca_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(process_, nullptr) << "kubesim not started";
    ASSERT_EQ(RunCommand("command -v kubectl", nullptr), 0) << "kubectl is not on PATH";
    ns_ = "auth-" + std::to_string(++counter_);
    ASSERT_EQ(Admin("create namespace " + ns_), 0);
  }

  static std::string Prefix() {
    return "kubectl --kubeconfig " + process_->kubeconfig_path() + " --cache-dir " + dir_->path() +
           "/cache ";
  }
  int Admin(const std::string& args, std::string* out = nullptr) {
    std::string sink;
    return RunCommand(Prefix() + args, out ? out : &sink, true);
  }
  int As(const std::string& token, const std::string& args, std::string* out) {
    return RunCommand(Prefix() + "--token " + token + " " + args, out, true);
  }
  /// kubectl with a kubeconfig holding only carol's client certificate (no token).
  int AsCarol(const std::string& args, std::string* out) {
    std::string path = dir_->Write(
        "carol.kubeconfig",
        "apiVersion: v1\nkind: Config\nclusters:\n- name: kubesim\n  cluster:\n    server: " +
            process_->server() + "\n    certificate-authority: " + process_->ca_path() +
            "\nusers:\n- name: carol\n  user:\n    client-certificate: " + dir_->path() +
            "/carol.crt\n    client-key: " + dir_->path() +
            "/carol.key\ncontexts:\n- name: c\n  context: {cluster: kubesim, user: carol}\n"
            "current-context: c\n");
    return RunCommand(
        "kubectl --kubeconfig " + path + " --cache-dir " + dir_->path() + "/cache " + args, out,
        true);
  }
  int Apply(const std::string& yaml) {
    std::string path = dir_->Write("m-" + std::to_string(++files_) + ".yaml", yaml);
    std::string out;
    int code = Admin("apply -f " + path, &out);
    EXPECT_EQ(code, 0) << out;
    return code;
  }
  std::string Sub(std::string text) const {
    for (size_t at = text.find("NS"); at != std::string::npos; at = text.find("NS", at + 1)) {
      text.replace(at, 2, ns_);
    }
    return text;
  }
  void GrantAliceConfigMapReader() {
    Apply(
        Sub("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: cm-reader, "
            "namespace: NS}\nrules: [{apiGroups: [''], resources: [configmaps], verbs: [get, "
            "list]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: "
            "{name: alice-cm, namespace: NS}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: "
            "Role, name: cm-reader}\nsubjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, "
            "name: alice}]\n"));
  }

  static TempDir* dir_;
  static mlgitops::testing::TestCa* ca_;
  static KubesimProcess* process_;
  static int counter_;
  static int files_;
  std::string ns_;
};

TempDir* KubesimAuthKubectlTest::dir_ = nullptr;
mlgitops::testing::TestCa* KubesimAuthKubectlTest::ca_ = nullptr;
KubesimProcess* KubesimAuthKubectlTest::process_ = nullptr;
int KubesimAuthKubectlTest::counter_ = 0;
int KubesimAuthKubectlTest::files_ = 0;

// SelfSubjectAccessReview answered by RBAC: kubectl prints yes (exit 0) or no (exit 1).
TEST_F(KubesimAuthKubectlTest, CanIAnswersFromRbacWithExitCodes) {
  GrantAliceConfigMapReader();
  std::string out;
  EXPECT_EQ(As("alice-token", "auth can-i list configmaps -n " + ns_, &out), 0) << out;
  EXPECT_EQ(out, "yes\n");
  EXPECT_EQ(As("alice-token", "auth can-i create configmaps -n " + ns_, &out), 1) << out;
  EXPECT_EQ(out, "no\n");
  EXPECT_EQ(As("alice-token", "auth can-i list configmaps -n default", &out), 1) << out;
  EXPECT_EQ(Admin("auth can-i '*' '*' --all-namespaces", &out), 0) << out;
  EXPECT_EQ(out, "yes\n");
}

// SelfSubjectRulesReview: `can-i --list` shows the bound rules plus system:basic-user's.
TEST_F(KubesimAuthKubectlTest, CanIListShowsTheRules) {
  GrantAliceConfigMapReader();
  std::string out;
  ASSERT_EQ(As("alice-token", "auth can-i --list -n " + ns_, &out), 0) << out;
  EXPECT_NE(out.find("configmaps "), std::string::npos) << out;
  EXPECT_NE(out.find("[get list]"), std::string::npos) << out;
  EXPECT_NE(out.find("selfsubjectaccessreviews.authorization.k8s.io"), std::string::npos) << out;
  EXPECT_NE(out.find("[/api/*]"), std::string::npos) << "system:discovery: " << out;
}

// SelfSubjectReview (authentication.k8s.io/v1): who the credentials are.
TEST_F(KubesimAuthKubectlTest, WhoamiForTokenCertificateAndAdmin) {
  std::string out;
  ASSERT_EQ(As("alice-token", "auth whoami", &out), 0) << out;
  EXPECT_NE(out.find("alice\n"), std::string::npos) << out;
  EXPECT_NE(out.find("[devs system:authenticated]"), std::string::npos) << out;
  ASSERT_EQ(AsCarol("auth whoami", &out), 0) << out;
  EXPECT_NE(out.find("carol\n"), std::string::npos) << out;
  EXPECT_NE(out.find("[viewers system:authenticated]"), std::string::npos) << out;
  ASSERT_EQ(Admin("auth whoami", &out), 0) << out;
  EXPECT_NE(out.find("kubesim-admin"), std::string::npos) << out;
  EXPECT_NE(out.find("[system:masters system:authenticated]"), std::string::npos) << out;
  // A rejected token is a 401 Status; kubectl words it by the request that met it first: the
  // Status message when discovery is cached ("Unauthorized"), client-go's generic text for the
  // 401 of an uncached aggregated-discovery request. Both are what a real server gets.
  EXPECT_EQ(As("not-a-token", "get pods", &out), 1);
  bool unauthorized =
      out.find("error: You must be logged in to the server (Unauthorized)") != std::string::npos ||
      out.find(
          "error: You must be logged in to the server (the server has asked for the client "
          "to provide credentials)") != std::string::npos;
  EXPECT_TRUE(unauthorized) << out;
}

// responsewriters.forbiddenMessage: list, named get, create, cluster scope.
TEST_F(KubesimAuthKubectlTest, ForbiddenMessagesForALimitedTokenUser) {
  GrantAliceConfigMapReader();
  std::string out;
  EXPECT_EQ(As("alice-token", "get secrets -n " + ns_, &out), 1);
  EXPECT_EQ(out,
            "Error from server (Forbidden): secrets is forbidden: User \"alice\" cannot list "
            "resource \"secrets\" in API group \"\" in the namespace \"" +
                ns_ + "\"\n");
  EXPECT_EQ(As("alice-token", "get deployment web -n " + ns_, &out), 1);
  EXPECT_EQ(out,
            "Error from server (Forbidden): deployments.apps \"web\" is forbidden: User "
            "\"alice\" cannot get resource \"deployments\" in API group \"apps\" in the "
            "namespace \"" +
                ns_ + "\"\n");
  EXPECT_EQ(As("alice-token", "create configmap c -n " + ns_, &out), 1);
  EXPECT_EQ(out,
            "error: failed to create configmap: configmaps is forbidden: User \"alice\" "
            "cannot create resource \"configmaps\" in API group \"\" in the namespace \"" +
                ns_ + "\"\n");
  EXPECT_EQ(As("alice-token", "get namespaces", &out), 1);
  EXPECT_EQ(out,
            "Error from server (Forbidden): namespaces is forbidden: User \"alice\" cannot "
            "list resource \"namespaces\" in API group \"\" at the cluster scope\n");
  EXPECT_EQ(As("alice-token", "get configmaps -n " + ns_, &out), 0) << out;
}

// x509 authenticator: CN is the user, O the groups; the view ClusterRole (aggregated) reads
// Deployments but never Secrets.
TEST_F(KubesimAuthKubectlTest, ClientCertificateUserBoundToView) {
  Apply(
      Sub("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: "
          "viewers, namespace: NS}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: "
          "ClusterRole, name: view}\nsubjects: [{apiGroup: rbac.authorization.k8s.io, kind: "
          "Group, name: viewers}]\n"));
  std::string out;
  EXPECT_EQ(AsCarol("get deployments -n " + ns_, &out), 0) << out;
  EXPECT_EQ(AsCarol("get secrets -n " + ns_, &out), 1);
  EXPECT_EQ(out,
            "Error from server (Forbidden): secrets is forbidden: User \"carol\" cannot list "
            "resource \"secrets\" in API group \"\" in the namespace \"" +
                ns_ + "\"\n");
}

// impersonation.go: --as needs `impersonate` on users, --as-group on groups.
TEST_F(KubesimAuthKubectlTest, ImpersonationAllowedAndRefused) {
  GrantAliceConfigMapReader();
  std::string out;
  EXPECT_EQ(Admin("auth can-i list configmaps -n " + ns_ + " --as alice", &out), 0) << out;
  EXPECT_EQ(out, "yes\n");
  EXPECT_EQ(Admin("auth can-i list secrets -n " + ns_ + " --as alice", &out), 1) << out;
  EXPECT_EQ(As("alice-token", "get configmaps -n " + ns_ + " --as bob", &out), 1);
  EXPECT_EQ(out,
            "Error from server (Forbidden): users \"bob\" is forbidden: User \"alice\" "
            "cannot impersonate resource \"users\" in API group \"\" at the cluster scope\n");
  Apply(
      Sub("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: "
          "NS-as-bob}\nrules: [{apiGroups: [''], resources: [users], verbs: [impersonate], "
          "resourceNames: [bob]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: "
          "ClusterRoleBinding\nmetadata: {name: NS-as-bob}\nroleRef: {apiGroup: "
          "rbac.authorization.k8s.io, kind: ClusterRole, name: NS-as-bob}\nsubjects: "
          "[{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]\n"));
  EXPECT_EQ(As("alice-token", "get configmaps -n " + ns_ + " --as bob", &out), 1);
  EXPECT_EQ(out,
            "Error from server (Forbidden): configmaps is forbidden: User \"bob\" cannot "
            "list resource \"configmaps\" in API group \"\" in the namespace \"" +
                ns_ + "\"\n");
  EXPECT_EQ(As("alice-token", "get configmaps -n " + ns_ + " --as bob --as-group ops", &out), 1);
  EXPECT_EQ(out,
            "Error from server (Forbidden): groups \"ops\" is forbidden: User \"alice\" "
            "cannot impersonate resource \"groups\" in API group \"\" at the cluster scope\n");
}

// policybased storage: ConfirmNoEscalation unless `escalate`; BindingAuthorized (`bind`) or the
// bound role's rules held.
TEST_F(KubesimAuthKubectlTest, EscalationAndBindRefusals) {
  Apply(Sub(
      "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: rbac-writer, "
      "namespace: NS}\nrules: [{apiGroups: [rbac.authorization.k8s.io], resources: [roles, "
      "rolebindings], verbs: [create, get, list]}]\n---\napiVersion: "
      "rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: alice-rbac, namespace: "
      "NS}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: rbac-writer}\n"
      "subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}]\n---\n"
      "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: "
      "NS-secret-reader}\nrules: [{apiGroups: [''], resources: [secrets], verbs: [get, "
      "list]}]\n"));
  std::string out;
  EXPECT_EQ(As("alice-token", "create role sr --verb=get --resource=secrets -n " + ns_, &out), 1);
  EXPECT_EQ(out,
            "Error from server (Forbidden): roles.rbac.authorization.k8s.io \"sr\" is "
            "forbidden: user \"alice\" (groups=[\"devs\" \"system:authenticated\"]) is "
            "attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], "
            "Resources:[\"secrets\"], Verbs:[\"get\"]}\n");
  EXPECT_EQ(
      As("alice-token",
         "create rolebinding b --clusterrole=" + ns_ + "-secret-reader --user=alice -n " + ns_,
         &out),
      1);
  EXPECT_EQ(out,
            "error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io "
            "\"b\" is forbidden: user \"alice\" (groups=[\"devs\" \"system:authenticated\"]) "
            "is attempting to grant RBAC permissions not currently held:\n{APIGroups:[\"\"], "
            "Resources:[\"secrets\"], Verbs:[\"get\" \"list\"]}\n");
  // With `bind` on that ClusterRole the binding goes through.
  Apply(
      Sub("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: binder, "
          "namespace: NS}\nrules: [{apiGroups: [rbac.authorization.k8s.io], resources: "
          "[clusterroles], verbs: [bind], resourceNames: [NS-secret-reader]}]\n---\n"
          "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: "
          "alice-binder, namespace: NS}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: "
          "Role, name: binder}\nsubjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, "
          "name: alice}]\n"));
  EXPECT_EQ(
      As("alice-token",
         "create rolebinding b --clusterrole=" + ns_ + "-secret-reader --user=alice -n " + ns_,
         &out),
      0)
      << out;
  EXPECT_EQ(As("alice-token", "auth can-i get secrets -n " + ns_, &out), 0) << out;
}

// The clusterrole aggregation controller fills and refills an aggregated role's rules.
TEST_F(KubesimAuthKubectlTest, AggregatedClusterRoleFollowsLabelledRoles) {
  Apply(Sub(
      "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: NS-agg}\n"
      "aggregationRule:\n  clusterRoleSelectors: [{matchLabels: {mlgitops.io/aggregate-to: NS}}]\n"
      "rules: []\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: "
      "{name: bob-agg, namespace: NS}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: "
      "ClusterRole, name: NS-agg}\nsubjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, "
      "name: bob}]\n"));
  std::string out;
  EXPECT_EQ(As("bob-token", "auth can-i list jobs.batch -n " + ns_, &out), 1) << out;
  Apply(
      Sub("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: "
          "NS-jobs\n  labels: {mlgitops.io/aggregate-to: NS}\nrules: [{apiGroups: [batch], "
          "resources: [jobs], verbs: [list]}]\n"));
  EXPECT_EQ(As("bob-token", "auth can-i list jobs.batch -n " + ns_, &out), 0) << out;
  EXPECT_EQ(Admin("get clusterrole " + ns_ + "-agg -o jsonpath={.rules[0].resources}", &out), 0);
  EXPECT_EQ(out, "[\"jobs\"]");
  EXPECT_EQ(Admin("delete clusterrole " + ns_ + "-jobs"), 0);
  EXPECT_EQ(As("bob-token", "auth can-i list jobs.batch -n " + ns_, &out), 1) << out;
}

// TokenRequest tokens authenticate as system:serviceaccount:NS:NAME, limited by its bindings.
TEST_F(KubesimAuthKubectlTest, ServiceAccountTokenLimitedByItsRoleBinding) {
  GrantAliceConfigMapReader();
  Apply(
      Sub("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: runner, namespace: NS}\n---\n"
          "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: "
          "runner-cm, namespace: NS}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, "
          "name: cm-reader}\nsubjects: [{kind: ServiceAccount, name: runner}]\n"));
  std::string token;
  ASSERT_EQ(Admin("create token runner -n " + ns_, &token), 0) << token;
  while (!token.empty() && token.back() == '\n') token.pop_back();
  std::string out;
  EXPECT_EQ(As(token, "get configmaps -n " + ns_, &out), 0) << out;
  EXPECT_EQ(As(token, "get secrets -n " + ns_, &out), 1);
  EXPECT_EQ(out,
            "Error from server (Forbidden): secrets is forbidden: User "
            "\"system:serviceaccount:" +
                ns_ +
                ":runner\" cannot list resource \"secrets\" in "
                "API group \"\" in the namespace \"" +
                ns_ + "\"\n");
}

// No credential kube-apiserver reads: basic auth (still in kubeconfig, sent as a Basic header) has
// no authenticator since 1.19, so the anonymous one (--anonymous-auth defaults to true) makes the
// request system:anonymous; system:public-info-viewer lets it read /version, RBAC refuses the rest
// with 403 (not 401, which is for a credential that fails). An empty user would make kubectl
// prompt for a username instead.
TEST_F(KubesimAuthKubectlTest, NoCredentialIsSystemAnonymous) {
  std::string path = dir_->Write(
      "anonymous.kubeconfig",
      "apiVersion: v1\nkind: Config\nclusters:\n- name: kubesim\n  cluster:\n    server: " +
          process_->server() + "\n    certificate-authority: " + process_->ca_path() +
          "\nusers:\n- name: nobody\n  user: {username: nobody, password: secret}\ncontexts:\n- "
          "name: c\n  context: {cluster: "
          "kubesim, user: nobody}\ncurrent-context: c\n");
  std::string kubectl = "kubectl --kubeconfig " + path + " --cache-dir " + dir_->path() + "/cache ";
  std::string out;
  EXPECT_EQ(RunCommand(kubectl + "get --raw /version", &out, true), 0) << out;
  EXPECT_NE(out.find("\"gitVersion\""), std::string::npos) << out;
  EXPECT_EQ(RunCommand(kubectl + "get --raw /api/v1/namespaces", &out, true), 1) << out;
  EXPECT_NE(out.find("Error from server (Forbidden): namespaces is forbidden: User "
                     "\"system:anonymous\" cannot list resource \"namespaces\" in API group \"\" "
                     "at the cluster scope"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace mlgitops::kubesim
