// `cluster add | list | rm`: flags to values, results to stdout; the work is in
// shared/cluster/cluster_admin.h.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cli/cli.h"
#include "cli/command_util.h"
#include "cluster/cluster_admin.h"
#include "cluster/registry.h"
#include "object/timeutil.h"

namespace mlgitops {

namespace {

KubeconfigOptions KubeconfigFlags(const CommandContext& ctx) {
  KubeconfigOptions options;
  options.kubeconfig_flag = ctx.flags.Get("kubeconfig");
  options.context = ctx.flags.Get("context");
  return options;
}

Result<RestConfig> CurrentRestConfig(const CommandContext& ctx) {
  KubeconfigEnv env;
  env.getenv = ctx.env.getenv;
  return LoadRestConfig(KubeconfigFlags(ctx), env);
}

Result<ClusterRegistry> LoadRegistry(const CommandContext& ctx, KubeClient& current) {
  auto registry = ClusterRegistry::Load(
      current, RegistryOptionsFor(ctx.flags.Get("cluster-namespace"), ctx.env.getenv));
  if (registry.ok()) {
    for (const std::string& warning : registry->warnings()) ctx.err.Line("warning: " + warning);
  }
  return registry;
}

std::string LabelsText(const std::map<std::string, std::string>& labels) {
  std::string out;
  for (const auto& [key, value] : labels) {
    if (key == kArgoSecretTypeLabel || key == kOurSecretTypeLabel) continue;
    out += (out.empty() ? "" : ",") + key + "=" + value;
  }
  return out;
}

Result<std::map<std::string, std::string>> LabelFlags(const CommandContext& ctx) {
  std::map<std::string, std::string> labels;
  for (const std::string& pair : ctx.flags.GetAll("label")) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("--label \"" + pair + "\" is not KEY=VALUE");
    }
    labels[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  return labels;
}

void PrintJson(const CommandContext& ctx, const std::vector<ClusterReachability>& rows) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  auto str = [&w](const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.c_str());
  };
  w.StartArray();
  for (const ClusterReachability& row : rows) {
    const ClusterInfo& c = row.cluster;
    w.StartObject();
    str("name", c.name);
    str("server", c.server);
    w.Key("reachable");
    w.Bool(row.reachable);
    str("version", row.version);
    str("error", row.error);
    str("project", c.project);
    w.Key("namespaces");
    w.StartArray();
    for (const std::string& ns : c.namespaces) w.String(ns.c_str());
    w.EndArray();
    w.Key("labels");
    w.StartObject();
    for (const auto& [key, value] : c.labels) str(key.c_str(), value);
    w.EndObject();
    str("secret", c.secret_name.empty() ? "" : c.secret_namespace + "/" + c.secret_name);
    w.EndObject();
  }
  w.EndArray();
  ctx.out.Line(buffer.GetString());
}

}  // namespace

int RunClusterAdd(CommandContext& ctx) {
  const auto& args = ctx.flags.positional();
  if (args.size() != 1) return ctx.Fail("cluster add needs one kubeconfig CONTEXT");
  auto labels = LabelFlags(ctx);
  if (!labels.ok()) return ctx.Fail(labels.status().message());

  KubeconfigOptions target_options = KubeconfigFlags(ctx);
  target_options.context = args[0];
  KubeconfigEnv env;
  env.getenv = ctx.env.getenv;
  auto target_config = LoadRestConfig(target_options, env);
  if (!target_config.ok()) return ctx.Fail(target_config.status().message());
  auto target = HttpKubeClient::Create(*target_config);
  if (!target.ok()) return ctx.Fail(target.status().message());

  auto current = Connect(ctx);
  if (!current.ok()) return ctx.Fail(current.status().message());
  auto registry = LoadRegistry(ctx, **current);
  if (!registry.ok()) return ctx.Fail(registry.status().message());

  AddClusterOptions options;
  options.name = ctx.flags.Has("name") ? ctx.flags.Get("name") : args[0];
  options.cluster_namespace =
      RegistryOptionsFor(ctx.flags.Get("cluster-namespace"), ctx.env.getenv).namespaces.front();
  options.labels = std::move(*labels);
  options.upsert = ctx.flags.GetBool("upsert");
  options.cluster_admin = ctx.flags.GetBool("cluster-admin");
  options.progress = [&ctx](const std::string& line) { ctx.err.Line(line); };
  auto added = AddCluster(**current, *registry, **target, *target_config, options);
  if (!added.ok()) return ctx.Fail("cluster add " + args[0] + ": " + added.status().message());
  ctx.out.Line("Cluster '" + added->cluster.server + "' added as \"" + added->cluster.name +
               "\" (Secret " + added->cluster.secret_namespace + "/" + added->cluster.secret_name +
               ", token from " + added->token_source + ")");
  return kExitOk;
}

int RunClusterList(CommandContext& ctx) {
  if (!ctx.flags.positional().empty()) {
    return ctx.Fail("cluster list takes no arguments, got \"" + ctx.flags.positional()[0] + "\"");
  }
  std::string format;
  if (!CheckOutputFormat(ctx, {"table", "json"}, &format)) return kExitUsage;
  auto timeout = ParseDurationSeconds(ctx.flags.Get("timeout"));
  if (!timeout || *timeout <= 0) return ctx.Fail("--timeout must be a positive duration");
  auto current = Connect(ctx);
  if (!current.ok()) return ctx.Fail(current.status().message());
  auto registry = LoadRegistry(ctx, **current);
  if (!registry.ok()) return ctx.Fail(registry.status().message());
  std::vector<ClusterReachability> rows =
      CheckClusters(*registry, CurrentRestConfig(ctx),
                    std::chrono::milliseconds(static_cast<int64_t>(*timeout * 1000)));
  bool all_reachable = true;
  for (const ClusterReachability& row : rows) all_reachable = all_reachable && row.reachable;
  if (format == "json") {
    PrintJson(ctx, rows);
  } else {
    std::vector<std::vector<Cell>> table;
    for (const ClusterReachability& row : rows) {
      table.push_back(
          {row.cluster.name, row.cluster.server, row.version,
           row.reachable ? Cell("Reachable", Color::kGreen) : Cell(row.error, Color::kRed),
           LabelsText(row.cluster.labels)});
    }
    ctx.out.Table({"NAME", "SERVER", "VERSION", "STATUS", "LABELS"}, table);
  }
  return all_reachable ? kExitOk : kExitFindings;
}

int RunClusterRemove(CommandContext& ctx) {
  const auto& args = ctx.flags.positional();
  if (args.size() != 1) return ctx.Fail("cluster rm needs the NAME of one registered cluster");
  auto current = Connect(ctx);
  if (!current.ok()) return ctx.Fail(current.status().message());
  auto registry = LoadRegistry(ctx, **current);
  if (!registry.ok()) return ctx.Fail(registry.status().message());
  auto removed = RemoveCluster(**current, *registry, args[0]);
  if (!removed.ok()) return ctx.Fail("cluster rm " + args[0] + ": " + removed.status().message());
  ctx.out.Line("Cluster '" + removed->name + "' (" + removed->server + ") removed: Secret " +
               removed->secret_namespace + "/" + removed->secret_name + " deleted");
  ctx.err.Line("The " + std::string(kManagerServiceAccount) +
               " ServiceAccount and its ClusterRole stay in that cluster: delete them there with "
               "kubectl when it is retired");
  return kExitOk;
}

}  // namespace mlgitops
