// Loading the app a command names, connecting to its clusters, and rendering its manifests.
#include "cli/app_target.h"

#include <pwd.h>
#include <unistd.h>

#include <functional>

#include "cli/command_util.h"
#include "cluster/cluster_admin.h"
#include "cluster/registry.h"
#include "kube/kubeconfig.h"
#include "object/yaml_loader.h"
#include "project/project_store.h"
#include "source/render.h"

namespace mlgitops {

namespace {

constexpr const char* kApplicationGroups[] = {"mlgitops.io", "argoproj.io"};
constexpr std::chrono::milliseconds kReachabilityTimeout{5000};

bool IsLocalDestination(const ApplicationDestination& d, const std::string& current_server) {
  return (d.server.empty() && (d.name.empty() || d.name == "in-cluster")) ||
         d.server == kInClusterServer || (!current_server.empty() && d.server == current_server);
}

/// Calls `visit` with the parsed top level of every kubeconfig file consulted.
void ForEachKubeconfig(const CommandContext& ctx,
                       const std::function<void(const JsonValue& config)>& visit) {
  KubeconfigOptions options;
  options.kubeconfig_flag = ctx.flags.Get("kubeconfig");
  for (const std::string& path : KubeconfigSearchPaths(options, ctx.env.getenv)) {
    auto text = ReadFileLimited(path, LoadLimits().max_file_bytes, path);
    if (!text.ok()) continue;  // missing KUBECONFIG entries are skipped, as kubectl does
    auto docs = ParseYamlStream(*text, path, LoadLimits());
    if (!docs.ok() || docs->empty()) continue;
    visit((*docs)[0].json());
  }
}

/// The names of the kubeconfig contexts whose cluster serves `server`.
std::vector<std::string> ContextsForServer(const CommandContext& ctx, const std::string& server) {
  std::vector<std::string> out;
  ForEachKubeconfig(ctx, [&](const JsonValue& config) {
    const JsonValue* clusters = Find(config, "clusters");
    const JsonValue* contexts = Find(config, "contexts");
    if (!clusters || !clusters->IsArray() || !contexts || !contexts->IsArray()) return;
    for (const JsonValue& c : clusters->GetArray()) {
      if (NormalizeServer(GetString(c, "cluster.server")) != server) continue;
      for (const JsonValue& context : contexts->GetArray()) {
        if (GetString(context, "context.cluster") == GetString(c, "name")) {
          out.push_back(GetString(context, "name"));
        }
      }
    }
  });
  return out;
}

/// `name` when a kubeconfig context has that name, else nothing.
std::vector<std::string> ContextsNamed(const CommandContext& ctx, const std::string& name) {
  std::vector<std::string> out;
  ForEachKubeconfig(ctx, [&](const JsonValue& config) {
    const JsonValue* contexts = Find(config, "contexts");
    if (!contexts || !contexts->IsArray()) return;
    for (const JsonValue& context : contexts->GetArray()) {
      if (GetString(context, "name") == name) out.push_back(name);
    }
  });
  return out;
}

/// A client for the kubeconfig context `context` (its cluster, -n's namespace).
Status ConnectContext(const CommandContext& ctx, const std::string& context,
                      const std::string& display, AppTarget* target) {
  KubeconfigOptions options;
  options.kubeconfig_flag = ctx.flags.Get("kubeconfig");
  options.context = context;
  options.namespace_ = ctx.flags.Get("namespace");
  auto client = ConnectWithKubeconfig(options, ctx.env.getenv);
  if (!client.ok()) return client.status().Prefixed("destination " + display);
  target->destination_owned = std::move(*client);
  target->destination = target->destination_owned.get();
  return Status::OK();
}

Status ConnectRegistered(const ClusterInfo& cluster, AppTarget* target) {
  if (cluster.in_cluster) {
    target->destination = target->control.get();
    return Status::OK();
  }
  auto client = ConnectReachableCluster(cluster, *target->control, kReachabilityTimeout);
  if (!client.ok()) return client.status();
  target->destination_owned = std::move(*client);
  target->destination = target->destination_owned.get();
  return Status::OK();
}

/// Registered clusters (cluster Secrets in the control cluster) first, by name or server;
/// then kubeconfig contexts: one with the destination's name, or whose cluster has its server.
Status ConnectDestination(const CommandContext& ctx, AppTarget* target) {
  const ApplicationDestination& d = target->app.destination;
  const std::string app = target->app.DisplayName();
  if (!d.server.empty() && !d.name.empty()) {
    return Status::InvalidArgument(
        app + ": application destination can't have both name and server defined");
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
  auto registry = ClusterRegistry::Load(
      *target->control, RegistryOptionsFor(ctx.flags.Get("cluster-namespace"), ctx.env.getenv));
  if (registry.ok()) {
    if (!d.name.empty()) {
      auto cluster = registry->ByName(d.name);
      if (cluster.ok()) return ConnectRegistered(*cluster, target);
      if (cluster.status().code() != Status::Code::kNotFound) return cluster.status().Prefixed(app);
    } else if (auto cluster = registry->ByServer(d.server)) {
      return ConnectRegistered(*cluster, target);
    }
  }
  std::string registered_note = registry.ok()
                                    ? "registered clusters: " + registry->KnownNames()
                                    : "cluster Secrets not read: " + registry.status().message();
  if (!d.name.empty()) {
    if (!ContextsNamed(ctx, d.name).empty()) return ConnectContext(ctx, d.name, d.name, target);
    return Status::NotFound(app + ": destination name \"" + d.name +
                            "\": there are no clusters with this name (" + registered_note +
                            "; register one with `kubectl mlgitops cluster add CONTEXT`)");
  }
  std::vector<std::string> contexts = ContextsForServer(ctx, d.server);
  if (contexts.empty()) {
    return Status::NotFound(app + ": no registered cluster or kubeconfig context reaches " +
                            d.server + " (" + registered_note + ")");
  }
  return ConnectContext(ctx, contexts.front(), d.server, target);
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
  // The project gate: before the destination is connected or anything fetched or rendered.
  target.control_namespace =
      ControlNamespaceFor(ctx.flags.Get("control-namespace"), ctx.env.getenv);
  auto project = ProjectForApplication(*target.control, target.control_namespace, target.app);
  if (!project.ok()) return project.status().Prefixed(target.app.DisplayName());
  target.project = std::move(*project);
  Status destination = ConnectDestination(ctx, &target);
  if (!destination.ok()) return destination;
  // As the controller does: the app's objects are read and written as the project's
  // ServiceAccount for the destination, when it maps one (the user needs `impersonate`).
  auto acting_as = ClientForProjectAccount(target.project, target.app.destination,
                                           *target.destination, /*require=*/false);
  if (!acting_as.ok()) return acting_as.status().Prefixed(target.app.DisplayName());
  if (*acting_as) {
    target.acting_as = std::move(*acting_as);
    target.destination = target.acting_as.get();
  }
  return target;
}

namespace {

/// With a target, every rendered object must be a kind and namespace its project permits.
Result<DesiredState> Permitted(DesiredState state, const Application& app,
                               const AppTarget* target) {
  if (!target) return state;
  Status permitted =
      CheckManifestsPermitted(target->project, app, state.objects, *target->destination);
  if (!permitted.ok()) return permitted.Prefixed(app.DisplayName());
  return state;
}

}  // namespace

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
    return Permitted(std::move(state), app, target);
  }
  auto rendered =
      target ? RenderFromGit(ctx, app, revision, target->control.get(), target->state_namespace)
             : RenderFromGit(ctx, app, revision);
  if (!rendered.ok()) return rendered.status();
  state.objects = std::move(rendered->objects);
  state.revisions = std::move(rendered->revisions);
  state.from_cache = rendered->from_cache;
  return Permitted(std::move(state), app, target);
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
