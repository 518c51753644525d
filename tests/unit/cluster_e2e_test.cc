// End to end with two kubesims: `cluster add` registers the second through its kubeconfig
// context, Applications reach it by destination name, and an outage fails only its syncs.
// Also kubesim's TokenRequest API, through the real kubectl.
#include <gtest/gtest.h>

#include "cluster/registry.h"
#include "kube/client.h"
#include "kubesim/launcher.h"
#include "object/base64.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using kubesim::KubesimProcess;
using kubesim::LaunchOptions;
using testing::ReadFile;
using testing::RunCommand;
using testing::TempDir;

Result<std::unique_ptr<KubesimProcess>> StartKubesim(const std::string& dir) {
  LaunchOptions options;
  options.binary = testing::BinDir() + "/kubesim";
  options.work_dir = dir;
  options.controllers = true;
  options.step_delay = "50ms";
  return KubesimProcess::Start(options);
}

/// `kubeconfig` with its cluster, user and context entries named `name` instead of kubesim.
std::string Renamed(std::string kubeconfig, const std::string& name) {
  for (const std::string from :
       {"name: kubesim", "cluster: kubesim", "user: kubesim", "current-context: kubesim"}) {
    std::string to = from.substr(0, from.find("kubesim")) + name;
    for (size_t at = kubeconfig.find(from); at != std::string::npos;
         at = kubeconfig.find(from, at + to.size())) {
      kubeconfig.replace(at, from.size(), to);
    }
  }
  return kubeconfig;
}

std::string LineStartingWith(const std::string& text, const std::string& prefix) {
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    if (text.compare(at, prefix.size(), prefix) == 0) return text.substr(at, end - at);
    at = end + 1;
  }
  return "";
}

class ClusterEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(RunCommand("command -v kubectl", nullptr), 0) << "kubectl is not on PATH";
    auto control = StartKubesim(control_dir_.path());
    ASSERT_TRUE(control.ok()) << control.status().message();
    control_ = std::move(*control);
    auto remote = StartKubesim(remote_dir_.path());
    ASSERT_TRUE(remote.ok()) << remote.status().message();
    remote_ = std::move(*remote);
    remote_kubeconfig_ =
        dir_.Write("remote.kubeconfig", Renamed(ReadFile(remote_->kubeconfig_path()), "gpu"));
    dir_.Write("manifests/cm.yaml",
               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: model-config}\n"
               "data: {model: fraud}\n");
  }

  void TearDown() override {
    if (remote_ && remote_->running()) {
      EXPECT_EQ(remote_->Stop(), 0);
    }
    if (control_) {
      EXPECT_EQ(control_->Stop(), 0);
    }
  }

  /// kubectl-mlgitops with both clusters' contexts (kubesim: current, gpu: the second).
  int Mlgitops(const std::string& args, std::string* out) {
    return RunCommand("KUBECONFIG=" + control_->kubeconfig_path() + ":" + remote_kubeconfig_ + " " +
                          testing::BinDir() + "/kubectl-mlgitops " + args + " --context kubesim",
                      out, true);
  }
  int Kubectl(const KubesimProcess& cluster, const std::string& args, std::string* out) {
    return RunCommand("kubectl --kubeconfig " + cluster.kubeconfig_path() + " " + args, out, true);
  }
  /// An Application whose destination is `destination` ("name: x" or "server: y").
  std::string WriteApp(const std::string& name, const std::string& destination) {
    return dir_.Write(name + ".yaml",
                      "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
                      "metadata: {name: " +
                          name +
                          ", namespace: default}\n"
                          "spec:\n  project: default\n"
                          "  source: {repoURL: https://git.example.com/ml.git, path: manifests}\n"
                          "  destination: {" +
                          destination +
                          ", namespace: models}\n"
                          "  syncPolicy: {syncOptions: [CreateNamespace=true]}\n");
  }
  int Sync(const std::string& app, std::string* out) {
    return Mlgitops("sync -f " + app + " --local " + dir_.path() + "/manifests --wave-timeout 60s",
                    out);
  }

  TempDir dir_, control_dir_, remote_dir_;
  std::unique_ptr<KubesimProcess> control_, remote_;
  std::string remote_kubeconfig_;
};

