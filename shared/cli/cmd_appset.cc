// `appset generate`: the Applications an ApplicationSet file generates, printed as YAML or JSON.
#include "appset/expand.h"
#include "cli/cli.h"
#include "cli/command_util.h"
#include "object/yaml_writer.h"
#include "source/git_credentials.h"

namespace mlgitops {

namespace {

void PrintApplications(const CommandContext& ctx, const std::vector<GeneratedApp>& apps,
                       const std::string& format) {
  std::vector<const Object*> objects;
  for (const auto& a : apps) objects.push_back(&a.object);
  PrintObjectStream(ctx, objects, format);
}

int RunGenerate(CommandContext& ctx) {
  std::string format;
  if (!CheckOutputFormat(ctx, {"yaml", "json"}, &format)) return kExitUsage;
  if (ctx.flags.positional().size() > 1) {
    return ctx.Fail("unexpected argument \"" + ctx.flags.positional()[1] +
                    "\" (the ApplicationSet comes from -f)");
  }
  if (!ctx.flags.Has("filename")) return ctx.Fail("appset generate needs -f APPSET.yaml");
  auto sets = LoadApplicationSetFile(ctx.flags.Get("filename"));
  if (!sets.ok()) return ctx.Fail(sets.status().message());
  auto explicit_credentials = CredentialsFromEnv(ctx.env.getenv);
  if (!explicit_credentials.ok()) return ctx.Fail(explicit_credentials.status().message());
  CredentialStore credentials;
  credentials.SetExplicit(std::move(*explicit_credentials));
  // No cluster registry yet: the clusters generator sees the local cluster only.
  InMemoryClusterSource clusters({});
  ExpandOptions options;
  options.allow_missing = ctx.flags.GetBool("allow-missing");
  options.cache_dir =
      ctx.flags.Has("cache-dir") ? ctx.flags.Get("cache-dir") : DefaultCacheDir(ctx.env.getenv);
  options.credentials = &credentials;
  options.clusters = &clusters;
  std::vector<GeneratedApp> apps;
  size_t skipped = 0;
  for (const ApplicationSet& set : *sets) {
    auto expansion = ExpandAppSet(set, options);
    if (!expansion.ok()) return ctx.Fail(expansion.status().message());
    for (const std::string& error : expansion->errors) ctx.err.Line("error: skipped: " + error);
    skipped += expansion->errors.size();
    for (auto& app : expansion->apps) apps.push_back(std::move(app));
  }
  PrintApplications(ctx, apps, format);
  return skipped > 0 ? kExitFindings : kExitOk;
}

}  // namespace

int RunAppSet(CommandContext& ctx) {
  const auto& args = ctx.flags.positional();
  if (args.empty()) return ctx.Fail("appset needs a sub-command: generate");
  if (args[0] == "generate") return RunGenerate(ctx);
  return ctx.Fail("unknown appset sub-command \"" + args[0] + "\" (available: generate)");
}

}  // namespace mlgitops
