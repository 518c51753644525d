// Benchmark: the real mlgitops-webhook under wrk over kept-alive TLS. A ~7 KB AdmissionReview of
// a model-serving Deployment is POSTed to /validate and /mutate, next to GET /healthz on the same
// server in the same run: throughput at -c16, p50/p99 at a light -c4 load, the policy's cost as a
// ratio to /healthz, and the server's RSS at start and after at least 1M requests.
//
// Usage: mlgitops_bench_webhook [--seconds 10] [--min-requests 1000000]
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sys/process.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;

// A model server as teams write it: probes, GPU resources, env, volumes, and the annotations
// and managed fields an apiserver adds, which is what makes real reviews ~7 KB.
std::string DeploymentReview() {
  std::string env;
  for (int i = 0; i < 56; ++i) {
    env += R"({"name":"MODEL_SETTING_)" + std::to_string(i) + R"(","value":"value-)" +
           std::to_string(i * 7919) + R"("},)";
  }
  env += R"({"name":"POD_NAME","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}})";
  const std::string probe =
      R"({"httpGet":{"path":"/v2/health/ready","port":8000},"initialDelaySeconds":10,)"
      R"("periodSeconds":5,"timeoutSeconds":2,"failureThreshold":3})";
  const std::string server_container =
      R"({"name":"triton","image":"nvcr.io/nvidia/tritonserver:24.05-py3",)"
      R"("args":["tritonserver","--model-repository=s3://models/ranker","--strict-readiness=true"],)"
      R"("ports":[{"name":"http","containerPort":8000},{"name":"grpc","containerPort":8001},)"
      R"({"name":"metrics","containerPort":8002}],"env":[)" +
      env + R"(],"readinessProbe":)" + probe + R"(,"livenessProbe":)" + probe +
      R"(,"startupProbe":)" + probe +
      R"(,"resources":{"requests":{"cpu":"4","memory":"16Gi","nvidia.com/gpu":"1"},)"
      R"("limits":{"cpu":"8","memory":"24Gi","nvidia.com/gpu":"1"}},)"
      R"("volumeMounts":[{"name":"model-cache","mountPath":"/models"},)"
      R"({"name":"dshm","mountPath":"/dev/shm"},{"name":"config","mountPath":"/etc/triton"}],)"
      R"("securityContext":{"runAsNonRoot":true,"readOnlyRootFilesystem":true,)"
      R"("allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}})";
  const std::string sidecar =
      R"({"name":"metrics-exporter","image":"ghcr.io/example/exporter:1.4.2",)"
      R"("ports":[{"name":"exporter","containerPort":9400}],)"
      R"("readinessProbe":{"tcpSocket":{"port":9400},"periodSeconds":10},)"
      R"("resources":{"requests":{"cpu":"100m","memory":"64Mi"},"limits":{"memory":"128Mi"}}})";
  const std::string deployment =
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"ranker","namespace":"ml-serving",)"
      R"("labels":{"app.kubernetes.io/name":"ranker","app.kubernetes.io/part-of":"recsys",)"
      R"("app.kubernetes.io/component":"model-server","mlgitops.io/team":"search"},)"
      R"("annotations":{"mlgitops.io/model":"ranker-v42","argocd.argoproj.io/tracking-id":)"
      R"("recsys:apps/Deployment:ml-serving/ranker","deployment.kubernetes.io/revision":"17"},)"
      R"("managedFields":[{"manager":"argocd-controller","operation":"Apply","apiVersion":"apps/v1",)"
      R"("time":"2026-05-01T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":)"
      R"({"f:app.kubernetes.io/name":{},"f:app.kubernetes.io/part-of":{}}},"f:spec":{"f:replicas":{},)"
      R"("f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"triton\"}":{".":{},"f:image":{},)"
      R"("f:readinessProbe":{"f:httpGet":{"f:path":{},"f:port":{}}},"f:resources":{"f:limits":{},)"
      R"("f:requests":{}}}}}}}}}]},"spec":{"replicas":3,"revisionHistoryLimit":5,)"
      R"("selector":{"matchLabels":{"app.kubernetes.io/name":"ranker"}},)"
      R"("strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":0}},)"
      R"("template":{"metadata":{"labels":{"app.kubernetes.io/name":"ranker"}},"spec":{)"
      R"("serviceAccountName":"ranker","terminationGracePeriodSeconds":60,)"
      R"("nodeSelector":{"nvidia.com/gpu.product":"NVIDIA-A100-SXM4-40GB"},)"
      R"("tolerations":[{"key":"nvidia.com/gpu","operator":"Exists","effect":"NoSchedule"}],)"
      R"("initContainers":[{"name":"fetch-model","image":"ghcr.io/example/model-fetch:2.1.0",)"
      R"("args":["--source=s3://models/ranker/v42","--dest=/models/ranker","--verify-sha256"],)"
      R"("volumeMounts":[{"name":"model-cache","mountPath":"/models"}],)"
      R"("resources":{"requests":{"cpu":"500m","memory":"1Gi"},"limits":{"memory":"2Gi"}}}],)"
      R"("containers":[)" +
      server_container + "," + sidecar +
      R"(],"volumes":[{"name":"model-cache","persistentVolumeClaim":{"claimName":"ranker-models"}},)"
      R"({"name":"dshm","emptyDir":{"medium":"Memory","sizeLimit":"2Gi"}},)"
      R"({"name":"config","configMap":{"name":"ranker-triton-config"}}]}}}})";
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{)"
         R"("uid":"705ab4f5-6393-11e8-b7cc-42010a800002",)"
         R"("kind":{"group":"apps","version":"v1","kind":"Deployment"},)"
         R"("resource":{"group":"apps","version":"v1","resource":"deployments"},)"
         R"("requestKind":{"group":"apps","version":"v1","kind":"Deployment"},)"
         R"("requestResource":{"group":"apps","version":"v1","resource":"deployments"},)"
         R"("name":"ranker","namespace":"ml-serving","operation":"CREATE",)"
         R"("userInfo":{"username":"system:serviceaccount:argocd:argocd-application-controller",)"
         R"("uid":"b1a3d2c4","groups":["system:serviceaccounts","system:serviceaccounts:argocd",)"
         R"("system:authenticated"]},"object":)" +
         deployment +
         R"(,"oldObject":null,"dryRun":false,"options":{"apiVersion":"meta.k8s.io/v1",)"
         R"("kind":"CreateOptions","fieldManager":"argocd-controller"}}})";
}

