// Attacks on the tenancy boundary, on kubesim with RBAC on: a team that may only create
// Applications tries to reach past its AppProject. Each attack must end in a clear condition on
// the app, and the audit log must show that nothing of it was written.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/memory_terminal.h"
#include "health/assessor.h"
#include "kube/client.h"
#include "kube/errors.h"
#include "kubesim/launcher.h"
#include "kubesim_test_util.h"
#include "object/clock.h"
#include "project/project_store.h"
#include "source/render.h"
#include "sync/controller.h"
#include "sync/tracking.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using kubesim::testing::JsonLines;
using mlgitops::testing::ParseOne;
using mlgitops::testing::TempDir;

constexpr int64_t kNow = 1'700'000'000;
const GroupVersionKind kApplication{"mlgitops.io", "v1alpha1", "Application"};

// Team A may deploy from its own repos into its own namespaces, namespaced kinds only, and
// its Applications may live in team-a; project `shared` lets both teams share one namespace.
constexpr char kProjects[] = R"(apiVersion: mlgitops.io/v1alpha1
kind: AppProject
metadata: {name: team-a, namespace: mlgitops}
spec:
  sourceRepos: ['https://git.example.com/team-a/*']
  destinations: [{server: 'https://kubernetes.default.svc', namespace: 'team-a'}]
  sourceNamespaces: [team-a]
---
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: shared, namespace: mlgitops}
spec:
  sourceRepos: ['*']
  destinations: [{server: 'https://kubernetes.default.svc', namespace: 'shared-ns'}]
  sourceNamespaces: [team-a, team-b]
---
apiVersion: mlgitops.io/v1alpha1
kind: AppProject
metadata: {name: team-imp, namespace: mlgitops}
spec:
  sourceRepos: ['*']
  destinations: [{server: 'https://kubernetes.default.svc', namespace: imp}]
  sourceNamespaces: [team-a]
  destinationServiceAccounts:
  - {server: 'https://kubernetes.default.svc', namespace: imp, defaultServiceAccount: deployer}
---
apiVersion: mlgitops.io/v1alpha1
kind: AppProject
metadata: {name: frozen, namespace: mlgitops}
spec:
  sourceRepos: ['*']
  destinations: [{server: '*', namespace: frozen}]
  sourceNamespaces: [team-a]
  syncWindows:
  - {kind: deny, schedule: '* * * * *', duration: 1h, applications: ['*']}
  - {kind: allow, schedule: '0 6 * * *', duration: 1h, applications: ['manual-*'], manualSync: true}
---
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: watched, namespace: mlgitops}
spec:
  sourceRepos: ['*']
  destinations: [{server: '*', namespace: orphans}]
  sourceNamespaces: [team-a]
  orphanedResources:
    warn: true
    ignore: [{kind: Secret}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: deployer, namespace: imp}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: imp}
rules:
- {apiGroups: [''], resources: [configmaps], verbs: ['*']}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployer, namespace: imp}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects: [{kind: ServiceAccount, name: deployer, namespace: imp}]
)";

class TenancyAttackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    kubesim::LaunchOptions options;
    options.binary = mlgitops::testing::BinDir() + "/kubesim";
    options.work_dir = dir_->path();
    options.audit_log = "audit.log";
    auto started = kubesim::KubesimProcess::Start(options);
    if (!started.ok()) return Fail("kubesim: " + started.status().message());
    process_ = started->release();
    auto connected = process_->Connect();
    if (!connected.ok()) return Fail(connected.status().message());
    admin_ = connected->release();
    std::string setup = mlgitops::testing::ReadFile(mlgitops::testing::SourceDir() +
                                                    "/manifests/crds/application.yaml") +
                        "\n---\n" +
                        mlgitops::testing::ReadFile(mlgitops::testing::SourceDir() +
                                                    "/manifests/crds/appproject.yaml") +
                        "\n---\n" +
                        mlgitops::testing::ReadFile(mlgitops::testing::SourceDir() +
                                                    "/tests/fixtures/kubesim/argo-crds.yaml");
    for (const char* ns :
         {"mlgitops", "team-a", "team-b", "shared-ns", "kube-system", "imp", "frozen", "orphans"}) {
      setup +=
          std::string("\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ") + ns + "}\n";
    }
    setup += std::string("\n---\n") + kProjects;
    auto objects = ParseManifests(setup, "setup");
    if (!objects.ok()) return Fail(objects.status().message());
    for (const Object& o : *objects) {
      auto applied = admin_->Apply(o, ApplyOptions());
      if (!applied.ok()) return Fail(o.kind() + " " + o.name() + ": " + applied.status().message());
    }
  }

  static void Fail(const std::string& why) { error_ = new std::string(why); }

  static void TearDownTestSuite() {
    kubesim::testing::StopSuiteKubesim(&process_, &admin_);
    delete error_;
    error_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override { ASSERT_EQ(error_, nullptr) << *error_; }

  /// An Application CR in `ns` whose Git path renders `manifests`.
  void PutApp(const std::string& ns, const std::string& name, const std::string& project,
              const std::string& repo, const std::string& dest_ns, const std::string& manifests,
              const std::string& sync_policy = "{automated: {prune: true}}") {
    manifests_[ns + "/" + name] = manifests;
    std::string yaml =
        "apiVersion: mlgitops.io/v1alpha1\nkind: Application\nmetadata: {name: " + name +
        ", namespace: " + ns + "}\nspec:\n  project: " + project + "\n  source: {repoURL: '" +
        repo + "', path: app}\n" +
        "  destination: {server: 'https://kubernetes.default.svc', namespace: " + dest_ns +
        "}\n  syncPolicy: " + sync_policy + "\n";
    auto applied = admin_->Apply(ParseOne(yaml), ApplyOptions());
    ASSERT_TRUE(applied.ok()) << applied.status().message();
  }

  /// One controller pass over every namespace, rendering from manifests_.
  std::vector<AppReconcileReport> Pass(bool require_impersonation = false,
                                       KubeClient* as = nullptr) {
    ControllerOptions options;
    options.require_impersonation = require_impersonation;
    options.control_namespace = "mlgitops";
    options.sync.wave_timeout = std::chrono::seconds(5);
    options.sync.poll_interval = std::chrono::milliseconds(50);
    options.sleep = [](std::chrono::milliseconds) {};
    options.log = [this](const std::string& line) { log_ += line + "\n"; };
    RenderFn render = [this](const Application& app,
                             const std::string&) -> Result<DesiredManifests> {
      rendered_.insert(app.namespace_ + "/" + app.name);
      auto objects = ParseManifests(manifests_[app.namespace_ + "/" + app.name], "app");
      if (!objects.ok()) return objects.status();
      ApplyDestinationNamespace(app.destination.namespace_, {}, &*objects);
      return DesiredManifests{std::move(*objects), {"rev-1"}};
    };
    Controller controller(as ? *as : *admin_, render, assessor_, DefaultConventions(), clock_,
                          options);
    auto reports = controller.ReconcileOnce();
    EXPECT_TRUE(reports.ok()) << reports.status().message();
    return reports.ok() ? std::move(*reports) : std::vector<AppReconcileReport>();
  }

  std::string Condition(const std::string& ns, const std::string& app, const std::string& type) {
    auto cr = admin_->Get(ObjectKey{kApplication, ns, app});
    EXPECT_TRUE(cr.ok()) << cr.status().message();
    if (!cr.ok()) return "";
    const JsonValue* conditions = Find(cr->json(), "status.conditions");
    if (!conditions || !conditions->IsArray()) return "";
    for (const JsonValue& c : conditions->GetArray()) {
      if (GetString(c, "type") == type) return GetString(c, "message");
    }
    return "";
  }

  /// The writes (create/update/patch/delete that succeeded, dry runs left out) the audit log
  /// records for `resource`, optionally only in namespace `ns` or of object `name`.
  static std::vector<std::string> Writes(const std::string& resource, const std::string& ns = "",
                                         const std::string& name = "") {
    std::vector<std::string> out;
    for (const Object& line : JsonLines(mlgitops::testing::ReadFile(dir_->path() + "/audit.log"))) {
      std::string verb = GetString(line.json(), "verb");
      if (verb != "create" && verb != "update" && verb != "patch" && verb != "delete") continue;
      // Dry runs and refused requests write nothing.
      if (GetString(line.json(), "uri").find("dryRun=") != std::string::npos) continue;
      if (GetInt(line.json(), "code").value_or(0) >= 300) continue;
      if (GetString(line.json(), "resource") != resource) continue;
      if (!ns.empty() && GetString(line.json(), "namespace") != ns) continue;
      if (!name.empty() && GetString(line.json(), "name") != name) continue;
      out.push_back(verb + " " + GetString(line.json(), "namespace") + "/" +
                    GetString(line.json(), "name"));
    }
    return out;
  }

  /// "verb namespace/name as USER" of every audit record for `resource` named `name`.
  static std::vector<std::string> ActsOn(const std::string& resource, const std::string& name) {
    std::vector<std::string> out;
    for (const Object& line : JsonLines(mlgitops::testing::ReadFile(dir_->path() + "/audit.log"))) {
      if (GetString(line.json(), "resource") != resource ||
          GetString(line.json(), "name") != name) {
        continue;
      }
      std::string as = GetString(line.json(), "impersonatedUser");
      out.push_back(GetString(line.json(), "verb") + " " +
                    std::to_string(GetInt(line.json(), "code").value_or(0)) + " as " +
                    (as.empty() ? GetString(line.json(), "user") : as));
    }
    return out;
  }

  /// Applies what the real `kubectl kustomize SOURCE_DIR/dir` renders (webhook configurations
  /// left out: no webhook answers behind them here) and connects as the ServiceAccount
  /// `ns`/`account` it creates; null with `*error` set when a step fails.
  std::unique_ptr<HttpKubeClient> InstallAndConnectAs(const std::string& dir, const std::string& ns,
                                                      const std::string& account,
                                                      std::string* rendered, std::string* error) {
    if (mlgitops::testing::RunCommand(
            "kubectl kustomize " + mlgitops::testing::SourceDir() + "/" + dir, rendered, true) !=
        0) {
      *error = "kubectl kustomize: " + *rendered;
      return nullptr;
    }
    auto objects = ParseManifests(*rendered, dir);
    if (!objects.ok()) {
      *error = objects.status().message();
      return nullptr;
    }
    for (const Object& o : *objects) {
      if (o.kind().find("WebhookConfiguration") != std::string::npos) continue;
      auto applied = admin_->Apply(o, ApplyOptions());
      if (!applied.ok()) {
        *error = o.kind() + " " + o.name() + ": " + applied.status().message();
        return nullptr;
      }
    }
    kubesim::HttpResult issued = process_->Request(
        "POST", "/api/v1/namespaces/" + ns + "/serviceaccounts/" + account + "/token", "{}");
    if (issued.status != 201) {
      *error = "TokenRequest: " + issued.body;
      return nullptr;
    }
    auto client = process_->ConnectAs(
        GetString(kubesim::testing::ParseOrFail(issued.body).json(), "status.token"));
    if (!client.ok()) {
      *error = client.status().message();
      return nullptr;
    }
    return std::move(*client);
  }

  static TempDir* dir_;
  static kubesim::KubesimProcess* process_;
  static HttpKubeClient* admin_;
  static std::string* error_;

  std::map<std::string, std::string> manifests_;
  std::set<std::string> rendered_;
  HealthAssessor assessor_;
  FixedClock clock_{kNow};
  std::string log_;
};

