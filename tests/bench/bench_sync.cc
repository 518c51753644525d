// Benchmark: `kubectl-mlgitops sync` of a generated app from a real Git repository into kubesim
// (create, then a no-op re-sync served from the rendered cache), next to `kubectl apply
// --server-side` of the same objects, in the same run against the same kubesim. Reports seconds,
// objects/s, the ratio between the two, each process's peak memory and the API requests each
// tool made (from kubesim's audit log). kubesim listens with httplib's backlog of 5, so a burst
// of new connections can now and then wait out a 1 s SYN retry: prefer --repeat 3.
//
// Usage: mlgitops_bench_sync [--objects 1000] [--repeat 1]
#include <fcntl.h>
#include <rapidjson/document.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "kubesim/launcher.h"

namespace {

using mlgitops::bench::Run;
using mlgitops::bench::RunResult;

namespace fs = std::filesystem;

// Kinds without status-based health, so every wave's health gate passes with controllers off.
constexpr int kKinds = 5;
constexpr int kWaves = 5;

// Object `i` of the app: kinds rotate, and each wave holds every kind. `ns` empty: the namespace
// comes from the Application's destination, as in a real Git repository.
std::string ObjectYaml(int i, const std::string& ns) {
  std::string id = std::to_string(i);
  std::string metadata = "metadata:\n  name: bench-" + id + "\n" +
                         (ns.empty() ? "" : "  namespace: " + ns + "\n") +
                         "  labels: {app: bench}\n  annotations:\n"
                         "    argocd.argoproj.io/sync-wave: \"" +
                         std::to_string((i / kKinds) % kWaves) + "\"\n";
  switch (i % kKinds) {
    case 0:
      return "apiVersion: v1\nkind: ConfigMap\n" + metadata + "data:\n  MODEL: model-" + id +
             "\n  THRESHOLD: \"0.7\"\n";
    case 1:
      return "apiVersion: v1\nkind: Service\n" + metadata +
             "spec:\n  type: ClusterIP\n  selector: {app: server-" + id +
             "}\n  ports: [{name: http, port: 8000}]\n";
    case 2:
      return "apiVersion: v1\nkind: ServiceAccount\n" + metadata;
    case 3:
      return "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n" + metadata +
             "rules:\n- apiGroups: [\"\"]\n  resources: [configmaps]\n  verbs: [get, list]\n";
    default:
      return "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n" + metadata +
             "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: bench-" +
             std::to_string(i - 1) + "}\nsubjects:\n- {kind: ServiceAccount, name: bench-" +
             std::to_string(i - 2) + "}\n";
  }
}

// The app's objects in `dir`, one file per wave.
void WriteObjects(const fs::path& dir, int n, const std::string& ns) {
  fs::create_directories(dir);
  std::vector<std::ofstream> files;
  for (int w = 0; w < kWaves; ++w)
    files.emplace_back(dir / ("wave-" + std::to_string(w) + ".yaml"));
  for (int i = 0; i < n; ++i) files[(i / kKinds) % kWaves] << "---\n" << ObjectYaml(i, ns);
}

void WriteApplication(const fs::path& file, const std::string& name, const fs::path& repo) {
  std::ofstream(file) << "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n"
                         "  name: "
                      << name << "\nspec:\n  project: default\n  source:\n    repoURL: file://"
                      << repo.string()
                      << "\n    targetRevision: main\n    path: app\n  destination:\n"
                         "    server: https://kubernetes.default.svc\n    namespace: "
                      << name << "\n  syncPolicy:\n    syncOptions: [CreateNamespace=true]\n";
}

// A Git repository at `repo` whose `main` holds the app's objects under app/.
bool CreateRepository(const fs::path& repo, int n) {
  WriteObjects(repo / "app", n, "");
  std::string dir = repo.string();
  return Run({"git", "-C", dir, "init", "-q", "-b", "main"}).exit_code == 0 &&
         Run({"git", "-C", dir, "add", "-A"}).exit_code == 0 &&
         Run({"git", "-C", dir, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "-c",
              "commit.gpgsign=false", "commit", "-q", "-m", "bench app"})
                 .exit_code == 0;
}

// Requests per verb ("patch", "patch dry-run", "get", ...) in the audit lines after `*offset`,
// which moves to the end of the log.
std::map<std::string, int> CountRequests(const std::string& audit_log, std::streamoff* offset) {
  std::map<std::string, int> counts;
  std::ifstream in(audit_log);
  in.seekg(*offset);
  std::string line;
  while (std::getline(in, line)) {
    *offset += static_cast<std::streamoff>(line.size()) + 1;
    rapidjson::Document d;
    if (d.Parse(line.c_str()).HasParseError() || !d.IsObject()) continue;
    std::string verb = d.HasMember("verb") && d["verb"].IsString() ? d["verb"].GetString() : "?";
    std::string uri = d.HasMember("uri") && d["uri"].IsString() ? d["uri"].GetString() : "";
    if (uri.find("dryRun=All") != std::string::npos) verb += " dry-run";
    ++counts[verb];
  }
  return counts;
}

std::string FormatCounts(const std::map<std::string, int>& counts) {
  int total = 0;
  std::string parts;
  for (const auto& [verb, count] : counts) {
    total += count;
    parts += (parts.empty() ? "" : ", ") + verb + " " + std::to_string(count);
  }
  return std::to_string(total) + " (" + parts + ")";
}

// The checks on a sync's JSON result; "" when they pass.
std::string CheckSyncResult(const std::string& json_path, int objects, bool expect_cache) {
  std::ifstream in(json_path);
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document d;
  if (d.Parse(text.str().c_str()).HasParseError() || !d.IsObject()) return "output is not JSON";
  if (!d.HasMember("phase") || !d["phase"].IsString() ||
      std::string(d["phase"].GetString()) != "Succeeded") {
    return "phase is not Succeeded";
  }
  bool from_cache = d.HasMember("renderedFromCache") && d["renderedFromCache"].IsBool() &&
                    d["renderedFromCache"].GetBool();
  if (from_cache != expect_cache) {
    return expect_cache ? "the re-sync did not render from the cache"
                        : "the first sync rendered from a cache";
  }
  if (!d.HasMember("resources") || !d["resources"].IsArray() ||
      static_cast<int>(d["resources"].Size()) != objects) {
    return "the result does not list " + std::to_string(objects) + " resources";
  }
  return "";
}

struct Phase {
  RunResult best;
  std::string requests;
  bool measured = false;

