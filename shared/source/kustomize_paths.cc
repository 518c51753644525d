// The kustomization walk: read each kustomization reached, check every path-bearing field
// against the root, descend into local directories that kustomize would build as bases.
#include "source/kustomize_paths.h"

#include <sys/stat.h>

#include <set>
#include <utility>
#include <vector>

#include "object/object.h"
#include "source/confine.h"

namespace mlgitops {

namespace {

constexpr const char* kKustomizationNames[] = {"kustomization.yaml", "kustomization.yml",
                                               "Kustomization"};
// A bound on kustomizations read in one walk; a repository needing more is refused.
constexpr size_t kMaxKustomizations = 1000;

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// How kustomize tells a remote target from a local path (its repospec forms).
bool LooksRemote(const std::string& entry) {
  return entry.find("://") != std::string::npos || StartsWith(entry, "git@") ||
         StartsWith(entry, "git::") || StartsWith(entry, "gh:") || StartsWith(entry, "github.com/");
}

// A Git URL that clones from this host's file system, e.g. another repository in the cache.
bool IsLocalGitUrl(const std::string& entry) {
  std::string rest = StartsWith(entry, "git::") ? entry.substr(5) : entry;
  if (StartsWith(rest, "file:")) return true;
  // "git::" before anything but a network URL or an scp-like address names a local path.
  return rest.size() != entry.size() && rest.find("://") == std::string::npos &&
         !StartsWith(rest, "git@");
}

class KustomizeWalk {
 public:
  KustomizeWalk(std::string root, const LoadLimits& limits)
      : root_(std::move(root)), limits_(limits) {}

  // `dir` is canonical and inside the root.
  Status Visit(const std::string& dir);

 private:
  // One entry of `field` in the kustomization `file` (relative to the root) in directory
  // `dir_rel`; `build_dirs` when kustomize would build a directory entry as a kustomization.
  Status CheckEntry(const std::string& file, const std::string& dir_rel, const std::string& field,
                    const std::string& entry, bool build_dirs);
  Status CheckList(const JsonValue& k, const std::string& file, const std::string& dir_rel,
                   const char* field, bool build_dirs);
  Status CheckPathMembers(const JsonValue& k, const std::string& file, const std::string& dir_rel,
                          const char* field);
  Status CheckGenerators(const JsonValue& k, const std::string& file, const std::string& dir_rel,
                         const char* field);
  Status CheckHelm(const JsonValue& k, const std::string& file, const std::string& dir_rel);

