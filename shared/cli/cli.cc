// Sub-command dispatch and help texts.
#include "cli/cli.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace mlgitops {

namespace {

FlagSpec OutputFlag(const char* allowed, const char* def) {
  return FlagSpec{"output", 'o', true, "FORMAT", std::string("Output format: ") + allowed, def};
}
FlagSpec HelpFlag() { return FlagSpec{"help", 'h', false, "", "Help for this command", ""}; }
// kubectl's connection flags, for the commands that read the cluster.
void AddKubeFlags(std::vector<FlagSpec>* flags) {
  flags->push_back({"kubeconfig", 0, true, "FILE", "Path to the kubeconfig file", ""});
  flags->push_back({"context", 0, true, "NAME", "The kubeconfig context to use", ""});
  flags->push_back({"namespace", 'n', true, "NS", "The namespace (default: the context's)", ""});
}

std::vector<FlagSpec> WithKubeFlags(std::vector<FlagSpec> flags) {
  AddKubeFlags(&flags);
  return flags;
}

// Git credentials for commands that fetch an app's sources; secrets are read from files.
void AddGitCredentialFlags(std::vector<FlagSpec>* flags) {
  flags->push_back({"git-url", 0, true, "URL",
                    "Repository URL prefix the --git-*/MLGITOPS_GIT_* credentials are for "
                    "(default: $MLGITOPS_GIT_URL); they go nowhere else",
                    ""});
  flags->push_back({"git-username", 0, true, "USER", "Git user name (https)", ""});
  flags->push_back({"git-password-file", 0, true, "FILE",
                    "File holding the Git password or access token (https)", ""});
  flags->push_back({"git-ssh-key", 0, true, "FILE", "Private key for ssh:// and git@ URLs", ""});
  flags->push_back({"git-known-hosts", 0, true, "FILE",
                    "known_hosts for ssh (default: ~/.ssh/known_hosts)", ""});
}

std::vector<FlagSpec> WithGitFlags(std::vector<FlagSpec> flags) {
  AddGitCredentialFlags(&flags);
  return flags;
}

// render and plan: an Application file rendered from --local or its Git source, offline.
std::vector<FlagSpec> RenderFlags(std::vector<FlagSpec> more) {
  std::vector<FlagSpec> flags = {
      {"filename", 'f', true, "FILE", "The Application file", ""},
      {"local", 0, true, "DIR", "The app's manifests directory (instead of repo + path)", ""},
      {"revision", 0, true, "REV",
       "Git revision for the first source (instead of its targetRevision)", ""},
      {"cache-dir", 0, true, "DIR",
       "Clone and render cache (default $XDG_CACHE_HOME/mlgitops or ~/.cache/mlgitops)", ""},
      {"app", 0, true, "NAME", "Which Application, when the file holds several", ""}};
  flags.insert(flags.end(), more.begin(), more.end());
  return WithGitFlags(std::move(flags));
}

// Where AppProjects are read and which Applications are tracked unqualified.
FlagSpec ControlNamespaceFlag() {
  return FlagSpec{"control-namespace",
                  0,
                  true,
                  "NS",
                  "Namespace holding the AppProjects; apps elsewhere are tracked as NS_NAME "
                  "(default: $MLGITOPS_CONTROL_NAMESPACE, else mlgitops)",
                  ""};
}

// The flags of commands that work on one app: -f/--app or APP, --local, kubectl's flags.
std::vector<FlagSpec> AppFlags(std::vector<FlagSpec> flags) {
  flags.insert(flags.begin(),
               {{"filename", 'f', true, "FILE", "The Application file (instead of APP)", ""},
                ControlNamespaceFlag(),
                {"app", 0, true, "NAME", "Which Application, when the file holds several", ""},
                {"local", 0, true, "DIR",
                 "The app's manifests directory, instead of its Git repository + path", ""},
                {"cache-dir", 0, true, "DIR",
                 "Where Git clones and rendered manifests are cached (default: "
                 "$XDG_CACHE_HOME/mlgitops)",
                 ""}});
  AddGitCredentialFlags(&flags);
  return WithKubeFlags(std::move(flags));
}

// The cluster commands: the current cluster's kubeconfig flags and where cluster Secrets live.
std::vector<FlagSpec> ClusterFlags(std::vector<FlagSpec> flags) {
  flags.push_back({"kubeconfig", 0, true, "FILE", "Path to the kubeconfig file", ""});
  flags.push_back({"context", 0, true, "NAME",
                   "The kubeconfig context of the current cluster (where Secrets are kept)", ""});
  flags.push_back({"cluster-namespace", 0, true, "NS",
                   "Namespace of the cluster Secrets (default: $MLGITOPS_CLUSTER_NAMESPACE, else "
                   "mlgitops; argocd is read too)",
                   ""});
  flags.push_back(HelpFlag());
  return flags;
}

FlagSpec ConfigFlag() {
  return FlagSpec{"config",
                  0,
                  true,
                  "FILE",
                  "Conventions file (roles, waves, rule modes); built-in defaults when absent",
                  ""};
}

// sync and rollback: the app's flags, `more`, then what every sync run takes.
std::vector<FlagSpec> SyncFlags(std::vector<FlagSpec> more) {
  more.push_back({"timeout", 0, true, "D", "Fail the whole sync after D (0: no limit)", "0"});
  more.push_back({"wave-timeout", 0, true, "D", "Fail when a wave is not healthy within D", "10m"});
  more.push_back({"lua-dir", 0, true, "DIR", "Lua health overrides, as for health", ""});
  more.push_back(OutputFlag("table|json", "table"));
  more.push_back(ConfigFlag());
  more.push_back(HelpFlag());
  return AppFlags(std::move(more));
}

std::string CommandHelp(const Command& c) {
  std::string out = std::string(c.summary) + "\n\nUsage:\n  kubectl mlgitops " + c.usage + "\n";
  if (c.examples && *c.examples) out += std::string("\nExamples:\n") + c.examples;
  out += "\n" + FlagsHelp(c.flags);
  return out;
}

std::string TopHelp() {
  std::string out =
      "kubectl mlgitops: GitOps delivery for machine-learning platforms.\n"
      "Renders Applications, plans sync waves, lints ML conventions and judges the health of\n"
      "training jobs, model servers and feature pipelines.\n\nCommands:\n";
  size_t width = 0;
  for (const auto& c : Commands()) width = std::max(width, std::string(c.name).size());
  for (const auto& c : Commands()) {
    out += "  " + std::string(c.name) + std::string(width - std::string(c.name).size() + 3, ' ') +
           c.summary + "\n";
  }
  out +=
      "\nExit codes: 0 ok, 1 findings / unhealthy objects, 2 usage or input error.\n"
      "Flags go after the plugin name: `kubectl mlgitops -n x ...`, not `kubectl -n x mlgitops`.\n"
      "Use \"kubectl mlgitops <command> --help\" for more information about a command.\n";
  return out;
}

}  // namespace

