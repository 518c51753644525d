// `get`: live objects by type and name (or a whole type), printed with their health.
#include "cli/cli.h"
#include "cli/command_util.h"
#include "kube/live_health.h"
#include "object/yaml_writer.h"

namespace mlgitops {

int RunGet(CommandContext& ctx) {
  std::string format;
  if (!CheckOutputFormat(ctx, {"json", "table", "yaml"}, &format)) return kExitUsage;
  const auto& args = ctx.flags.positional();
  if (ctx.flags.Has("filename")) return RunGetApp(ctx);
  if (args.empty()) return ctx.Fail("get needs APP, -f APP.yaml, TYPE, TYPE/NAME or TYPE NAME...");
  auto conventions = LoadConventionsFlag(ctx);
  if (!conventions.ok()) return ctx.Fail(conventions.status().message());
  auto lua = LoadLuaFlag(ctx);
  if (!lua.ok()) return ctx.Fail(lua.status().message());
  HealthAssessor assessor(lua->has_value() ? &**lua : nullptr);
  auto client = Connect(ctx);
  if (!client.ok()) return ctx.Fail(client.status().message());
  KubeClient& kube = **client;

  std::vector<ObjectKey> keys;
  bool whole_type = args.size() == 1 && args[0].find('/') == std::string::npos;
  if (whole_type) {
    auto info = kube.ResolveResource(args[0]);
    // Not a resource type: an Application of that name, as `argocd app get NAME`.
    if (!info.ok() && info.status().code() == Status::Code::kNotFound) return RunGetApp(ctx);
    if (!info.ok()) return ctx.Fail(info.status().message());
    GroupVersionKind gvk{info->group, info->version, info->kind};
    std::string ns =
        ctx.flags.GetBool("all-namespaces") || !info->namespaced
            ? ""
            : (ctx.flags.Has("namespace") ? ctx.flags.Get("namespace") : kube.default_namespace());
    ListOptions options;
    options.label_selector = ctx.flags.Get("selector");
    auto list = ListAll(kube, gvk, ns, options);
    if (!list.ok()) return ctx.Fail(list.status().message());
    for (const Object& o : list->items) {
      keys.push_back(ObjectKey{gvk, o.namespace_(), o.name()});
    }
    if (keys.empty()) {
      ctx.err.Line(ns.empty() ? "No resources found"
                              : "No resources found in " + ns + " namespace.");
      return kExitOk;
    }
  } else {
    auto parsed = ParseTargets(ctx, kube);
    if (!parsed.ok()) return ctx.Fail(parsed.status().message());
    keys = std::move(*parsed);
  }

  if (format != "table") {
    std::vector<Object> objects;
    for (const auto& key : keys) {
      auto o = kube.Get(key);
      if (!o.ok()) return ctx.Fail(o.status().message());
      objects.push_back(std::move(*o));
    }
    PrintObjects(ctx, objects, format);
    return kExitOk;
  }
  auto assessed = AssessLive(kube, keys, assessor, *conventions, ctx.env.clock.NowUnix());
  if (!assessed.ok()) return ctx.Fail(assessed.status().message());
  std::vector<HealthRow> rows;
  bool missing = false;
  for (auto& a : *assessed) {
    missing = missing || a.health.status.code == HealthCode::kMissing;
    rows.push_back({a.object, a.api_version, a.health.status});
  }
  PrintHealthTable(ctx, rows);
  return missing ? kExitFindings : kExitOk;
}

}  // namespace mlgitops
