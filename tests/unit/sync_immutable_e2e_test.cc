// End to end on kubesim, which refuses immutable-field changes as kube-apiserver does: a retrain
// Job whose template changed in Git fails to sync with an error naming the object, the field
// and the ways out, and each way out works: Argo CD's sync options Force=true and
// Replace=true[,Force=true] (annotation or app syncOptions), `sync --force`, and the controller.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "git_test_repo.h"
#include "health/assessor.h"
#include "kube/client.h"
#include "kubesim/launcher.h"
#include "kubesim_test_util.h"
#include "object/clock.h"
#include "object/yaml_loader.h"
#include "policy/conventions.h"
#include "source/render.h"
#include "sync/controller.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using kubesim::KubesimProcess;
using kubesim::LaunchOptions;
using testing::RunCommand;
using testing::TempDir;
using testing::TestGitRepo;

/// A retraining Job; `options` goes into its argocd.argoproj.io/sync-options annotation.
std::string RetrainJob(const std::string& image, const std::string& options = "") {
  std::string annotations =
      options.empty() ? ""
                      : "  annotations:\n    argocd.argoproj.io/sync-options: " + options + "\n";
  return "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: retrain\n" + annotations +
         "spec:\n  backoffLimit: 1\n  template:\n    spec:\n      restartPolicy: Never\n"
         "      containers:\n      - name: train\n        image: " +
         image + "\n";
}

std::string FeatureConfig(const std::string& version, const std::string& options = "") {
  std::string annotations =
      options.empty() ? ""
                      : "  annotations:\n    argocd.argoproj.io/sync-options: " + options + "\n";
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: features\n" + annotations +
         "data:\n  version: \"" + version + "\"\n";
}

/// One kubesim audit line: verb, resource, name, URI and code.
struct AuditEntry {
  std::string verb, resource, name, uri;
  int code = 0;
};

class SyncImmutableEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(RunCommand("command -v kubectl", nullptr), 0) << "kubectl is not on PATH";
    LaunchOptions options;
    options.binary = testing::BinDir() + "/kubesim";
    options.work_dir = dir_.path();
    options.audit_log = "audit.log";
    options.controllers = true;
    options.step_delay = "50ms";
    auto started = KubesimProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.status().message();
    kubesim_ = std::move(started).value();
  }

  void TearDown() override {
    if (kubesim_) {
      EXPECT_EQ(kubesim_->Stop(), 0);
    }
  }

  std::string Kubectl(const std::string& args) {
    std::string out;
    RunCommand("kubectl --kubeconfig " + kubesim_->kubeconfig_path() + " --cache-dir " +
                   dir_.path() + "/kcache " + args,
               &out, false);
    return out;
  }

  std::string JobField(const std::string& jsonpath) {
    return Kubectl("get job retrain -n ml-retrain -o jsonpath={" + jsonpath + "}");
  }

  /// `kubectl mlgitops sync -f APP ARGS -o json`, parsed; *code gets the exit code.
  Object Sync(const std::string& args, int* code) {
    std::string out;
    *code = RunCommand(testing::BinDir() + "/kubectl-mlgitops sync -f " + app_ + " " + args +
                           " --wave-timeout 60s -o json --kubeconfig " +
                           kubesim_->kubeconfig_path() + " --cache-dir " + dir_.path() + "/cache",
                       &out, false);
    auto parsed = ParseJsonObject(out, "sync output");
    EXPECT_TRUE(parsed.ok()) << parsed.status().message() << "\n" << out;
    return parsed.ok() ? std::move(*parsed) : Object();
  }

  void Synced(const std::string& args = "") {
    int code = -1;
    Object result = Sync(args, &code);
    EXPECT_EQ(code, 0) << GetString(result.json(), "message");
    EXPECT_EQ(GetString(result.json(), "phase"), "Succeeded")
        << GetString(result.json(), "message");
  }

  /// The resource entry of the last sync result for `kind`.
  static std::string ActionOf(const Object& result, const std::string& kind) {
    const JsonValue* resources = Find(result.json(), "resources");
    if (!resources || !resources->IsArray()) return "";
    for (const JsonValue& r : resources->GetArray()) {
      if (GetString(r, "kind") == kind) return GetString(r, "action");
    }
    return "";
  }

  /// Writes (not dry runs, not controllers) kubesim answered for `resource`/`name` since entry
  /// `from` of the audit log.
  std::vector<AuditEntry> Writes(const std::string& resource, const std::string& name,
                                 size_t from = 0) {
    std::vector<AuditEntry> out;
    std::ifstream in(dir_.path() + "/audit.log");
    std::string line;
    for (size_t i = 0; std::getline(in, line); ++i) {
      if (i < from) continue;
      auto obj = ParseJsonObject(line, "audit");
      if (!obj.ok()) continue;
      AuditEntry e{GetString(obj->json(), "verb"), GetString(obj->json(), "resource"),
                   GetString(obj->json(), "name"), GetString(obj->json(), "uri"),
                   static_cast<int>(GetInt(obj->json(), "code").value_or(0))};
      bool write =
          e.verb == "create" || e.verb == "update" || e.verb == "patch" || e.verb == "delete";
      if (write && e.resource == resource && e.name == name &&
          e.uri.find("dryRun") == std::string::npos) {
        out.push_back(e);
      }
    }
    return out;
  }

  size_t AuditLines() {
    std::ifstream in(dir_.path() + "/audit.log");
    size_t n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  }

  void MakeApp(TestGitRepo& repo) {
    app_ = dir_.Write(
        "app.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: retrain\n"
        "spec:\n  project: default\n  source:\n    repoURL: " +
            repo.url() +
            "\n    targetRevision: main\n    path: ml\n  destination:\n    server: "
            "https://kubernetes.default.svc\n    namespace: ml-retrain\n  syncPolicy:\n"
            "    syncOptions: [CreateNamespace=true]\n");
  }

  TempDir dir_;
  std::unique_ptr<KubesimProcess> kubesim_;
  std::string app_;
};

