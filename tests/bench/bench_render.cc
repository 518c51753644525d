// Benchmark: render + plan + lint of a generated ML app by `kubectl-mlgitops plan --offline`,
// next to `kubectl kustomize` of the same files, in the same run. Reports objects/s, the
// ratio between the two, and each process's peak memory (ru_maxrss of the child).
//
// Usage: mlgitops_bench_render [--sizes 1000,3000,10000] [--kustomize-max 3000] [--repeat 3]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"

namespace {

using mlgitops::bench::Best;
using mlgitops::bench::ParseSizes;
using mlgitops::bench::Run;
using mlgitops::bench::RunResult;

namespace fs = std::filesystem;

// One "model" contributes ten objects across every ML role.
std::string ModelObjects(int m) {
  std::string id = std::to_string(m);
  std::ostringstream y;
  y << "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: model-" << id
    << "-config\ndata:\n  MODEL_NAME: model-" << id << "\n  THRESHOLD: \"0.7\"\n---\n"
    << "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: model-" << id
    << "-artifacts\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n"
       "      storage: 10Gi\n---\n"
    << "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: model-" << id
    << "-features\n  annotations:\n    mlgitops.io/sla: 6h\nspec:\n  schedule: \"0 * * * *\"\n"
       "  jobTemplate:\n    spec:\n      backoffLimit: 2\n      activeDeadlineSeconds: 900\n"
       "      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n"
       "            - name: materialize\n              image: feastdev/feature-server:0.40.0\n"
       "              args: [feast, materialize-incremental, now]\n---\n"
    << "apiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata:\n  name: model-" << id
    << "-train\nspec:\n  runPolicy:\n    backoffLimit: 3\n    activeDeadlineSeconds: 7200\n"
       "  pytorchReplicaSpecs:\n    Master:\n      replicas: 1\n      template:\n        spec:\n"
       "          containers:\n            - name: pytorch\n"
       "              image: ghcr.io/example/train:1.0.0\n              resources:\n"
       "                requests: {nvidia.com/gpu: 1}\n                limits: {nvidia.com/gpu: "
       "1}\n"
       "---\n"
    << "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: model-" << id
    << "-server\n  labels:\n    app.kubernetes.io/component: model-server\nspec:\n  replicas: 2\n"
       "  selector:\n    matchLabels: {app: model-"
    << id << "}\n  template:\n    metadata:\n      labels: {app: model-" << id
    << "}\n    spec:\n      containers:\n        - name: server\n"
       "          image: nvcr.io/nvidia/tritonserver:24.08-py3\n          ports: [{containerPort: "
       "8000}]\n"
       "          readinessProbe:\n            httpGet: {path: /v2/health/ready, port: 8000}\n"
       "          resources:\n            requests: {cpu: \"1\", memory: 2Gi}\n"
       "            limits: {memory: 2Gi}\n---\n"
    << "apiVersion: v1\nkind: Service\nmetadata:\n  name: model-" << id
    << "\nspec:\n  selector: {app: model-" << id << "}\n  ports: [{port: 8000}]\n---\n"
    << "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: model-" << id
    << "\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: model-" << id
    << "-server}\n  minReplicas: 2\n  maxReplicas: 8\n---\n"
    << "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: model-"
    << id
    << "-isvc\nspec:\n  predictor:\n    model:\n      modelFormat: {name: sklearn}\n"
       "      storageUri: s3://models/model-"
    << id << "\n---\n"
    << "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: model-" << id
    << "\nspec:\n  selector:\n    matchLabels: {app: model-" << id
    << "}\n  endpoints: [{port: metrics}]\n---\n"
    << "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: model-" << id << "-runner\n";
  return y.str();
}

constexpr int kObjectsPerModel = 10;
constexpr int kModelsPerFile = 50;

void Generate(const fs::path& dir, int objects) {
  fs::create_directories(dir);
  int models = objects / kObjectsPerModel;
  std::vector<std::string> files;
  for (int start = 0; start < models; start += kModelsPerFile) {
    std::string name = "models-" + std::to_string(start / kModelsPerFile) + ".yaml";
    std::ofstream out(dir / name);
    for (int m = start; m < std::min(models, start + kModelsPerFile); ++m) {
      if (m > start) out << "---\n";
      out << ModelObjects(m);
    }
    files.push_back(name);
  }
  std::ofstream k(dir / "kustomization.yaml");
  k << "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ml-bench\n"
       "resources:\n";
  for (const auto& f : files) k << "  - " << f << "\n";
  std::ofstream app(dir.parent_path() / (dir.filename().string() + "-app.yaml"));
  app << "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: bench\n"
         "spec:\n  project: default\n  source:\n    repoURL: https://git.example.com/bench.git\n"
         "    path: .\n    directory:\n      exclude: kustomization.yaml\n"
         "  destination:\n    server: https://kubernetes.default.svc\n    namespace: ml-bench\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = {1000, 3000, 10000};
  int kustomize_max = 3000;
  int repeat = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--sizes")
      sizes = ParseSizes(argv[i + 1]);
    else if (flag == "--kustomize-max")
      kustomize_max = std::atoi(argv[i + 1]);
    else if (flag == "--repeat")
      repeat = std::max(1, std::atoi(argv[i + 1]));
  }
  std::string plugin = std::string(MLGITOPS_BIN_DIR) + "/kubectl-mlgitops";
  fs::path root = fs::temp_directory_path() / ("mlgitops-bench-" + std::to_string(getpid()));
  std::printf("%-8s %-28s %10s %12s %10s %8s\n", "objects", "tool", "seconds", "objects/s",
              "peak MiB", "ratio");
  int failures = 0;
  for (int n : sizes) {
    fs::path dir = root / ("app-" + std::to_string(n));
    Generate(dir, n);
    std::string app = (root / ("app-" + std::to_string(n) + "-app.yaml")).string();
    RunResult ours = Best(
        {plugin, "plan", "-f", app, "--local", dir.string(), "--offline", "-o", "json"}, repeat);
    if (ours.exit_code != 0) {
      std::fprintf(stderr, "kubectl-mlgitops plan exited %d at %d objects\n", ours.exit_code, n);
      ++failures;
    }
    std::printf("%-8d %-28s %10.3f %12.0f %10.1f %8s\n", n, "mlgitops plan (render+lint)",
                ours.seconds, n / ours.seconds, ours.peak_kb / 1024.0, "");
    if (n <= kustomize_max) {
      RunResult k = Best({"kubectl", "kustomize", dir.string()}, repeat);
      if (k.exit_code != 0) {
        std::fprintf(stderr, "kubectl kustomize exited %d at %d objects\n", k.exit_code, n);
        ++failures;
      }
      std::printf("%-8d %-28s %10.3f %12.0f %10.1f %7.1fx\n", n, "kubectl kustomize", k.seconds,
                  n / k.seconds, k.peak_kb / 1024.0, k.seconds / ours.seconds);
    }
    std::fflush(stdout);
  }
  std::error_code ec;
  fs::remove_all(root, ec);
  return failures == 0 ? 0 : 1;
}
