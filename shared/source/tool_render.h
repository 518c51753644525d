// Rendering Kustomize and Helm sources through their tools (`kubectl kustomize`, `helm template`)
// behind the ProcessRunner seam, and choosing the tool for a source the way Argo CD does.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "app/application.h"
#include "object/object.h"
#include "object/status.h"
#include "object/yaml_loader.h"
#include "sys/process.h"

namespace mlgitops {

enum class SourceTool { kDirectory, kKustomize, kHelm };
const char* SourceToolName(SourceTool tool);

/// Explicit blocks first (directory, helm, kustomize; plugin and Helm repository charts are
/// Unsupported), else by files in `source_dir`: a kustomization.yaml / kustomization.yml /
/// Kustomization means kustomize, a Chart.yaml means helm, anything else is a directory.
Result<SourceTool> DetectSourceTool(const std::string& source_dir, const ApplicationSource& source);

struct ToolRenderContext {
  ProcessRunner* runner = nullptr;
  std::string app_name;               // Helm's default release name
  std::string destination_namespace;  // Helm's default --namespace
  std::string repo_root;              // value files must stay inside it
  /// `$name` -> the checkout root of the source with `ref: name` (multi-source value files).
  std::map<std::string, std::string> ref_roots;
  std::string display;  // how errors name the source, e.g. "source 1 (https://host/r, path x)"
  LoadLimits limits;
  int64_t timeout_ms = 120000;
};

/// `kubectl kustomize <dir>`; the app's kustomize namePrefix/nameSuffix/namespace are applied
/// through a generated overlay. Other kustomize options (images, patches, replicas, ...) are
/// refused as Unsupported rather than silently ignored.
Result<std::vector<Object>> RenderKustomize(const std::string& source_dir,
                                            const ApplicationSource& source,
                                            const ToolRenderContext& ctx);

/// The argv for `helm template` (values files resolved; inline values go to `values_file`
/// when set). Fails when a value file leaves its repository or is missing (unless
/// ignoreMissingValueFiles).
Result<std::vector<std::string>> HelmTemplateArgs(const std::string& chart_dir,
                                                  const ApplicationSource& source,
                                                  const ToolRenderContext& ctx,
                                                  const std::string& values_file);

/// `helm template`; a missing helm binary is a clear FailedPrecondition.
Result<std::vector<Object>> RenderHelm(const std::string& chart_dir,
                                       const ApplicationSource& source,
                                       const ToolRenderContext& ctx);

}  // namespace mlgitops
