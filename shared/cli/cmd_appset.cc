// `appset generate`: the Applications an ApplicationSet file generates, printed as YAML or JSON.
// `appset sync`: writes them (CRs, or in memory) and syncs each, all at once or step by step.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>

#include "appset/appset_sync.h"
#include "appset/expand.h"
#include "appset/rolling_sync.h"
#include "cli/app_target.h"
#include "cli/cli.h"
#include "cli/command_util.h"
#include "cluster/cluster_admin.h"
#include "cluster/registry.h"
#include "object/timeutil.h"
#include "object/yaml_writer.h"
#include "project/project_store.h"
#include "source/git_credentials.h"
#include "source/render.h"
#include "sync/app_state.h"
#include "sync/syncer.h"
#include "sync/tracking.h"

namespace mlgitops {

namespace {

void PrintApplications(const CommandContext& ctx, const std::vector<GeneratedApp>& apps,
                       const std::string& format) {
  std::vector<const Object*> objects;
  for (const auto& a : apps) objects.push_back(&a.object);
  PrintObjectStream(ctx, objects, format);
}

/// -o, with `fallback` when absent (generate prints YAML, sync a table).
bool OutputFormat(const CommandContext& ctx, const std::vector<std::string>& allowed,
                  const std::string& fallback, std::string* format) {
  if (ctx.flags.Get("output").empty()) {
    *format = fallback;
    return true;
  }
  return CheckOutputFormat(ctx, allowed, format);
}

/// What generators read: Git through the clone cache with the environment's credentials, and
/// the registered clusters (the local cluster alone when there is no registry to read).
struct ExpandSetup {
  CredentialStore credentials;
  std::unique_ptr<InMemoryClusterSource> clusters =
      std::make_unique<InMemoryClusterSource>(std::vector<ClusterInfo>{});
  ExpandOptions options;
};

bool UsesClusters(const GeneratorSpec& g) {
  if (g.kind == "clusters") return true;
  for (const GeneratorSpec& child : g.children) {
    if (UsesClusters(child)) return true;
  }
  return false;
}

bool UsesClustersGenerator(const std::vector<ApplicationSet>& sets) {
  for (const ApplicationSet& set : sets) {
    for (const GeneratorSpec& g : set.generators) {
      if (UsesClusters(g)) return true;
    }
  }
  return false;
}

/// The clusters of the registry in `control` (cluster Secrets) for the clusters generator.
Status UseRegisteredClusters(const CommandContext& ctx, KubeClient& control, ExpandSetup* setup) {
  auto registry = ClusterRegistry::Load(control, RegistryOptionsFor("", ctx.env.getenv));
  if (!registry.ok()) return registry.status().Prefixed("reading the registered clusters");
  for (const std::string& warning : registry->warnings()) ctx.err.Line("warning: " + warning);
  setup->clusters = std::make_unique<InMemoryClusterSource>(registry->clusters());
  setup->options.clusters = setup->clusters.get();
  return Status::OK();
}

Status PrepareExpand(const CommandContext& ctx, ExpandSetup* setup) {
  auto explicit_credentials = CredentialsFromEnv(ctx.env.getenv);
  if (!explicit_credentials.ok()) return explicit_credentials.status();
  Status scoped = setup->credentials.SetExplicit(std::move(*explicit_credentials));
  if (!scoped.ok()) return scoped;
  setup->options.allow_missing = ctx.flags.GetBool("allow-missing");
  setup->options.cache_dir =
      ctx.flags.Has("cache-dir") ? ctx.flags.Get("cache-dir") : DefaultCacheDir(ctx.env.getenv);
  setup->options.credentials = &setup->credentials;
  setup->options.clusters = setup->clusters.get();
  return Status::OK();
}

int RunGenerate(CommandContext& ctx) {
  std::string format;
  if (!OutputFormat(ctx, {"yaml", "json"}, "yaml", &format)) return kExitUsage;
  if (ctx.flags.positional().size() > 1) {
    return ctx.Fail("unexpected argument \"" + ctx.flags.positional()[1] +
                    "\" (the ApplicationSet comes from -f)");
  }
  if (!ctx.flags.Has("filename")) return ctx.Fail("appset generate needs -f APPSET.yaml");
  auto sets = LoadApplicationSetFile(ctx.flags.Get("filename"));
  if (!sets.ok()) return ctx.Fail(sets.status().message());
  ExpandSetup setup;
  Status prepared = PrepareExpand(ctx, &setup);
  if (!prepared.ok()) return ctx.Fail(prepared.message());
  // Only a clusters generator needs a cluster: the registry's Secrets live there.
  std::unique_ptr<KubeClient> control;
  if (UsesClustersGenerator(*sets)) {
    auto connected = Connect(ctx);
    if (!connected.ok()) return ctx.Fail(connected.status().message());
    control = std::move(*connected);
    Status registered = UseRegisteredClusters(ctx, *control, &setup);
    if (!registered.ok()) return ctx.Fail(registered.message());
  }
  std::vector<GeneratedApp> apps;
  size_t skipped = 0;
  for (const ApplicationSet& set : *sets) {
    auto expansion = ExpandAppSet(set, setup.options);
    if (!expansion.ok()) return ctx.Fail(expansion.status().message());
    for (const std::string& error : expansion->errors) ctx.err.Line("error: skipped: " + error);
    skipped += expansion->errors.size();
    for (auto& app : expansion->apps) apps.push_back(std::move(app));
  }
  PrintApplications(ctx, apps, format);
  return skipped > 0 ? kExitFindings : kExitOk;
}

constexpr const char* kAppSetGroups[] = {"mlgitops.io", "argoproj.io"};

/// The ApplicationSet of -f FILE (exactly one) or the CR NAME; its uid when it is a CR.
struct LoadedAppSet {
  ApplicationSet appset;
  std::string uid;
};

Result<LoadedAppSet> LoadAppSet(const CommandContext& ctx, KubeClient& client) {
  const auto& args = ctx.flags.positional();
  bool from_file = ctx.flags.Has("filename");
  if (from_file == (args.size() > 1)) {
    return Status::InvalidArgument(from_file ? "give either NAME or -f APPSET.yaml, not both"
                                             : "appset sync needs -f APPSET.yaml or NAME");
  }
  if (args.size() > 2) return Status::InvalidArgument("one ApplicationSet at a time");
  LoadedAppSet loaded;
  if (from_file) {
    auto sets = LoadApplicationSetFile(ctx.flags.Get("filename"));
    if (!sets.ok()) return sets.status();
    if (sets->size() != 1) {
      return Status::InvalidArgument(ctx.flags.Get("filename") + ": holds " +
                                     std::to_string(sets->size()) +
                                     " ApplicationSets; appset sync takes one");
    }
    loaded.appset = std::move(sets->front());
  } else {
    std::string ns =
        ctx.flags.Has("namespace") ? ctx.flags.Get("namespace") : client.default_namespace();
    Status last = Status::NotFound("ApplicationSet \"" + args[1] + "\" not found in namespace \"" +
                                   ns + "\" (neither mlgitops.io nor argoproj.io)");
    for (const char* group : kAppSetGroups) {
      auto obj = client.Get(ObjectKey{{group, "v1alpha1", "ApplicationSet"}, ns, args[1]});
      if (!obj.ok()) {
        if (obj.status().code() != Status::Code::kNotFound) return obj.status();
        continue;
      }
      obj->set_origin("ApplicationSet " + ns + "/" + args[1] + " in the cluster");
      auto parsed = ParseApplicationSet(*obj);
      if (!parsed.ok()) return parsed.status();
      loaded.appset = std::move(*parsed);
      loaded.uid = GetString(obj->json(), "metadata.uid");
      return loaded;
    }
    return last;
  }
  if (loaded.appset.namespace_.empty()) {
    loaded.appset.namespace_ =
        ctx.flags.Has("namespace") ? ctx.flags.Get("namespace") : client.default_namespace();
  }
  return loaded;
}

/// The Application objects already in the AppSet's namespace (none when the CRD is absent).
Result<std::vector<Object>> ExistingApps(KubeClient& client, const AppSetOwner& owner) {
  std::string group = GroupVersionKind::FromApiVersion(owner.api_version, "Application").group;
  auto list = ListAll(client, {group, "v1alpha1", "Application"}, owner.namespace_, {});
  if (!list.ok()) {
    if (list.status().code() == Status::Code::kNotFound) return std::vector<Object>();
    return list.status();
  }
  return std::move(list->items);
}

/// Connects an app's destination through the cluster registry (by name or server), one client
/// per cluster shared by its apps; safe to call from the parallel syncs of several clusters.
using DestinationFn = std::function<Result<KubeClient*>(const Application&)>;

/// Renders from DIR/<source path> with --local-root, else from Git.
Result<DesiredState> RenderForAppSet(const CommandContext& ctx, const Application& app,
                                     KubeClient& control) {
  if (!ctx.flags.Has("local-root")) {
    auto rendered = RenderFromGit(ctx, app, "", &control, app.namespace_);
    if (!rendered.ok()) return rendered.status();
    DesiredState state;
    state.objects = std::move(rendered->objects);
    state.revisions = std::move(rendered->revisions);
    state.from_cache = rendered->from_cache;
    return state;
  }
  std::string dir;
  auto objects = RenderFromLocalRoot(app, ctx.flags.Get("local-root"), LoadLimits(), &dir);
  if (!objects.ok()) return objects.status();
  DesiredState state;
  state.objects = std::move(*objects);
  state.revisions.push_back("local:" + dir);
  return state;
}

/// Moves each generated app its project does not permit from the apps to the errors: it is
/// skipped and reported like any invalid generated app.
void GateOnProjects(KubeClient& control, const std::string& control_namespace,
                    AppSetExpansion* expansion) {
  std::vector<GeneratedApp> permitted;
  for (GeneratedApp& g : expansion->apps) {
    auto project = ProjectForApplication(control, control_namespace, g.app);
    if (project.ok()) {
      permitted.push_back(std::move(g));
    } else {
      expansion->errors.push_back(g.origin + ": Application " + g.app.name + ": " +
                                  project.status().message());
    }
  }
  expansion->apps = std::move(permitted);
}

struct SyncSettings {
  bool dry_run = false;
  bool apps_are_crs = false;
  std::string control_namespace;
  std::chrono::milliseconds wave_timeout{std::chrono::minutes(10)};
};

/// The real sync of one generated app, recorded as `sync` records it.
AppSyncFn RealSync(const CommandContext& ctx, KubeClient& control, DestinationFn destination,
                   SyncSettings settings) {
  auto assessor = std::make_shared<HealthAssessor>();
  return [&ctx, &control, destination, settings,
          assessor](const Application& app) -> Result<SyncResult> {
    auto project = ProjectForApplication(control, settings.control_namespace, app);
    if (!project.ok()) return project.status();
    auto client = destination(app);
    if (!client.ok()) return client.status();
    auto desired = RenderForAppSet(ctx, app, control);
    if (!desired.ok()) return desired.status();
    Status permitted = CheckManifestsPermitted(*project, app, desired->objects, **client);
    if (!permitted.ok()) return permitted;
    SyncOptions options;
    options.dry_run = settings.dry_run;
    options.prune = app.sync_policy.automated && app.sync_policy.automated->prune;
    options.wave_timeout = settings.wave_timeout;
    options.cancel = ctx.env.interrupted;
    SyncInput input;
    input.app = &app;
    input.app_instance = AppInstanceName(app, settings.control_namespace);
    input.desired = std::move(desired->objects);
    input.revisions = desired->revisions;
    Syncer syncer(**client, *assessor, DefaultConventions(), ctx.env.clock);
    auto result = syncer.Run(std::move(input), options);
    if (!result.ok() || settings.dry_run) return result;
    AppStateStore store(control, app, settings.apps_are_crs, app.namespace_);
    Status recorded = store.Record(*result, InitiatedBy(ctx));
    if (recorded.ok()) {
      AppSyncOutcome judged = SyncAndJudge(app, [&result](const Application&) { return *result; });
      recorded = store.RecordStatus(
          judged.synced ? "Synced" : "OutOfSync",
          HealthStatus{ParseHealthCode(judged.health).value_or(HealthCode::kUnknown), ""});
    }
    if (!recorded.ok()) {
      result->message += (result->message.empty() ? "" : "; ") +
                         std::string("the result was not recorded: ") + recorded.message();
    }
    return result;
  };
}

void PrintReportJson(const CommandContext& ctx, const AppSetSyncPlan& plan,
                     const AppSetApplyResult& applied, const AppSetSyncReport& report) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  auto strings = [&a](const std::vector<std::string>& list) {
    JsonValue out(rapidjson::kArrayType);
    for (const std::string& s : list) out.PushBack(JsonString(s, a), a);
    return out;
  };
  JsonValue changes(rapidjson::kArrayType);
  for (const PlannedApp& p : plan.apps) {
    JsonValue c(rapidjson::kObjectType);
    c.AddMember("name", JsonString(p.name, a), a);
    c.AddMember("action", JsonString(AppActionName(p.action), a), a);
    changes.PushBack(c, a);
  }
  doc.AddMember("applications", changes, a);
  doc.AddMember("inCluster", applied.in_cluster, a);
  doc.AddMember("written", strings(applied.done), a);
  doc.AddMember("writeErrors", strings(applied.errors), a);
  doc.AddMember("planNotes", strings(plan.notes), a);
  JsonValue syncs(rapidjson::kArrayType);
  for (const AppSyncOutcome& o : report.apps) {
    JsonValue s(rapidjson::kObjectType);
    s.AddMember("name", JsonString(o.app, a), a);
    s.AddMember("cluster", JsonString(o.cluster, a), a);
    s.AddMember("step", JsonString(o.step, a), a);
    s.AddMember("attempted", o.attempted, a);
    s.AddMember("phase", JsonString(o.phase, a), a);
    s.AddMember("sync", JsonString(!o.attempted ? "" : o.synced ? "Synced" : "OutOfSync", a), a);
    s.AddMember("health", JsonString(o.health, a), a);
    s.AddMember("message", JsonString(o.message, a), a);
    syncs.PushBack(s, a);
  }
  doc.AddMember("syncs", syncs, a);
  doc.AddMember("clusters", strings(ClusterSummary(report)), a);
  doc.AddMember("notes", strings(report.notes), a);
  ctx.out.Line(ToJson(doc, true));
}

void PrintReportTable(const CommandContext& ctx, const AppSetSyncPlan& plan,
                      const AppSetApplyResult& applied, const AppSetSyncReport& report) {
  if (!applied.in_cluster) {
    ctx.out.Line("The Application CRD is not served: the Applications are kept in memory.");
  }
  for (const std::string& line : applied.done) ctx.out.Line(line);
  for (const std::string& line : plan.notes) ctx.err.Line("note: " + line);
  for (const std::string& line : applied.errors) ctx.err.Line("error: " + line);
  std::vector<std::vector<Cell>> rows;
  for (const AppSyncOutcome& o : report.apps) {
    Color color = o.ok() ? Color::kGreen : o.attempted ? Color::kRed : Color::kYellow;
    std::string sync = !o.attempted ? "Skipped" : o.synced ? "Synced" : "OutOfSync";
    rows.push_back({o.app, o.cluster, o.step, Cell(sync, color), o.health, o.message});
  }
  if (!rows.empty()) {
    ctx.out.Line("");
    ctx.out.Table({"APP", "CLUSTER", "STEP", "SYNC", "HEALTH", "MESSAGE"}, rows);
  }
  for (const std::string& line : ClusterSummary(report)) ctx.out.Line(line);
  for (const std::string& line : report.notes) ctx.out.Line(line);
}

int RunAppSetSync(CommandContext& ctx) {
  std::string format;
  if (!OutputFormat(ctx, {"table", "json"}, "table", &format)) return kExitUsage;
  SyncSettings settings;
  settings.dry_run = ctx.flags.GetBool("dry-run");
  settings.control_namespace =
      ControlNamespaceFor(ctx.flags.Get("control-namespace"), ctx.env.getenv);
  if (ctx.flags.Has("wave-timeout")) {
    auto seconds = ParseDurationSeconds(ctx.flags.Get("wave-timeout"));
    if (!seconds || *seconds < 0) {
      return ctx.Fail("invalid duration \"" + ctx.flags.Get("wave-timeout") +
                      "\" for --wave-timeout: use e.g. 90s, 5m or 1h");
    }
    settings.wave_timeout = std::chrono::milliseconds(*seconds * 1000);
  }
  auto control = Connect(ctx);
  if (!control.ok()) return ctx.Fail(control.status().message());
  auto loaded = LoadAppSet(ctx, **control);
  if (!loaded.ok()) return ctx.Fail(loaded.status().message());
  const ApplicationSet& appset = loaded->appset;
  auto policy = AppSetSyncPolicy::Of(appset);
  if (!policy.ok()) return ctx.Fail(policy.status().message());
  auto steps = ParseRollingSteps(appset);
  if (!steps.ok()) return ctx.Fail(steps.status().message());
  AppSetOwner owner = AppSetOwner::Of(appset, loaded->uid);
  auto existing = ExistingApps(**control, owner);
  if (!existing.ok()) return ctx.Fail(existing.status().message());

  ExpandSetup setup;
  Status prepared = PrepareExpand(ctx, &setup);
  if (prepared.ok()) prepared = UseRegisteredClusters(ctx, **control, &setup);
  if (!prepared.ok()) return ctx.Fail(prepared.message());
  auto registry = ClusterRegistry::Load(**control, RegistryOptionsFor("", ctx.env.getenv));
  if (!registry.ok()) return ctx.Fail(registry.status().message());
  ClusterConnections destinations(**control, std::move(*registry));
  auto expansion = ExpandAppSet(appset, setup.options);
  if (expansion.ok()) {
    // Generated apps meet their projects before any is written (InvalidSpecError otherwise).
    GateOnProjects(**control, settings.control_namespace, &*expansion);
  }
  AppSetSyncPlan plan = PlanAppSetSync(expansion, *existing, owner, *policy);
  AppSetApplyOptions apply;
  apply.dry_run = settings.dry_run;
  AppSetApplyResult applied = ApplyAppSetPlan(control->get(), plan, owner, *policy, apply);
  settings.apps_are_crs = applied.in_cluster;

  std::vector<const Application*> apps;
  for (const PlannedApp* p : plan.ToSync()) apps.push_back(&p->app);
  AppSyncFn sync = RealSync(
      ctx, **control, [&destinations](const Application& app) { return destinations.For(app); },
      settings);
  AppSetSyncReport report = appset.strategy_type == "RollingSync" ? SyncRolling(*steps, apps, sync)
                                                                  : SyncAllAtOnce(apps, sync);
  if (format == "json") {
    PrintReportJson(ctx, plan, applied, report);
  } else {
    PrintReportTable(ctx, plan, applied, report);
  }
  bool clean = report.ok() && applied.errors.empty() && !plan.generators_failed;
  return clean ? kExitOk : kExitFindings;
}

}  // namespace

int RunAppSet(CommandContext& ctx) {
  const auto& args = ctx.flags.positional();
  if (args.empty()) return ctx.Fail("appset needs a sub-command: generate or sync");
  if (args[0] == "generate") return RunGenerate(ctx);
  if (args[0] == "sync") return RunAppSetSync(ctx);
  return ctx.Fail("unknown appset sub-command \"" + args[0] + "\" (available: generate, sync)");
}

}  // namespace mlgitops
