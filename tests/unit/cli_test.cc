// The kubectl-mlgitops command line, in-process through RunCli with memory terminals, on the
// example ML platform in manifests/examples; plus the real binary under the real kubectl.
#include "cli/cli.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "cli/memory_terminal.h"
#include "kube/fake_client.h"
#include "object/timeutil.h"
#include "object/yaml_loader.h"
#include "sys/spawned_process.h"
#include "test_util.h"

namespace mlgitops {
namespace {

struct CliRun {
  int exit_code;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  CliRun Run(std::vector<std::string> args, bool tty = false) {
    MemoryTerminal out(tty), err(false);
    FixedClock clock(*ParseRfc3339("2026-11-26T12:00:00Z"));
    CliEnv env{out, err, clock, [this](const char* name) -> const char* {
                 auto it = env_.find(name);
                 return it == env_.end() ? nullptr : it->second.c_str();
               }};
    int code = RunCli(args, env);
    return {code, out.text(), err.text()};
  }
  std::string Example(const std::string& rel) {
    return testing::SourceDir() + "/manifests/examples/" + rel;
  }
  std::map<std::string, std::string> env_;
};

TEST_F(CliTest, VersionTextAndJson) {
  auto text = Run({"version"});
  EXPECT_EQ(text.exit_code, kExitOk);
  EXPECT_EQ(text.out, std::string("kubectl-mlgitops ") + MLGITOPS_VERSION + "\n");
  auto json = Run({"version", "-o", "json"});
  auto parsed = ParseYamlStream(json.out, "out");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(GetString((*parsed)[0].json(), "version"), MLGITOPS_VERSION);
}

TEST_F(CliTest, UsageErrorsExitTwoWithKubectlWording) {
  auto none = Run({});
  EXPECT_EQ(none.exit_code, kExitUsage);
  EXPECT_NE(none.err.find("Commands:"), std::string::npos);
  auto unknown = Run({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, kExitUsage);
  EXPECT_NE(unknown.err.find("unknown command \"frobnicate\""), std::string::npos);
  auto flag = Run({"health", "--bogus"});
  EXPECT_EQ(flag.exit_code, kExitUsage);
  EXPECT_NE(flag.err.find("unknown flag: --bogus"), std::string::npos);
  auto missing = Run({"health", "-f"});
  EXPECT_EQ(missing.exit_code, kExitUsage);
  EXPECT_NE(missing.err.find("flag needs an argument: -f"), std::string::npos);
  auto format = Run({"lint", Example("ml-platform/manifests"), "-o", "xml"});
  EXPECT_EQ(format.exit_code, kExitUsage);
  EXPECT_NE(format.err.find("allowed formats are: json, table"), std::string::npos);
}

TEST_F(CliTest, EveryCommandHasHelpListingItsFlags) {
  for (const auto& c : Commands()) {
    auto help = Run({c.name, "--help"});
    EXPECT_EQ(help.exit_code, kExitOk) << c.name;
    EXPECT_NE(help.out.find(std::string("kubectl mlgitops ") + c.usage), std::string::npos);
    for (const auto& f : c.flags) EXPECT_NE(help.out.find("--" + f.name), std::string::npos);
  }
  EXPECT_EQ(Run({"help", "plan"}).out, Run({"plan", "-h"}).out);
}

TEST_F(CliTest, RenderPrintsManifestsInApplyOrderWithNamespaceApplied) {
  auto r = Run({"render", "-f", Example("ml-platform/app.yaml"), "--local",
                Example("ml-platform/manifests")});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  auto objects = ParseManifests(r.out, "render output");
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  std::vector<std::string> names;
  for (const auto& o : *objects) names.push_back(o.kind() + "/" + o.name());
  ASSERT_GE(names.size(), 18u);
  // The Namespace moves in front of the first object in it, the PreSync hook (Argo CD's
  // adjustment); the PostSync smoke test is last.
  EXPECT_EQ(names.front(), "Namespace/ml-platform");
  EXPECT_EQ(names[1], "Job/registry-migrate");
  EXPECT_EQ(names.back(), "Job/smoke-test");
  auto pos = [&](const std::string& n) {
    return std::find(names.begin(), names.end(), n) - names.begin();
  };
  EXPECT_LT(pos("PersistentVolumeClaim/datasets"), pos("CronJob/feature-materialize"));
  EXPECT_LT(pos("CronJob/feature-materialize"), pos("Deployment/ranker"));
  EXPECT_LT(pos("Deployment/ranker"), pos("ServiceMonitor/ranker"));
  for (const auto& o : *objects) {
    if (o.kind() == "Namespace") {
      EXPECT_EQ(o.namespace_(), "");
    } else {
      EXPECT_EQ(o.namespace_(), "ml-platform") << o.ref().ToString();
    }
  }
  EXPECT_EQ(r.out.find("README"), std::string::npos);  // non-YAML files are ignored
}

TEST_F(CliTest, RenderJsonIsAList) {
  auto r = Run({"render", "-f", Example("ml-platform/app.yaml"), "--local",
                Example("ml-platform/manifests"), "-o", "json"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  auto objects = ParseManifests(r.out, "json");
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  EXPECT_GE(objects->size(), 18u);
}

TEST_F(CliTest, PlanJsonHasTheStepFieldsAndNoFindingsForTheExample) {
  auto r = Run({"plan", "-f", Example("ml-platform/app.yaml"), "--local",
                Example("ml-platform/manifests"), "--offline", "-o", "json"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err << r.out;
  auto parsed = ParseYamlStream(r.out, "plan");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const JsonValue& plan = (*parsed)[0].json();
  const JsonValue* steps = Find(plan, "steps");
  ASSERT_TRUE(steps && steps->IsArray());
  for (const auto& s : steps->GetArray()) {
    for (const char* field : {"phase", "wave", "kind", "namespace", "name", "role", "action"}) {
      EXPECT_TRUE(s.HasMember(field)) << field;
    }
    EXPECT_STREQ(s["action"].GetString(), "create");
  }
  const JsonValue& first = (*steps)[0];
  EXPECT_STREQ(first["phase"].GetString(), "PreSync");
  bool saw_serving_wave3 = false;
  for (const auto& s : steps->GetArray()) {
    if (std::string(s["name"].GetString()) == "ranker" &&
        std::string(s["kind"].GetString()) == "Deployment") {
      EXPECT_STREQ(s["role"].GetString(), "model-serving");
      EXPECT_EQ(s["wave"].GetInt64(), 3);
      saw_serving_wave3 = true;
    }
  }
  EXPECT_TRUE(saw_serving_wave3);
  ASSERT_TRUE(Find(plan, "findings") && Find(plan, "findings")->IsArray());
  EXPECT_EQ(Find(plan, "findings")->Size(), 0u);
}

TEST_F(CliTest, PlanTableAndOfflineRequirement) {
  auto table = Run({"plan", "-f", Example("ml-platform/app.yaml"), "--local",
                    Example("ml-platform/manifests"), "--offline"});
  ASSERT_EQ(table.exit_code, kExitOk) << table.err;
  EXPECT_NE(table.out.find("PHASE"), std::string::npos);
  EXPECT_NE(table.out.find("model-serving"), std::string::npos);
  EXPECT_EQ(table.out.find("\033["), std::string::npos);  // not a TTY: no colour
  auto live = Run(
      {"plan", "-f", Example("ml-platform/app.yaml"), "--local", Example("ml-platform/manifests")});
  EXPECT_EQ(live.exit_code, kExitUsage);
  EXPECT_NE(live.err.find("--offline"), std::string::npos);
}

TEST_F(CliTest, LintCleanExampleAndFailingExample) {
  auto clean = Run({"lint", Example("ml-platform/manifests")});
  EXPECT_EQ(clean.exit_code, kExitOk) << clean.out;
  auto bad = Run({"lint", Example("lint-failures"), "-o", "json"});
  EXPECT_EQ(bad.exit_code, kExitFindings);
  auto parsed = ParseYamlStream(bad.out, "lint");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  std::set<std::string> rules;
  for (const auto& f : (*parsed)[0].json().GetArray()) rules.insert(f["rule"].GetString());
  for (const char* rule : {"serving-readiness-probe", "gpu-request-limit", "training-backoff-limit",
                           "training-deadline", "wave-invalid", "pipeline-sla"}) {
    EXPECT_TRUE(rules.count(rule)) << rule;
  }
}

TEST_F(CliTest, HealthOfTheSnapshotJudgesMlWorkloads) {
  auto r = Run({"health", "-f", Example("ml-platform/snapshots/cluster-state.yaml"), "--at",
                "2026-11-26T12:00:00Z", "-o", "json"});
  EXPECT_EQ(r.exit_code, kExitFindings) << r.err;  // Degraded objects in the snapshot
  auto parsed = ParseYamlStream(r.out, "health");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  std::map<std::string, std::pair<std::string, std::string>> health;
  std::vector<std::string> order;
  for (const auto& e : (*parsed)[0].json().GetArray()) {
    std::string key = std::string(e["kind"].GetString()) + "/" + e["name"].GetString();
    order.push_back(key);
    health[key] = {e["health"]["status"].GetString(), e["health"]["message"].GetString()};
  }
  ASSERT_EQ(order.size(), 8u);  // every object, child pods included, in input order
  EXPECT_EQ(order.front(), "PersistentVolumeClaim/datasets");
  EXPECT_EQ(health["PersistentVolumeClaim/datasets"].first, "Healthy");
  EXPECT_EQ(health["Deployment/feature-server"].first, "Healthy");
  EXPECT_EQ(health["Deployment/ranker"].first, "Progressing");
  EXPECT_NE(health["Deployment/ranker"].second.find("2 of 3"), std::string::npos)
      << health["Deployment/ranker"].second;
  EXPECT_EQ(health["PyTorchJob/fraud-train"].first, "Degraded");
  EXPECT_NE(health["PyTorchJob/fraud-train"].second.find("fraud-train-worker-0"),
            std::string::npos);
  EXPECT_NE(health["PyTorchJob/fraud-train"].second.find("CrashLoopBackOff"), std::string::npos);
  EXPECT_EQ(health["InferenceService/fraud-detector"].first, "Degraded");
  EXPECT_NE(health["InferenceService/fraud-detector"].second.find("state_dict"), std::string::npos);
  EXPECT_EQ(health["CronJob/feature-materialize"].first, "Degraded");
  EXPECT_NE(health["CronJob/feature-materialize"].second.find("9h12m"), std::string::npos)
      << health["CronJob/feature-materialize"].second;
  // A pod with restartPolicy OnFailure is Progressing while it runs (gitops-engine); its
  // crash loop shows on the training job above.
  EXPECT_EQ(health["Pod/fraud-train-worker-0"].first, "Progressing");
}

TEST_F(CliTest, HealthSlaDependsOnTheTimeJudged) {
  testing::TempDir dir;
  std::string file = dir.Write("cron.yaml",
                               "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: features\n"
                               "  annotations: {mlgitops.io/sla: 6h}\n"
                               "  creationTimestamp: '2026-11-01T00:00:00Z'\n"
                               "spec: {schedule: '0 * * * *'}\nstatus:\n"
                               "  lastScheduleTime: '2026-11-26T02:00:00Z'\n"
                               "  lastSuccessfulTime: '2026-11-26T02:05:00Z'\n");
  auto status_at = [&](const std::string& at) {
    auto r = Run({"health", "-f", file, "--at", at, "-o", "json"});
    auto parsed = ParseYamlStream(r.out, "health");
    if (!parsed.ok()) return std::string("unparsable: ") + r.err;
    return std::string((*parsed)[0].json()[0]["health"]["status"].GetString());
  };
  EXPECT_EQ(status_at("2026-11-26T07:00:00Z"), "Healthy");
  EXPECT_EQ(status_at("2026-11-26T09:00:00Z"), "Degraded");
  auto bad_time = Run(
      {"health", "-f", Example("ml-platform/snapshots/cluster-state.yaml"), "--at", "yesterday"});
  EXPECT_EQ(bad_time.exit_code, kExitUsage);
  EXPECT_NE(bad_time.err.find("yesterday"), std::string::npos);
}

TEST_F(CliTest, ColourOnlyOnATerminalAndNeverWithNoColor) {
  std::vector<std::string> args = {"health", "-f",
                                   Example("ml-platform/snapshots/cluster-state.yaml")};
  EXPECT_NE(Run(args, /*tty=*/true).out.find("\033[31mDegraded"), std::string::npos);
  EXPECT_EQ(Run(args, /*tty=*/false).out.find("\033["), std::string::npos);
  env_["NO_COLOR"] = "1";
  EXPECT_EQ(Run(args, /*tty=*/true).out.find("\033["), std::string::npos);
  env_.erase("NO_COLOR");
  env_["TERM"] = "dumb";
  EXPECT_EQ(Run(args, /*tty=*/true).out.find("\033["), std::string::npos);
}

TEST_F(CliTest, InputErrorsNameTheFile) {
  auto missing = Run({"health", "-f", "/nonexistent/objs.yaml"});
  EXPECT_EQ(missing.exit_code, kExitUsage);
  EXPECT_NE(missing.err.find("/nonexistent/objs.yaml"), std::string::npos);
  testing::TempDir dir;
  std::string bad = dir.Write("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata: [oops\n");
  auto syntax = Run({"health", "-f", bad});
  EXPECT_EQ(syntax.exit_code, kExitUsage);
  EXPECT_NE(syntax.err.find("bad.yaml: line"), std::string::npos) << syntax.err;
  std::string app = dir.Write("app.yaml",
                              "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: "
                              "{name: a}\nspec:\n  source: {repoURL: x, path: ../../etc}\n"
                              "  destination: {server: https://kubernetes.default.svc}\n");
  auto render = Run({"render", "-f", app, "--local", dir.path() + "/nothing-here"});
  EXPECT_EQ(render.exit_code, kExitUsage);
  EXPECT_NE(render.err.find("nothing-here"), std::string::npos) << render.err;
}

TEST_F(CliTest, SeveralApplicationsNeedAChoice) {
  testing::TempDir dir;
  std::string two = dir.Write(
      "apps.yaml",
      "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec:\n  source: "
      "{repoURL: x, path: m}\n  destination: {server: https://kubernetes.default.svc, namespace: "
      "ns-a}\n---\napiVersion: mlgitops.io/v1alpha1\nkind: Application\nmetadata: {name: "
      "b}\nspec:\n"
      "  source: {repoURL: x, path: m}\n  destination: {name: in-cluster, namespace: other}\n");
  dir.Write("m/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
  auto ambiguous = Run({"render", "-f", two, "--local", dir.path() + "/m"});
  EXPECT_EQ(ambiguous.exit_code, kExitUsage);
  EXPECT_NE(ambiguous.err.find("--app"), std::string::npos);
  auto chosen = Run({"render", "-f", two, "--local", dir.path() + "/m", "--app", "b"});
  EXPECT_EQ(chosen.exit_code, kExitOk) << chosen.err;
  EXPECT_NE(chosen.out.find("namespace: other"), std::string::npos);
}

// `health -f` ends on the first SIGTERM or SIGINT with exit 130 and a message: the plugin's
// handler only raises a flag, which the assessment loop must look at. Each object runs a Lua
// script that spins until its budget ends, so without that look the file takes minutes.
TEST(PluginBinary, HealthOfAFileStopsOnTheFirstSignal) {
  testing::TempDir dir;
  dir.Write("lua/example.com/Spin/health.lua", "while true do end\n");
  std::string objects;
  for (int i = 0; i < 300; ++i) {
    objects += "---\napiVersion: example.com/v1\nkind: Spin\nmetadata: {name: s" +
               std::to_string(i) + ", namespace: ml}\n";
  }
  std::string file = dir.Write("objects.yaml", objects);
  for (int sig : {SIGTERM, SIGINT}) {
    SCOPED_TRACE(sig == SIGTERM ? "SIGTERM" : "SIGINT");
    testing::SpawnedProcess health({testing::BinDir() + "/kubectl-mlgitops", "health", "-f", file,
                                    "--lua-dir", dir.path() + "/lua", "-o", "json"},
                                   dir.path() + "/out", dir.path() + "/err");
    ASSERT_TRUE(health.running());
    // Signalled once its handler is in place (before that the signal would simply kill it).
    ASSERT_TRUE(health.WaitUntilCatching(sig, std::chrono::seconds(20)));
    health.Signal(sig);
    std::optional<int> status = health.Wait(std::chrono::seconds(15));
    ASSERT_TRUE(status.has_value()) << "still assessing after the first signal";
    ASSERT_TRUE(WIFEXITED(*status)) << "ended by the signal, not by a clean exit";
    EXPECT_EQ(WEXITSTATUS(*status), kExitInterrupted);
    EXPECT_NE(testing::ReadFile(dir.path() + "/err").find("health interrupted"), std::string::npos)
        << testing::ReadFile(dir.path() + "/err");
    EXPECT_EQ(testing::ReadFile(dir.path() + "/out"), "") << "no half report";
  }
}

// The real binary as kubectl runs it: `kubectl mlgitops` finds kubectl-mlgitops on PATH.
TEST(PluginBinary, RealKubectlDispatchesToThePlugin) {
  std::string out;
  int code = testing::RunCommand(
      "PATH='" + testing::BinDir() + "':\"$PATH\" kubectl mlgitops version", &out, true);
  if (code == 127 || out.find("kubectl: not found") != std::string::npos) {
    GTEST_SKIP() << "kubectl is not installed";
  }
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, std::string("kubectl-mlgitops ") + MLGITOPS_VERSION + "\n");
  code = testing::RunCommand("PATH='" + testing::BinDir() + "':\"$PATH\" kubectl mlgitops lint '" +
                                 testing::SourceDir() +
                                 "/manifests/examples/lint-failures' -o json >/dev/null",
                             &out, true);
  EXPECT_EQ(code, 1) << out;
  code = testing::RunCommand("PATH='" + testing::BinDir() + "':\"$PATH\" kubectl mlgitops nope",
                             &out, true);
  EXPECT_EQ(code, 2) << out;
}

}  // namespace
}  // namespace mlgitops

namespace mlgitops {
namespace {

// Hands the test's fake to a command without giving up ownership.
class SharedClient : public BorrowedKubeClient {
 public:
  explicit SharedClient(std::shared_ptr<FakeKubeClient> f)
      : BorrowedKubeClient(*f), f_(std::move(f)) {}

 private:
  std::shared_ptr<FakeKubeClient> f_;
};

// Live commands against the in-memory fake cluster, through the same connect seam as kubesim.
class CliLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_shared<FakeKubeClient>("ml");
    for (auto [group, version, kind, plural] :
         {std::tuple{"kubeflow.org", "v1", "PyTorchJob", "pytorchjobs"},
          std::tuple{"serving.kserve.io", "v1beta1", "InferenceService", "inferenceservices"}}) {
      ResourceInfo info;
      info.group = group;
      info.version = version;
      info.kind = kind;
      info.resource = plural;
      info.singular = plural;
      info.singular.pop_back();
      fake_->AddResource(info);
    }
    auto objects = ParseManifests(
        testing::ReadFile(testing::SourceDir() +
                          "/manifests/examples/ml-platform/snapshots/cluster-state.yaml"),
        "snapshot");
    ASSERT_TRUE(objects.ok()) << objects.status().ToString();
    for (const Object& o : *objects) {
      ASSERT_TRUE(fake_->Seed(o).ok()) << o.ref().ToString();
    }
  }
  CliRun Run(std::vector<std::string> args) {
    MemoryTerminal out(false), err(false);
    FixedClock clock(*ParseRfc3339("2026-11-26T12:00:00Z"));
    std::shared_ptr<FakeKubeClient> fake = fake_;
    CliEnv env{out, err, clock, [](const char*) -> const char* { return nullptr; }};
    env.connect = [fake,
                   this](const KubeconfigOptions& options) -> Result<std::unique_ptr<KubeClient>> {
      last_options_ = options;
      return std::unique_ptr<KubeClient>(new SharedClient(fake));
    };
    int code = RunCli(args, env);
    return {code, out.text(), err.text()};
  }
  std::shared_ptr<FakeKubeClient> fake_;
  KubeconfigOptions last_options_;
};

TEST_F(CliLiveTest, HealthOfNamedLiveObjectsFetchesTheirPods) {
  auto r = Run({"health", "pytorchjob/fraud-train", "deploy/ranker", "-n", "ml-platform", "-o",
                "json", "--context", "prod"});
  EXPECT_EQ(r.exit_code, kExitFindings) << r.err;
  EXPECT_EQ(last_options_.context, "prod");
  EXPECT_EQ(last_options_.namespace_, "ml-platform");
  auto parsed = ParseYamlStream(r.out, "health");
  ASSERT_TRUE(parsed.ok()) << r.out << r.err;
  const JsonValue& rows = (*parsed)[0].json();
  ASSERT_EQ(rows.Size(), 2u);
  EXPECT_STREQ(rows[0]["kind"].GetString(), "PyTorchJob");
  EXPECT_STREQ(rows[0]["health"]["status"].GetString(), "Degraded");
  EXPECT_NE(std::string(rows[0]["health"]["message"].GetString()).find("fraud-train-worker-0"),
            std::string::npos);
  EXPECT_STREQ(rows[1]["health"]["status"].GetString(), "Progressing");
}

TEST_F(CliLiveTest, HealthOfAFileLiveReportsMissingObjects) {
  testing::TempDir dir;
  std::string file = dir.Write(
      "want.yaml",
      "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: datasets, namespace: "
      "ml-platform}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: gone, "
      "namespace: ml-platform}\n");
  auto r = Run({"health", "-f", file, "--live"});
  EXPECT_EQ(r.exit_code, kExitFindings);
  EXPECT_NE(r.out.find("datasets"), std::string::npos);
  EXPECT_NE(r.out.find("Missing"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("not found in the cluster"), std::string::npos);
}

TEST_F(CliLiveTest, GetListsATypeWithHealthAndPrintsObjects) {
  auto table = Run({"get", "deployments", "-n", "ml-platform"});
  EXPECT_EQ(table.exit_code, kExitOk) << table.err;
  EXPECT_NE(table.out.find("feature-server"), std::string::npos);
  EXPECT_NE(table.out.find("ranker"), std::string::npos);
  EXPECT_NE(table.out.find("HEALTH"), std::string::npos);
  auto yaml = Run({"get", "deploy/ranker", "-n", "ml-platform", "-o", "yaml"});
  EXPECT_EQ(yaml.exit_code, kExitOk) << yaml.err;
  auto parsed = ParseManifests(yaml.out, "get");
  ASSERT_TRUE(parsed.ok()) << yaml.out;
  EXPECT_EQ((*parsed)[0].name(), "ranker");
  auto none = Run({"get", "pods", "-n", "empty"});
  EXPECT_EQ(none.exit_code, kExitOk);
  EXPECT_NE(none.err.find("No resources found in empty namespace."), std::string::npos);
  auto unknown = Run({"get", "frobs"});
  EXPECT_EQ(unknown.exit_code, kExitUsage);
  EXPECT_NE(unknown.err.find("frobs"), std::string::npos) << unknown.err;
}

}  // namespace
}  // namespace mlgitops
