// Tests of AppProject parsing and Argo CD's permission rules (app_project_types.go): source
// repos, destinations, kinds, source namespaces, manifests' namespaces, impersonation.
#include "project/app_project.h"

#include <gtest/gtest.h>

#include <string>

#include "object/yaml_loader.h"
#include "test_util.h"

namespace mlgitops {
namespace {

const char kTeamARepos[] = "  sourceRepos: ['https://git.example.com/team-a/*']\n";

AppProject ParseProjectOrDie(const std::string& spec_yaml) {
  auto objects = ParseManifests(
      "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\n"
      "metadata: {name: team-a, namespace: mlgitops}\nspec:\n" +
          spec_yaml,
      "project.yaml");
  EXPECT_TRUE(objects.ok()) << objects.status().message();
  auto project = ParseAppProject((*objects)[0]);
  EXPECT_TRUE(project.ok()) << project.status().message();
  return project.ok() ? *project : AppProject();
}

Application App(const std::string& repo, const std::string& server, const std::string& ns,
                const std::string& app_namespace = "mlgitops") {
  Application app;
  app.name = "fraud";
  app.namespace_ = app_namespace;
  app.project = "team-a";
  ApplicationSource source;
  source.repo_url = repo;
  app.sources.push_back(source);
  app.destination.server = server;
  app.destination.namespace_ = ns;
  return app;
}

Object Manifest(const std::string& yaml) {
  auto objects = ParseManifests(yaml, "m.yaml");
  EXPECT_TRUE(objects.ok()) << objects.status().message();
  return std::move((*objects)[0]);
}

const char kTeamA[] =
    R"(  sourceRepos: ['https://git.example.com/team-a/*', '!https://git.example.com/team-a/secret*']
  destinations:
  - {server: 'https://kubernetes.default.svc', namespace: 'team-a-*'}
  - {name: gpu-east, namespace: team-a-train}
  - {server: '*', namespace: '!kube-system'}
  namespaceResourceBlacklist: [{group: '', kind: ResourceQuota}]
  clusterResourceWhitelist: [{group: '', kind: Namespace}]
  sourceNamespaces: [team-a, 'team-a-*']
  destinationServiceAccounts:
  - {server: 'https://kubernetes.default.svc', namespace: 'team-a-*', defaultServiceAccount: deployer}
  - {server: '*', namespace: '*', defaultServiceAccount: 'mlgitops:fallback'}
)";

TEST(AppProjectRules, SourceReposAreGlobsWithNegationOverNormalizedUrls) {
  AppProject p = ParseProjectOrDie(kTeamA);
  EXPECT_TRUE(IsSourcePermitted(p, "https://git.example.com/team-a/models.git"));
  EXPECT_TRUE(IsSourcePermitted(p, "https://GIT.example.com/team-a/models/"));
  // A deny pattern that matches refuses, whatever else matches.
  EXPECT_FALSE(IsSourcePermitted(p, "https://git.example.com/team-a/secrets.git"));
  // Argo CD counts a deny pattern that does not match as a match: with one in the list, every
  // repo it does not name is permitted.
  EXPECT_TRUE(IsSourcePermitted(p, "https://git.example.com/team-b/models.git"));
  AppProject allow_only =
      ParseProjectOrDie("  sourceRepos: ['https://git.example.com/team-a/*']\n");
  EXPECT_FALSE(IsSourcePermitted(allow_only, "https://git.example.com/team-b/models.git"));
  // '/' separates: `*` stays within a path segment, `**` crosses.
  EXPECT_FALSE(IsSourcePermitted(allow_only, "https://git.example.com/team-a/sub/models.git"));
  AppProject deep = ParseProjectOrDie("  sourceRepos: ['https://git.example.com/team-a/**']\n");
  EXPECT_TRUE(IsSourcePermitted(deep, "https://git.example.com/team-a/sub/models.git"));
  // No sourceRepos: nothing is permitted.
  EXPECT_FALSE(IsSourcePermitted(ParseProjectOrDie("  destinations: []\n"), "https://x/y"));
}

TEST(AppProjectRules, DestinationsMatchServerOrNameAndNamespaceWithDenyEntries) {
  AppProject p = ParseProjectOrDie(kTeamA);
  ApplicationDestination in{"https://kubernetes.default.svc", "", "team-a-serving"};
  EXPECT_TRUE(IsDestinationPermitted(p, in));
  ApplicationDestination named{"", "gpu-east", "team-a-train"};
  EXPECT_TRUE(IsDestinationPermitted(p, named));
  ApplicationDestination other_name{"", "gpu-west", "team-a-train"};
  EXPECT_FALSE(IsDestinationPermitted(p, other_name));
  // The `*` server entry would allow any namespace, but its deny pattern excludes kube-system.
  ApplicationDestination system{"https://kubernetes.default.svc", "", "kube-system"};
  EXPECT_FALSE(IsDestinationPermitted(p, system));
  ApplicationDestination elsewhere{"https://other:6443", "", "team-b"};
  EXPECT_TRUE(IsDestinationPermitted(p, elsewhere));
}

TEST(AppProjectRules, ClusterScopedKindsNeedTheWhitelistAndBlacklistWins) {
  AppProject p = ParseProjectOrDie(kTeamA);
  EXPECT_TRUE(IsGroupKindPermitted(p, "", "Namespace", false));
  EXPECT_FALSE(IsGroupKindPermitted(p, "rbac.authorization.k8s.io", "ClusterRoleBinding", false));
  EXPECT_TRUE(IsGroupKindPermitted(p, "apps", "Deployment", true));  // no namespace whitelist
  EXPECT_FALSE(IsGroupKindPermitted(p, "", "ResourceQuota", true));
  // An empty cluster whitelist permits no cluster-scoped kind at all.
  AppProject bare = ParseProjectOrDie("  sourceRepos: ['*']\n");
  EXPECT_FALSE(IsGroupKindPermitted(bare, "", "Namespace", false));
  // A namespace whitelist given but empty permits no namespaced kind.
  AppProject none = ParseProjectOrDie("  namespaceResourceWhitelist: []\n");
  EXPECT_FALSE(IsGroupKindPermitted(none, "", "ConfigMap", true));
  AppProject blacklisted = ParseProjectOrDie(
      "  clusterResourceWhitelist: [{group: '*', kind: '*'}]\n"
      "  clusterResourceBlacklist: [{group: 'rbac.authorization.k8s.io', kind: '*'}]\n");
  EXPECT_TRUE(IsGroupKindPermitted(blacklisted, "", "Namespace", false));
  EXPECT_FALSE(
      IsGroupKindPermitted(blacklisted, "rbac.authorization.k8s.io", "ClusterRole", false));
}

TEST(AppProjectRules, AppsOutsideTheControlNamespaceNeedSourceNamespaces) {
  AppProject p = ParseProjectOrDie(kTeamA);
  EXPECT_TRUE(IsAppNamespacePermitted(p, App("", "", "", "mlgitops"), "mlgitops"));
  EXPECT_TRUE(IsAppNamespacePermitted(p, App("", "", "", "team-a-dev"), "mlgitops"));
  EXPECT_FALSE(IsAppNamespacePermitted(p, App("", "", "", "team-b"), "mlgitops"));
}

TEST(AppProjectRules, CheckApplicationSpecNamesTheRuleThatRefused) {
  AppProject p = ParseProjectOrDie(kTeamA);
  const std::string repo = "https://git.example.com/team-a/models.git";
  const std::string server = "https://kubernetes.default.svc";
  EXPECT_TRUE(CheckApplicationSpec(p, App(repo, server, "team-a-serving"), "mlgitops").ok());
  Status ns = CheckApplicationSpec(p, App(repo, server, "team-a-serving", "team-b"), "mlgitops");
  EXPECT_EQ(ns.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ns.message(),
            "application 'fraud' in namespace 'team-b' is not permitted to use project 'team-a' "
            "(its sourceNamespaces do not list 'team-b')");
  AppProject strict = ParseProjectOrDie(std::string(kTeamARepos) +
                                        "  destinations: [{server: '*', namespace: '*'}]\n");
  Status repo_refused = CheckApplicationSpec(
      strict, App("https://git.example.com/team-b/x.git", server, "team-a-serving"), "mlgitops");
  EXPECT_EQ(repo_refused.message(),
            "application repo https://git.example.com/team-b/x.git is not permitted in project "
            "'team-a'");
  Status dest = CheckApplicationSpec(p, App(repo, server, "kube-system"), "mlgitops");
  EXPECT_EQ(dest.message(),
            "application destination server 'https://kubernetes.default.svc' and namespace "
            "'kube-system' do not match any of the allowed destinations in project 'team-a'");
}

TEST(AppProjectRules, ManifestsAreCheckedForKindAndNamespace) {
  AppProject p = ParseProjectOrDie(kTeamA);
  Application app =
      App("https://git.example.com/team-a/m", "https://kubernetes.default.svc", "team-a-serving");
  ScopeLookup scope = [](const Object& o) -> std::optional<bool> {
    return o.kind() != "ClusterRoleBinding" && o.kind() != "Namespace";
  };
  std::vector<Object> ok;
  ok.push_back(Manifest("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"));
  ok.push_back(Manifest("apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a-x}\n"));
  EXPECT_TRUE(CheckManifests(p, app, ok, scope).ok());

  std::vector<Object> escalation;
  escalation.push_back(
      Manifest("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
               "metadata: {name: pwn}\n"));
  Status crb = CheckManifests(p, app, escalation, scope);
  EXPECT_EQ(crb.message(),
            "ClusterRoleBinding pwn: resource rbac.authorization.k8s.io:ClusterRoleBinding is not "
            "permitted in project 'team-a' (clusterResourceWhitelist/Blacklist)");

  std::vector<Object> elsewhere;
  elsewhere.push_back(
      Manifest("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: kube-system}\n"));
  Status pod = CheckManifests(p, app, elsewhere, scope);
  EXPECT_EQ(pod.message(),
            "Pod kube-system/p: namespace kube-system is not permitted in project 'team-a'");

  // A kind whose scope is unknown is placed by its manifest: with a namespace, namespaced.
  std::vector<Object> unknown;
  unknown.push_back(Manifest(
      "apiVersion: ml.io/v1\nkind: Widget\nmetadata: {name: w, namespace: kube-system}\n"));
  EXPECT_FALSE(CheckManifests(p, app, unknown, nullptr).ok());
}

TEST(AppProjectRules, ImpersonationTakesTheFirstMatchingServiceAccount) {
  AppProject p = ParseProjectOrDie(kTeamA);
  auto user = ImpersonationUserFor(p, {"https://kubernetes.default.svc", "", "team-a-serving"});
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(*user, "system:serviceaccount:team-a-serving:deployer");
  auto fallback = ImpersonationUserFor(p, {"https://other:6443", "", "x"});
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ(*fallback, "system:serviceaccount:mlgitops:fallback");
  AppProject none = ParseProjectOrDie("  sourceRepos: ['*']\n");
  auto refused = ImpersonationUserFor(none, {"https://kubernetes.default.svc", "", "x"});
  EXPECT_EQ(refused.status().code(), Status::Code::kNotFound);
}

TEST(AppProjectParse, BadFieldsAreNamed) {
  auto objects = ParseManifests(
      "apiVersion: mlgitops.io/v1alpha1\nkind: AppProject\nmetadata: {name: p, namespace: m}\n"
      "spec:\n  sourceRepos: '*'\n",
      "p.yaml");
  ASSERT_TRUE(objects.ok());
  auto p = ParseAppProject((*objects)[0]);
  EXPECT_EQ(p.status().message(),
            "p.yaml (document 1): AppProject m/p: spec.sourceRepos: expected a list");
  objects = ParseManifests(
      "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: p}\n"
      "spec:\n  syncWindows: [{kind: sometimes}]\n  clusterResourceWhitelist: [{group: x}]\n",
      "p.yaml");
  ASSERT_TRUE(objects.ok());
  p = ParseAppProject((*objects)[0]);
  EXPECT_NE(p.status().message().find("spec.clusterResourceWhitelist[0].kind: must not be empty"),
            std::string::npos)
      << p.status().message();
  objects = ParseManifests(
      "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: p}\n"
      "spec:\n  sourceRepos: ['[abc']\n",
      "p.yaml");
  ASSERT_TRUE(objects.ok());
  p = ParseAppProject((*objects)[0]);
  EXPECT_NE(p.status().message().find("spec.sourceRepos[0]"), std::string::npos)
      << p.status().message();
}

}  // namespace
}  // namespace mlgitops