TempDir* TenancyAttackTest::dir_ = nullptr;
kubesim::KubesimProcess* TenancyAttackTest::process_ = nullptr;
HttpKubeClient* TenancyAttackTest::admin_ = nullptr;
std::string* TenancyAttackTest::error_ = nullptr;

const char kTeamARepo[] = "https://git.example.com/team-a/models.git";

// Attack: a ClusterRoleBinding to cluster-admin from a project without cluster-scoped kinds.
TEST_F(TenancyAttackTest, ClusterScopedKindsOutsideTheWhitelistAreRefused) {
  PutApp("team-a", "escalate", "team-a", kTeamARepo, "team-a",
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: innocent}\n---\n"
         "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
         "metadata: {name: team-a-admin}\n"
         "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n"
         "subjects: [{kind: Group, name: team-a, apiGroup: rbac.authorization.k8s.io}]\n");
  Pass();
  EXPECT_EQ(Condition("team-a", "escalate", "InvalidSpecError"),
            "ClusterRoleBinding team-a-admin: resource rbac.authorization.k8s.io:"
            "ClusterRoleBinding is not permitted in project 'team-a' "
            "(clusterResourceWhitelist/Blacklist)")
      << log_;
  EXPECT_EQ(Writes("clusterrolebindings", "", "team-a-admin"), std::vector<std::string>());
  // Nothing of the app is applied, not even its permitted objects.
  EXPECT_EQ(Writes("configmaps", "team-a", "innocent"), std::vector<std::string>());
}

