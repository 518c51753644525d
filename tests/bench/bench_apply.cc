// Benchmark: server-side apply of N generated objects into kubesim by the mlgitops client with 1
// and 8 parallel connections, next to `kubectl apply --server-side` of the same files, in the
// same run against the same kubesim. Each tool applies into its own fresh namespace (creates),
// then applies the same objects again (no-op re-apply).
//
// Usage: mlgitops_bench_apply [--objects 1000] [--repeat 1]
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "kubesim/launcher.h"
#include "object/yaml_loader.h"

namespace {

namespace fs = std::filesystem;
using mlgitops::Object;

// Half ConfigMaps, half Deployments (a realistic apply mix), all in namespace `ns`.
std::string Manifests(int n, const std::string& ns) {
  std::string y;
  for (int i = 0; i < n; ++i) {
    std::string id = std::to_string(i);
    y += "---\n";
    if (i % 2 == 0) {
      y += "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-" + id +
           "\n  namespace: " + ns + "\n  labels: {app: bench}\ndata:\n  MODEL: model-" + id +
           "\n  THRESHOLD: \"0.7\"\n";
    } else {
      y += "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: server-" + id +
           "\n  namespace: " + ns +
           "\n  labels: {app.kubernetes.io/component: model-server}\nspec:\n  replicas: 2\n"
           "  selector:\n    matchLabels: {app: server-" +
           id + "}\n  template:\n    metadata:\n      labels: {app: server-" + id +
           "}\n    spec:\n      containers:\n      - name: server\n"
           "        image: nvcr.io/nvidia/tritonserver:24.08-py3\n"
           "        ports: [{containerPort: 8000}]\n"
           "        readinessProbe: {httpGet: {path: /v2/health/ready, port: 8000}}\n";
    }
  }
  return y;
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Applies `objects` with `threads` workers sharing one client of `threads` connections.
double ApplyAll(mlgitops::KubeClient& client, const std::vector<Object>& objects, int threads,
                int* failures) {
  std::atomic<size_t> next{0};
  std::atomic<int> failed{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < objects.size(); i = next++) {
        auto r = client.Apply(objects[i], mlgitops::ApplyOptions());
        if (!r.ok()) {
          if (failed++ == 0)
            std::fprintf(stderr, "apply failed: %s\n", r.status().ToString().c_str());
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  *failures += failed.load();
  return Seconds(start);
}

int Shell(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--objects") n = std::atoi(argv[i + 1]);
  }
  fs::path root = fs::temp_directory_path() / ("mlgitops-bench-apply-" + std::to_string(getpid()));
  fs::create_directories(root);
  mlgitops::kubesim::LaunchOptions launch;
  launch.binary = std::string(MLGITOPS_BIN_DIR) + "/kubesim";
  launch.work_dir = root.string();
  auto sim = mlgitops::kubesim::KubesimProcess::Start(launch);
  if (!sim.ok()) {
    std::fprintf(stderr, "kubesim: %s\n", sim.status().ToString().c_str());
    return 1;
  }
  std::string kubeconfig = (*sim)->kubeconfig_path();
  int failures = 0;
  auto client_with = [&](int connections) -> std::unique_ptr<mlgitops::KubeClient> {
    mlgitops::KubeClientOptions client_options;
    client_options.transport.max_connections = connections;
    auto client = (*sim)->Connect(client_options);
    if (!client.ok()) return nullptr;
    return std::move(*client);
  };
  std::printf("%d objects (half ConfigMaps, half Deployments), server-side apply into kubesim\n",
              n);
  std::printf("%-34s %10s %12s %10s %12s\n", "tool", "create s", "objects/s", "re-apply s",
              "objects/s");
  double kubectl_create = 0;
  struct Run {
    const char* name;
    int connections;
  };
  for (Run run : {Run{"kubectl apply --server-side", 0}, Run{"mlgitops client, 1 connection", 1},
                  Run{"mlgitops client, 8 connections", 8}}) {
    std::string ns =
        run.connections == 0 ? "kubectl" : "mlgitops-" + std::to_string(run.connections);
    std::string file = (root / (ns + ".yaml")).string();
    std::ofstream(file) << "apiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns + "}\n"
                        << Manifests(n, ns);
    double create = 0, reapply = 0;
    if (run.connections == 0) {
      std::string cmd = "kubectl --kubeconfig '" + kubeconfig + "' apply --server-side -f '" +
                        file + "' >/dev/null";
      auto start = std::chrono::steady_clock::now();
      failures += Shell(cmd) != 0;
      create = Seconds(start);
      start = std::chrono::steady_clock::now();
      failures += Shell(cmd) != 0;
      reapply = Seconds(start);
      kubectl_create = create;
    } else {
      auto objects = mlgitops::LoadManifestFile(file);
      auto client = client_with(run.connections);
      if (!objects.ok() || !client) {
        std::fprintf(stderr, "setup failed\n");
        return 1;
      }
      // The namespace first, as a sync would; then the rest in parallel.
      std::vector<Object> ns_only;
      ns_only.push_back(std::move((*objects)[0]));
      objects->erase(objects->begin());
      ApplyAll(*client, ns_only, 1, &failures);
      create = ApplyAll(*client, *objects, run.connections, &failures);
      reapply = ApplyAll(*client, *objects, run.connections, &failures);
    }
    std::printf("%-34s %10.3f %12.0f %10.3f %12.0f", run.name, create, n / create, reapply,
                n / reapply);
    if (run.connections > 0 && kubectl_create > 0) {
      std::printf("   %.1fx kubectl's create speed", kubectl_create / create);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  (*sim)->Stop();
  std::error_code ec;
  fs::remove_all(root, ec);
  if (failures) std::fprintf(stderr, "%d failures\n", failures);
  return failures == 0 ? 0 : 1;
}
