// RenderApplication: checkout per source, render per source (through the rendered-manifest
// cache), then concatenation, the destination namespace rule and later-wins de-duplication.
#include "source/app_render.h"

#include <rapidjson/document.h>

#include <map>
#include <utility>

#include "source/confine.h"
#include "source/directory.h"
#include "source/git_repo.h"
#include "source/repo_cache.h"
#include "source/tool_render.h"

namespace mlgitops {

namespace {

constexpr const char* kRenderedFormat = "mlgitops-rendered/v1";

void AddField(std::string* out, const std::string& name, const std::string& value) {
  *out += name + "=" + std::to_string(value.size()) + ":" + value + "\n";
}

/// Everything in a source spec that can change its rendered output (the commit aside).
std::string SourceFingerprint(const ApplicationSource& s) {
  std::string out;
  AddField(&out, "repo", NormalizeRepoUrl(s.repo_url));
  AddField(&out, "path", s.path);
  AddField(&out, "chart", s.chart);
  if (s.directory) {
    const auto& d = *s.directory;
    AddField(&out, "dir", std::to_string(d.recurse) + std::to_string(d.disable_extension_filter));
    AddField(&out, "include", d.include);
    AddField(&out, "exclude", d.exclude);
    AddField(&out, "jsonnet", d.jsonnet);
  }
  if (s.helm) {
    const auto& h = *s.helm;
    for (const auto& f : h.value_files) AddField(&out, "valueFile", f);
    AddField(&out, "values", h.values);
    AddField(&out, "valuesObject", h.values_object);
    for (const auto& p : h.parameters) {
      AddField(&out, "param", p.name + "=" + p.value + (p.force_string ? "!s" : ""));
    }
    for (const auto& p : h.file_parameters) AddField(&out, "fileParam", p.name + "=" + p.path);
    AddField(&out, "helm", h.raw);
  }
  if (s.kustomize) AddField(&out, "kustomize", s.kustomize->raw);
  if (s.plugin) AddField(&out, "plugin", *s.plugin);
  return out;
}

std::string SerializeObjects(const std::vector<Object>& objects) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& alloc = doc.GetAllocator();
  doc.AddMember("format", rapidjson::StringRef(kRenderedFormat), alloc);
  JsonValue items(rapidjson::kArrayType);
  for (const Object& o : objects) {
    JsonValue item(rapidjson::kObjectType);
    item.AddMember("origin", JsonValue(o.origin().c_str(), alloc), alloc);
    item.AddMember("object", JsonValue(o.json(), alloc), alloc);
    items.PushBack(item, alloc);
  }
  doc.AddMember("objects", items, alloc);
  return ToJson(doc);
}

/// The cached objects, or nullopt-like failure when the file is missing or not ours.
Result<std::vector<Object>> ParseCachedObjects(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsObject() || MemberString(doc, "format") != kRenderedFormat) {
    return Status::InvalidArgument("not a rendered-manifest cache file");
  }
  auto items = doc.FindMember("objects");
  if (items == doc.MemberEnd() || !items->value.IsArray()) {
    return Status::InvalidArgument("rendered-manifest cache file without objects");
  }
  std::vector<Object> out;
  for (const auto& item : items->value.GetArray()) {
    if (!item.IsObject()) return Status::InvalidArgument("bad cache entry");
    auto object = item.FindMember("object");
    auto origin = item.FindMember("origin");
    if (object == item.MemberEnd() || !object->value.IsObject() || origin == item.MemberEnd() ||
        !origin->value.IsString()) {
      return Status::InvalidArgument("bad cache entry");
    }
    auto alloc = NewObjectAllocator();
    JsonValue copy(object->value, *alloc);
    out.emplace_back(std::move(alloc), std::move(copy), origin->value.GetString());
  }
  return out;
}

struct SourceCheckout {
  std::string commit;
  std::string dir;
};

class Pipeline {
 public:
  Pipeline(const Application& app, const AppRenderOptions& options) : app_(app), options_(options) {
    getenv_ = options.getenv ? options.getenv : ProcessGetEnv();
    cache_root_ = options.cache_dir.empty() ? DefaultCacheDir(getenv_) : options.cache_dir;
    runner_ = options.runner ? options.runner : &system_runner_;
    credentials_ = options.credentials ? options.credentials : &anonymous_;
  }

