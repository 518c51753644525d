// End to end: `kubectl mlgitops webhook install` into kubesim, the real mlgitops-webhook serving
// with the certificate install made, and kubesim calling it exactly as kube-apiserver does while
// the real kubectl creates objects.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "kubesim/launcher.h"
#include "object/base64.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using mlgitops::testing::FreePort;
using mlgitops::testing::PortAccepts;

using kubesim::KubesimProcess;
using kubesim::LaunchOptions;
using testing::RunCommand;
using testing::TempDir;

constexpr char kWebhookNamespace[] = "mlgitops-webhook";

class WebhookEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(RunCommand("command -v kubectl", nullptr), 0) << "kubectl is not on PATH";
    LaunchOptions options;
    options.binary = testing::BinDir() + "/kubesim";
    options.work_dir = dir_.path();
    auto started = KubesimProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.status().message();
    kubesim_ = std::move(started).value();
    std::string out;
    ASSERT_EQ(Mlgitops("webhook install", &out), 0) << out;
    StartWebhook();
  }

  void TearDown() override {
    StopWebhook();
    if (kubesim_) {
      EXPECT_EQ(kubesim_->Stop(), 0);
    }
  }

  int Kubectl(const std::string& args, std::string* out) {
    return RunCommand("kubectl --kubeconfig " + kubesim_->kubeconfig_path() + " --cache-dir " +
                          dir_.path() + "/kcache " + args,
                      out, true);
  }

  int Mlgitops(const std::string& args, std::string* out) {
    return RunCommand(testing::BinDir() + "/kubectl-mlgitops " + args + " --kubeconfig " +
                          kubesim_->kubeconfig_path(),
                      out, true);
  }

  /// The serving certificate install stored, written where the webhook reads it.
  std::string SecretFile(const std::string& key) {
    std::string out;
    std::string escaped = key;
    escaped.replace(escaped.find('.'), 1, "\\.");
    EXPECT_EQ(Kubectl("get secret mlgitops-webhook-tls -n " + std::string(kWebhookNamespace) +
                          " -o 'jsonpath={.data." + escaped + "}'",
                      &out),
              0)
        << out;
    auto decoded = Base64Decode(out);
    EXPECT_TRUE(decoded.has_value()) << out;
    return dir_.Write("tls/" + key, decoded.value_or(""));
  }

  void StartWebhook(const std::vector<std::string>& extra_args = {}) {
    std::string cert = SecretFile("tls.crt");
    std::string key = SecretFile("tls.key");
    port_ = FreePort();
    ASSERT_GT(port_, 0);
    std::string log = dir_.path() + "/webhook.log";
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      std::string port = std::to_string(port_);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 2);
        dup2(fd, 1);
      }
      std::string binary = testing::BinDir() + "/mlgitops-webhook";
      std::vector<std::string> args = {binary, "--port",    port, "--tls-cert",
                                       cert,   "--tls-key", key};
      args.insert(args.end(), extra_args.begin(), extra_args.end());
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    for (int i = 0; i < 200 && !PortAccepts(port_); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ASSERT_TRUE(PortAccepts(port_)) << testing::ReadFile(log);
    // kubesim has no pods behind Services: this annotation says where the Service answers.
    std::string out;
    ASSERT_EQ(
        Kubectl("annotate service mlgitops-webhook -n " + std::string(kWebhookNamespace) +
                    " --overwrite kubesim.mlgitops.io/endpoint=127.0.0.1:" + std::to_string(port_),
                &out),
        0)
        << out;
  }

  void StopWebhook() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    pid_ = -1;
  }

  std::string Apply(const std::string& name, const std::string& yaml, int* code) {
    std::string file = dir_.Write(name, yaml);
    std::string out;
    *code = Kubectl("apply --server-side -f " + file, &out);
    return out;
  }

  TempDir dir_;
  std::unique_ptr<KubesimProcess> kubesim_;
  pid_t pid_ = -1;
  int port_ = 0;
};

TEST_F(WebhookEndToEndTest, AModelServerWithoutReadinessProbeIsDeniedWithTheRulesMessage) {
  std::string out;
  ASSERT_EQ(Kubectl("create namespace ml", &out), 0) << out;
  int code = 0;
  out = Apply("ranker.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: ranker
  namespace: ml
  labels: {mlgitops.io/role: model-serving}
spec:
  replicas: 1
  selector: {matchLabels: {app: ranker}}
  template:
    metadata: {labels: {app: ranker}}
    spec:
      containers: [{name: server, image: "ghcr.io/example/ranker:1.0"}]
)",
              &code);
  EXPECT_NE(code, 0) << out;
  EXPECT_NE(out.find("admission webhook \"validate.mlgitops.io\" denied the request"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("serving-readiness-probe"), std::string::npos) << out;
  EXPECT_NE(Kubectl("get deployment ranker -n ml", &out), 0) << "nothing was stored";
}