  void Keep(const RunResult& r, const std::string& request_counts) {
    if (measured && r.seconds >= best.seconds) return;
    best = r;
    requests = request_counts;
    measured = true;
  }
};

}  // namespace

int main(int argc, char** argv) {
  int n = 1000;
  int repeat = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--objects")
      n = std::max(kKinds, std::atoi(argv[i + 1]));
    else if (flag == "--repeat")
      repeat = std::max(1, std::atoi(argv[i + 1]));
  }
  std::string bin_dir = MLGITOPS_BIN_DIR;
  fs::path root = fs::temp_directory_path() / ("mlgitops-bench-sync-" + std::to_string(getpid()));
  fs::create_directories(root);
  mlgitops::kubesim::LaunchOptions launch;
  launch.binary = bin_dir + "/kubesim";
  launch.work_dir = root.string();
  launch.audit_log = "audit.log";
  auto sim = mlgitops::kubesim::KubesimProcess::Start(launch);
  if (!sim.ok()) {
    std::fprintf(stderr, "kubesim: %s\n", sim.status().ToString().c_str());
    return 1;
  }
  std::string kubeconfig = (*sim)->kubeconfig_path();
  std::string audit_log = (root / "audit.log").string();
  std::streamoff audit_offset = 0;
  fs::path repo = root / "repo";
  if (!CreateRepository(repo, n)) {
    std::fprintf(stderr, "cannot create the Git repository in %s\n", repo.c_str());
    return 1;
  }

  int failures = 0;
  auto fail = [&](const std::string& what) {
    std::fprintf(stderr, "%s\n", what.c_str());
    ++failures;
  };
  Phase sync_create, sync_noop, kubectl_create, kubectl_noop;
  for (int r = 0; r < repeat; ++r) {
    // Fresh namespaces, app name and cache each time, so the create clones, renders and creates.
    std::string suffix = r == 0 ? "" : "-" + std::to_string(r + 1);
    std::string app_name = "bench-sync" + suffix;
    std::string app_file = (root / (app_name + ".yaml")).string();
    std::string result_file = (root / "sync-result.json").string();
    WriteApplication(app_file, app_name, repo);
    std::vector<std::string> sync = {bin_dir + "/kubectl-mlgitops",
                                     "sync",
                                     "-f",
                                     app_file,
                                     "--kubeconfig",
                                     kubeconfig,
                                     "--cache-dir",
                                     (root / ("cache" + suffix)).string(),
                                     "-o",
                                     "json"};
    CountRequests(audit_log, &audit_offset);  // skip whatever came before
    for (bool noop : {false, true}) {
      RunResult run = Run(sync, result_file);
      std::string requests = FormatCounts(CountRequests(audit_log, &audit_offset));
      std::string problem = run.exit_code != 0 ? "exit code " + std::to_string(run.exit_code)
                                               : CheckSyncResult(result_file, n, noop);
      if (!problem.empty()) fail("kubectl-mlgitops sync (" + app_name + "): " + problem);
      (noop ? sync_noop : sync_create).Keep(run, requests);
    }

    std::string ns = "bench-kubectl" + suffix;
    fs::path dir = root / ns;
    WriteObjects(dir, n, ns);
    std::ofstream(dir / "00-namespace.yaml")
        << "apiVersion: v1\nkind: Namespace\nmetadata: {name: " << ns << "}\n";
    std::vector<std::string> apply = {
        "kubectl",           "--kubeconfig",    kubeconfig, "apply", "--server-side",
        "--force-conflicts", "--field-manager", "bench",    "-f",    dir.string()};
    for (bool noop : {false, true}) {
      RunResult run = Run(apply);
      std::string requests = FormatCounts(CountRequests(audit_log, &audit_offset));
      if (run.exit_code != 0) fail("kubectl apply exit code " + std::to_string(run.exit_code));
      (noop ? kubectl_noop : kubectl_create).Keep(run, requests);
    }
  }
  (*sim)->Stop();

  std::printf(
      "%d objects (ConfigMap, Service, ServiceAccount, Role, RoleBinding; waves 0..%d) "
      "into kubesim, best of %d\n",
      n, kWaves - 1, repeat);
  std::printf("%-36s %-6s %9s %10s %9s %8s\n", "tool", "phase", "seconds", "objects/s", "peak MiB",
              "ratio");
  struct Row {
    const char* tool;
    const char* phase;
    const Phase* ours;
    const Phase* peer;
  };
  const char* kSync = "kubectl-mlgitops sync (Git)";
  const char* kApply = "kubectl apply --server-side";
  std::vector<Row> rows = {{kSync, "create", &sync_create, &kubectl_create},
                           {kApply, "create", &kubectl_create, nullptr},
                           {kSync, "no-op", &sync_noop, &kubectl_noop},
                           {kApply, "no-op", &kubectl_noop, nullptr}};
  for (const Row& row : rows) {
    const RunResult& b = row.ours->best;
    std::printf("%-36s %-6s %9.3f %10.0f %9.1f", row.tool, row.phase, b.seconds, n / b.seconds,
                b.peak_kb / 1024.0);
    // Above 1: mlgitops is faster than kubectl in this phase.
    if (row.peer) std::printf(" %7.2fx", row.peer->best.seconds / b.seconds);
    std::printf("\n");
  }
  std::printf("\nAPI requests (kubesim audit log; the sync's include its dry runs):\n");
  for (const Row& row : rows) {
    std::printf("  %-30s %-6s %s\n", row.tool, row.phase, row.ours->requests.c_str());
  }
  std::fflush(stdout);
  if (failures == 0) {
    std::error_code ec;
    fs::remove_all(root, ec);
  } else {
    std::fprintf(stderr, "%d failures; files kept in %s\n", failures, root.c_str());
  }
  return failures == 0 ? 0 : 1;
}