  std::string root_;
  const LoadLimits& limits_;
  std::set<std::string> visited_;
};

Status KustomizeWalk::Visit(const std::string& dir) {
  if (!visited_.insert(dir).second) return Status::OK();  // kustomize reports real cycles
  if (visited_.size() > kMaxKustomizations) {
    return Status::LimitExceeded("more than " + std::to_string(kMaxKustomizations) +
                                 " kustomizations in one build");
  }
  std::string dir_rel = RelativeTo(root_, dir);
  std::string name;
  struct stat st;
  for (const char* candidate : kKustomizationNames) {
    if (::stat((dir + "/" + candidate).c_str(), &st) == 0) {
      name = candidate;
      break;
    }
  }
  if (name.empty()) return Status::OK();  // kustomize reports the missing kustomization
  std::string file = JoinPath(dir_rel, name);
  // Read through the resolver too: the kustomization file itself may be a link.
  auto real = ResolveInside(root_, file, file);
  if (!real.ok()) return real.status();
  auto text = ReadFileLimited(*real, limits_.max_file_bytes, file);
  if (!text.ok()) return text.status();
  auto docs = ParseYamlStream(*text, file, limits_);
  if (!docs.ok()) return docs.status();
  if (docs->empty()) return Status::OK();
  const JsonValue& k = (*docs)[0].json();
  if (!k.IsObject()) return Status::OK();  // kustomize reports the malformed file

  for (const char* field : {"resources", "bases", "components"}) {
    Status s = CheckList(k, file, dir_rel, field, /*build_dirs=*/true);
    if (!s.ok()) return s;
  }
  for (const char* field : {"crds", "configurations", "patchesStrategicMerge"}) {
    Status s = CheckList(k, file, dir_rel, field, /*build_dirs=*/false);
    if (!s.ok()) return s;
  }
  for (const char* field : {"patches", "patchesJson6902", "replacements"}) {
    Status s = CheckPathMembers(k, file, dir_rel, field);
    if (!s.ok()) return s;
  }
  const JsonValue* openapi = Find(k, "openapi");
  if (openapi && openapi->IsObject()) {
    std::string path = MemberString(*openapi, "path");
    if (!path.empty()) {
      Status s = CheckEntry(file, dir_rel, "openapi.path", path, false);
      if (!s.ok()) return s;
    }
  }
  for (const char* field : {"configMapGenerator", "secretGenerator"}) {
    Status s = CheckGenerators(k, file, dir_rel, field);
    if (!s.ok()) return s;
  }
  // Plugin configurations: inline YAML, or a file or directory holding them.
  for (const char* field : {"generators", "transformers", "validators"}) {
    Status s = CheckList(k, file, dir_rel, field, /*build_dirs=*/true);
    if (!s.ok()) return s;
  }
  return CheckHelm(k, file, dir_rel);
}

Status KustomizeWalk::CheckEntry(const std::string& file, const std::string& dir_rel,
                                 const std::string& field, const std::string& entry,
                                 bool build_dirs) {
  // Inline patches and plugin configurations are YAML text, not paths.
  if (entry.empty() || entry.find('\n') != std::string::npos) return Status::OK();
  std::string subject = file + ": " + field + " entry \"" + entry + "\"";
  // As a local path first, as kustomize tries it: a "URL" naming a local directory is one.
  auto real = ResolveInside(root_, JoinPath(dir_rel, entry), subject);
  if (!real.ok()) {
    if (real.status().code() != Status::Code::kNotFound) return real.status();
    if (LooksRemote(entry) && IsLocalGitUrl(entry)) {
      return Status::InvalidArgument(subject +
                                     ": a Git URL on this host's file system is refused; "
                                     "kustomize sources may only read their own repository");
    }
    // Missing (kustomize reports it), or remote: kustomize confines that to its own clone.
    return Status::OK();
  }
  struct stat st;
  if (build_dirs && ::stat(real->c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Visit(*real);
  return Status::OK();
}

Status KustomizeWalk::CheckList(const JsonValue& k, const std::string& file,
                                const std::string& dir_rel, const char* field, bool build_dirs) {
  const JsonValue* list = Find(k, field);
  if (!list || !list->IsArray()) return Status::OK();
  for (const JsonValue& item : list->GetArray()) {
    if (!item.IsString()) continue;  // kustomize refuses it
    Status s = CheckEntry(file, dir_rel, field, item.GetString(), build_dirs);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status KustomizeWalk::CheckPathMembers(const JsonValue& k, const std::string& file,
                                       const std::string& dir_rel, const char* field) {
  const JsonValue* list = Find(k, field);
  if (!list || !list->IsArray()) return Status::OK();
  for (const JsonValue& item : list->GetArray()) {
    if (!item.IsObject()) continue;
    std::string path = MemberString(item, "path");
    Status s = CheckEntry(file, dir_rel, std::string(field) + ".path", path, false);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status KustomizeWalk::CheckGenerators(const JsonValue& k, const std::string& file,
                                      const std::string& dir_rel, const char* field) {
  const JsonValue* list = Find(k, field);
  if (!list || !list->IsArray()) return Status::OK();
  for (const JsonValue& generator : list->GetArray()) {
    if (!generator.IsObject()) continue;
    std::vector<std::pair<std::string, std::string>> paths;  // (field, path)
    std::string env = MemberString(generator, "env");
    if (!env.empty()) paths.emplace_back(std::string(field) + ".env", env);
    for (const char* member : {"files", "envs"}) {
      const JsonValue* entries = Find(generator, member);
      if (!entries || !entries->IsArray()) continue;
      for (const JsonValue& e : entries->GetArray()) {
        if (!e.IsString()) continue;
        std::string path = e.GetString();
        // files: "path" or "key=path".
        size_t eq = path.find('=');
        if (std::string(member) == "files" && eq != std::string::npos) path = path.substr(eq + 1);
        paths.emplace_back(std::string(field) + "." + member, path);
      }
    }
    for (const auto& [name, path] : paths) {
      Status s = CheckEntry(file, dir_rel, name, path, false);
      if (!s.ok()) return s;
    }
  }
  return Status::OK();
}

Status KustomizeWalk::CheckHelm(const JsonValue& k, const std::string& file,
                                const std::string& dir_rel) {
  const JsonValue* globals = Find(k, "helmGlobals");
  if (globals && globals->IsObject()) {
    std::string home = MemberString(*globals, "chartHome");
    Status s = CheckEntry(file, dir_rel, "helmGlobals.chartHome", home, false);
    if (!s.ok()) return s;
  }
  const JsonValue* charts = Find(k, "helmCharts");
  if (!charts || !charts->IsArray()) return Status::OK();
  for (const JsonValue& chart : charts->GetArray()) {
    if (!chart.IsObject()) continue;
    std::string values = MemberString(chart, "valuesFile");
    Status s = CheckEntry(file, dir_rel, "helmCharts.valuesFile", values, false);
    if (!s.ok()) return s;
    const JsonValue* more = Find(chart, "additionalValuesFiles");
    if (!more || !more->IsArray()) continue;
    for (const JsonValue& e : more->GetArray()) {
      if (!e.IsString()) continue;
      s = CheckEntry(file, dir_rel, "helmCharts.additionalValuesFiles", e.GetString(), false);
      if (!s.ok()) return s;
    }
  }
  return Status::OK();
}

}  // namespace

Status CheckKustomizePaths(const std::string& root, const std::string& dir,
                           const LoadLimits& limits) {
  int error = 0;
  auto real_root = CanonicalPath(root, &error);
  if (!real_root) return Status::NotFound(root + ": repository root not found");
  auto real_dir = CanonicalPath(dir, &error);
  if (!real_dir) return Status::NotFound(dir + ": kustomization directory not found");
  if (!IsWithin(*real_root, *real_dir)) {
    return Status::InvalidArgument(
        "the kustomization directory resolves outside the repository root");
  }
  KustomizeWalk walk(*real_root, limits);
  return walk.Visit(*real_dir);
}

}  // namespace mlgitops