TEST_F(WebhookEndToEndTest, AConfigMapWithoutAWaveGetsOneAndAnApplicationGetsCreateNamespace) {
  std::string out;
  ASSERT_EQ(Kubectl("create namespace ml", &out), 0) << out;
  ASSERT_EQ(Kubectl("create configmap settings -n ml --from-literal=k=v", &out), 0) << out;
  ASSERT_EQ(Kubectl("get configmap settings -n ml -o "
                    "'jsonpath={.metadata.annotations.argocd\\.argoproj\\.io/sync-wave}'",
                    &out),
            0);
  EXPECT_EQ(out, "0") << "the foundation role's wave";

  ASSERT_EQ(
      Kubectl("apply --server-side -f " + testing::SourceDir() + "/manifests/crds/application.yaml",
              &out),
      0)
      << out;
  int code = 0;
  out = Apply("app.yaml", R"(apiVersion: mlgitops.io/v1alpha1
kind: Application
metadata: {name: fraud, namespace: ml}
spec:
  project: default
  source: {repoURL: "https://git.example.com/ml.git", path: models/fraud, targetRevision: main}
  destination: {server: "https://kubernetes.default.svc", namespace: fraud}
)",
              &code);
  ASSERT_EQ(code, 0) << out;
  ASSERT_EQ(Kubectl("get applications.mlgitops.io fraud -n ml -o "
                    "jsonpath={.spec.syncPolicy.syncOptions}",
                    &out),
            0);
  EXPECT_NE(out.find("CreateNamespace=true"), std::string::npos) << out;
}

TEST_F(WebhookEndToEndTest, FailurePolicyDecidesWhatHappensWhileTheWebhookIsDown) {
  std::string out;
  ASSERT_EQ(Kubectl("create namespace ml", &out), 0) << out;
  StopWebhook();
  // Validation fails closed by default: nothing is admitted unchecked.
  EXPECT_NE(Kubectl("create configmap while-down -n ml", &out), 0) << out;
  EXPECT_NE(out.find("failed calling webhook"), std::string::npos) << out;
  // Reinstalled with failurePolicy Ignore, the same create goes through without the webhook.
  ASSERT_EQ(Mlgitops("webhook install --failure-policy Ignore", &out), 0) << out;
  EXPECT_EQ(Kubectl("create configmap while-down -n ml", &out), 0) << out;
}

// With --project-namespace the webhook refuses at admission an Application its AppProject does
// not permit (Argo CD only checks at sync time), so such an app is never stored.
TEST_F(WebhookEndToEndTest, AnApplicationItsProjectDoesNotPermitIsDeniedAtAdmission) {
  std::string out;
  for (const char* ns : {"ml", "mlgitops"}) {
    ASSERT_EQ(Kubectl(std::string("create namespace ") + ns, &out), 0) << out;
  }
  for (const char* crd : {"application.yaml", "appproject.yaml"}) {
    ASSERT_EQ(
        Kubectl("apply --server-side -f " + testing::SourceDir() + "/manifests/crds/" + crd, &out),
        0)
        << out;
  }
  int code = 0;
  out = Apply("project.yaml", R"(apiVersion: mlgitops.io/v1alpha1
kind: AppProject
metadata: {name: team-ml, namespace: mlgitops}
spec:
  sourceRepos: ['https://git.example.com/*']
  destinations: [{server: 'https://kubernetes.default.svc', namespace: 'fraud'}]
  sourceNamespaces: [ml]
)",
              &code);
  ASSERT_EQ(code, 0) << out;
  StopWebhook();
  StartWebhook({"--project-namespace", "mlgitops", "--kubeconfig", kubesim_->kubeconfig_path()});

  auto app = [](const std::string& name, const std::string& dest) {
    return "apiVersion: mlgitops.io/v1alpha1\nkind: Application\nmetadata: {name: " + name +
           ", namespace: ml}\nspec:\n  project: team-ml\n"
           "  source: {repoURL: 'https://git.example.com/ml.git', path: fraud}\n"
           "  destination: {server: 'https://kubernetes.default.svc', namespace: " +
           dest + "}\n";
  };
  out = Apply("evil.yaml", app("evil", "kube-system"), &code);
  EXPECT_NE(code, 0) << out;
  EXPECT_NE(out.find("admission webhook \"validate.mlgitops.io\" denied the request: "
                     "application-project: application destination server "
                     "'https://kubernetes.default.svc' and namespace 'kube-system' do not match "
                     "any of the allowed destinations in project 'team-ml'"),
            std::string::npos)
      << out;
  EXPECT_NE(Kubectl("get applications.mlgitops.io evil -n ml", &out), 0) << "not stored";
  out = Apply(
      "missing.yaml",
      std::string(app("lost", "fraud")).replace(app("lost", "fraud").find("team-ml"), 7, "no-such"),
      &code);
  EXPECT_NE(code, 0) << out;
  EXPECT_NE(out.find("Application referencing project no-such which does not exist"),
            std::string::npos)
      << out;
  out = Apply("good.yaml", app("good", "fraud"), &code);
  EXPECT_EQ(code, 0) << out;
}

}  // namespace
}  // namespace mlgitops