// Attack: a privileged Pod in kube-system, by naming the namespace in the manifest.
TEST_F(TenancyAttackTest, ObjectsNamingANamespaceOutsideTheProjectAreRefused) {
  PutApp("team-a", "sneak", "team-a", kTeamARepo, "team-a",
         "apiVersion: v1\nkind: Pod\nmetadata: {name: miner, namespace: kube-system}\n"
         "spec: {containers: [{name: m, image: miner, securityContext: {privileged: true}}]}\n");
  Pass();
  EXPECT_EQ(Condition("team-a", "sneak", "InvalidSpecError"),
            "Pod kube-system/miner: namespace kube-system is not permitted in project 'team-a'");
  EXPECT_EQ(Writes("pods", "kube-system"), std::vector<std::string>());
}

// Attack: an app whose destination is another team's namespace.
TEST_F(TenancyAttackTest, DestinationsOutsideTheProjectAreRefused) {
  PutApp("team-a", "elsewhere", "team-a", kTeamARepo, "team-b",
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: overwrite-b}\n");
  Pass();
  EXPECT_EQ(Condition("team-a", "elsewhere", "InvalidSpecError"),
            "application destination server 'https://kubernetes.default.svc' and namespace "
            "'team-b' do not match any of the allowed destinations in project 'team-a'");
  EXPECT_EQ(Writes("configmaps", "team-b"), std::vector<std::string>());
}

// Attack: a repository the project does not list is never fetched or rendered.
TEST_F(TenancyAttackTest, ReposOutsideSourceReposAreNeverRendered) {
  PutApp("team-a", "foreign", "team-a", "https://git.example.com/team-b/secrets.git", "team-a",
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-b}\n");
  Pass();
  EXPECT_EQ(Condition("team-a", "foreign", "InvalidSpecError"),
            "application repo https://git.example.com/team-b/secrets.git is not permitted in "
            "project 'team-a'");
  EXPECT_EQ(rendered_.count("team-a/foreign"), 0u);
  EXPECT_EQ(Writes("configmaps", "team-a", "from-b"), std::vector<std::string>());
}

// Attack: team B creates an Application that names team A's project.
TEST_F(TenancyAttackTest, AppsOutsideTheProjectsSourceNamespacesAreRefused) {
  PutApp("team-b", "borrow", "team-a", kTeamARepo, "team-a",
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: borrowed}\n");
  Pass();
  EXPECT_EQ(Condition("team-b", "borrow", "InvalidSpecError"),
            "application 'borrow' in namespace 'team-b' is not permitted to use project 'team-a' "
            "(its sourceNamespaces do not list 'team-b')");
  EXPECT_EQ(Writes("configmaps", "team-a", "borrowed"), std::vector<std::string>());
}