  Result<RenderedApplication> Run() {
    if (app_.sources.empty()) return Status::InvalidArgument("has no source to render");
    std::vector<SourceCheckout> checkouts;
    for (size_t i = 0; i < app_.sources.size(); ++i) {
      auto checkout = Fetch(i);
      if (!checkout.ok()) return checkout.status();
      out_.revisions.push_back(checkout->commit);
      if (!app_.sources[i].ref.empty()) ref_roots_[app_.sources[i].ref] = checkout->dir;
      checkouts.push_back(std::move(*checkout));
    }
    std::vector<Object> all;
    size_t rendered = 0, cached = 0;
    for (size_t i = 0; i < app_.sources.size(); ++i) {
      const ApplicationSource& source = app_.sources[i];
      if (!source.ref.empty() && source.path.empty()) continue;  // value files only
      bool hit = false;
      auto objects = RenderCached(i, checkouts[i], &hit);
      if (!objects.ok()) return objects.status();
      ++rendered;
      cached += hit ? 1 : 0;
      for (Object& o : *objects) all.push_back(std::move(o));
    }
    out_.from_cache = rendered > 0 && cached == rendered;
    GroupKindSet cluster_scoped = options_.render.cluster_scoped;
    AddClusterScopedFromCrds(all, &cluster_scoped);
    ApplyDestinationNamespace(app_.destination.namespace_, cluster_scoped, &all);
    out_.objects = LaterWins(std::move(all));
    return std::move(out_);
  }

 private:
  std::string Display(size_t i) const {
    const ApplicationSource& s = app_.sources[i];
    std::string text = app_.sources.size() > 1 ? "source " + std::to_string(i + 1) + " (" : "(";
    return text + StripUrlUserinfo(s.repo_url) + (s.path.empty() ? "" : ", path " + s.path) + ")";
  }

  Result<SourceCheckout> Fetch(size_t i) {
    const ApplicationSource& source = app_.sources[i];
    std::string revision = source.target_revision;
    if (i == 0 && !options_.revision_override.empty()) revision = options_.revision_override;
    std::string memo_key = NormalizeRepoUrl(source.repo_url) + "\n" + revision;
    auto memo = fetched_.find(memo_key);
    if (memo != fetched_.end()) return memo->second;
    GitFetchOptions fetch;
    fetch.credentials = credentials_->For(source.repo_url);
    fetch.offline = options_.offline;
    std::string home = EnvValue(getenv_, "HOME");
    if (!home.empty()) fetch.default_known_hosts_file = home + "/.ssh/known_hosts";
    GitRepoCache cache(cache_root_);
    auto snapshot = cache.Checkout(source.repo_url, revision, fetch);
    if (!snapshot.ok()) return snapshot.status();
    if (snapshot->rebuilt) {
      out_.warnings.push_back("the cached clone of " + StripUrlUserinfo(source.repo_url) +
                              " was damaged and has been rebuilt");
    }
    SourceCheckout checkout{snapshot->commit, snapshot->dir};
    fetched_[memo_key] = checkout;
    return checkout;
  }

  std::string CacheFile(size_t i, const SourceCheckout& checkout) const {
    std::string key = std::string(kRenderedFormat) + "\n" + checkout.commit + "\n" +
                      SourceFingerprint(app_.sources[i]);
    AddField(&key, "namespace", app_.destination.namespace_);
    AddField(&key, "app", app_.name);
    for (const auto& [name, root] : ref_roots_) AddField(&key, "ref", name + "=" + root);
    return cache_root_ + "/rendered/" + Sha256Hex(key) + ".json";
  }

