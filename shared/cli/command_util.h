// Small pieces the commands share: the --config flag, and how kinds are shown in tables.
// Kept out of cli.h so the command table stays a plain list.
#pragma once

#include <string>

#include "app/application.h"
#include "cli/cli.h"
#include "object/object.h"
#include "object/status.h"
#include "plan/plan.h"
#include "policy/conventions.h"

namespace mlgitops {

/// The conventions from --config, or the built-in defaults when the flag is absent.
Result<Conventions> LoadConventionsFlag(const CommandContext& ctx);
/// "Deployment", or "InferenceService.serving.kserve.io" as kubectl prints kinds with groups.
std::string KindWithGroup(const Object& obj);
/// Checks -o against `allowed` ("table", "json", ...); on failure prints kubectl's message.
bool CheckOutputFormat(const CommandContext& ctx, const std::vector<std::string>& allowed,
                       std::string* format);

/// Every manifest in the given files and directories (directories walked recursively, the
/// Argo CD way: .yaml/.yml/.json), in argument order.
Result<std::vector<Object>> LoadManifestPaths(const std::vector<std::string>& paths);

/// An Application rendered from --local, classified and planned: what render and plan show.
struct RenderedApp {
  Application app;
  std::vector<Object> objects;
  std::vector<Classified> classes;
  Plan plan;
};
/// Loads -f (choosing --app when the file holds several), renders --local, plans.
Result<RenderedApp> LoadAndPlan(const CommandContext& ctx, const Conventions& conventions);

}  // namespace mlgitops