int CommandContext::Fail(const std::string& message) const {
  err.Line("error: " + message);
  return kExitUsage;
}

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"version",
       "Print the version",
       "version [-o json]",
       "",
       {OutputFlag("text|json", "text"), HelpFlag()},
       RunVersion},
      {"render", "Render an Application's manifests in apply order",
       "render -f APP.yaml [--local DIR | --revision REV] [-o yaml|json]",
       "  kubectl mlgitops render -f app.yaml --local ./manifests\n"
       "  kubectl mlgitops render -f app.yaml --revision v1.2.0\n",
       RenderFlags({OutputFlag("yaml|json", "yaml"), ConfigFlag(), HelpFlag()}), RunRender},
      {"plan", "Show the sync plan wave by wave, with policy findings",
       "plan -f APP.yaml [--local DIR | --revision REV] --offline [-o table|json]",
       "  kubectl mlgitops plan -f app.yaml --local ./manifests --offline\n",
       RenderFlags({{"offline", 0, false, "", "Plan without a cluster: every step is a create", ""},
                    OutputFlag("table|json", "table"),
                    ConfigFlag(),
                    HelpFlag()}),
       RunPlan},
      {"lint",
       "Check manifests against the ML conventions (exit 1 on a deny finding)",
       "lint PATH... [-o table|json]",
       "  kubectl mlgitops lint ./manifests\n  kubectl mlgitops lint deploy.yaml -o json\n",
       {{"filename", 'f', true, "PATH", "A file or directory to lint (or give PATH arguments)", ""},
        OutputFlag("table|json", "table"),
        ConfigFlag(),
        HelpFlag()},
       RunLint},
      {"health", "Judge the health of objects: in a file, or live in the cluster",
       "health (-f FILE [--live] | TYPE/NAME...) [--lua-dir DIR] [-o table|json]",
       "  kubectl mlgitops health -f status-dump.yaml\n"
       "  kubectl mlgitops health -f objs.yaml --lua-dir ./resource_customizations\n"
       "  kubectl mlgitops health deploy/ranker pytorchjob/fraud-train -n ml\n"
       "  kubectl mlgitops health -f app-manifests.yaml --live\n",
       WithKubeFlags(
           {{"filename", 'f', true, "FILE", "Objects with their status (YAML or JSON)", ""},
            {"live", 0, false, "", "Judge the live cluster state of the objects named in FILE", ""},
            {"lua-dir", 0, true, "DIR",
             "Argo CD style resource_customizations/<group>/<Kind>/health.lua overrides", ""},
            {"at", 0, true, "TIME", "Judge SLA freshness as of this RFC 3339 time (default: now)",
             ""},
            OutputFlag("table|json", "table"),
            ConfigFlag(),
            HelpFlag()}),
       RunHealth},
      {"get", "Show an app's sync and health status, or live objects with their health",
       "get APP | -f APP.yaml | TYPE[/NAME] [NAME...] [-n NS | -A] [-l SELECTOR] "
       "[-o table|yaml|json]",
       "  kubectl mlgitops get fraud-detection -n ml     # an Application\n"
       "  kubectl mlgitops get inferenceservices -n ml\n"
       "  kubectl mlgitops get deploy/ranker -o yaml\n",
       WithGitFlags(WithKubeFlags(
           {{"filename", 'f', true, "FILE", "An Application file (instead of APP)", ""},
            {"app", 0, true, "NAME", "Which Application, when the file holds several", ""},
            {"local", 0, true, "DIR", "The app's manifests directory, instead of Git", ""},
            {"revision", 0, true, "REV", "Compare with this revision", ""},
            {"cache-dir", 0, true, "DIR", "Git clone and render cache", ""},
            {"all-namespaces", 'A', false, "", "List across all namespaces", ""},
            {"selector", 'l', true, "SELECTOR", "Label selector, as kubectl's", ""},
            {"lua-dir", 0, true, "DIR", "Lua health overrides, as for health", ""},
            OutputFlag("table|yaml|json", "table"),
            ConfigFlag(),
            HelpFlag()})),
       RunGet},
      {"sync", "Sync an app to its Git revision, wave by wave, gated on health",
       "sync APP | -f APP.yaml [--revision R] [--dry-run] [--prune] [--force] "
       "[--resource KIND/NAME] [--timeout D] [--wave-timeout D] [-o table|json]",
       "  kubectl mlgitops sync fraud-detection -n ml\n"
       "  kubectl mlgitops sync -f app.yaml --prune --wave-timeout 20m\n"
       "  kubectl mlgitops sync -f app.yaml --resource apps/Deployment/ranker --dry-run\n",
       SyncFlags({
           {"revision", 0, true, "REV", "Branch, tag or commit instead of targetRevision", ""},
           {"dry-run", 0, false, "", "Server dry run: show what would change, change nothing", ""},
           {"prune", 0, false, "", "Delete tracked objects that are no longer in Git", ""},
           {"force", 0, false, "",
            "Delete and recreate objects whose changes the server refuses in place (immutable "
            "fields), as sync option Force=true; take over fields other managers own",
            ""},
           {"resource", 0, true, "KIND/NAME",
            "Sync only this resource ([GROUP/]KIND/[NS/]NAME or GROUP:KIND:[NS/]NAME); "
            "repeatable",
            ""},
       }),
       RunSync},
      {"diff", "Show how the cluster differs from an app's desired state",
       "diff APP | -f APP.yaml [--revision R] [--local DIR]",
       "  kubectl mlgitops diff fraud-detection -n ml\n"
       "  kubectl mlgitops diff -f app.yaml --local ./manifests   # exit 1 when it differs\n",
       AppFlags(
           {{"revision", 0, true, "REV", "Branch, tag or commit instead of targetRevision", ""},
            {"lua-dir", 0, true, "DIR", "Lua health overrides, as for health", ""},
            ConfigFlag(),
            HelpFlag()}),
       RunDiff},
      {"list", "List the Applications in the cluster with their sync and health status",
       "list [-n NS | -A] [-o table|json|yaml|name]", "  kubectl mlgitops list -A\n",
       WithKubeFlags({{"all-namespaces", 'A', false, "", "List across all namespaces", ""},
                      OutputFlag("table|json|yaml|name", "table"),
                      HelpFlag()}),
       RunList},
      {"wait", "Wait until an app is Synced and Healthy (for CI pipelines)",
       "wait APP | -f APP.yaml [--sync] [--health] [--timeout D] [--degraded-grace D]",
       "  kubectl mlgitops wait fraud-detection -n ml --timeout 15m\n"
       "Exit codes: 0 satisfied, 1 Degraded (after --degraded-grace), 2 error, 3 timed out.\n",
       AppFlags(
           {{"sync", 0, false, "", "Wait for Synced", ""},
            {"health", 0, false, "", "Wait for Healthy (fail early on Degraded)", ""},
            {"timeout", 0, true, "D", "Give up after D (0: never)", "5m"},
            {"degraded-grace", 0, true, "D",
             "How long Degraded may last before wait fails (a restart blip passes)", "0s"},
            {"interval", 0, true, "D", "Time between checks", "2s"},
            {"revision", 0, true, "REV", "Branch, tag or commit instead of targetRevision", ""},
            {"lua-dir", 0, true, "DIR", "Lua health overrides, as for health", ""},
            ConfigFlag(),
            HelpFlag()}),
       RunWait},
      {"history", "List an app's syncs: revision, time, who, outcome",
       "history APP | -f APP.yaml [-o table|json|id]",
       "  kubectl mlgitops history fraud-detection -n ml\n",
       AppFlags({OutputFlag("table|json|id", "table"), HelpFlag()}), RunHistory},
      {"rollback", "Sync an app back to the revision of an earlier history entry",
       "rollback APP [ID] | -f APP.yaml [ID] [sync flags]",
       "  kubectl mlgitops rollback fraud-detection 3 -n ml\n",
       SyncFlags({{"prune", 0, false, "", "Delete tracked objects not in that revision", ""}}),
       RunRollback},
      {"controller", "Run the application controller: compare, auto-sync and self-heal apps",
       "controller [--interval D] [-n NS | -A] [--once] [--local-root DIR]",
       "  kubectl mlgitops controller -A\n"
       "  kubectl mlgitops controller -n ml --once --local-root ./checkout\n",
       WithKubeFlags(
           {{"all-namespaces", 'A', false, "", "Applications in every namespace", ""},
            {"interval", 0, true, "D", "Time between reconcile passes", "3m"},
            {"once", 0, false, "", "Run one reconcile pass and exit", ""},
            {"local-root", 0, true, "DIR",
             "Render each app from DIR/<its source path> instead of its Git repository", ""},
            {"wave-timeout", 0, true, "D", "Fail a sync when a wave is not healthy within D",
             "10m"},
            {"lua-dir", 0, true, "DIR", "Lua health overrides, as for health", ""},
            ControlNamespaceFlag(),
            {"require-impersonation", 0, false, "",
             "Refuse apps whose project maps no ServiceAccount for their destination "
             "(destinationServiceAccounts); without it they act as the controller",
             ""},
            ConfigFlag(),
            HelpFlag()}),
       RunController},
      {"webhook install",
       "Install or update the admission webhook; rerun to renew its serving certificate",
       "webhook install [-n NS] [--image IMG] [--failure-policy Fail|Ignore] [--rotate-ca] "
       "[--dry-run]",
       "  kubectl mlgitops webhook install\n"
       "  kubectl mlgitops webhook install --failure-policy Ignore --dry-run\n"
       "  kubectl mlgitops webhook install --rotate-ca   # then once more when pods restarted\n",
       {{"kubeconfig", 0, true, "FILE", "Path to the kubeconfig file", ""},
        {"context", 0, true, "NAME", "The kubeconfig context to use", ""},
        {"namespace", 'n', true, "NS", "The webhook's namespace", "mlgitops-webhook"},
        {"image", 0, true, "IMAGE", "The webhook image (default: this plugin's version)", ""},
        {"failure-policy", 0, true, "Fail|Ignore",
         "Both webhooks' failurePolicy (default: validate Fail, mutate Ignore)", ""},
        {"rotate-ca", 0, false, "", "Replace the CA; both CAs stay trusted until the next install",
         ""},
        {"dry-run", 0, false, "", "Server dry run: check every object, change nothing", ""},
        HelpFlag()},
       RunWebhookInstall},
      {"webhook uninstall",
       "Remove the admission webhook (its registrations first)",
       "webhook uninstall [-n NS]",
       "  kubectl mlgitops webhook uninstall\n",
       {{"kubeconfig", 0, true, "FILE", "Path to the kubeconfig file", ""},
        {"context", 0, true, "NAME", "The kubeconfig context to use", ""},
        {"namespace", 'n', true, "NS", "The webhook's namespace", "mlgitops-webhook"},
        HelpFlag()},
       RunWebhookUninstall},
      {"appset", "Generate an ApplicationSet's Applications, or create and sync them",
       "appset generate -f APPSET.yaml [-o yaml|json] [--allow-missing] [--cache-dir DIR]\n"
       "  kubectl mlgitops appset sync -f APPSET.yaml | NAME [-n NS] [--dry-run] [--allow-missing]"
       " [--local-root DIR] [--wave-timeout D] [-o table|json]",
       "  kubectl mlgitops appset generate -f models-appset.yaml\n"
       "  kubectl mlgitops appset generate -f models-appset.yaml -o json --allow-missing\n"
       "  kubectl mlgitops appset sync -f models-appset.yaml --local-root ./checkout\n"
       "  kubectl mlgitops appset sync models -n argocd --dry-run\n"
       "A missing {{parameter}} is an error unless --allow-missing (Argo CD keeps it as text).\n"
       "Invalid generated Applications are reported on stderr and skipped (exit 1).\n"
       "sync writes Application CRs when the cluster serves the CRD (else keeps them in memory),\n"
       "honours syncPolicy.applicationsSync and strategy RollingSync, and never deletes\n"
       "Applications when a generator failed.\n"
       "The clusters generator reads the clusters registered with `cluster add` (and "
       "in-cluster).\n",
       WithKubeFlags(
           {{"filename", 'f', true, "FILE", "The ApplicationSet file", ""},
            {"allow-missing", 0, false, "",
             "Keep {{missing}} parameters as written, as Argo CD does (goTemplate: <no value>)",
             ""},
            {"cache-dir", 0, true, "DIR",
             "Git clone cache for git generators (default $XDG_CACHE_HOME/mlgitops)", ""},
            {"dry-run", 0, false, "", "sync: server dry run, nothing is written", ""},
            {"local-root", 0, true, "DIR",
             "sync: render each app from DIR/<its source path> instead of its Git repository", ""},
            {"wave-timeout", 0, true, "D", "sync: fail an app when a wave is not healthy within D",
             "10m"},
            ControlNamespaceFlag(),
            OutputFlag("yaml|json (generate), table|json (sync)", ""),
            HelpFlag()}),
       RunAppSet},
      {"cluster add",
       "Register a kubeconfig context as a destination cluster (as argocd cluster add)",
       "cluster add CONTEXT [--name N] [--cluster-namespace NS] [--label K=V]... [--upsert] "
       "[--cluster-admin]",
       "  kubectl mlgitops cluster add gpu-east --name gpu-east --label tier=gpu\n"
       "  kubectl mlgitops cluster add serving-eu --upsert   # a fresh token\n"
       "Creates ServiceAccount kube-system/mlgitops-manager bound to a ClusterRole allowing every\n"
       "verb on every resource in CONTEXT's cluster, and stores its token in a cluster Secret in\n"
       "the current cluster.\n",
       ClusterFlags(
           {{"name", 0, true, "NAME", "The registered name (default: CONTEXT)", ""},
            {"label", 0, true, "K=V", "A label for the cluster Secret; repeatable", ""},
            {"upsert", 0, false, "", "Replace an existing registration of the same server", ""},
            {"cluster-admin", 0, false, "",
             "Single tenant: let the manager account act on every resource (default: it may "
             "only impersonate the ServiceAccounts AppProjects map)",
             ""}}),
       RunClusterAdd},
      {"cluster list", "List the registered clusters with their version and reachability",
       "cluster list [-o table|json] [--timeout D]",
       "  kubectl mlgitops cluster list\n"
       "Exit code 1 when a cluster is unreachable.\n",
       ClusterFlags({OutputFlag("table|json", "table"),
                     {"timeout", 0, true, "D", "How long each cluster may take to answer", "5s"}}),
       RunClusterList},
      {"cluster rm", "Remove a registered cluster (its cluster Secret)", "cluster rm NAME",
       "  kubectl mlgitops cluster rm gpu-east\n", ClusterFlags({}), RunClusterRemove},
  };
  return commands;
}