  Result<std::vector<Object>> RenderCached(size_t i, const SourceCheckout& checkout, bool* hit) {
    std::string file = CacheFile(i, checkout);
    auto text = ReadWholeFile(file);
    if (text.ok()) {
      auto objects = ParseCachedObjects(*text);
      if (objects.ok()) {
        *hit = true;
        return objects;
      }
      // A damaged cache file is ignored and overwritten below.
    }
    auto objects = Render(i, checkout);
    if (!objects.ok()) return objects;
    if (MakeDirs(cache_root_ + "/rendered").ok()) {
      (void)WriteFileAtomic(file, SerializeObjects(*objects));
    }
    return objects;
  }

  Result<std::vector<Object>> Render(size_t i, const SourceCheckout& checkout) {
    const ApplicationSource& source = app_.sources[i];
    std::string display = Display(i);
    auto resolved = ResolveInside(checkout.dir, source.path, display + ": path " + source.path);
    if (!resolved.ok() && resolved.status().code() == Status::Code::kNotFound) {
      return Status::NotFound(display + ": path " + source.path + " does not exist at " +
                              checkout.commit.substr(0, 12));
    }
    if (!resolved.ok()) return resolved.status();
    auto tool = DetectSourceTool(*resolved, source);
    if (!tool.ok()) return tool.status().Prefixed(display);
    if (*tool == SourceTool::kDirectory) {
      ApplicationSource plain = source;
      plain.directory = source.directory.value_or(ApplicationSourceDirectory());
      auto objects =
          RenderDirectory(checkout.dir, plain, options_.limits, options_.render.directory);
      if (!objects.ok()) return objects.status().Prefixed(display);
      return objects;
    }
    // Tools run on a private copy: checkouts sit at predictable cache paths, and a tool given
    // the shared one could be pointed at another application's checkout beside it.
    auto copy = PrivateCheckout::Make(checkout.dir, cache_root_ + "/renders");
    if (!copy.ok()) return copy.status().Prefixed(display);
    std::string source_dir = JoinPath(copy->root(), *NormalizeInside(source.path));
    ToolRenderContext ctx;
    ctx.runner = runner_;
    ctx.app_name = app_.name;
    ctx.destination_namespace = app_.destination.namespace_;
    ctx.repo_root = copy->root();
    ctx.ref_roots = ref_roots_;
    ctx.display = display;
    ctx.limits = options_.limits;
    return *tool == SourceTool::kKustomize ? RenderKustomize(source_dir, source, ctx)
                                           : RenderHelm(source_dir, source, ctx);
  }

  /// Argo CD keeps the last of several objects with one identity; earlier ones are dropped.
  std::vector<Object> LaterWins(std::vector<Object> all) {
    std::map<std::string, size_t> last;
    auto key_of = [](const Object& o) {
      ObjectRef r = o.ref();
      return r.group + "\n" + r.kind + "\n" + r.namespace_ + "\n" + r.name;
    };
    std::vector<bool> keep(all.size(), true);
    for (size_t i = 0; i < all.size(); ++i) {
      if (GetString(all[i].json(), "metadata.name").empty()) continue;  // generateName only
      std::string key = key_of(all[i]);
      auto it = last.find(key);
      if (it != last.end()) {
        keep[it->second] = false;
        out_.warnings.push_back(all[i].ref().ToString() + " from " + all[i].origin() +
                                " replaces the one from " + all[it->second].origin());
      }
      last[key] = i;
    }
    std::vector<Object> out;
    for (size_t i = 0; i < all.size(); ++i) {
      if (keep[i]) out.push_back(std::move(all[i]));
    }
    return out;
  }

  const Application& app_;
  const AppRenderOptions& options_;
  GetEnvFn getenv_;
  std::string cache_root_;
  SystemProcessRunner system_runner_;
  ProcessRunner* runner_;
  CredentialStore anonymous_;
  CredentialStore* credentials_;
  std::map<std::string, std::string> ref_roots_;
  std::map<std::string, SourceCheckout> fetched_;
  RenderedApplication out_;
};

}  // namespace

Result<RenderedApplication> RenderApplication(const Application& app,
                                              const AppRenderOptions& options) {
  Pipeline pipeline(app, options);
  auto rendered = pipeline.Run();
  if (!rendered.ok()) return rendered.status().Prefixed(app.DisplayName());
  return rendered;
}

}  // namespace mlgitops
