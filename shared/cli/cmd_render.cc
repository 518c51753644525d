// `render` and `plan`: an Application's manifests in apply order, and the plan wave by wave.
#include <set>

#include "cli/cli.h"
#include "cli/command_util.h"
#include "object/yaml_writer.h"
#include "policy/rules.h"

namespace mlgitops {

namespace {

// Objects in the order they are applied; a hook that runs in several phases is shown once.
std::vector<size_t> ApplyOrder(const Plan& plan) {
  std::vector<size_t> order;
  std::set<size_t> seen;
  for (const auto* steps : {&plan.steps, &plan.sync_fail}) {
    for (const auto& step : *steps) {
      if (seen.insert(step.object_index).second) order.push_back(step.object_index);
    }
  }
  return order;
}

void ReportSkipped(const CommandContext& ctx, const Plan& plan) {
  for (const auto& s : plan.skipped) {
    ctx.err.Line("skipped " + s.object.ToString() + ": " + s.reason);
  }
}

Color SeverityColor(Severity s) { return s == Severity::kDeny ? Color::kRed : Color::kYellow; }

void PrintFindings(const CommandContext& ctx, const std::vector<Finding>& findings) {
  if (findings.empty()) {
    ctx.out.Line("No findings.");
    return;
  }
  std::vector<std::vector<Cell>> rows;
  for (const auto& f : findings) {
    rows.push_back({Cell(std::string(SeverityName(f.severity)), SeverityColor(f.severity)), f.rule,
                    f.object.ToString(), f.message});
  }
  ctx.out.Table({"SEVERITY", "RULE", "OBJECT", "MESSAGE"}, rows);
}

}  // namespace

int RunRender(CommandContext& ctx) {
  std::string format;
  if (!CheckOutputFormat(ctx, {"json", "yaml"}, &format)) return kExitUsage;
  auto conventions = LoadConventionsFlag(ctx);
  if (!conventions.ok()) return ctx.Fail(conventions.status().message());
  auto rendered = LoadAndPlan(ctx, *conventions);
  if (!rendered.ok()) return ctx.Fail(rendered.status().message());
  ReportSkipped(ctx, rendered->plan);
  std::vector<const Object*> ordered;
  for (size_t i : ApplyOrder(rendered->plan)) ordered.push_back(&rendered->objects[i]);
  PrintObjectStream(ctx, ordered, format);
  return kExitOk;
}

int RunPlan(CommandContext& ctx) {
  std::string format;
  if (!CheckOutputFormat(ctx, {"json", "table"}, &format)) return kExitUsage;
  if (!ctx.flags.GetBool("offline")) {
    return ctx.Fail(
        "planning against a live cluster needs the Kubernetes API client, which is not built "
        "yet: pass --offline to plan every object as a create");
  }
  auto conventions = LoadConventionsFlag(ctx);
  if (!conventions.ok()) return ctx.Fail(conventions.status().message());
  auto rendered = LoadAndPlan(ctx, *conventions);
  if (!rendered.ok()) return ctx.Fail(rendered.status().message());
  std::vector<Finding> findings = Lint(rendered->objects, rendered->classes, *conventions);
  int exit_code = CountDenials(findings) > 0 ? kExitFindings : kExitOk;
  if (format == "json") {
    ctx.out.Line(PlanToJson(rendered->plan, findings, true));
    return exit_code;
  }
  ReportSkipped(ctx, rendered->plan);
  ctx.out.Line(ctx.out.Paint(rendered->app.DisplayName(), Color::kBold) + ": " +
               std::to_string(rendered->plan.steps.size()) + " steps");
  std::vector<std::vector<Cell>> rows;
  auto add = [&](const PlanStep& s) {
    std::string kind = s.kind + (s.hook ? " (hook)" : "");
    rows.push_back({std::string(SyncPhaseName(s.phase)), std::to_string(s.wave), kind, s.namespace_,
                    s.name, s.role, Cell(s.action, Color::kGreen)});
  };
  for (const auto& s : rendered->plan.steps) add(s);
  for (const auto& s : rendered->plan.sync_fail) add(s);
  ctx.out.Table({"PHASE", "WAVE", "KIND", "NAMESPACE", "NAME", "ROLE", "ACTION"}, rows);
  ctx.out.Line("");
  PrintFindings(ctx, findings);
  return exit_code;
}

int RunLint(CommandContext& ctx) {
  std::string format;
  if (!CheckOutputFormat(ctx, {"json", "table"}, &format)) return kExitUsage;
  std::vector<std::string> paths = ctx.flags.positional();
  if (ctx.flags.Has("filename")) paths.insert(paths.begin(), ctx.flags.Get("filename"));
  if (paths.empty()) return ctx.Fail("lint needs a PATH (a file or a directory of manifests)");
  auto conventions = LoadConventionsFlag(ctx);
  if (!conventions.ok()) return ctx.Fail(conventions.status().message());
  auto objects = LoadManifestPaths(paths);
  if (!objects.ok()) return ctx.Fail(objects.status().message());
  std::vector<Finding> findings = Lint(*objects, *conventions);
  if (format == "json") {
    ctx.out.Line(FindingsToJson(findings, true));
  } else {
    PrintFindings(ctx, findings);
  }
  return CountDenials(findings) > 0 ? kExitFindings : kExitOk;
}

}  // namespace mlgitops
