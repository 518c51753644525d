// controller: run the application controller (sync/controller.h) against the current context,
// every --interval or once (--once), logging one timestamped line per event.
#include <cstdio>
#include <string>

#include "cli/cli.h"
#include "cli/command_util.h"
#include "cluster/cluster_admin.h"
#include "cluster/registry.h"
#include "object/timeutil.h"
#include "source/git_repo.h"
#include "source/render.h"
#include "sync/controller.h"

namespace mlgitops {

namespace {

/// A short hash of the rendered manifests, so editing files under --local-root is a new
/// revision (a failed attempt is then tried again, as for a new commit).
std::string ContentHash(const std::vector<Object>& objects) {
  std::string all;
  for (const Object& o : objects) all += ToJson(o.json()) + "\n";
  return Sha256Hex(all).substr(0, 12);
}

/// Renders each app from `root`/<its source path>, the way --local renders one app.
RenderFn LocalRootRenderer(const std::string& root) {
  return [root](const Application& app, const std::string&) -> Result<DesiredManifests> {
    std::string dir;
    auto objects = RenderFromLocalRoot(app, root, LoadLimits(), &dir);
    if (!objects.ok()) return objects.status();
    DesiredManifests out;
    out.revisions.push_back("local:" + dir + "@" + ContentHash(*objects));
    out.objects = std::move(*objects);
    return out;
  };
}

/// Renders each app from its Git source (clone cache, repository Secrets in the control
/// namespace, as Argo CD keeps them in its own: the controller reads no other team's Secrets).
RenderFn GitRenderer(const CommandContext& ctx, KubeClient* client,
                     const std::string& control_namespace) {
  return [&ctx, client, control_namespace](
             const Application& app, const std::string& revision) -> Result<DesiredManifests> {
    auto rendered = RenderFromGit(ctx, app, revision, client, control_namespace);
    if (!rendered.ok()) return rendered.status();
    DesiredManifests out;
    out.objects = std::move(rendered->objects);
    out.revisions = std::move(rendered->revisions);
    return out;
  };
}

}  // namespace

int RunController(CommandContext& ctx) {
  bool all = ctx.flags.GetBool("all-namespaces");
  if (all && ctx.flags.Has("namespace")) return ctx.Fail("give -n NS or -A, not both");
  auto interval = ParseDurationSeconds(ctx.flags.Get("interval"));
  if (!interval || *interval <= 0) {
    return ctx.Fail("invalid duration \"" + ctx.flags.Get("interval") +
                    "\" for --interval: use e.g. 30s, 3m or 1h");
  }
  auto wave_timeout = ParseDurationSeconds(ctx.flags.Get("wave-timeout"));
  if (!wave_timeout || *wave_timeout < 0) {
    return ctx.Fail("invalid duration \"" + ctx.flags.Get("wave-timeout") +
                    "\" for --wave-timeout");
  }
  auto conventions = LoadConventionsFlag(ctx);
  if (!conventions.ok()) return ctx.Fail(conventions.status().message());
  auto lua = LoadLuaFlag(ctx);
  if (!lua.ok()) return ctx.Fail(lua.status().message());
  HealthAssessor assessor(lua->has_value() ? &**lua : nullptr);
  auto client = Connect(ctx);
  if (!client.ok()) return ctx.Fail(client.status().message());

  ControllerOptions options;
  options.namespace_ = all                          ? ""
                       : ctx.flags.Has("namespace") ? ctx.flags.Get("namespace")
                                                    : (*client)->default_namespace();
  options.interval = std::chrono::seconds(*interval);
  options.require_impersonation = ctx.flags.GetBool("require-impersonation");
  options.control_namespace =
      ControlNamespaceFor(ctx.flags.Get("control-namespace"), ctx.env.getenv);
  options.sync.wave_timeout = std::chrono::seconds(*wave_timeout);
  options.cancel = ctx.env.interrupted;
  options.log = [&ctx](const std::string& line) {
    ctx.out.Line(FormatRfc3339(ctx.env.clock.NowUnix()) + " " + line);
  };
  // Apps go to the clusters registered with `cluster add` (or in-cluster), each on its own.
  auto registry = ClusterRegistry::Load(**client, RegistryOptionsFor("", ctx.env.getenv));
  if (!registry.ok()) return ctx.Fail(registry.status().message());
  ClusterConnections destinations(**client, std::move(*registry));
  options.destination = [&destinations](const Application& app) { return destinations.For(app); };
  RenderFn render = ctx.flags.Has("local-root")
                        ? LocalRootRenderer(ctx.flags.Get("local-root"))
                        : GitRenderer(ctx, client->get(), options.control_namespace);
  Controller controller(**client, render, assessor, *conventions, ctx.env.clock, options);
  options.log("controller started: Applications in " +
              (options.namespace_.empty() ? std::string("all namespaces")
                                          : "namespace " + options.namespace_) +
              (ctx.flags.GetBool("once") ? ", one pass" : ", every " + ctx.flags.Get("interval")));
  if (!ctx.flags.GetBool("once")) {
    controller.Run();
    options.log("controller stopped");
    return kExitOk;
  }
  auto reports = controller.ReconcileOnce();
  if (!reports.ok()) return ctx.Fail(reports.status().message());
  bool failed = false;
  for (const AppReconcileReport& r : *reports) {
    std::string line = r.app + ": " + r.sync_status + " " + r.health;
    if (!r.sync_phase.empty()) line += " (sync " + r.sync_phase + ")";
    for (const AppCondition& c : r.conditions) line += "; " + c.type + ": " + c.message;
    options.log(line);
    failed = failed || (!r.sync_phase.empty() && r.sync_phase != "Succeeded");
  }
  return failed ? kExitFindings : kExitOk;
}

}  // namespace mlgitops
