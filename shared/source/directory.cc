// Directory rendering: resolve and confine the app path, walk it (lstat every entry, resolve
// every symlink and check it against the root), then read and parse the chosen files in order.
#include "source/directory.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <optional>
#include <utility>

#include "source/confine.h"
#include "source/glob.h"

namespace mlgitops {

namespace {

constexpr char kSkipMarker[] = "+argocd:skip-file-rendering";

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string ShownPath(const std::string& rel) { return rel.empty() ? "." : rel; }

// ---- Resolving the application directory. ----

struct AppDir {
  std::string root;     // canonical repository root
  std::string real;     // canonical application directory
  std::string logical;  // `path` as given, normalized, relative to the root ("" = root)
  std::string subject;  // how messages name the app path
};

// `spec.source.path "x"`, or the root itself when the path is empty (local renders).
std::string PathSubject(const std::string& repo_root, const std::string& path) {
  return path.empty() ? repo_root : "spec.source.path \"" + path + "\"";
}

Result<AppDir> ResolveAppDir(const std::string& repo_root, const std::string& path) {
  int error = 0;
  auto root = CanonicalPath(repo_root, &error);
  if (!root) {
    return Status::NotFound(repo_root + ": repository root not found: " + std::strerror(error));
  }
  std::string quoted = PathSubject(repo_root, path);
  auto real = ResolveInside(*root, path, quoted);
  if (!real.ok() && real.status().code() == Status::Code::kNotFound) {
    return Status::NotFound(quoted + ": app path does not exist");
  }
  if (!real.ok()) return real.status();
  struct stat st;
  if (::stat(real->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument(quoted + ": app path is not a directory");
  }
  return AppDir{*root, *real, *NormalizeInside(path), quoted};
}

// A source this renderer must not pretend to render.
Status CheckPlainDirectory(const ApplicationSource& source, const AppDir& dir) {
  auto unsupported = [&](const std::string& what) {
    return Status::Unsupported(dir.subject + ": " + what + " rendering is not supported yet");
  };
  if (!source.chart.empty() || source.helm) return unsupported("Helm");
  if (source.kustomize) return unsupported("Kustomize");
  if (source.plugin) return unsupported("config management plugin");
  if (source.directory) return Status::OK();  // explicitly a directory, as in Argo CD
  struct stat st;
  for (const char* name : {"kustomization.yaml", "kustomization.yml", "Kustomization"}) {
    if (::stat((dir.real + "/" + name).c_str(), &st) == 0) {
      return unsupported(std::string("holds ") + name + ": Kustomize");
    }
  }
  if (::stat((dir.real + "/Chart.yaml").c_str(), &st) == 0) {
    return unsupported("holds Chart.yaml: Helm");
  }
  return Status::OK();
}

// ---- Walking. ----

struct ManifestFile {
  std::string real;     // canonical path to read
  std::string display;  // relative to the repository root, for origins and errors
};

struct DirectoryFilter {
  bool recurse = false;
  bool extension_filter = true;
  std::optional<Glob> include;
  std::optional<Glob> exclude;
};

Status CompileInto(const std::string& pattern, const char* field, std::optional<Glob>* slot) {
  if (pattern.empty()) return Status::OK();
  auto glob = Glob::Compile(pattern);
  if (!glob.ok()) return glob.status().Prefixed(std::string("spec.source.directory.") + field);
  slot->emplace(std::move(glob).value());
  return Status::OK();
}

Result<DirectoryFilter> MakeFilter(const ApplicationSource& source) {
  DirectoryFilter filter;
  if (!source.directory) return filter;
  const ApplicationSourceDirectory& d = *source.directory;
  filter.recurse = d.recurse;
  filter.extension_filter = !d.disable_extension_filter;
  Status s = CompileInto(d.include, "include", &filter.include);
  if (s.ok()) s = CompileInto(d.exclude, "exclude", &filter.exclude);
  if (!s.ok()) return s;
  return filter;
}

bool HasManifestExtension(const std::string& name) {
  return EndsWith(name, ".yaml") || EndsWith(name, ".yml") || EndsWith(name, ".json") ||
         EndsWith(name, ".jsonnet");
}

// One entry met during the walk, with the three paths it is known by.
struct Entry {
  std::string name;
  std::string real;     // as found on disk (not yet resolved)
  std::string display;  // relative to the repository root
  std::string app_rel;  // relative to the application directory: what globs see
};

class Walker {
 public:
  Walker(const AppDir& dir, const DirectoryFilter& filter, const DirectoryOptions& options)
      : dir_(dir), filter_(filter), options_(options) {}

  Status Run() { return WalkDirectory(dir_.real, dir_.logical, "", 0); }
  std::vector<ManifestFile>& files() { return files_; }

 private:
  Status WalkDirectory(const std::string& real, const std::string& display,
                       const std::string& app_rel, int depth);
  Result<std::vector<std::string>> ListSorted(const std::string& real, const std::string& display);
  Status Visit(const Entry& entry, int depth);
  Status VisitSymlink(const Entry& entry, int depth);
  Status ConsiderFile(const Entry& entry, const std::string& real, off_t size);

  const AppDir& dir_;
  const DirectoryFilter& filter_;
  const DirectoryOptions& options_;
  std::vector<ManifestFile> files_;
  std::vector<std::pair<dev_t, ino_t>> open_dirs_;  // the current descent, to catch cycles
  size_t entries_ = 0;
  size_t total_bytes_ = 0;
};

Status Walker::WalkDirectory(const std::string& real, const std::string& display,
                             const std::string& app_rel, int depth) {
  if (depth > options_.max_depth) {
    return Status::LimitExceeded(ShownPath(display) + ": directories nested deeper than " +
                                 std::to_string(options_.max_depth) + " levels");
  }
  struct stat st;
  if (::stat(real.c_str(), &st) != 0) {
    return Status::IOError(ShownPath(display) + ": " + std::strerror(errno));
  }
  auto key = std::make_pair(st.st_dev, st.st_ino);
  if (std::find(open_dirs_.begin(), open_dirs_.end(), key) != open_dirs_.end()) {
    return Status::InvalidArgument(ShownPath(display) +
                                   ": directory loop (a symbolic link leads back to a parent)");
  }
  auto names = ListSorted(real, display);
  if (!names.ok()) return names.status();
  open_dirs_.push_back(key);
  for (const std::string& name : *names) {
    Entry entry{name, real + "/" + name, JoinPath(display, name), JoinPath(app_rel, name)};
    Status s = Visit(entry, depth);
    if (!s.ok()) return s;
  }
  open_dirs_.pop_back();
  return Status::OK();
}

// Names in byte order, as Go's filepath.Walk visits them.
Result<std::vector<std::string>> Walker::ListSorted(const std::string& real,
                                                    const std::string& display) {
  DIR* handle = ::opendir(real.c_str());
  if (!handle) return Status::IOError(ShownPath(display) + ": " + std::strerror(errno));
  std::vector<std::string> names;
  Status status;
  while (dirent* e = ::readdir(handle)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (++entries_ > options_.max_entries) {
      status = Status::LimitExceeded(ShownPath(display) + ": more than " +
                                     std::to_string(options_.max_entries) +
                                     " directory entries under the app path");
      break;
    }
    names.push_back(std::move(name));
  }
  ::closedir(handle);
  if (!status.ok()) return status;
  std::sort(names.begin(), names.end());
  return names;
}

Status Walker::Visit(const Entry& entry, int depth) {
  struct stat st;
  if (::lstat(entry.real.c_str(), &st) != 0) {
    return Status::IOError(entry.display + ": " + std::strerror(errno));
  }
  if (S_ISLNK(st.st_mode)) return VisitSymlink(entry, depth);
  if (S_ISDIR(st.st_mode)) {
    if (!filter_.recurse) return Status::OK();
    return WalkDirectory(entry.real, entry.display, entry.app_rel, depth + 1);
  }
  if (S_ISREG(st.st_mode)) return ConsiderFile(entry, entry.real, st.st_size);
  return Status::OK();  // sockets, FIFOs, devices: never opened
}

Status Walker::VisitSymlink(const Entry& entry, int depth) {
  // Names the link only: the target path may itself be sensitive.
  auto outside =
      Status::InvalidArgument(entry.display + ": symbolic link points outside the repository root");
  int error = 0;
  auto target = CanonicalPath(entry.real, &error);
  if (!target) {
    if (error == ELOOP) return Status::InvalidArgument(entry.display + ": symbolic link loop");
    if (error != ENOENT) return Status::IOError(entry.display + ": " + std::strerror(error));
    char text[PATH_MAX];
    ssize_t n = ::readlink(entry.real.c_str(), text, sizeof text - 1);
    if (n < 0) return Status::IOError(entry.display + ": " + std::strerror(errno));
    std::string parent = entry.real.substr(0, entry.real.size() - entry.name.size() - 1);
    if (LinkTextEscapes(RelativeTo(dir_.root, parent), std::string(text, n))) return outside;
    return Status::OK();  // a dangling link inside the root: skipped, as Argo CD does
  }
  if (!IsWithin(dir_.root, *target)) return outside;
  struct stat st;
  if (::stat(target->c_str(), &st) != 0) {
    return Status::IOError(entry.display + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    if (!filter_.recurse || !options_.follow_directory_symlinks) return Status::OK();
    return WalkDirectory(*target, entry.display, entry.app_rel, depth + 1);
  }
  if (S_ISREG(st.st_mode)) return ConsiderFile(entry, *target, st.st_size);
  return Status::OK();
}

Status Walker::ConsiderFile(const Entry& entry, const std::string& real, off_t size) {
  if (filter_.extension_filter && !HasManifestExtension(entry.name)) return Status::OK();
  if (filter_.exclude && filter_.exclude->Match(entry.app_rel)) return Status::OK();
  if (filter_.include && !filter_.include->Match(entry.app_rel)) return Status::OK();
  if (EndsWith(entry.name, ".jsonnet")) {
    return Status::Unsupported(entry.display + ": Jsonnet rendering is not supported yet");
  }
  if (files_.size() >= options_.max_files) {
    return Status::LimitExceeded(entry.display + ": more than " +
                                 std::to_string(options_.max_files) + " manifest files");
  }
  total_bytes_ += static_cast<size_t>(size);
  if (total_bytes_ > options_.max_total_bytes) {
    return Status::LimitExceeded(entry.display + ": manifest files exceed " +
                                 std::to_string(options_.max_total_bytes) + " bytes in total");
  }
  files_.push_back({real, entry.display});
  return Status::OK();
}

// ---- Parsing the chosen files. ----

bool MentionsManifestKeys(const std::string& text) {
  return text.find("apiVersion") != std::string::npos && text.find("kind") != std::string::npos &&
         text.find("metadata") != std::string::npos;
}

bool AnyKubernetesObject(const std::vector<Object>& docs) {
  for (const Object& doc : docs) {
    const JsonValue& v = doc.json();
    const JsonValue* api = Find(v, "apiVersion");
    const JsonValue* kind = Find(v, "kind");
    if (v.IsObject() && api && api->IsString() && kind && kind->IsString()) return true;
  }
  return false;
}

// Objects of one file; an empty result for data files Argo CD would ignore.
Result<std::vector<Object>> ParseFile(const std::string& text, const std::string& display,
                                      const LoadLimits& limits) {
  auto objects = ParseManifests(text, display, limits);
  if (objects.ok()) return objects;
  auto docs = ParseYamlStream(text, display, limits);
  if (!docs.ok()) return docs.status();  // not even YAML: always an error
  if (AnyKubernetesObject(*docs) || MentionsManifestKeys(text)) return objects.status();
  return std::vector<Object>();
}

}  // namespace

Result<std::vector<Object>> RenderDirectory(const std::string& repo_root,
                                            const ApplicationSource& source,
                                            const LoadLimits& limits,
                                            const DirectoryOptions& options) {
  auto dir = ResolveAppDir(repo_root, source.path);
  if (!dir.ok()) return dir.status();
  Status plain = CheckPlainDirectory(source, *dir);
  if (!plain.ok()) return plain;
  auto filter = MakeFilter(source);
  if (!filter.ok()) return filter.status();
  Walker walker(*dir, *filter, options);
  Status walked = walker.Run();
  if (!walked.ok()) return walked;

  std::vector<Object> out;
  for (const ManifestFile& file : walker.files()) {
    auto text = ReadFileLimited(file.real, limits.max_file_bytes, file.display);
    if (!text.ok()) return text.status();
    if (text->find(kSkipMarker) != std::string::npos) continue;
    auto objects = ParseFile(*text, file.display, limits);
    if (!objects.ok()) return objects.status();
    for (Object& obj : *objects) out.push_back(std::move(obj));
  }
  return out;
}

}  // namespace mlgitops