TEST_F(ClusterEndToEndTest, RegisteredClusterIsSyncedByNameAndItsOutageFailsOnlyItsSyncs) {
  std::string out;
  ASSERT_EQ(Mlgitops("cluster add gpu --name gpu-east --label tier=gpu", &out), 0) << out;
  EXPECT_NE(out.find("added as \"gpu-east\""), std::string::npos) << out;

  // In the target: the manager account; in the control cluster: the Secret, with a token of
  // its own (not kubesim's admin token) and the target's CA.
  EXPECT_EQ(Kubectl(*remote_, "get serviceaccount mlgitops-manager -n kube-system", &out), 0);
  EXPECT_EQ(Kubectl(*remote_, "get clusterrolebinding mlgitops-manager-role-binding", &out), 0);
  ASSERT_EQ(Kubectl(*control_,
                    "get secret -n mlgitops -l argocd.argoproj.io/secret-type=cluster,"
                    "mlgitops.io/secret-type=cluster -o jsonpath={.items[0].data.config}",
                    &out),
            0)
      << out;
  auto config = Base64Decode(out);
  ASSERT_TRUE(config.has_value()) << out;
  EXPECT_EQ(config->find(remote_->token()), std::string::npos) << "a token of its own";
  EXPECT_NE(config->find("\"bearerToken\":\"kubesim-"), std::string::npos);
  EXPECT_NE(config->find(Base64Encode(remote_->ca_pem())), std::string::npos);

  ASSERT_EQ(Mlgitops("cluster list", &out), 0) << out;
  EXPECT_NE(out.find("in-cluster"), std::string::npos) << out;
  std::string row = LineStartingWith(out, "gpu-east ");
  for (const std::string& cell : {remote_->server(), std::string("v1.32.4"),
                                  std::string("Reachable"), std::string("tier=gpu")}) {
    EXPECT_NE(row.find(cell), std::string::npos) << cell << " missing in: " << out;
  }
  ASSERT_EQ(Mlgitops("cluster list -o json", &out), 0) << out;
  auto listed = ParseJsonObject("{\"items\":" + out.substr(out.find('[')) + "}", "cluster list");
  ASSERT_TRUE(listed.ok()) << out;
  const JsonValue* items = Find(listed->json(), "items");
  ASSERT_TRUE(items && items->IsArray() && items->Size() == 2) << out;
  for (const JsonValue& item : items->GetArray()) {
    EXPECT_TRUE(GetBool(item, "reachable").value_or(false)) << out;
    EXPECT_EQ(GetString(item, "version"), "v1.32.4");
  }

  // Least privilege by default: the manager account may only impersonate ServiceAccounts
  // (AppProjects' destinationServiceAccounts), and no rule names every non-resource URL.
  ASSERT_EQ(Kubectl(*remote_, "get clusterrole mlgitops-manager-role -o json", &out), 0) << out;
  auto role = ParseJsonObject(out, "role");
  ASSERT_TRUE(role.ok()) << out;
  EXPECT_EQ(ToJson(*Find(role->json(), "rules")),
            R"([{"apiGroups":[""],"resources":["serviceaccounts"],"verbs":["impersonate"]}])");
  std::string remote_app = WriteApp("fraud-gpu", "name: gpu-east");
  EXPECT_EQ(Sync(remote_app, &out), 1) << out;
  EXPECT_NE(out.find("system:serviceaccount:kube-system:mlgitops-manager"), std::string::npos)
      << out;
  EXPECT_NE(Kubectl(*remote_, "get configmap model-config -n models", &out), 0) << out;

  // Registered again without --upsert: refused; with it, a fresh token (and, single tenant,
  // the right to act on every resource).
  EXPECT_EQ(Mlgitops("cluster add gpu --name gpu-east", &out), 2) << out;
  EXPECT_NE(out.find("--upsert"), std::string::npos) << out;
  EXPECT_EQ(
      Mlgitops("cluster add gpu --name gpu-east --upsert --cluster-admin --label tier=gpu", &out),
      0)
      << out;
  ASSERT_EQ(Kubectl(*remote_, "get clusterrole mlgitops-manager-role -o json", &out), 0) << out;
  role = ParseJsonObject(out, "role");
  ASSERT_TRUE(role.ok()) << out;
  int url_rules = 0;
  for (const JsonValue& rule : Find(role->json(), "rules")->GetArray()) {
    const JsonValue* urls = Find(rule, "nonResourceURLs");
    if (!urls) continue;
    ++url_rules;
    for (const JsonValue& url : urls->GetArray()) {
      EXPECT_TRUE(url.IsString() && std::string(url.GetString()) != "*") << out;
    }
  }
  EXPECT_EQ(url_rules, 1) << out;

  ASSERT_EQ(Sync(remote_app, &out), 0) << out;
  EXPECT_EQ(Kubectl(*remote_, "get configmap model-config -n models", &out), 0)
      << "synced into the registered cluster: " << out;
  EXPECT_NE(Kubectl(*control_, "get configmap model-config -n models", &out), 0)
      << "not into the control cluster";

  // The registered cluster goes down.
  EXPECT_EQ(remote_->Stop(), 0);
  EXPECT_EQ(Mlgitops("cluster list --timeout 2s", &out), 1) << out;
  EXPECT_NE(out.find("cannot connect to " + remote_->server()), std::string::npos) << out;
  EXPECT_EQ(Sync(remote_app, &out), 2) << out;
  EXPECT_NE(out.find("destination cluster \"gpu-east\" (" + remote_->server() + ") is unreachable"),
            std::string::npos)
      << out;
  std::string local_app = WriteApp("fraud-local", "name: in-cluster");
  EXPECT_EQ(Sync(local_app, &out), 0) << "in-cluster still syncs: " << out;
  EXPECT_EQ(Kubectl(*control_, "get configmap model-config -n models", &out), 0) << out;

  // An unknown name is an error listing what is registered.
  EXPECT_EQ(Sync(WriteApp("lost", "name: gpu-west"), &out), 2) << out;
  EXPECT_NE(out.find("no clusters with this name"), std::string::npos) << out;
  EXPECT_NE(out.find("in-cluster, gpu-east"), std::string::npos) << out;

  ASSERT_EQ(Mlgitops("cluster rm gpu-east", &out), 0) << out;
  EXPECT_EQ(Kubectl(*control_, "get secret -n mlgitops -o name", &out), 0);
  EXPECT_EQ(out.find("secret/cluster-"), std::string::npos) << "the Secret is gone: " << out;
  EXPECT_EQ(Mlgitops("cluster rm gpu-east", &out), 2) << out;
  EXPECT_EQ(Mlgitops("cluster rm in-cluster", &out), 2) << out;
  EXPECT_NE(out.find("cannot be removed"), std::string::npos) << out;
}