// Attack: a project that does not exist (Argo CD's message); and `default`, which the
// controller creates as Argo CD does, lists no sourceNamespaces: apps outside the control
// namespace cannot fall back on it.
TEST_F(TenancyAttackTest, MissingProjectsAreRefused) {
  PutApp("team-a", "orphan", "no-such-project", kTeamARepo, "team-a",
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: orphaned}\n");
  PutApp("team-a", "defaulted", "default", kTeamARepo, "team-a",
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: defaulted}\n");
  Pass();
  EXPECT_EQ(Condition("team-a", "orphan", "InvalidSpecError"),
            "Application referencing project no-such-project which does not exist (no AppProject "
            "\"no-such-project\" in namespace \"mlgitops\")");
  EXPECT_EQ(Condition("team-a", "defaulted", "InvalidSpecError"),
            "application 'defaulted' in namespace 'team-a' is not permitted to use project "
            "'default' (its sourceNamespaces do not list 'team-a')");
  EXPECT_TRUE(
      admin_->Get(ObjectKey{{"mlgitops.io", "v1alpha1", "AppProject"}, "mlgitops", "default"})
          .ok());
  EXPECT_EQ(Writes("configmaps", "team-a", "orphaned"), std::vector<std::string>());
  EXPECT_EQ(Writes("configmaps", "team-a", "defaulted"), std::vector<std::string>());
}

// Attack: a same-named Application in another namespace, with prune, tries to take over and
// prune team A's objects. Tracking ids are "<namespace>_<name>" outside the control namespace.
TEST_F(TenancyAttackTest, ASameNamedAppInAnotherNamespaceCannotPruneOrAdopt) {
  PutApp("team-a", "web", "shared", kTeamARepo, "shared-ns",
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-a}\ndata: {owner: a}\n");
  Pass();
  auto a = admin_->Get(ObjectKey{{"", "v1", "ConfigMap"}, "shared-ns", "web-a"});
  ASSERT_TRUE(a.ok()) << log_;
  auto id = ReadTrackingId(*a);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->ToString(), "team-a_web:/ConfigMap:shared-ns/web-a");
  PutApp("team-b", "web", "shared", "https://git.example.com/team-b/x.git", "shared-ns",
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-b}\n");
  Pass();
  EXPECT_TRUE(admin_->Get(ObjectKey{{"", "v1", "ConfigMap"}, "shared-ns", "web-a"}).ok())
      << "team B's app pruned team A's object\n"
      << log_;
  EXPECT_EQ(Writes("configmaps", "shared-ns", "web-a").size(), 1u);  // team A's create only
}

// Attack: another app ships an object of the same name and kind; the first app's object is
// never overwritten (SharedResourceWarning), and FailOnSharedResource=true fails the sync.
TEST_F(TenancyAttackTest, ObjectsTrackedByAnotherAppAreNotOverwritten) {
  PutApp("team-a", "owner", "shared", kTeamARepo, "shared-ns",
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: contested}\ndata: {owner: a}\n");
  Pass();
  PutApp("team-b", "claimer", "shared", "https://git.example.com/team-b/x.git", "shared-ns",
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: contested}\ndata: {owner: b}\n");
  PutApp("team-b", "strict", "shared", "https://git.example.com/team-b/x.git", "shared-ns",
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: contested}\ndata: {owner: s}\n",
         "{automated: {}, syncOptions: [FailOnSharedResource=true]}");
  size_t writes_before = Writes("configmaps", "shared-ns", "contested").size();
  Pass();
  auto live = admin_->Get(ObjectKey{{"", "v1", "ConfigMap"}, "shared-ns", "contested"});
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(GetString(live->json(), "data.owner"), "a") << log_;
  EXPECT_EQ(Writes("configmaps", "shared-ns", "contested").size(), writes_before);
  EXPECT_EQ(Condition("team-b", "claimer", "SharedResourceWarning"),
            "ConfigMap shared-ns/contested is part of applications team-a_owner and "
            "team-b_claimer");
  EXPECT_NE(Condition("team-b", "strict", "SyncError").find("(FailOnSharedResource=true)"),
            std::string::npos)
      << log_;
}

