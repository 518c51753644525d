// Loading the app a command names, connecting to its clusters, and rendering its manifests.
#include "cli/app_target.h"

#include <pwd.h>
#include <unistd.h>

#include "cli/command_util.h"
#include "kube/kubeconfig.h"
#include "object/yaml_loader.h"
#include "source/render.h"

namespace mlgitops {

namespace {

constexpr const char* kApplicationGroups[] = {"mlgitops.io", "argoproj.io"};
constexpr char kInClusterServer[] = "https://kubernetes.default.svc";

bool IsLocalDestination(const ApplicationDestination& d, const std::string& current_server) {
  return (d.server.empty() && (d.name.empty() || d.name == "in-cluster")) ||
         d.server == kInClusterServer || (!current_server.empty() && d.server == current_server);
}

/// The names of the kubeconfig contexts whose cluster serves `server`.
std::vector<std::string> ContextsForServer(const CommandContext& ctx, const std::string& server) {
  KubeconfigOptions options;
  options.kubeconfig_flag = ctx.flags.Get("kubeconfig");
  std::vector<std::string> out;
  for (const std::string& path : KubeconfigSearchPaths(options, ctx.env.getenv)) {
    auto text = ReadFileLimited(path, LoadLimits().max_file_bytes, path);
    if (!text.ok()) continue;  // missing KUBECONFIG entries are skipped, as kubectl does
    auto docs = ParseYamlStream(*text, path, LoadLimits());
    if (!docs.ok() || docs->empty()) continue;
    const JsonValue& config = (*docs)[0].json();
    const JsonValue* clusters = Find(config, "clusters");
    const JsonValue* contexts = Find(config, "contexts");
    if (!clusters || !clusters->IsArray() || !contexts || !contexts->IsArray()) continue;
    for (const JsonValue& c : clusters->GetArray()) {
      std::string url = GetString(c, "cluster.server");
      while (!url.empty() && url.back() == '/') url.pop_back();
      if (url != server) continue;
      for (const JsonValue& context : contexts->GetArray()) {
        if (GetString(context, "context.cluster") == GetString(c, "name")) {
          out.push_back(GetString(context, "name"));
        }
      }
    }
  }
  return out;
}

Status ConnectDestination(const CommandContext& ctx, AppTarget* target) {
  const ApplicationDestination& d = target->app.destination;
  if (!d.server.empty() && !d.name.empty()) {
    return Status::InvalidArgument(
        target->app.DisplayName() +
        ": application destination can't have both name and server defined");
  }
  KubeconfigOptions options;
  options.kubeconfig_flag = ctx.flags.Get("kubeconfig");
  options.context = ctx.flags.Get("context");
  KubeconfigEnv env;
  env.getenv = ctx.env.getenv;
  auto current = LoadRestConfig(options, env);
  std::string current_server = current.ok() ? current->server : "";
  if (IsLocalDestination(d, current_server) || ctx.env.connect) {
    target->destination = target->control.get();
    return Status::OK();
  }
  if (!d.name.empty()) {
    return Status::InvalidArgument(target->app.DisplayName() + ": destination name \"" + d.name +
                                   "\" is not a known cluster: use destination.server, or "
                                   "in-cluster for the current context");
  }
  std::vector<std::string> contexts = ContextsForServer(ctx, d.server);
  if (contexts.empty()) {
    return Status::NotFound(target->app.DisplayName() + ": no kubeconfig context reaches " +
                            d.server + " (add one whose cluster has that server URL)");
  }
  options.context = contexts.front();
  options.namespace_ = ctx.flags.Get("namespace");
  auto client = ConnectWithKubeconfig(options, ctx.env.getenv);
  if (!client.ok()) return client.status().Prefixed("destination " + d.server);
  target->destination_owned = std::move(*client);
  target->destination = target->destination_owned.get();
  return Status::OK();
}

}  // namespace

Result<Application> GetApplicationCr(KubeClient& client, const std::string& namespace_,
                                     const std::string& name, std::string* api_version) {
  Status last = Status::NotFound("");
  for (const char* group : kApplicationGroups) {
    auto obj = client.Get(ObjectKey{{group, "v1alpha1", "Application"}, namespace_, name});
    if (!obj.ok()) {
      if (obj.status().code() != Status::Code::kNotFound) return obj.status();
      continue;
    }
    if (api_version) *api_version = obj->api_version();
    obj->set_origin("Application " + namespace_ + "/" + name + " in the cluster");
    return ParseApplication(*obj);
  }
  return Status::NotFound("Application \"" + name + "\" not found in namespace \"" + namespace_ +
                          "\" (neither mlgitops.io nor argoproj.io)");
}

Result<std::vector<Application>> ListApplicationCrs(KubeClient& client,
                                                    const std::string& namespace_) {
  std::vector<Application> apps;
  for (const char* group : kApplicationGroups) {
    auto list = ListAll(client, {group, "v1alpha1", "Application"}, namespace_, {});
    if (!list.ok()) {
      if (list.status().code() == Status::Code::kNotFound) continue;  // CRD not installed
      return list.status();
    }
    for (Object& obj : list->items) {
      obj.set_origin("Application " + obj.namespace_() + "/" + obj.name() + " in the cluster");
      auto app = ParseApplication(obj);
      if (!app.ok()) return app.status();
      apps.push_back(std::move(*app));
    }
  }
  return apps;
}

Result<AppTarget> LoadAppTarget(const CommandContext& ctx, size_t extra_args) {
  AppTarget target;
  std::vector<std::string> args = ctx.flags.positional();
  if (args.size() < extra_args) return Status::InvalidArgument("missing arguments");
  args.resize(args.size() - extra_args);
  bool from_file = ctx.flags.Has("filename");
  if (from_file == !args.empty()) {
    return Status::InvalidArgument(
        from_file ? "give either APP or -f FILE, not both"
                  : "name the Application: APP (a CR in the cluster) or -f APP.yaml");
  }
  auto client = Connect(ctx);
  if (!client.ok()) return client.status();
  target.control = std::move(*client);
  if (from_file) {
    auto app = ChooseApplication(ctx);
    if (!app.ok()) return app.status();
    target.app = std::move(*app);
    target.state_namespace = !target.app.namespace_.empty() ? target.app.namespace_
                                                            : target.control->default_namespace();
  } else {
    if (args.size() > 1) return Status::InvalidArgument("one APP at a time");
    std::string ns = ctx.flags.Has("namespace") ? ctx.flags.Get("namespace")
                                                : target.control->default_namespace();
    auto app = GetApplicationCr(*target.control, ns, args[0]);
    if (!app.ok()) return app.status();
    target.app = std::move(*app);
    target.in_cluster = true;
    target.state_namespace = ns;
  }
  Status destination = ConnectDestination(ctx, &target);
  if (!destination.ok()) return destination;
  return target;
}

Result<DesiredState> RenderDesired(const CommandContext& ctx, const Application& app,
                                   const std::string& revision, const AppTarget* target) {
  DesiredState state;
  std::string local = ctx.flags.Has("local") ? ctx.flags.Get("local") : "";
  if (!local.empty()) {
    auto objects = RenderLocal(app, local, LoadLimits());
    if (!objects.ok()) return objects.status().Prefixed(app.DisplayName());
    state.objects = std::move(*objects);
    state.revisions.push_back("local:" + local);
    // Git renders keep the later of two duplicates with a warning, as Argo CD; a local
    // directory is the user's own work in progress, so duplicates there are an error.
    Status unique = CheckNoDuplicates(state.objects);
    if (!unique.ok()) return unique.Prefixed(app.DisplayName());
    return state;
  }
  auto rendered =
      target ? RenderFromGit(ctx, app, revision, target->control.get(), target->state_namespace)
             : RenderFromGit(ctx, app, revision);
  if (!rendered.ok()) return rendered.status();
  state.objects = std::move(rendered->objects);
  state.revisions = std::move(rendered->revisions);
  state.from_cache = rendered->from_cache;
  return state;
}

std::string InitiatedBy(const CommandContext& ctx) {
  for (const char* name : {"USER", "LOGNAME"}) {
    const char* user = ctx.env.getenv(name);
    if (user && *user) return user;
  }
  // Containers and CI jobs often set neither: the account the process runs as.
  if (const passwd* entry = getpwuid(geteuid()); entry && entry->pw_name) return entry->pw_name;
  return "unknown";
}

}  // namespace mlgitops