TEST_F(ClusterEndToEndTest, DestinationServerPrefersTheRegisteredClustersCredentials) {
  std::string out;
  ASSERT_EQ(Mlgitops("cluster add gpu --name gpu-east --cluster-admin", &out), 0) << out;
  // Without the second kubeconfig, only the cluster Secret knows how to reach the server.
  std::string app = WriteApp("by-server", "server: " + remote_->server());
  ASSERT_EQ(RunCommand(testing::BinDir() + "/kubectl-mlgitops sync -f " + app + " --local " +
                           dir_.path() + "/manifests --kubeconfig " + control_->kubeconfig_path(),
                       &out, true),
            0)
      << out;
  EXPECT_EQ(Kubectl(*remote_, "get configmap model-config -n models", &out), 0) << out;
}

TEST_F(ClusterEndToEndTest, AnApplicationSetOverRegisteredClustersSyncsTheModelToEach) {
  std::string out;
  ASSERT_EQ(Mlgitops("cluster add gpu --name gpu-east --cluster-admin --label tier=serving", &out),
            0)
      << out;
  ASSERT_EQ(Kubectl(*control_,
                    "label secret -n mlgitops -l argocd.argoproj.io/secret-type=cluster "
                    "tier=serving --overwrite",
                    &out),
            0)
      << out;
  // The model's manifests under <root>/models/fraud; one Application per serving cluster.
  dir_.Write("root/models/fraud/cm.yaml",
             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fraud-model}\n"
             "data: {model: fraud}\n");
  std::string appset = dir_.Write("appset.yaml", R"(apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: fraud, namespace: default}
spec:
  generators:
  - clusters: {}
  template:
    metadata: {name: 'fraud-{{name}}'}
    spec:
      project: default
      source: {repoURL: https://git.example.com/ml.git, path: models/fraud}
      destination: {server: '{{server}}', namespace: models}
      syncPolicy: {syncOptions: [CreateNamespace=true]}
)");
  ASSERT_EQ(Mlgitops("appset generate -f " + appset, &out), 0) << out;
  EXPECT_NE(out.find("name: fraud-in-cluster"), std::string::npos) << out;
  EXPECT_NE(out.find("name: fraud-gpu-east"), std::string::npos) << out;

  std::string sync = "appset sync -f " + appset + " --local-root " + dir_.path() + "/root";
  ASSERT_EQ(Mlgitops(sync, &out), 0) << out;
  EXPECT_EQ(Kubectl(*control_, "get configmap fraud-model -n models", &out), 0) << out;
  EXPECT_EQ(Kubectl(*remote_, "get configmap fraud-model -n models", &out), 0) << out;

  // One cluster down: only its Application fails, the other still syncs.
  ASSERT_EQ(remote_->Stop(), 0);
  ASSERT_EQ(Kubectl(*control_, "delete configmap fraud-model -n models", &out), 0) << out;
  EXPECT_NE(Mlgitops(sync, &out), 0) << out;
  EXPECT_NE(out.find("gpu-east"), std::string::npos) << "the failure names the cluster: " << out;
  EXPECT_EQ(Kubectl(*control_, "get configmap fraud-model -n models", &out), 0)
      << "the reachable cluster was synced anyway: " << out;
}

