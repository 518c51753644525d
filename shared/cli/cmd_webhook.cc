// `webhook install` and `webhook uninstall`: flags to values, progress to stdout; the work is
// in shared/webhook_install/install.h.
#include "cli/cli.h"
#include "cli/command_util.h"
#include "webhook_install/install.h"

namespace mlgitops {

namespace {

std::string NamespaceFlag(const CommandContext& ctx) {
  return ctx.flags.Has("namespace") ? ctx.flags.Get("namespace")
                                    : std::string(kWebhookDefaultNamespace);
}

ProgressFn PrintTo(const CommandContext& ctx) {
  return [&ctx](const std::string& line) { ctx.out.Line(line); };
}

}  // namespace

int RunWebhookInstall(CommandContext& ctx) {
  if (!ctx.flags.positional().empty()) {
    return ctx.Fail("webhook install takes no arguments, got \"" + ctx.flags.positional()[0] +
                    "\"");
  }
  InstallOptions options;
  options.values.namespace_ = NamespaceFlag(ctx);
  options.values.image = ctx.flags.Has("image") ? ctx.flags.Get("image") : DefaultWebhookImage();
  if (ctx.flags.Has("failure-policy"))
    options.values.failure_policy = ctx.flags.Get("failure-policy");
  options.rotate_ca = ctx.flags.GetBool("rotate-ca");
  options.dry_run = ctx.flags.GetBool("dry-run");
  options.now_unix = ctx.env.clock.NowUnix();
  if (Status s = CheckWebhookValues(options.values); !s.ok()) return ctx.Fail(s.message());

  auto client = Connect(ctx);
  if (!client.ok()) return ctx.Fail(client.status().message());
  auto report = InstallWebhook(**client, options, PrintTo(ctx));
  if (!report.ok()) return ctx.Fail("webhook install: " + report.status().message());
  ctx.err.Line("CA: " + report->ca.reason + "; serving certificate for " +
               std::string(kWebhookServiceName) + "." + options.values.namespace_ +
               ".svc valid until " + report->serving_not_after);
  if (!report->registered_first && !options.dry_run) {
    ctx.err.Line(
        "Writes covered by the validating webhook fail until its pods are Ready: "
        "kubectl rollout status deployment/" +
        std::string(kWebhookServiceName) + " -n " + options.values.namespace_);
  }
  return kExitOk;
}

int RunWebhookUninstall(CommandContext& ctx) {
  if (!ctx.flags.positional().empty()) {
    return ctx.Fail("webhook uninstall takes no arguments, got \"" + ctx.flags.positional()[0] +
                    "\"");
  }
  auto client = Connect(ctx);
  if (!client.ok()) return ctx.Fail(client.status().message());
  Status s = UninstallWebhook(**client, NamespaceFlag(ctx), PrintTo(ctx));
  if (!s.ok()) return ctx.Fail("webhook uninstall: " + s.message());
  return kExitOk;
}

}  // namespace mlgitops