// destinationServiceAccounts: the controller acts as the project's ServiceAccount, so what that
// account may not do (Secrets here) is refused by the API server, not by the controller's rights.
TEST_F(TenancyAttackTest, DestinationServiceAccountsAreImpersonated) {
  PutApp("team-a", "imp-config", "team-imp", kTeamARepo, "imp",
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: imp-config}\n");
  PutApp("team-a", "imp-secret", "team-imp", kTeamARepo, "imp",
         "apiVersion: v1\nkind: Secret\nmetadata: {name: imp-secret}\nstringData: {k: v}\n");
  Pass();
  std::vector<std::string> config = ActsOn("configmaps", "imp-config");
  ASSERT_FALSE(config.empty()) << log_;
  for (const std::string& act : config) {
    EXPECT_NE(act.find(" as system:serviceaccount:imp:deployer"), std::string::npos) << act;
  }
  EXPECT_TRUE(admin_->Get(ObjectKey{{"", "v1", "ConfigMap"}, "imp", "imp-config"}).ok()) << log_;
  EXPECT_FALSE(admin_->Get(ObjectKey{{"", "v1", "Secret"}, "imp", "imp-secret"}).ok());
  int refused = 0;
  for (const std::string& act : ActsOn("secrets", "imp-secret")) {
    if (act.rfind("get 404 as kubesim-admin", 0) == 0) continue;  // this test's own check
    EXPECT_NE(act.find(" 403 as system:serviceaccount:imp:deployer"), std::string::npos) << act;
    ++refused;
  }
  EXPECT_GT(refused, 0) << log_;
}

// With --require-impersonation a project that maps no ServiceAccount cannot act as the
// controller (cluster-admin in a shared install).
TEST_F(TenancyAttackTest, RequiredImpersonationRefusesUnmappedDestinations) {
  PutApp("team-a", "unmapped", "team-a", kTeamARepo, "team-a",
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: unmapped}\n");
  Pass(/*require_impersonation=*/true);
  EXPECT_EQ(Condition("team-a", "unmapped", "InvalidSpecError"),
            "no matching service account found for destination server "
            "https://kubernetes.default.svc and namespace team-a in project 'team-a'");
  EXPECT_EQ(Writes("configmaps", "team-a", "unmapped"), std::vector<std::string>());
}

// The shipped install (manifests/controller, rendered by the real kubectl kustomize): the
// controller's own account may not write any app object; it deploys only through the
// ServiceAccounts projects map, and refuses apps whose project maps none.
TEST_F(TenancyAttackTest, TheShippedControllerRbacActsOnlyThroughProjectServiceAccounts) {
  std::string rendered, error;
  auto controller_client = InstallAndConnectAs("manifests/controller", "mlgitops",
                                               "mlgitops-controller", &rendered, &error);
  ASSERT_NE(controller_client, nullptr) << error;

  // Its own identity cannot deploy anything.
  auto direct = controller_client->Apply(ParseOne("apiVersion: v1\nkind: ConfigMap\n"
                                                  "metadata: {name: direct, namespace: imp}\n"),
                                         ApplyOptions());
  EXPECT_FALSE(direct.ok());
  EXPECT_TRUE(HasApiReason(direct.status(), "Forbidden")) << direct.status().message();

  PutApp("team-a", "shipped-imp", "team-imp", kTeamARepo, "imp",
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shipped-imp}\n");
  PutApp("team-a", "shipped-unmapped", "team-a", kTeamARepo, "team-a",
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shipped-unmapped}\n");
  Pass(/*require_impersonation=*/true, controller_client.get());
  EXPECT_TRUE(admin_->Get(ObjectKey{{"", "v1", "ConfigMap"}, "imp", "shipped-imp"}).ok()) << log_;
  for (const std::string& act : ActsOn("configmaps", "shipped-imp")) {
    if (act.rfind("get 200 as kubesim-admin", 0) == 0) continue;  // this test's own check
    EXPECT_NE(act.find(" as system:serviceaccount:imp:deployer"), std::string::npos) << act;
  }
  EXPECT_NE(Condition("team-a", "shipped-unmapped", "InvalidSpecError")
                .find("no matching service account"),
            std::string::npos)
      << log_;
  EXPECT_EQ(Writes("configmaps", "team-a", "shipped-unmapped"), std::vector<std::string>());
}