// ValidateJobSpecUpdate makes spec.template immutable: a new image fails the sync with the
// way out; Argo CD's Force=true (annotation) deletes and recreates the Job (after waiting for
// the old one to be gone), and so does `sync --force` without any annotation.
TEST_F(SyncImmutableEndToEndTest, RetrainJobFailsWithTheWayOutThenForceRecreatesIt) {
  TestGitRepo repo(dir_.path() + "/ml.git");
  repo.Commit({{"ml/job.yaml", RetrainJob("trainer:1")}});
  MakeApp(repo);
  Synced();
  std::string first_uid = JobField(".metadata.uid");
  ASSERT_FALSE(first_uid.empty());

  repo.Commit({{"ml/job.yaml", RetrainJob("trainer:2")}});
  int code = -1;
  Object failed = Sync("", &code);
  std::string message = GetString(failed.json(), "message");
  EXPECT_EQ(code, 1);
  EXPECT_EQ(GetString(failed.json(), "phase"), "Failed");
  for (const char* must :
       {"batch/Job ml-retrain/retrain", "immutable field spec.template",
        "spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable",
        "argocd.argoproj.io/sync-options: Force=true", "Replace=true,Force=true", "sync --force"}) {
    EXPECT_NE(message.find(must), std::string::npos) << must << " missing in: " << message;
  }
  EXPECT_EQ(JobField(".spec.template.spec.containers[0].image"), "trainer:1");
  EXPECT_EQ(JobField(".metadata.uid"), first_uid);

  size_t before = AuditLines();
  repo.Commit({{"ml/job.yaml", RetrainJob("trainer:2", "Force=true")}});
  Object forced = Sync("", &code);
  EXPECT_EQ(code, 0) << GetString(forced.json(), "message");
  EXPECT_EQ(ActionOf(forced, "Job"), "recreated");
  EXPECT_EQ(JobField(".spec.template.spec.containers[0].image"), "trainer:2");
  std::string second_uid = JobField(".metadata.uid");
  EXPECT_NE(second_uid, first_uid);
  std::vector<AuditEntry> writes = Writes("jobs", "retrain", before);
  std::vector<std::string> verbs;
  for (const AuditEntry& w : writes) verbs.push_back(w.verb + " " + std::to_string(w.code));
  // The refused apply, the deletion, then server-side apply creating the Job again.
  EXPECT_EQ(verbs, (std::vector<std::string>{"patch 422", "delete 200", "patch 201"}));

  repo.Commit({{"ml/job.yaml", RetrainJob("trainer:3")}});
  Synced("--force");
  EXPECT_EQ(JobField(".spec.template.spec.containers[0].image"), "trainer:3");
  EXPECT_NE(JobField(".metadata.uid"), second_uid);
}

