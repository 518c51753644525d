// Benchmark: expanding an ApplicationSet whose matrix generator (models x environments) yields
// N Applications, in fasttemplate and goTemplate modes, next to a baseline that parses the same
// N Applications from YAML with our loader. No ApplicationSet peer runs offline, so the figures
// are per-app time and each mode's peak memory (ru_maxrss of a forked child per mode).
//
// Usage: mlgitops_bench_appset [--models 100] [--envs 100] [--repeat 3]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "app/application.h"
#include "appset/expand.h"
#include "object/yaml_loader.h"

namespace {

using mlgitops::ApplicationSet;

std::string Elements(const char* key, int count, bool cluster) {
  std::ostringstream y;
  for (int i = 0; i < count; ++i) {
    y << "          - {" << key << ": " << key << "-" << i;
    if (cluster) y << ", cluster: 'https://cluster-" << i % 7 << ".example', gpu: " << i % 8;
    y << "}\n";
  }
  return y.str();
}

std::string AppSetYaml(int models, int envs, bool go) {
  auto p = [go](const char* name) {
    return go ? std::string("{{ .") + name + " }}" : std::string("{{") + name + "}}";
  };
  std::ostringstream y;
  y << "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\n"
    << "metadata: {name: models, namespace: argocd}\nspec:\n"
    << "  goTemplate: " << (go ? "true" : "false") << "\n  generators:\n  - matrix:\n"
    << "      generators:\n      - list:\n          elements:\n"
    << Elements("model", models, false) << "      - list:\n          elements:\n"
    << Elements("env", envs, true) << "  template:\n    metadata:\n"
    << "      name: '" << p("model") << "-" << p("env") << "'\n"
    << "      labels: {model: '" << p("model") << "', env: '" << p("env") << "'}\n"
    << "    spec:\n      project: ml\n"
    << "      source: {repoURL: 'https://git.example/ml.git', targetRevision: main, "
    << "path: 'models/" << p("model") << "/" << p("env") << "'}\n"
    << "      destination: {server: '" << p("cluster") << "', namespace: 'ml-" << p("env")
    << "'}\n      info: [{name: gpus, value: 'gpu-" << p("gpu") << "'}]\n"
    << "      syncPolicy: {automated: {prune: true, selfHeal: true}}\n";
  return y.str();
}

// The same Applications written out, for the parse baseline.
std::string ApplicationsYaml(int models, int envs) {
  std::ostringstream y;
  for (int m = 0; m < models; ++m) {
    for (int e = 0; e < envs; ++e) {
      y << "---\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
        << "  name: model-" << m << "-env-" << e << "\n  namespace: argocd\n"
        << "  labels: {model: model-" << m << ", env: env-" << e << "}\n"
        << "  finalizers: [resources-finalizer.argocd.argoproj.io]\nspec:\n  project: ml\n"
        << "  source: {repoURL: 'https://git.example/ml.git', targetRevision: main, path: "
        << "models/model-" << m << "/env-" << e << "}\n"
        << "  destination: {server: 'https://cluster-" << e % 7 << ".example', namespace: ml-env-"
        << e << "}\n"
        << "  info: [{name: gpus, value: gpu-" << e % 8 << "}]\n"
        << "  syncPolicy: {automated: {prune: true, selfHeal: true}}\n";
    }
  }
  return y.str();
}

// Runs one workload; returns the number of Applications made, or -1.
long Workload(const std::string& mode, int models, int envs) {
  if (mode == "parse") {
    std::string text = ApplicationsYaml(models, envs);
    auto objects = mlgitops::ParseManifests(text, "bench");
    if (!objects.ok()) return -1;
    long n = 0;
    for (const auto& o : *objects) n += mlgitops::ParseApplication(o).ok() ? 1 : 0;
    return n;
  }
  auto objects = mlgitops::ParseManifests(AppSetYaml(models, envs, mode == "go"), "bench");
  if (!objects.ok()) {
    std::fprintf(stderr, "%s\n", objects.status().message().c_str());
    return -1;
  }
  auto set = mlgitops::ParseApplicationSet((*objects)[0]);
  if (!set.ok()) {
    std::fprintf(stderr, "%s\n", set.status().message().c_str());
    return -1;
  }
  mlgitops::ExpandOptions options;
  options.cache_dir = "/tmp/mlgitops-bench-appset-cache";
  auto expansion = mlgitops::ExpandAppSet(*set, options);
  if (!expansion.ok() || !expansion->errors.empty()) {
    std::fprintf(
        stderr, "%s\n",
        expansion.ok() ? expansion->errors[0].c_str() : expansion.status().message().c_str());
    return -1;
  }
  return static_cast<long>(expansion->apps.size());
}

struct Measure {
  double seconds = 0;
  long apps = 0;
  long peak_kb = 0;
};

// In a forked child, so each mode's peak memory is its own.
Measure RunInChild(const std::string& mode, int models, int envs) {
  int fds[2];
  Measure m;
  if (pipe(fds) != 0) return m;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    auto start = std::chrono::steady_clock::now();
    long apps = Workload(mode, models, envs);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%f %ld", seconds, apps);
    ssize_t written = write(fds[1], buf, static_cast<size_t>(n));
    _exit(written == n ? 0 : 1);
  }
  close(fds[1]);
  char buf[64] = {0};
  ssize_t got = read(fds[0], buf, sizeof buf - 1);
  close(fds[0]);
  int status = 0;
  struct rusage ru;
  wait4(pid, &status, 0, &ru);
  if (got > 0) std::sscanf(buf, "%lf %ld", &m.seconds, &m.apps);
  m.peak_kb = ru.ru_maxrss;
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  int models = 100, envs = 100, repeat = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--models")) models = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--envs")) envs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--repeat")) repeat = std::atoi(argv[i + 1]);
  }
  std::printf("ApplicationSet matrix: %d models x %d environments = %d Applications, best of %d\n",
              models, envs, models * envs, repeat);
  std::printf("%-28s %10s %12s %12s %10s\n", "mode", "apps", "total ms", "us/app", "peak MB");
  double baseline = 0;
  for (const std::string mode : {"parse", "fast", "go"}) {
    Measure best;
    for (int r = 0; r < repeat; ++r) {
      Measure m = RunInChild(mode, models, envs);
      if (r == 0 || m.seconds < best.seconds) best = m;
    }
    if (best.apps != static_cast<long>(models) * envs) {
      std::printf("%s: FAILED (%ld apps)\n", mode.c_str(), best.apps);
      return 1;
    }
    if (mode == "parse") baseline = best.seconds;
    const char* label = mode == "parse"  ? "parse Application YAML"
                        : mode == "fast" ? "expand, fasttemplate"
                                         : "expand, goTemplate";
    std::printf("%-28s %10ld %12.1f %12.2f %10.1f", label, best.apps, best.seconds * 1e3,
                best.seconds * 1e6 / best.apps, best.peak_kb / 1024.0);
    if (mode != "parse") std::printf("   %.2fx the parse baseline", best.seconds / baseline);
    std::printf("\n");
  }
  return 0;
}