// Sync windows: an open deny window stops automated syncs (the controller) and manual ones
// (`sync`); `get` shows the window. The deny window here is always open.
TEST_F(TenancyAttackTest, SyncWindowsGateAutomatedAndManualSyncs) {
  PutApp("team-a", "freeze", "frozen", kTeamARepo, "frozen",
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: during-freeze}\n");
  auto reports = Pass();
  bool seen = false;
  for (const AppReconcileReport& r : reports) {
    if (r.app != "team-a/freeze") continue;
    seen = true;
    EXPECT_EQ(r.sync_phase, "");
    EXPECT_EQ(r.reason, "automated sync blocked by sync window deny * * * * * (1h)");
  }
  EXPECT_TRUE(seen) << log_;
  EXPECT_EQ(Writes("configmaps", "frozen", "during-freeze"), std::vector<std::string>());

  std::string dir = dir_->path() + "/freeze";
  dir_->Write("freeze/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: manual}\n");
  MemoryTerminal out(false), err(false);
  FixedClock clock(kNow);
  CliEnv env{out, err, clock, [](const char*) -> const char* { return nullptr; }};
  int code = RunCli({"sync", "freeze", "-n", "team-a", "--local", dir, "--kubeconfig",
                     process_->kubeconfig_path()},
                    env);
  EXPECT_EQ(code, kExitUsage) << out.text() << err.text();
  EXPECT_NE(err.text().find("Application team-a/freeze: cannot sync: blocked by sync window deny "
                            "* * * * * (1h)"),
            std::string::npos)
      << err.text();
  EXPECT_EQ(Writes("configmaps", "frozen", "manual"), std::vector<std::string>());

  MemoryTerminal got(false), got_err(false);
  CliEnv get_env{got, got_err, clock, [](const char*) -> const char* { return nullptr; }};
  RunCli({"get", "freeze", "-n", "team-a", "--local", dir, "--kubeconfig",
          process_->kubeconfig_path()},
         get_env);
  EXPECT_NE(got.text().find("Sync Window:   Sync Denied (blocked by sync window deny * * * * * "
                            "(1h)); active: deny * * * * * (1h)"),
            std::string::npos)
      << got.text() << got_err.text();
}

