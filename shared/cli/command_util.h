// Small pieces the commands share: the --config flag, and how kinds are shown in tables.
// Kept out of cli.h so the command table stays a plain list.
#pragma once

#include <optional>
#include <string>

#include "app/application.h"
#include "cli/cli.h"
#include "health/health.h"
#include "health/lua_health.h"
#include "kube/client.h"
#include "object/object.h"
#include "object/status.h"
#include "plan/plan.h"
#include "policy/conventions.h"
#include "source/app_render.h"

namespace mlgitops {

/// The conventions from --config, or the built-in defaults when the flag is absent.
Result<Conventions> LoadConventionsFlag(const CommandContext& ctx);
/// Checks -o against `allowed` ("table", "json", ...); on failure prints kubectl's message.
bool CheckOutputFormat(const CommandContext& ctx, const std::vector<std::string>& allowed,
                       std::string* format);

/// Every manifest in the given files and directories (directories walked recursively, the
/// Argo CD way: .yaml/.yml/.json), in argument order.
Result<std::vector<Object>> LoadManifestPaths(const std::vector<std::string>& paths);

/// The Application of -f FILE (--app NAME when the file holds several).
Result<Application> ChooseApplication(const CommandContext& ctx);

/// --git-url, --git-username, --git-password-file, --git-ssh-key and --git-known-hosts over
/// `credentials` (the environment's); the secrets read are registered for redaction.
Status ApplyGitCredentialFlags(const CommandContext& ctx, ScopedCredentials* credentials);

/// The app's sources fetched from Git and rendered (clone cache, --cache-dir, MLGITOPS_GIT_*
/// credentials, sent only to repositories below MLGITOPS_GIT_URL / --git-url) at `revision`
/// (targetRevision when empty); warnings go to stderr. With `secrets_from`, repository Secrets
/// (Argo CD's `argocd.argoproj.io/secret-type: repository|repo-creds`, or ours under
/// `mlgitops.io/secret-type`) in `secrets_namespace` add credentials; the environment's explicit
/// ones still win.
Result<RenderedApplication> RenderFromGit(const CommandContext& ctx, const Application& app,
                                          const std::string& revision,
                                          KubeClient* secrets_from = nullptr,
                                          const std::string& secrets_namespace = "");

/// An Application rendered from --local, classified and planned: what render and plan show.
struct RenderedApp {
  Application app;
  std::vector<Object> objects;
  std::vector<Classified> classes;
  Plan plan;
};
/// Loads -f (choosing --app when the file holds several), renders --local, plans.
Result<RenderedApp> LoadAndPlan(const CommandContext& ctx, const Conventions& conventions);

/// One line of a health report.
struct HealthRow {
  ObjectRef object;
  std::string api_version;
  HealthStatus status;
};
Color HealthColor(HealthCode code);
/// KIND NAMESPACE NAME HEALTH MESSAGE, health coloured.
void PrintHealthTable(const CommandContext& ctx, const std::vector<HealthRow>& rows);
/// --lua-dir loaded, or nullopt when the flag is absent.
Result<std::optional<LuaHealthScripts>> LoadLuaFlag(const CommandContext& ctx);
/// Manifests for piping into kubectl: a YAML stream, each document opened with `---`, or a JSON
/// v1 List (render, appset generate).
void PrintObjectStream(const CommandContext& ctx, const std::vector<const Object*>& objects,
                       const std::string& format);
/// Objects as YAML documents or a JSON List (one object alone as itself), as kubectl prints.
void PrintObjects(const CommandContext& ctx, const std::vector<Object>& objects,
                  const std::string& format);

/// A client for --kubeconfig/--context/-n (through CliEnv::connect when tests set it).
Result<std::unique_ptr<KubeClient>> Connect(const CommandContext& ctx);
/// The positional arguments as kubectl reads them: TYPE/NAME..., or TYPE NAME...; namespaced
/// kinds take -n, else the client's default namespace.
Result<std::vector<ObjectKey>> ParseTargets(const CommandContext& ctx, KubeClient& client);
/// The objects of a manifest file as keys into the cluster (their namespace, else -n/default).
Result<std::vector<ObjectKey>> KeysOfFile(const CommandContext& ctx, KubeClient& client,
                                          const std::string& file);

}  // namespace mlgitops
