// The kubectl-mlgitops command line: a sub-command table, help, flag parsing and exit codes.
// RunCli is the whole program minus main(); tests call it in-process with memory terminals.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "cli/flags.h"
#include "cli/terminal.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "object/clock.h"

namespace mlgitops {

/// Exit codes: 0 ok, 1 findings/unhealthy/differences, 2 usage or input error, 130 stopped by
/// SIGINT or SIGTERM (as a shell reports a Ctrl-C).
constexpr int kExitOk = 0;
constexpr int kExitFindings = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;

using ConnectFn =
    std::function<Result<std::unique_ptr<KubeClient>>(const KubeconfigOptions& options)>;

/// The outside world a command may touch.
struct CliEnv {
  Terminal& out;
  Terminal& err;
  const Clock& clock;
  std::function<const char*(const char*)> getenv;
  /// Opens a client for the kubeconfig flags; null means the real kubeconfig + HTTPS client.
  ConnectFn connect = nullptr;
  /// Set when the user pressed Ctrl-C (or the process got SIGTERM): long commands stop
  /// between steps. Null when nobody listens for signals (tests).
  const std::atomic<bool>* interrupted = nullptr;
};

/// What a command handler receives.
struct CommandContext {
  CliEnv& env;
  const ParsedFlags& flags;
  Printer& out;  // stdout, coloured only when allowed
  Printer& err;
  /// Prints "error: <message>" to stderr and returns kExitUsage.
  int Fail(const std::string& message) const;
};

struct Command {
  const char* name;  // one word, or two for a group's verbs ("webhook install")
  const char* summary;
  const char* usage;     // "render -f APP.yaml --local DIR [flags]"
  const char* examples;  // indented example lines, may be empty
  std::vector<FlagSpec> flags;
  std::function<int(CommandContext&)> run;
};

/// All sub-commands, in help order.
const std::vector<Command>& Commands();

/// args excludes argv[0].
int RunCli(const std::vector<std::string>& args, CliEnv& env);

// Handlers (one file each).
int RunVersion(CommandContext& ctx);
int RunRender(CommandContext& ctx);
int RunPlan(CommandContext& ctx);
int RunLint(CommandContext& ctx);
int RunHealth(CommandContext& ctx);
int RunGet(CommandContext& ctx);
int RunSync(CommandContext& ctx);
int RunDiff(CommandContext& ctx);
int RunGetApp(CommandContext& ctx);
int RunList(CommandContext& ctx);
int RunWait(CommandContext& ctx);
int RunHistory(CommandContext& ctx);
int RunRollback(CommandContext& ctx);
int RunController(CommandContext& ctx);
int RunWebhookInstall(CommandContext& ctx);
int RunWebhookUninstall(CommandContext& ctx);
int RunAppSet(CommandContext& ctx);
int RunClusterAdd(CommandContext& ctx);
int RunClusterList(CommandContext& ctx);
int RunClusterRemove(CommandContext& ctx);

}  // namespace mlgitops