// Attack: an ApplicationSet whose generator aims one app at kube-system. Generated apps meet
// their project before any is written: that app is skipped and reported, its sibling proceeds.
TEST_F(TenancyAttackTest, AnApplicationSetCannotGenerateIntoAForbiddenDestination) {
  dir_->Write("appset-root/app/cm.yaml",
              "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: generated}\n");
  std::string appset = dir_->Write(
      "appset.yaml",
      "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\n"
      "metadata: {name: team-a-set, namespace: team-a}\n"
      "spec:\n  generators:\n  - list:\n      elements:\n"
      "      - {name: ok, ns: team-a}\n      - {name: evil, ns: kube-system}\n"
      "  template:\n    metadata: {name: 'set-{{name}}'}\n"
      "    spec:\n      project: team-a\n"
      "      source: {repoURL: 'https://git.example.com/team-a/models.git', path: app}\n"
      "      destination: {server: 'https://kubernetes.default.svc', namespace: '{{ns}}'}\n");
  std::string out;
  int code = mlgitops::testing::RunCommand(
      mlgitops::testing::BinDir() + "/kubectl-mlgitops appset sync -f " + appset +
          " --local-root " + dir_->path() + "/appset-root --control-namespace mlgitops" +
          " --wave-timeout 10s --kubeconfig " + process_->kubeconfig_path(),
      &out, true);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("Application set-evil: application destination server "
                     "'https://kubernetes.default.svc' and namespace 'kube-system' do not match "
                     "any of the allowed destinations in project 'team-a'"),
            std::string::npos)
      << out;
  // An argoproj.io ApplicationSet writes argoproj.io Applications.
  const GroupVersionKind argo_app{"argoproj.io", "v1alpha1", "Application"};
  EXPECT_FALSE(admin_->Get(ObjectKey{argo_app, "team-a", "set-evil"}).ok());
  EXPECT_EQ(Writes("applications", "team-a", "set-evil"), std::vector<std::string>());
  EXPECT_EQ(Writes("configmaps", "kube-system"), std::vector<std::string>());
  EXPECT_TRUE(admin_->Get(ObjectKey{argo_app, "team-a", "set-ok"}).ok()) << out;
  EXPECT_TRUE(admin_->Get(ObjectKey{{"", "v1", "ConfigMap"}, "team-a", "generated"}).ok()) << out;
}

// manifests/webhook/project-check: the webhook's account may read the AppProjects it checks
// Applications against, and nothing else in the control namespace.
TEST_F(TenancyAttackTest, TheWebhookProjectCheckOverlayReadsOnlyAppProjects) {
  std::string rendered, error;
  auto webhook = InstallAndConnectAs("manifests/webhook/project-check", "mlgitops-webhook",
                                     "mlgitops-webhook", &rendered, &error);
  ASSERT_NE(webhook, nullptr) << error;
  EXPECT_NE(rendered.find("- --project-namespace=mlgitops"), std::string::npos) << rendered;
  Application app;
  app.name = "checked";
  app.namespace_ = "team-a";
  app.project = "team-a";
  ApplicationSource source;
  source.repo_url = kTeamARepo;
  app.sources.push_back(source);
  app.destination = {"https://kubernetes.default.svc", "", "team-a"};
  EXPECT_TRUE(ProjectForApplication(*webhook, "mlgitops", app).ok());
  app.destination.namespace_ = "kube-system";
  EXPECT_EQ(ProjectForApplication(*webhook, "mlgitops", app).status().code(),
            Status::Code::kInvalidArgument);
  auto secrets = webhook->List({"", "v1", "Secret"}, "mlgitops", ListOptions());
  EXPECT_TRUE(HasApiReason(secrets.status(), "Forbidden")) << secrets.status().message();
}

// orphanedResources.warn: objects in the destination namespace that no app tracks and nothing
// owns are counted (ignore entries and Kubernetes' own per-namespace objects left out).
TEST_F(TenancyAttackTest, OrphanedResourcesAreReportedWhenTheProjectAsks) {
  for (const char* yaml :
       {"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stray, namespace: orphans}\n",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: ignored, namespace: orphans}\n",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: orphans}\n"}) {
    auto applied = admin_->Apply(ParseOne(yaml), ApplyOptions());
    ASSERT_TRUE(applied.ok()) << applied.status().message();
  }
  PutApp("team-a", "watched", "watched", kTeamARepo, "orphans",
         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine}\n");
  Pass();
  EXPECT_EQ(Condition("team-a", "watched", "OrphanedResourceWarning"),
            "Application has 1 orphaned resources")
      << log_;
}

}  // namespace
}  // namespace mlgitops