struct WrkFigures {
  double requests_per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  long long requests = 0;
  long long non_2xx = 0;
  long long socket_errors = 0;
};

double ToMilliseconds(const std::string& number, const std::string& unit) {
  double value = std::atof(number.c_str());
  if (unit == "us") return value / 1000;
  if (unit == "s") return value * 1000;
  if (unit == "m") return value * 60000;
  return value;
}

WrkFigures ParseWrk(const std::string& text) {
  WrkFigures figures;
  std::smatch match;
  if (std::regex_search(text, match, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) {
    figures.requests_per_second = std::atof(match[1].str().c_str());
  }
  if (std::regex_search(text, match, std::regex(R"((\d+) requests in)"))) {
    figures.requests = std::atoll(match[1].str().c_str());
  }
  if (std::regex_search(text, match, std::regex(R"(50%\s+([0-9.]+)(us|ms|s|m))"))) {
    figures.p50_ms = ToMilliseconds(match[1], match[2]);
  }
  if (std::regex_search(text, match, std::regex(R"(99%\s+([0-9.]+)(us|ms|s|m))"))) {
    figures.p99_ms = ToMilliseconds(match[1], match[2]);
  }
  if (std::regex_search(text, match, std::regex(R"(Non-2xx or 3xx responses:\s+(\d+))"))) {
    figures.non_2xx = std::atoll(match[1].str().c_str());
  }
  if (std::regex_search(text, match,
                        std::regex(R"(connect (\d+), read (\d+), write (\d+), timeout (\d+))"))) {
    for (int i = 1; i <= 4; ++i) figures.socket_errors += std::atoll(match[i].str().c_str());
  }
  return figures;
}

long RssKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

bool Run(const std::vector<std::string>& argv, std::string* output) {
  mlgitops::SystemProcessRunner runner;
  mlgitops::ProcessRequest request;
  request.argv = argv;
  request.timeout_ms = 600000;
  auto result = runner.Run(request);
  if (!result.ok()) {
    std::fprintf(stderr, "%s: %s\n", argv[0].c_str(), result.status().ToString().c_str());
    return false;
  }
  if (output != nullptr) *output = result->stdout_text;
  if (!result->succeeded()) {
    std::fprintf(stderr, "%s failed:\n%s%s\n", argv[0].c_str(), result->stdout_text.c_str(),
                 result->stderr_text.c_str());
  }
  return result->succeeded();
}

class Webhook {
 public:
  Webhook(const std::string& dir, int port) {
    const std::string binary = std::string(MLGITOPS_BIN_DIR) + "/mlgitops-webhook";
    std::vector<std::string> args = {binary,           "--port",    std::to_string(port),
                                     "--bind",         "127.0.0.1", "--tls-cert",
                                     dir + "/tls.crt", "--tls-key", dir + "/tls.key"};
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log = dir + "/webhook.log";
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ) != 0) pid_ = 0;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Webhook() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = 0;
};