// Argo CD's Replace=true writes with `kubectl replace` (PUT; create when missing), and
// Replace=true,Force=true is `kubectl replace --force`: delete, then create.
TEST_F(SyncImmutableEndToEndTest, ReplaceWritesWithPutAndReplaceForceRecreates) {
  TestGitRepo repo(dir_.path() + "/ml.git");
  repo.Commit({{"ml/job.yaml", RetrainJob("trainer:1", "Replace=true,Force=true")},
               {"ml/config.yaml", FeatureConfig("1", "Replace=true")}});
  MakeApp(repo);
  Synced();
  std::string first_uid = JobField(".metadata.uid");
  EXPECT_EQ(Writes("configmaps", "features").front().verb, "create");

  size_t before = AuditLines();
  repo.Commit({{"ml/job.yaml", RetrainJob("trainer:2", "Replace=true,Force=true")},
               {"ml/config.yaml", FeatureConfig("2", "Replace=true")}});
  int code = -1;
  Object result = Sync("", &code);
  EXPECT_EQ(code, 0) << GetString(result.json(), "message");
  EXPECT_EQ(ActionOf(result, "ConfigMap"), "replaced");
  EXPECT_EQ(ActionOf(result, "Job"), "recreated");
  std::vector<AuditEntry> config = Writes("configmaps", "features", before);
  ASSERT_EQ(config.size(), 1u);
  EXPECT_EQ(config[0].verb, "update");
  EXPECT_EQ(config[0].code, 200);
  EXPECT_EQ(Kubectl("get configmap features -n ml-retrain -o jsonpath={.data.version}"), "2");
  std::vector<std::string> job;
  for (const AuditEntry& w : Writes("jobs", "retrain", before)) {
    job.push_back(w.verb + " " + std::to_string(w.code));
  }
  EXPECT_EQ(job, (std::vector<std::string>{"delete 200", "create 201"}));
  EXPECT_EQ(JobField(".spec.template.spec.containers[0].image"), "trainer:2");
  EXPECT_NE(JobField(".metadata.uid"), first_uid);
}

// ---- The controller's automated sync honours the same options ----

const GroupVersionKind kJob{"batch", "v1", "Job"};

class ControllerImmutableKubesimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error =
        kubesim::testing::StartSuiteKubesim(dir_.path(), "50ms", &process_, &client_);
    ASSERT_EQ(error, "");
    std::string out;
    ASSERT_EQ(RunCommand("kubectl --kubeconfig " + process_->kubeconfig_path() + " --cache-dir " +
                             dir_.path() + "/cache apply --server-side -f " + testing::SourceDir() +
                             "/manifests/crds/application.yaml",
                         &out, true),
              0)
        << out;
    for (const char* ns : {"apps", "ml-retrain"}) {
      auto made = client_->Apply(
          testing::ParseOne(std::string("apiVersion: v1\nkind: Namespace\nmetadata: {name: ") + ns +
                            "}\n"),
          ApplyOptions());
      ASSERT_TRUE(made.ok()) << made.status().message();
    }
  }

  void TearDown() override { kubesim::testing::StopSuiteKubesim(&process_, &client_); }

  void PutApp(const std::string& name, const std::string& sync_policy, const std::string& manifests,
              const std::string& revision) {
    dir_.Write(name + "-" + revision + "/manifests.yaml", manifests);
    sources_[name] = {dir_.path() + "/" + name + "-" + revision, revision};
    std::string yaml =
        "apiVersion: mlgitops.io/v1alpha1\nkind: Application\nmetadata:\n  name: " + name +
        "\n  namespace: apps\nspec:\n  source: {repoURL: "
        "https://git.example.com/ml.git, path: ml, targetRevision: main}\n"
        "  destination: {server: https://kubernetes.default.svc, namespace: "
        "ml-retrain}\n  syncPolicy: " +
        sync_policy + "\n";
    auto applied = client_->Apply(testing::ParseOne(yaml), ApplyOptions());
    ASSERT_TRUE(applied.ok()) << applied.status().message();
  }

  std::unique_ptr<Controller> MakeController() {
    ControllerOptions options;
    options.namespace_ = "apps";
    options.sync.wave_timeout = std::chrono::seconds(20);
    options.sync.poll_interval = std::chrono::milliseconds(50);
    options.sleep = [](std::chrono::milliseconds) {};
    options.log = [this](const std::string& line) { log_ += line + "\n"; };
    RenderFn render = [this](const Application& app,
                             const std::string&) -> Result<DesiredManifests> {
      auto it = sources_.find(app.name);
      if (it == sources_.end()) return Status::NotFound("no manifests for " + app.name);
      auto objects = RenderLocal(app, it->second.first, LoadLimits());
      if (!objects.ok()) return objects.status();
      return DesiredManifests{std::move(*objects), {it->second.second}};
    };
    return std::make_unique<Controller>(*client_, render, assessor_, DefaultConventions(), clock_,
                                        options);
  }

  std::string Image() {
    auto job = client_->Get(ObjectKey{kJob, "ml-retrain", "retrain"});
    if (!job.ok()) return "";
    const JsonValue* containers = Find(job->json(), "spec.template.spec.containers");
    if (!containers || !containers->IsArray() || containers->Empty()) return "";
    return GetString((*containers)[0], "image");
  }

  TempDir dir_;
  kubesim::KubesimProcess* process_ = nullptr;
  HttpKubeClient* client_ = nullptr;
  std::map<std::string, std::pair<std::string, std::string>> sources_;  // dir, revision
  HealthAssessor assessor_;
  FixedClock clock_{1'700'000'000};
  std::string log_;
};

// An automated app whose syncOptions carry Force=true recreates the retrain Job when a new
// revision changes its template; without Force the automated sync fails with the way out.
TEST_F(ControllerImmutableKubesimTest, AutomatedSyncRecreatesWithForceAndExplainsWithout) {
  PutApp("retrain", "{automated: {}, syncOptions: [Force=true]}", RetrainJob("trainer:1"), "rev-1");
  auto controller = MakeController();
  auto reports = controller->ReconcileOnce();
  ASSERT_TRUE(reports.ok()) << reports.status().message();
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_EQ((*reports)[0].sync_phase, "Succeeded") << log_;
  auto first = client_->Get(ObjectKey{kJob, "ml-retrain", "retrain"});
  ASSERT_TRUE(first.ok());

  PutApp("retrain", "{automated: {}, syncOptions: [Force=true]}", RetrainJob("trainer:2"), "rev-2");
  reports = controller->ReconcileOnce();
  ASSERT_TRUE(reports.ok());
  EXPECT_EQ((*reports)[0].action, AutoSyncAction::kSync) << log_;
  EXPECT_EQ((*reports)[0].sync_phase, "Succeeded") << log_;
  EXPECT_EQ(Image(), "trainer:2");
  auto second = client_->Get(ObjectKey{kJob, "ml-retrain", "retrain"});
  ASSERT_TRUE(second.ok());
  EXPECT_NE(GetString(second->json(), "metadata.uid"), GetString(first->json(), "metadata.uid"));

  PutApp("retrain", "{automated: {}}", RetrainJob("trainer:3"), "rev-3");
  reports = controller->ReconcileOnce();
  ASSERT_TRUE(reports.ok());
  EXPECT_EQ((*reports)[0].sync_phase, "Failed") << log_;
  EXPECT_EQ(Image(), "trainer:2");
  auto cr = client_->Get(ObjectKey{{"mlgitops.io", "v1alpha1", "Application"}, "apps", "retrain"});
  ASSERT_TRUE(cr.ok());
  std::string message = GetString(cr->json(), "status.operationState.message");
  EXPECT_NE(message.find("immutable field spec.template"), std::string::npos) << message;
  EXPECT_NE(message.find("Force=true"), std::string::npos) << message;
}

}  // namespace
}  // namespace mlgitops
