// Local rendering: a directory render rooted at the local folder, then Argo CD's namespace rule.
#include "source/render.h"

#include <map>
#include <utility>

#include "source/confine.h"

namespace mlgitops {

Result<std::vector<Object>> RenderLocal(const Application& app, const std::string& local_dir,
                                        const LoadLimits& limits, const RenderOptions& options) {
  if (app.sources.empty()) {
    return Status::InvalidArgument(app.DisplayName() + ": has no source to render locally");
  }
  ApplicationSource local = app.sources.front();
  local.path.clear();  // local_dir already is the app's directory
  auto objects = RenderDirectory(local_dir, local, limits, options.directory);
  if (!objects.ok()) return objects.status().Prefixed(app.DisplayName());
  GroupKindSet cluster_scoped = options.cluster_scoped;
  AddClusterScopedFromCrds(*objects, &cluster_scoped);
  ApplyDestinationNamespace(app.destination.namespace_, cluster_scoped, &*objects);
  return objects;
}

void ApplyDestinationNamespace(const std::string& namespace_, const GroupKindSet& cluster_scoped,
                               std::vector<Object>* objects) {
  for (Object& obj : *objects) {
    if (IsClusterScoped(obj.group(), obj.kind(), cluster_scoped)) {
      obj.ClearNamespace();
    } else if (obj.namespace_().empty() && !namespace_.empty()) {
      obj.SetNamespace(namespace_);
    }
  }
}

Status CheckNoDuplicates(const std::vector<Object>& objects) {
  std::map<std::string, const Object*> seen;
  for (const Object& obj : objects) {
    if (GetString(obj.json(), "metadata.name").empty()) continue;
    ObjectRef ref = obj.ref();
    std::string key = ref.group + "\n" + ref.kind + "\n" + ref.namespace_ + "\n" + ref.name;
    auto [it, inserted] = seen.emplace(std::move(key), &obj);
    if (!inserted) {
      return Status::InvalidArgument(ref.ToString() + " is defined twice: in " +
                                     it->second->origin() + " and in " + obj.origin());
    }
  }
  return Status::OK();
}

Result<std::vector<Object>> RenderFromLocalRoot(const Application& app, const std::string& root,
                                                const LoadLimits& limits, std::string* dir) {
  std::string path = app.sources.empty() ? "" : app.sources.front().path;
  *dir = path.empty() || path == "." ? root : root + "/" + path;
  // The path comes from the Application, not from whoever chose the root: it may not leave
  // the root by "..", an absolute path or a symbolic link.
  auto confined = ResolveInside(root, path, "spec.source.path \"" + path + "\"");
  if (!confined.ok()) return confined.status().Prefixed(app.DisplayName());
  auto objects = RenderLocal(app, *confined, limits);
  if (!objects.ok()) return objects.status().Prefixed(app.DisplayName());
  Status unique = CheckNoDuplicates(*objects);
  if (!unique.ok()) return unique.Prefixed(app.DisplayName());
  return objects;
}

}  // namespace mlgitops