std::string WriteLua(const std::string& dir, const std::string& name, const std::string& method,
                     const std::string& path, const std::string& body_file) {
  std::string lua = "wrk.method = \"" + method + "\"\nwrk.path = \"" + path + "\"\n";
  if (!body_file.empty()) {
    lua += "local f = assert(io.open(\"" + body_file +
           "\", \"rb\"))\nwrk.body = f:read(\"*a\")\nf:close()\n"
           "wrk.headers[\"Content-Type\"] = \"application/json\"\n";
  }
  const std::string file = dir + "/" + name + ".lua";
  std::ofstream(file) << lua;
  return file;
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 10;
  long long min_requests = 1000000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--seconds") seconds = std::atoi(argv[i + 1]);
    if (flag == "--min-requests") min_requests = std::atoll(argv[i + 1]);
  }
  const fs::path dir =
      fs::temp_directory_path() / ("mlgitops-bench-webhook-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string body_file = (dir / "review.json").string();
  const std::string review = DeploymentReview();
  std::ofstream(body_file) << review;
  if (!Run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", (dir / "tls.key").string(), "-out", (dir / "tls.crt").string(),
            "-days", "1", "-subj", "/CN=webhook.ml.svc", "-addext",
            "subjectAltName=DNS:webhook.ml.svc,IP:127.0.0.1"},
           nullptr)) {
    return 1;
  }
  const int port = 20000 + getpid() % 20000;
  Webhook webhook(dir.string(), port);
  if (webhook.pid() <= 0) return 1;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const long rss_start = RssKb(webhook.pid());
  const std::string url = "https://127.0.0.1:" + std::to_string(port);

  struct Target {
    const char* name;
    std::string script;
  };
  std::vector<Target> targets = {
      {"GET /healthz", WriteLua(dir.string(), "healthz", "GET", "/healthz", "")},
      {"POST /validate", WriteLua(dir.string(), "validate", "POST", "/validate", body_file)},
      {"POST /mutate", WriteLua(dir.string(), "mutate", "POST", "/mutate", body_file)},
  };
  const std::string duration = std::to_string(seconds) + "s";
  long long total_requests = 0;
  auto wrk = [&](const Target& target, const char* threads, const char* connections, bool latency) {
    std::vector<std::string> args = {"wrk", "-t",     threads, "-c",         connections,
                                     "-d",  duration, "-s",    target.script};
    if (latency) args.push_back("--latency");
    args.push_back(url);
    std::string output;
    Run(args, &output);
    WrkFigures figures = ParseWrk(output);
    total_requests += figures.requests;
    if (figures.non_2xx > 0 || figures.socket_errors > 0) {
      std::fprintf(stderr, "%s: %lld non-2xx, %lld socket errors\n", target.name, figures.non_2xx,
                   figures.socket_errors);
    }
    return figures;
  };

  std::vector<WrkFigures> throughput, latency;
  for (const Target& target : targets) throughput.push_back(wrk(target, "2", "16", false));
  for (const Target& target : targets) latency.push_back(wrk(target, "1", "4", true));
  while (total_requests < min_requests) {
    WrkFigures soak = wrk(targets[1], "2", "16", false);
    if (soak.requests == 0) break;
  }
  const long rss_end = RssKb(webhook.pid());

  std::printf(
      "mlgitops-webhook, policy handler (default rules) | review %zu bytes | %d s per run | wrk "
      "kept-alive TLS\n\n",
      review.size(), seconds);
  std::printf("%-16s %14s %10s %10s %12s %14s\n", "endpoint", "req/s (-c16)", "p50 -c4", "p99 -c4",
              "req/s (-c4)", "cost/healthz");
  for (size_t i = 0; i < targets.size(); ++i) {
    std::printf("%-16s %14.0f %8.3fms %8.3fms %12.0f %13.2fx\n", targets[i].name,
                throughput[i].requests_per_second, latency[i].p50_ms, latency[i].p99_ms,
                latency[i].requests_per_second,
                throughput[i].requests_per_second > 0
                    ? throughput[0].requests_per_second / throughput[i].requests_per_second
                    : 0.0);
  }
  std::printf("\nserver VmRSS: %ld KiB at start, %ld KiB after %lld requests\n", rss_start, rss_end,
              total_requests);
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  return 0;
}
