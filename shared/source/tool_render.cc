// Kustomize and Helm rendering: argv building, a generated kustomize overlay for the app's
// simple kustomize settings, confined value files, and tool output parsed as manifests.
#include "source/tool_render.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "source/confine.h"
#include "source/kustomize_paths.h"
#include "source/repo_cache.h"

namespace mlgitops {

namespace fs = std::filesystem;

const char* SourceToolName(SourceTool tool) {
  switch (tool) {
    case SourceTool::kDirectory:
      return "directory";
    case SourceTool::kKustomize:
      return "kustomize";
    case SourceTool::kHelm:
      return "helm";
  }
  return "directory";
}

Result<SourceTool> DetectSourceTool(const std::string& source_dir,
                                    const ApplicationSource& source) {
  if (source.plugin) return Status::Unsupported("config management plugins are not supported");
  if (!source.chart.empty()) {
    return Status::Unsupported("Helm repository charts (chart: " + source.chart +
                               ") are not supported; use a chart stored in Git");
  }
  if (source.directory) return SourceTool::kDirectory;
  if (source.helm) return SourceTool::kHelm;
  if (source.kustomize) return SourceTool::kKustomize;
  for (const char* name : {"kustomization.yaml", "kustomization.yml", "Kustomization"}) {
    if (PathExists(source_dir + "/" + name)) return SourceTool::kKustomize;
  }
  if (PathExists(source_dir + "/Chart.yaml")) return SourceTool::kHelm;
  return SourceTool::kDirectory;
}

namespace {

/// The kustomize options of an Application the generated overlay carries.
constexpr const char* kOverlayOptions[] = {"namePrefix",       "nameSuffix", "namespace",
                                           "images",           "replicas",   "commonLabels",
                                           "commonAnnotations"};

bool IsOverlayOption(const std::string& name) {
  for (const char* option : kOverlayOptions) {
    if (name == option) return true;
  }
  return false;
}

/// One of Argo CD's image overrides ("nginx:1.2", "nginx=ghcr.io/x/nginx:1.2",
/// "nginx@sha256:...") as a kustomize `images` entry: name, newName, newTag, digest.
JsonValue KustomizeImage(const std::string& spec, JsonAllocator& a) {
  std::string name = spec, replacement = spec;
  size_t eq = spec.find('=');
  if (eq != std::string::npos) {
    name = spec.substr(0, eq);
    replacement = spec.substr(eq + 1);
  }
  std::string new_name = replacement, tag, digest;
  size_t at = replacement.find('@');
  if (at != std::string::npos) {
    digest = replacement.substr(at + 1);
    new_name = replacement.substr(0, at);
  } else {
    size_t colon = replacement.rfind(':');
    size_t slash = replacement.rfind('/');
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
      tag = replacement.substr(colon + 1);
      new_name = replacement.substr(0, colon);
    }
  }
  if (eq == std::string::npos) {
    name = new_name;  // "nginx:1.2" retags nginx
    new_name.clear();
  }
  JsonValue image(rapidjson::kObjectType);
  image.AddMember("name", JsonValue(name.c_str(), a), a);
  if (!new_name.empty()) image.AddMember("newName", JsonValue(new_name.c_str(), a), a);
  if (!tag.empty()) image.AddMember("newTag", JsonValue(tag.c_str(), a), a);
  if (!digest.empty()) image.AddMember("digest", JsonValue(digest.c_str(), a), a);
  return image;
}

/// The overlay's kustomization: the source as its resource plus the app's options; "" when the
/// app sets none (the source is rendered as it is).
std::string OverlayKustomization(const ApplicationSourceKustomize& k, const std::string& resource) {
  rapidjson::Document options;
  options.Parse(k.raw.c_str(), k.raw.size());
  if (options.HasParseError() || !options.IsObject()) return "";
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("apiVersion", "kustomize.config.k8s.io/v1beta1", a);
  doc.AddMember("kind", "Kustomization", a);
  JsonValue resources(rapidjson::kArrayType);
  resources.PushBack(JsonValue(resource.c_str(), a), a);
  doc.AddMember("resources", resources, a);
  bool any = false;
  for (const auto& member : options.GetObject()) {
    std::string name = member.name.GetString();
    const JsonValue& v = member.value;
    bool empty = v.IsNull() || (v.IsString() && v.GetStringLength() == 0) ||
                 (v.IsArray() && v.Empty()) || (v.IsObject() && v.MemberCount() == 0);
    if (empty || !IsOverlayOption(name)) continue;
    any = true;
    if (name == "images" && v.IsArray()) {
      JsonValue images(rapidjson::kArrayType);
      for (const JsonValue& image : v.GetArray()) {
        if (image.IsString()) images.PushBack(KustomizeImage(image.GetString(), a), a);
      }
      doc.AddMember("images", images, a);
      continue;
    }
    doc.AddMember(JsonValue(name.c_str(), a), JsonValue(v, a), a);
  }
  return any ? ToJson(doc) + "\n" : "";
}

/// Names of kustomize options set in the app that the overlay does not carry.
std::vector<std::string> UnsupportedKustomizeOptions(const ApplicationSourceKustomize& k) {
  std::vector<std::string> out;
  if (k.raw.empty()) return out;
  rapidjson::Document doc;
  doc.Parse(k.raw.c_str(), k.raw.size());
  if (doc.HasParseError() || !doc.IsObject()) return out;
  for (const auto& member : doc.GetObject()) {
    std::string name = member.name.GetString();
    if (IsOverlayOption(name)) continue;
    const JsonValue& v = member.value;
    bool empty = v.IsNull() || (v.IsString() && v.GetStringLength() == 0) ||
                 (v.IsArray() && v.Empty()) || (v.IsObject() && v.MemberCount() == 0) ||
                 (v.IsBool() && !v.GetBool());
    if (!empty) out.push_back(name);
  }
  return out;
}

/// helm and kustomize name files by the absolute paths they were given, which lie in the clone
/// cache and spell out its layout (a hash per URL) and the commits of this source and of its ref
/// sources (other repositories). Messages name them relative to their repository instead: "."
/// for this one, "$name" for a ref source.
std::string RepositoryRelative(std::string text, const ToolRenderContext& ctx) {
  std::vector<std::pair<std::string, std::string>> roots;  // absolute root -> shown as
  auto add = [&](const std::string& root, const std::string& shown) {
    if (root.empty()) return;
    roots.emplace_back(root, shown);
    std::error_code ec;
    std::string canonical = std::filesystem::weakly_canonical(root, ec).string();
    if (!ec && canonical != root) roots.emplace_back(canonical, shown);
  };
  for (const auto& [name, root] : ctx.ref_roots) add(root, "$" + name);
  add(ctx.repo_root, ".");
  // Longest first: a root that contains another is replaced whole.
  std::stable_sort(roots.begin(), roots.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  for (const auto& [root, shown] : roots) {
    for (size_t at = text.find(root); at != std::string::npos; at = text.find(root, at)) {
      text.replace(at, root.size(), shown);
      at += shown.size();
    }
  }
  return text;
}

Result<std::vector<Object>> RunTool(const ToolRenderContext& ctx, ProcessRequest request,
                                    const std::string& tool, const std::string& install_hint) {
  if (!ctx.runner) return Status::Internal(ctx.display + ": no process runner to run " + tool);
  request.timeout_ms = ctx.timeout_ms;
  request.max_output_bytes = ctx.limits.max_file_bytes;
  auto result = ctx.runner->Run(request);
  if (!result.ok()) {
    if (result.status().code() == Status::Code::kNotFound) {
      return Status::FailedPrecondition(tool + " is not installed: rendering " + ctx.display +
                                        " needs " + install_hint + " on PATH");
    }
    return result.status().Prefixed(ctx.display);
  }
  if (result->stdout_truncated) {
    return Status::LimitExceeded(ctx.display + ": " + tool + " output exceeds " +
                                 std::to_string(request.max_output_bytes) + " bytes");
  }
  if (!result->succeeded()) {
    std::string why = result->timed_out ? "timed out" : "failed";
    std::string detail = RepositoryRelative(result->stderr_text, ctx);
    while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
    return Status::InvalidArgument(ctx.display + ": " + tool + " " + why +
                                   (detail.empty() ? "" : ": " + detail));
  }
  return ParseManifests(result->stdout_text, ctx.display + " (" + tool + " output)", ctx.limits);
}

}  // namespace

Result<std::vector<Object>> RenderKustomize(const std::string& source_dir,
                                            const ApplicationSource& source,
                                            const ToolRenderContext& ctx) {
  // Every local path the kustomizations name must stay in the repository: kustomize's own
  // root-only restriction covers files but lets directory bases reach anywhere.
  Status confined = CheckKustomizePaths(ctx.repo_root.empty() ? source_dir : ctx.repo_root,
                                        source_dir, ctx.limits);
  if (!confined.ok()) return confined.Prefixed(ctx.display);
  ProcessRequest request;
  ScratchDir overlay("", "mlgitops-render-");
  std::string target = source_dir;
  if (source.kustomize) {
    const ApplicationSourceKustomize& k = *source.kustomize;
    std::vector<std::string> unsupported = UnsupportedKustomizeOptions(k);
    if (!unsupported.empty()) {
      std::string names;
      for (const auto& n : unsupported) names += (names.empty() ? "" : ", ") + n;
      return Status::Unsupported(
          ctx.display + ": kustomize options " + names +
          " are not supported yet (namePrefix, nameSuffix, namespace, images, replicas, "
          "commonLabels and commonAnnotations are); put them in the kustomization.yaml");
    }
    if (overlay.path().empty()) return Status::IOError(ctx.display + ": no temporary directory");
    std::error_code ec;
    std::string relative = fs::relative(source_dir, overlay.path(), ec).string();
    if (ec) return Status::IOError(ctx.display + ": cannot relate the overlay to the source");
    std::string text = OverlayKustomization(k, relative);
    if (!text.empty()) {
      Status s = WriteFileAtomic(overlay.path() + "/kustomization.yaml", text);
      if (!s.ok()) return s;
      target = overlay.path();
    }
  }
  // Explicit, so a changed default or a kustomize configuration cannot loosen it.
  request.argv = {"kubectl", "kustomize", "--load-restrictor", "LoadRestrictionsRootOnly", target};
  return RunTool(ctx, std::move(request), "kubectl kustomize", "kubectl");
}

namespace {

bool IsUrl(const std::string& s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0;
}

/// A value or set-file path: relative to the chart, or `$ref/...` into a ref source. "" with
/// OK status means "missing, and allowed to be".
Result<std::string> ResolveRepoFile(const std::string& chart_dir, const std::string& file,
                                    const ToolRenderContext& ctx, bool ignore_missing) {
  if (IsUrl(file)) {
    return Status::Unsupported(ctx.display + ": remote value file " + file + " is not supported");
  }
  std::string root = ctx.repo_root;
  std::string path;  // relative to `root`
  if (!file.empty() && file[0] == '$') {
    size_t slash = file.find('/');
    std::string ref = file.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
    auto it = ctx.ref_roots.find(ref);
    if (it == ctx.ref_roots.end()) {
      return Status::InvalidArgument(ctx.display + ": value file " + file + " names $" + ref +
                                     ", but no source has ref: " + ref);
    }
    root = it->second;
    path = slash == std::string::npos ? "" : file.substr(slash + 1);
  } else if (!file.empty() && file[0] == '/') {
    // Argo CD reads absolute value file paths from the repository root.
    path =
        file.substr(file.find_first_not_of('/') == std::string::npos ? file.size()
                                                                     : file.find_first_not_of('/'));
  } else {
    int error = 0;
    auto real_root = CanonicalPath(root, &error);
    auto chart = CanonicalPath(chart_dir, &error);
    if (!real_root || !chart || !IsWithin(*real_root, *chart)) {
      return Status::InvalidArgument(ctx.display + ": the chart directory leaves its repository");
    }
    path = JoinPath(RelativeTo(*real_root, *chart), file);
  }
  auto real = ResolveInside(root, path, ctx.display + ": value file " + file);
  if (real.ok()) return real;
  if (real.status().code() == Status::Code::kNotFound && ignore_missing) return std::string();
  return real.status();
}

std::string EscapeSetValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == ',' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

Result<std::vector<std::string>> HelmTemplateArgs(const std::string& chart_dir,
                                                  const ApplicationSource& source,
                                                  const ToolRenderContext& ctx,
                                                  const std::string& values_file) {
  ApplicationSourceHelm helm = source.helm.value_or(ApplicationSourceHelm());
  std::string release = helm.release_name.empty() ? ctx.app_name : helm.release_name;
  std::string ns = helm.namespace_.empty() ? ctx.destination_namespace : helm.namespace_;
  std::vector<std::string> argv = {"helm", "template", release, chart_dir};
  if (!ns.empty()) argv.insert(argv.end(), {"--namespace", ns});
  if (!helm.kube_version.empty()) argv.insert(argv.end(), {"--kube-version", helm.kube_version});
  for (const auto& api : helm.api_versions) argv.insert(argv.end(), {"--api-versions", api});
  argv.push_back(helm.skip_crds ? "--skip-crds" : "--include-crds");
  if (helm.skip_tests) argv.push_back("--skip-tests");
  if (helm.skip_schema_validation) argv.push_back("--skip-schema-validation");
  for (const auto& file : helm.value_files) {
    auto path = ResolveRepoFile(chart_dir, file, ctx, helm.ignore_missing_value_files);
    if (!path.ok()) return path.status();
    if (!path->empty()) argv.insert(argv.end(), {"--values", *path});
  }
  if (!values_file.empty()) argv.insert(argv.end(), {"--values", values_file});
  for (const auto& p : helm.parameters) {
    argv.insert(argv.end(), {p.force_string ? "--set-string" : "--set",
                             p.name + "=" + EscapeSetValue(p.value)});
  }
  for (const auto& p : helm.file_parameters) {
    auto path = ResolveRepoFile(chart_dir, p.path, ctx, false);
    if (!path.ok()) return path.status();
    argv.insert(argv.end(), {"--set-file", p.name + "=" + *path});
  }
  return argv;
}

Result<std::vector<Object>> RenderHelm(const std::string& chart_dir,
                                       const ApplicationSource& source,
                                       const ToolRenderContext& ctx) {
  ScratchDir scratch("", "mlgitops-render-");
  std::string values_file;
  if (source.helm && (!source.helm->values_object.empty() || !source.helm->values.empty())) {
    if (scratch.path().empty()) return Status::IOError(ctx.display + ": no temporary directory");
    values_file = scratch.path() + "/inline-values.yaml";
    // JSON is YAML, so valuesObject can be written as it is.
    const std::string& text =
        source.helm->values_object.empty() ? source.helm->values : source.helm->values_object;
    Status s = WriteFileAtomic(values_file, text);
    if (!s.ok()) return s;
  }
  auto argv = HelmTemplateArgs(chart_dir, source, ctx, values_file);
  if (!argv.ok()) return argv.status();
  ProcessRequest request;
  request.argv = std::move(*argv);
  return RunTool(ctx, std::move(request), "helm", "helm");
}

}  // namespace mlgitops
