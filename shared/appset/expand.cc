// ExpandAppSet: generators -> parameter sets -> rendered Applications -> validated Applications.
#include "appset/expand.h"

#include <map>
#include <utility>

#include "sys/process.h"

namespace mlgitops {

namespace {

constexpr char kResourcesFinalizer[] = "resources-finalizer.argocd.argoproj.io";
constexpr size_t kMaxParamsShown = 200;

std::string ParamsSummary(const Object& params) {
  std::string text = ToJson(params.json());
  if (text.size() > kMaxParamsShown) text = text.substr(0, kMaxParamsShown) + "...";
  return text;
}

// The template for one generator entry: spec.template with the entry's own `template` over it.
Object TemplateFor(const ApplicationSet& appset, const GeneratorSpec& generator) {
  Object tmpl = appset.template_->Clone();
  if (generator.template_override) {
    MergePatch(&tmpl.mutable_json(), generator.template_override->json(), tmpl.allocator());
  }
  return tmpl;
}

// templatePatch: rendered with the params, then merged; spec.project never changes.
Status ApplyTemplatePatch(const ApplicationSet& appset, const JsonValue& params,
                          const TemplateOptions& options, Object* app) {
  auto text = RenderTemplateString(appset.template_patch, params, options);
  if (!text.ok()) return text.status().Prefixed("templatePatch");
  auto docs = ParseYamlStream(*text, "templatePatch");
  if (!docs.ok()) return docs.status();
  if (docs->empty()) return Status::OK();
  if (docs->size() > 1 || !(*docs)[0].json().IsObject()) {
    return Status::InvalidArgument("templatePatch: expected one map");
  }
  std::string project = GetString(app->json(), "spec.project");
  MergePatch(&app->mutable_json(), (*docs)[0].json(), app->allocator());
  JsonValue& root = app->mutable_json();
  auto spec = root.FindMember("spec");
  if (spec == root.MemberEnd() || !spec->value.IsObject()) return Status::OK();
  spec->value.RemoveMember("project");
  if (!project.empty()) {
    spec->value.AddMember("project", JsonValue(project.c_str(), app->allocator()),
                          app->allocator());
  }
  return Status::OK();
}

// The rendered template as an Application object, with the AppSet's post-processing.
Object ToApplication(const ApplicationSet& appset, Object rendered, const std::string& origin) {
  JsonAllocator& a = rendered.allocator();
  JsonValue app(rapidjson::kObjectType);
  std::string api_version =
      appset.api_version.empty() ? "argoproj.io/v1alpha1" : appset.api_version;
  app.AddMember("apiVersion", JsonValue(api_version.c_str(), a), a);
  app.AddMember("kind", "Application", a);
  JsonValue& tmpl = rendered.mutable_json();
  JsonValue metadata(rapidjson::kObjectType);
  if (tmpl.HasMember("metadata") && tmpl["metadata"].IsObject()) metadata = tmpl["metadata"];
  if (!appset.namespace_.empty()) {
    metadata.RemoveMember("namespace");
    metadata.AddMember("namespace", JsonValue(appset.namespace_.c_str(), a), a);
  }
  bool has_finalizers = metadata.HasMember("finalizers") && metadata["finalizers"].IsArray() &&
                        !metadata["finalizers"].Empty();
  if (!has_finalizers && !appset.preserve_resources_on_deletion) {
    metadata.RemoveMember("finalizers");
    JsonValue finalizers(rapidjson::kArrayType);
    finalizers.PushBack(JsonValue(kResourcesFinalizer, a), a);
    metadata.AddMember("finalizers", finalizers, a);
  }
  app.AddMember("metadata", metadata, a);
  if (tmpl.HasMember("spec")) app.AddMember("spec", tmpl["spec"], a);
  auto allocator = NewObjectAllocator();
  JsonValue copy(app, *allocator);
  return Object(std::move(allocator), std::move(copy), origin);
}

// One parameter set rendered and parsed, or why not.
Result<GeneratedApp> Generate(const ApplicationSet& appset, const GeneratorSpec& generator,
                              ParamSet set, const TemplateOptions& options,
                              const std::string& subject) {
  Object rendered = TemplateFor(appset, generator);
  bool has_params = set.params.json().IsObject() && set.params.json().MemberCount() > 0;
  if (has_params) {
    Status s =
        RenderTree(&rendered.mutable_json(), rendered.allocator(), set.params.json(), options);
    if (s.ok() && !appset.template_patch.empty()) {
      s = ApplyTemplatePatch(appset, set.params.json(), options, &rendered);
    }
    if (!s.ok()) return s;
  }
  Object object = ToApplication(appset, std::move(rendered), subject + " " + set.origin);
  if (GetString(object.json(), "metadata.name").empty()) {
    return Status::InvalidArgument("metadata.name: empty after rendering");
  }
  auto app = ParseApplication(object);
  if (!app.ok()) return app.status();
  return GeneratedApp{std::move(object), std::move(*app), std::move(set.params), set.origin};
}

// Two apps with one name would fight over one object: both are refused.
void RemoveDuplicateNames(AppSetExpansion* out, const std::string& subject) {
  std::map<std::string, std::vector<size_t>> by_name;
  for (size_t i = 0; i < out->apps.size(); ++i) {
    by_name[out->apps[i].app.namespace_ + "/" + out->apps[i].app.name].push_back(i);
  }
  std::vector<bool> drop(out->apps.size(), false);
  for (const auto& [name, indexes] : by_name) {
    if (indexes.size() < 2) continue;
    std::string origins;
    for (size_t i : indexes) origins += (origins.empty() ? "" : ", ") + out->apps[i].origin;
    for (size_t i : indexes) {
      drop[i] = true;
      out->errors.push_back(subject + ": " + out->apps[i].origin +
                            ": duplicate Application name \"" + out->apps[i].app.name +
                            "\" (generated by " + origins + ")");
    }
  }
  std::vector<GeneratedApp> kept;
  for (size_t i = 0; i < out->apps.size(); ++i) {
    if (!drop[i]) kept.push_back(std::move(out->apps[i]));
  }
  out->apps = std::move(kept);
}

}  // namespace

Result<AppSetExpansion> ExpandAppSet(const ApplicationSet& appset, const ExpandOptions& options) {
  std::string subject = (appset.origin.empty() ? "" : appset.origin + ": ") + appset.DisplayName();
  GitRepoCache cache(options.cache_dir.empty() ? DefaultCacheDir(ProcessGetEnv())
                                               : options.cache_dir);
  GeneratorContext context;
  context.template_options.go_template = appset.go_template;
  context.template_options.allow_missing = options.allow_missing;
  context.template_options.missing_key_error = appset.missing_key_error;
  context.git = &cache;
  context.git_options = options.git;
  context.credentials = options.credentials;
  context.clusters = options.clusters;
  context.limits = options.limits;

  AppSetExpansion out;
  for (const GeneratorSpec& generator : appset.generators) {
    auto sets = RunGenerator(generator, context);
    if (!sets.ok()) return sets.status().Prefixed(subject);
    for (ParamSet& set : *sets) {
      std::string where = set.origin + " " + ParamsSummary(set.params);
      auto app = Generate(appset, generator, std::move(set), context.template_options, subject);
      if (!app.ok()) {
        out.errors.push_back(subject + ": " + where + ": " + app.status().message());
        continue;
      }
      out.apps.push_back(std::move(*app));
    }
  }
  RemoveDuplicateNames(&out, subject);
  return out;
}

}  // namespace mlgitops
