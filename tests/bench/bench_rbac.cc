// Benchmark: the cost of authorization. Request throughput (GETs and LISTs of ConfigMaps from
// several client threads) against kubesim with RBAC on, as a non-admin token user whose access
// RBAC must evaluate among ~200 Roles and RoleBindings, next to the same workload against a
// kubesim started with --authorization-mode=AlwaysAllow, in the same run. Prints both rates and
// their ratio (goal: RBAC within 20% of AlwaysAllow).
//
// Usage: mlgitops_bench_rbac [--requests 2000] [--threads 4] [--roles 100]
#include <unistd.h>

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
constexpr char kNamespace[] = "bench";
constexpr char kToken[] = "bench-user-token";

std::unique_ptr<mlgitops::HttpKubeClient> ClientFor(const std::string& kubeconfig,
                                                    const std::string& token, int connections) {
  mlgitops::KubeconfigOptions options;
  options.kubeconfig_flag = kubeconfig;
  mlgitops::KubeconfigEnv env;
  env.getenv = [](const char*) -> const char* { return nullptr; };
  auto config = mlgitops::LoadRestConfig(options, env);
  if (!config.ok()) return nullptr;
  if (!token.empty()) config->token = token;
  mlgitops::KubeClientOptions client_options;
  client_options.transport.max_connections = connections;
  auto client = mlgitops::HttpKubeClient::Create(*config, client_options);
  return client.ok() ? std::move(*client) : nullptr;
}

bool Seed(mlgitops::KubeClient& admin, int roles, int config_maps) {
  std::string y = "apiVersion: v1\nkind: Namespace\nmetadata: {name: bench}\n";
  for (int i = 0; i < roles; ++i) {
    std::string id = std::to_string(i);
    y += "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: role-" + id +
         ", namespace: bench}\nrules: [{apiGroups: [apps], resources: [deployments], verbs: "
         "[get]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: "
         "{name: binding-" +
         id +
         ", namespace: bench}\nroleRef: {apiGroup: "
         "rbac.authorization.k8s.io, kind: Role, name: role-" +
         id +
         "}\nsubjects: [{kind: "
         "User, name: user-" +
         id + "}, {kind: Group, name: team-" + id + "}]\n";
  }
  y += "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: reader, "
       "namespace: bench}\nrules: [{apiGroups: [''], resources: [configmaps], verbs: [get, "
       "list]}]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: "
       "{name: bench-reader, namespace: bench}\nroleRef: {apiGroup: rbac.authorization.k8s.io, "
       "kind: Role, name: reader}\nsubjects: [{kind: User, name: bench-user}]\n";
  for (int i = 0; i < config_maps; ++i) {
    y += "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg-" + std::to_string(i) +
         ", namespace: bench}\ndata: {MODEL: m" + std::to_string(i) + "}\n";
  }
  auto objects = mlgitops::ParseYamlStream(y, "bench");
  if (!objects.ok()) return false;
  for (const mlgitops::Object& o : *objects) {
    if (!admin.Apply(o, mlgitops::ApplyOptions()).ok()) return false;
  }
  return true;
}

// Requests per second: every thread alternates 9 GETs and one LIST.
double Run(mlgitops::KubeClient& client, int threads, int requests, int config_maps,
           int* failures) {
  std::atomic<int> failed{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < requests / threads; ++i) {
        bool ok;
        if (i % 10 == 9) {
          ok = client.List({"", "v1", "ConfigMap"}, kNamespace, {}).ok();
        } else {
          std::string name = "cfg-" + std::to_string((i * 7 + t) % config_maps);
          ok = client.Get({{"", "v1", "ConfigMap"}, kNamespace, name}).ok();
        }
        if (!ok) ++failed;
      }
    });
  }
  for (std::thread& w : workers) w.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  *failures = failed;
  return requests / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  int requests = 2000, threads = 4, roles = 100, config_maps = 50;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    int value = std::atoi(argv[i + 1]);
    if (flag == "--requests") requests = value;
    if (flag == "--threads") threads = value;
    if (flag == "--roles") roles = value;
  }
  fs::path root = fs::temp_directory_path() / ("mlgitops-bench-rbac-" + std::to_string(getpid()));
  fs::create_directories(root);
  std::ofstream(root / "tokens.csv") << kToken << ",bench-user,2001,\"bench-users\"\n";
  double rates[2] = {0, 0};
  const char* modes[2] = {"RBAC", "AlwaysAllow"};
  for (int m = 0; m < 2; ++m) {
    mlgitops::kubesim::LaunchOptions launch;
    launch.binary = std::string(MLGITOPS_BIN_DIR) + "/kubesim";
    launch.work_dir = (root / modes[m]).string();
    fs::create_directories(launch.work_dir);
    launch.extra_args = {"--token-auth-file", (root / "tokens.csv").string()};
    if (m == 1) launch.authorization_mode = "AlwaysAllow";
    auto sim = mlgitops::kubesim::KubesimProcess::Start(launch);
    if (!sim.ok()) {
      std::fprintf(stderr, "kubesim: %s\n", sim.status().message().c_str());
      return 1;
    }
    auto admin = ClientFor((*sim)->kubeconfig_path(), "", 4);
    auto user = ClientFor((*sim)->kubeconfig_path(), kToken, threads);
    if (!admin || !user || !Seed(*admin, roles, config_maps)) {
      std::fprintf(stderr, "cannot seed kubesim (%s)\n", modes[m]);
      return 1;
    }
    int failures = 0;
    Run(*user, threads, requests / 4, config_maps, &failures);  // warm-up: connections, discovery
    rates[m] = Run(*user, threads, requests, config_maps, &failures);
    std::printf("%-12s %d requests, %d threads, %d roles + %d bindings: %.0f req/s (%d failed)\n",
                modes[m], requests, threads, roles + 1, roles + 1, rates[m], failures);
    (*sim)->Stop();
  }
  std::printf("RBAC / AlwaysAllow throughput: %.2f (goal >= 0.80)\n", rates[0] / rates[1]);
  fs::remove_all(root);
  return 0;
}
