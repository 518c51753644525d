// Shared command helpers.
#include "cli/command_util.h"

#include <sys/stat.h>

#include "source/directory.h"
#include "source/render.h"

namespace mlgitops {

Result<Conventions> LoadConventionsFlag(const CommandContext& ctx) {
  if (!ctx.flags.Has("config")) return DefaultConventions();
  return LoadConventions(ctx.flags.Get("config"));
}

std::string KindWithGroup(const Object& obj) {
  std::string group = obj.group();
  static const char* const kWellKnown[] = {
      "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "rbac.authorization.k8s.io"};
  for (const char* g : kWellKnown) {
    if (group == g) return obj.kind();
  }
  return group.empty() ? obj.kind() : obj.kind() + "." + group;
}

bool CheckOutputFormat(const CommandContext& ctx, const std::vector<std::string>& allowed,
                       std::string* format) {
  *format = ctx.flags.Get("output");
  std::string list;
  for (const auto& a : allowed) {
    if (a == *format) return true;
    list += (list.empty() ? "" : ", ") + a;
  }
  ctx.err.Line("error: unable to match a printer suitable for the output format \"" + *format +
               "\", allowed formats are: " + list);
  return false;
}

namespace {
Result<std::vector<Object>> LoadDirectory(const std::string& dir) {
  ApplicationSource source;
  source.path = ".";
  source.directory = ApplicationSourceDirectory();
  source.directory->recurse = true;
  return RenderDirectory(dir, source, LoadLimits());
}
}  // namespace

Result<std::vector<Object>> LoadManifestPaths(const std::vector<std::string>& paths) {
  std::vector<Object> all;
  for (const auto& path : paths) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
      return Status::NotFound(path + ": no such file or directory");
    auto objects = S_ISDIR(st.st_mode) ? LoadDirectory(path) : LoadManifestFile(path);
    if (!objects.ok()) return objects.status();
    for (auto& o : *objects) all.push_back(std::move(o));
  }
  return all;
}

namespace {
Result<Application> ChooseApplication(const CommandContext& ctx) {
  std::string file = ctx.flags.Get("filename");
  if (file.empty()) return Status::InvalidArgument("needs -f APP.yaml (an Application file)");
  auto apps = LoadApplicationFile(file);
  if (!apps.ok()) return apps.status();
  if (apps->empty()) return Status::InvalidArgument(file + ": no Application in the file");
  std::string wanted = ctx.flags.Get("app");
  if (wanted.empty()) {
    if (apps->size() == 1) return std::move((*apps)[0]);
    std::string names;
    for (const auto& a : *apps) names += (names.empty() ? "" : ", ") + a.name;
    return Status::InvalidArgument(file + " holds " + std::to_string(apps->size()) +
                                   " Applications (" + names + "): choose one with --app NAME");
  }
  for (auto& a : *apps) {
    if (a.name == wanted) return std::move(a);
  }
  return Status::NotFound(file + ": no Application named \"" + wanted + "\"");
}
}  // namespace

Result<RenderedApp> LoadAndPlan(const CommandContext& ctx, const Conventions& conventions) {
  if (!ctx.flags.positional().empty()) {
    return Status::InvalidArgument("unexpected argument \"" + ctx.flags.positional()[0] +
                                   "\" (the Application comes from -f)");
  }
  std::string local = ctx.flags.Get("local");
  if (local.empty()) {
    return Status::InvalidArgument(
        "needs --local DIR (the app's manifests directory); rendering from the Git repository "
        "itself arrives with the sync command");
  }
  auto app = ChooseApplication(ctx);
  if (!app.ok()) return app.status();
  auto objects = RenderLocal(*app, local, LoadLimits());
  if (!objects.ok()) return objects.status().Prefixed(app->DisplayName());
  Status unique = CheckNoDuplicates(*objects);
  if (!unique.ok()) return unique.Prefixed(app->DisplayName());
  RenderedApp out{std::move(*app), std::move(*objects), {}, {}};
  out.classes = Classify(out.objects, conventions);
  auto plan = BuildPlan(out.objects, out.classes);
  if (!plan.ok()) return plan.status().Prefixed(out.app.DisplayName());
  out.plan = std::move(*plan);
  return out;
}

}  // namespace mlgitops