TEST_F(ClusterEndToEndTest, TheControllerSyncsAnAppToItsRegisteredCluster) {
  std::string out;
  ASSERT_EQ(Mlgitops("cluster add gpu --name gpu-east --cluster-admin", &out), 0) << out;
  ASSERT_EQ(
      Kubectl(*control_,
              "apply --server-side -f " + testing::SourceDir() + "/manifests/crds/application.yaml",
              &out),
      0)
      << out;
  std::string app = dir_.Write("cr.yaml", R"(apiVersion: mlgitops.io/v1alpha1
kind: Application
metadata: {name: edge-model, namespace: default}
spec:
  project: default
  source: {repoURL: https://git.example.com/ml.git, path: manifests}
  destination: {name: gpu-east, namespace: models}
  syncPolicy:
    automated: {}
    syncOptions: [CreateNamespace=true]
)");
  ASSERT_EQ(Kubectl(*control_, "apply --server-side -f " + app, &out), 0) << out;
  ASSERT_EQ(Mlgitops("controller --once -n default --local-root " + dir_.path(), &out), 0) << out;
  EXPECT_EQ(Kubectl(*remote_, "get configmap model-config -n models", &out), 0)
      << "synced into the registered cluster: " << out;
  EXPECT_NE(Kubectl(*control_, "get configmap model-config -n models", &out), 0);
  ASSERT_EQ(Kubectl(*control_,
                    "get applications.mlgitops.io edge-model -n default -o "
                    "jsonpath={.status.sync.status}",
                    &out),
            0);
  EXPECT_EQ(out, "Synced");
}

class KubesimTokenRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = StartKubesim(dir_.path());
    ASSERT_TRUE(started.ok()) << started.status().message();
    kubesim_ = std::move(*started);
  }
  void TearDown() override {
    if (kubesim_) {
      EXPECT_EQ(kubesim_->Stop(), 0);
    }
  }
  int Kubectl(const std::string& args, std::string* out) {
    return RunCommand("kubectl --kubeconfig " + kubesim_->kubeconfig_path() + " " + args, out,
                      true);
  }
  /// kubectl with only `token` as credentials.
  int KubectlWithToken(const std::string& token, const std::string& args, std::string* out) {
    return RunCommand("kubectl --kubeconfig /dev/null --server " + kubesim_->server() +
                          " --certificate-authority " + kubesim_->ca_path() + " --token " + token +
                          " " + args,
                      out, true);
  }
  TempDir dir_;
  std::unique_ptr<KubesimProcess> kubesim_;
};