int RunVersion(CommandContext& ctx) {
  std::string format = ctx.flags.Get("output");
  if (format == "json") {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("version");
    w.String(MLGITOPS_VERSION);
    w.Key("program");
    w.String("kubectl-mlgitops");
    w.EndObject();
    ctx.out.Line(buf.GetString());
    return kExitOk;
  }
  if (format != "text")
    return ctx.Fail("unsupported output format \"" + format + "\": use json or text");
  ctx.out.Line(std::string("kubectl-mlgitops ") + MLGITOPS_VERSION);
  return kExitOk;
}

int RunCli(const std::vector<std::string>& args, CliEnv& env) {
  bool out_color = ShouldColor(
      env.out.IsTerminal(), env.getenv("NO_COLOR"), env.getenv("TERM"),
      env.getenv("CLICOLOR_FORCE") ? env.getenv("CLICOLOR_FORCE") : env.getenv("FORCE_COLOR"));
  bool err_color =
      ShouldColor(env.err.IsTerminal(), env.getenv("NO_COLOR"), env.getenv("TERM"), nullptr);
  Printer out(env.out, out_color);
  Printer err(env.err, err_color);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    if (args.size() >= 2 && args[0] == "help") {
      for (const auto& c : Commands()) {
        if (args[1] == c.name) {
          out.Write(CommandHelp(c));
          return kExitOk;
        }
      }
    }
    (args.empty() ? err : out).Write(TopHelp());
    return args.empty() ? kExitUsage : kExitOk;
  }
  const Command* command = nullptr;
  size_t words = 1;
  for (const auto& c : Commands()) {
    if (args[0] == c.name) command = &c;
    if (!command && args.size() >= 2 && args[0] + " " + args[1] == c.name) {
      command = &c;
      words = 2;
    }
  }
  std::string verbs;  // "install, uninstall" when args[0] names a group of commands
  for (const auto& c : Commands()) {
    std::string name = c.name;
    if (name.rfind(args[0] + " ", 0) == 0) {
      verbs += (verbs.empty() ? "" : ", ") + name.substr(args[0].size() + 1);
    }
  }
  if (!command && !verbs.empty()) {
    err.Line("error: \"" + args[0] + "\" needs one of: " + verbs);
    err.Line("Run 'kubectl mlgitops --help' for usage.");
    return kExitUsage;
  }
  if (!command) {
    err.Line("error: unknown command \"" + args[0] + "\" for \"kubectl mlgitops\"");
    err.Line("Run 'kubectl mlgitops --help' for usage.");
    return kExitUsage;
  }
  auto flags =
      ParseFlags(std::vector<std::string>(args.begin() + words, args.end()), command->flags);
  if (!flags.ok()) {
    err.Line("error: " + flags.status().message());
    err.Line("See 'kubectl mlgitops " + std::string(command->name) + " --help' for usage.");
    return kExitUsage;
  }
  if (flags->GetBool("help")) {
    out.Write(CommandHelp(*command));
    return kExitOk;
  }
  CommandContext ctx{env, *flags, out, err};
  return command->run(ctx);
}

}  // namespace mlgitops
