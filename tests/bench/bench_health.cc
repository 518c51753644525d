// Benchmark: `kubectl-mlgitops health -f` over a cluster dump of N objects (8k and 100k by
// default), next to a peer measured in the same run: loading the same file with the project's
// YAML loader (the floor any `health -f` pays, and linear). Reports objects/s and the ratio
// between the two: a ratio that stays put from 8k to 100k objects means health grows linearly
// (a quadratic one grows ~12x). `kubectl kustomize` is no peer here: it is itself quadratic in
// the objects of one file (8k objects took minutes).
//
// Usage: mlgitops_bench_health [--sizes 8000,100000] [--repeat 1]
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
#include "object/yaml_loader.h"

namespace {

using mlgitops::bench::Best;
using mlgitops::bench::ParseSizes;
using mlgitops::bench::Run;
using mlgitops::bench::RunResult;

namespace fs = std::filesystem;

// One application as a dump holds it: five objects (a model-serving Deployment, its ReplicaSet,
// two Pods, a Service taking the Deployment's role), all in one namespace and all carrying a
// label they share, so both child finding and role following are exercised.
void WriteApp(std::ostream& y, int i) {
  std::string a = "app-" + std::to_string(i);
  std::string labels = "{team: ml, app: " + a + "}";
  y << "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " << a
    << ", namespace: ml, uid: d-" << a
    << ", labels: {mlgitops.io/role: model-serving}}\nspec:\n  replicas: 2\n"
       "  selector: {matchLabels: "
    << labels << "}\n  template: {metadata: {labels: " << labels
    << "}, spec: {containers: [{name: c, image: x}]}}\nstatus: {replicas: 2, readyReplicas: 2, "
       "updatedReplicas: 2, availableReplicas: 2}\n";
  y << "---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: " << a
    << "-rs, namespace: ml, uid: r-" << a << ", labels: " << labels
    << ", ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: " << a << ", uid: d-" << a
    << "}]}\nspec: {replicas: 2, selector: {matchLabels: " << labels
    << "}}\nstatus: {replicas: 2, readyReplicas: 2}\n";
  for (int p = 0; p < 2; ++p) {
    y << "---\napiVersion: v1\nkind: Pod\nmetadata: {name: " << a << "-" << p
      << ", namespace: ml, labels: " << labels
      << ", ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: " << a << "-rs, uid: r-"
      << a
      << "}]}\nspec: {containers: [{name: c, image: x}]}\nstatus: {phase: Running, conditions: "
         "[{type: Ready, status: 'True'}]}\n";
  }
  y << "---\napiVersion: v1\nkind: Service\nmetadata: {name: " << a
    << ", namespace: ml}\nspec: {selector: " << labels << ", ports: [{port: 80}]}\n";
}

// dir/objects.yaml with `n` objects.
void Generate(const fs::path& dir, int n) {
  fs::create_directories(dir);
  std::ofstream y(dir / "objects.yaml");
  for (int i = 0; i < n / 5; ++i) WriteApp(y, i);
}

// The peer: the file loaded and parsed, in this process; the best of `repeat`.
double LoadSeconds(const std::string& file, int repeat, size_t* objects) {
  double best = 0;
  for (int i = 0; i < repeat; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto loaded = mlgitops::LoadManifestFile(file);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    *objects = loaded.ok() ? loaded->size() : 0;
    if (i == 0 || s < best) best = s;
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = {8000, 100000};
  int repeat = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--sizes")
      sizes = ParseSizes(argv[i + 1]);
    else if (flag == "--repeat")
      repeat = std::max(1, std::atoi(argv[i + 1]));
  }
  std::string plugin = std::string(MLGITOPS_BIN_DIR) + "/kubectl-mlgitops";
  fs::path root = fs::temp_directory_path() / ("mlgitops-bench-" + std::to_string(getpid()));
  std::printf("%-8s %-24s %10s %12s %10s %8s\n", "objects", "tool", "seconds", "objects/s",
              "peak MiB", "ratio");
  int failures = 0;
  for (int n : sizes) {
    fs::path dir = root / ("dump-" + std::to_string(n));
    Generate(dir, n);
    // Exit 1 (unhealthy objects found) is a normal outcome; only usage errors and crashes fail.
    RunResult ours =
        Best({plugin, "health", "-f", (dir / "objects.yaml").string(), "-o", "json"}, repeat);
    if (ours.exit_code != 0 && ours.exit_code != 1) {
      std::fprintf(stderr, "kubectl-mlgitops health exited %d at %d objects\n", ours.exit_code, n);
      ++failures;
    }
    std::printf("%-8d %-24s %10.3f %12.0f %10.1f %8s\n", n, "mlgitops health -f", ours.seconds,
                n / ours.seconds, ours.peak_kb / 1024.0, "");
    size_t loaded = 0;
    double peer = LoadSeconds((dir / "objects.yaml").string(), repeat, &loaded);
    if (loaded != static_cast<size_t>(n)) {
      std::fprintf(stderr, "the loader read %zu of %d objects\n", loaded, n);
      ++failures;
    }
    std::printf("%-8d %-24s %10.3f %12.0f %10s %7.2fx\n", n, "YAML load (peer)", peer, n / peer, "",
                ours.seconds / peer);
    std::fflush(stdout);
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::error_code ec;
  fs::remove_all(root, ec);
  return failures == 0 ? 0 : 1;
}