TEST_F(KubesimTokenRequestTest, KubectlCreateTokenIssuesATokenThatDiesWithItsServiceAccount) {
  std::string out, token;
  ASSERT_EQ(Kubectl("create serviceaccount mlgitops-manager -n kube-system", &out), 0) << out;
  ASSERT_EQ(Kubectl("create token mlgitops-manager -n kube-system --duration 2h", &token), 0)
      << token;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  ASSERT_EQ(token.rfind("kubesim-", 0), 0u) << token;
  EXPECT_NE(token, kubesim_->token());
  // The token authenticates as its ServiceAccount (SelfSubjectReview is open to every
  // authenticated user); RBAC grants it nothing else until a binding does.
  EXPECT_EQ(KubectlWithToken(token, "auth whoami", &out), 0) << out;
  EXPECT_NE(out.find("system:serviceaccount:kube-system:mlgitops-manager"), std::string::npos)
      << out;
  EXPECT_NE(KubectlWithToken(token, "get namespace kube-system", &out), 0);
  EXPECT_NE(out.find("(Forbidden)"), std::string::npos) << out;
  EXPECT_NE(KubectlWithToken("kubesim-not-issued", "get namespace kube-system", &out), 0);
  EXPECT_NE(out.find("Unauthorized"), std::string::npos) << out;

  EXPECT_NE(Kubectl("create token mlgitops-manager -n kube-system --duration 1m", &out), 0);
  EXPECT_NE(out.find("may not specify a duration less than 10 minutes"), std::string::npos) << out;
  EXPECT_NE(Kubectl("create token nobody -n kube-system", &out), 0);
  EXPECT_NE(out.find("serviceaccounts \"nobody\" not found"), std::string::npos) << out;

  // Deleted, then created again under the same name: the old token stays dead.
  ASSERT_EQ(Kubectl("delete serviceaccount mlgitops-manager -n kube-system", &out), 0) << out;
  ASSERT_EQ(Kubectl("create serviceaccount mlgitops-manager -n kube-system", &out), 0) << out;
  EXPECT_NE(KubectlWithToken(token, "auth whoami", &out), 0);
  EXPECT_NE(out.find("Unauthorized"), std::string::npos) << out;
}

TEST_F(KubesimTokenRequestTest, TheApiAnswersATokenRequestWithItsExpiry) {
  std::string out;
  ASSERT_EQ(Kubectl("create serviceaccount robot -n default", &out), 0) << out;
  auto answer =
      kubesim_->Request("POST", "/api/v1/namespaces/default/serviceaccounts/robot/token",
                        R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest",)"
                        R"("spec":{"expirationSeconds":7200,"audiences":["mlgitops"]}})");
  ASSERT_EQ(answer.status, 201) << answer.body;
  auto parsed = ParseJsonObject(answer.body, "TokenRequest");
  ASSERT_TRUE(parsed.ok()) << answer.body;
  EXPECT_EQ(GetString(parsed->json(), "kind"), "TokenRequest");
  EXPECT_EQ(GetInt(parsed->json(), "spec.expirationSeconds"), 7200);
  EXPECT_EQ(GetString((*Find(parsed->json(), "spec.audiences"))[0], ""), "mlgitops");
  EXPECT_FALSE(GetString(parsed->json(), "status.token").empty());
  EXPECT_FALSE(GetString(parsed->json(), "status.expirationTimestamp").empty());
  EXPECT_EQ(
      kubesim_->Request("GET", "/api/v1/namespaces/default/serviceaccounts/robot/token").status,
      405);
}

}  // namespace
}  // namespace mlgitops
