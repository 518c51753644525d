// Shared command helpers.
#include "cli/command_util.h"

#include <sys/stat.h>

#include "cli/app_target.h"
#include "object/yaml_loader.h"
#include "object/yaml_writer.h"
#include "source/app_render.h"
#include "source/directory.h"
#include "source/git_credentials.h"
#include "source/render.h"
#include "sys/redact.h"

namespace mlgitops {

Result<Conventions> LoadConventionsFlag(const CommandContext& ctx) {
  if (!ctx.flags.Has("config")) return DefaultConventions();
  return LoadConventions(ctx.flags.Get("config"));
}

bool CheckOutputFormat(const CommandContext& ctx, const std::vector<std::string>& allowed,
                       std::string* format) {
  *format = ctx.flags.Get("output");
  std::string list;
  for (const auto& a : allowed) {
    if (a == *format) return true;
    list += (list.empty() ? "" : ", ") + a;
  }
  ctx.err.Line("error: unable to match a printer suitable for the output format \"" + *format +
               "\", allowed formats are: " + list);
  return false;
}

namespace {
Result<std::vector<Object>> LoadDirectory(const std::string& dir) {
  ApplicationSource source;
  source.path = ".";
  source.directory = ApplicationSourceDirectory();
  source.directory->recurse = true;
  return RenderDirectory(dir, source, LoadLimits());
}
}  // namespace

Result<std::vector<Object>> LoadManifestPaths(const std::vector<std::string>& paths) {
  std::vector<Object> all;
  for (const auto& path : paths) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0)
      return Status::NotFound(path + ": no such file or directory");
    auto objects = S_ISDIR(st.st_mode) ? LoadDirectory(path) : LoadManifestFile(path);
    if (!objects.ok()) return objects.status();
    for (auto& o : *objects) all.push_back(std::move(o));
  }
  return all;
}

Result<Application> ChooseApplication(const CommandContext& ctx) {
  std::string file = ctx.flags.Get("filename");
  if (file.empty()) return Status::InvalidArgument("needs -f APP.yaml (an Application file)");
  auto apps = LoadApplicationFile(file);
  if (!apps.ok()) return apps.status();
  if (apps->empty()) return Status::InvalidArgument(file + ": no Application in the file");
  std::string wanted = ctx.flags.Get("app");
  if (wanted.empty()) {
    if (apps->size() == 1) return std::move((*apps)[0]);
    std::string names;
    for (const auto& a : *apps) names += (names.empty() ? "" : ", ") + a.name;
    return Status::InvalidArgument(file + " holds " + std::to_string(apps->size()) +
                                   " Applications (" + names + "): choose one with --app NAME");
  }
  for (auto& a : *apps) {
    if (a.name == wanted) return std::move(a);
  }
  return Status::NotFound(file + ": no Application named \"" + wanted + "\"");
}

Status ApplyGitCredentialFlags(const CommandContext& ctx, ScopedCredentials* scoped) {
  if (ctx.flags.Has("git-url")) scoped->url = ctx.flags.Get("git-url");
  GitCredentials* credentials = &scoped->credentials;
  // Secrets come from files, never from the command line itself (ps would show them).
  auto read = [&](const char* flag, std::string* into, bool trim) -> Status {
    if (!ctx.flags.Has(flag)) return Status::OK();
    std::string path = ctx.flags.Get(flag);
    auto text = ReadFileLimited(path, size_t{1} << 20, path);
    if (!text.ok()) return text.status().Prefixed("--" + std::string(flag));
    std::string value = std::move(*text);
    while (trim && !value.empty() && (value.back() == '\n' || value.back() == '\r')) {
      value.pop_back();
    }
    SecretRegistry::Global().Add(value);
    *into = std::move(value);
    return Status::OK();
  };
  if (ctx.flags.Has("git-username")) credentials->username = ctx.flags.Get("git-username");
  Status s = read("git-password-file", &credentials->password, true);
  if (s.ok()) s = read("git-ssh-key", &credentials->ssh_private_key, false);
  if (s.ok() && ctx.flags.Has("git-known-hosts")) {
    auto text = ReadFileLimited(ctx.flags.Get("git-known-hosts"), size_t{4} << 20,
                                ctx.flags.Get("git-known-hosts"));
    if (!text.ok()) return text.status().Prefixed("--git-known-hosts");
    credentials->ssh_known_hosts = std::move(*text);
  }
  return s;
}

Result<RenderedApplication> RenderFromGit(const CommandContext& ctx, const Application& app,
                                          const std::string& revision, KubeClient* secrets_from,
                                          const std::string& secrets_namespace) {
  auto explicit_credentials = CredentialsFromEnv(ctx.env.getenv);
  if (!explicit_credentials.ok()) return explicit_credentials.status();
  Status flagged = ApplyGitCredentialFlags(ctx, &*explicit_credentials);
  if (!flagged.ok()) return flagged;
  CredentialStore credentials;
  if (secrets_from) {
    for (const char* label : {"argocd.argoproj.io/secret-type", "mlgitops.io/secret-type"}) {
      ListOptions options;
      options.label_selector = std::string(label) + " in (repository,repo-creds)";
      auto secrets = ListAll(*secrets_from, {"", "v1", "Secret"}, secrets_namespace, options);
      if (!secrets.ok()) {
        // Without read access to Secrets, the environment's credentials (or none) are used.
        ctx.err.Line("warning: repository Secrets not read: " + secrets.status().message());
        break;
      }
      Status added = credentials.AddSecrets(secrets->items);
      if (!added.ok()) return added;
    }
  }
  Status scoped = credentials.SetExplicit(std::move(*explicit_credentials));
  if (!scoped.ok()) return scoped;
  AppRenderOptions options;
  options.revision_override = revision;
  options.cache_dir = ctx.flags.Get("cache-dir");
  options.credentials = &credentials;
  options.getenv = ctx.env.getenv;
  auto rendered = RenderApplication(app, options);
  if (!rendered.ok()) return rendered.status();
  for (const std::string& warning : rendered->warnings) ctx.err.Line("warning: " + warning);
  return rendered;
}

Result<RenderedApp> LoadAndPlan(const CommandContext& ctx, const Conventions& conventions) {
  if (!ctx.flags.positional().empty()) {
    return Status::InvalidArgument("unexpected argument \"" + ctx.flags.positional()[0] +
                                   "\" (the Application comes from -f)");
  }
  auto app = ChooseApplication(ctx);
  if (!app.ok()) return app.status();
  auto desired = RenderDesired(ctx, *app, ctx.flags.Get("revision"));
  if (!desired.ok()) return desired.status();
  RenderedApp out{std::move(*app), std::move(desired->objects), {}, {}};
  out.classes = Classify(out.objects, conventions);
  auto plan = BuildPlan(out.objects, out.classes);
  if (!plan.ok()) return plan.status().Prefixed(out.app.DisplayName());
  out.plan = std::move(*plan);
  return out;
}

Color HealthColor(HealthCode code) {
  switch (code) {
    case HealthCode::kHealthy:
      return Color::kGreen;
    case HealthCode::kSuspended:
      return Color::kGray;
    case HealthCode::kProgressing:
      return Color::kCyan;
    case HealthCode::kMissing:
      return Color::kYellow;
    case HealthCode::kDegraded:
      return Color::kRed;
    case HealthCode::kUnknown:
      return Color::kYellow;
  }
  return Color::kNone;
}

void PrintHealthTable(const CommandContext& ctx, const std::vector<HealthRow>& rows) {
  std::vector<std::vector<Cell>> table;
  for (const HealthRow& r : rows) {
    std::string kind = r.object.kind;
    static const char* const kWellKnown[] = {"",
                                             "apps",
                                             "batch",
                                             "autoscaling",
                                             "policy",
                                             "networking.k8s.io",
                                             "rbac.authorization.k8s.io"};
    bool known = false;
    for (const char* g : kWellKnown) known = known || r.object.group == g;
    if (!known) kind += "." + r.object.group;
    table.push_back({kind, r.object.namespace_, r.object.name,
                     Cell(std::string(HealthCodeName(r.status.code)), HealthColor(r.status.code)),
                     r.status.message});
  }
  ctx.out.Table({"KIND", "NAMESPACE", "NAME", "HEALTH", "MESSAGE"}, table);
}

Result<std::optional<LuaHealthScripts>> LoadLuaFlag(const CommandContext& ctx) {
  if (!ctx.flags.Has("lua-dir")) return std::optional<LuaHealthScripts>();
  auto loaded = LuaHealthScripts::Load(ctx.flags.Get("lua-dir"));
  if (!loaded.ok()) return loaded.status();
  return std::optional<LuaHealthScripts>(std::move(*loaded));
}

namespace {
// A v1 List of the objects, as kubectl prints several objects in JSON.
std::string ObjectListJson(const std::vector<const Object*>& objects) {
  JsonAllocator alloc;
  JsonValue list(rapidjson::kObjectType);
  list.AddMember("apiVersion", "v1", alloc);
  list.AddMember("kind", "List", alloc);
  JsonValue items(rapidjson::kArrayType);
  for (const Object* o : objects) items.PushBack(JsonValue(o->json(), alloc), alloc);
  list.AddMember("items", items, alloc);
  return ToJson(list, true);
}

// YAML documents; `lead` puts a `---` before the first one too.
std::string YamlStream(const std::vector<const Object*>& objects, bool lead) {
  std::string text;
  for (size_t i = 0; i < objects.size(); ++i) {
    if (lead || i > 0) text += "---\n";
    AppendYaml(objects[i]->json(), &text);
  }
  return text;
}
}  // namespace

void PrintObjects(const CommandContext& ctx, const std::vector<Object>& objects,
                  const std::string& format) {
  std::vector<const Object*> all;
  for (const Object& o : objects) all.push_back(&o);
  if (format == "json") {
    ctx.out.Line(all.size() == 1 ? ToJson(all[0]->json(), true) : ObjectListJson(all));
    return;
  }
  ctx.out.Write(YamlStream(all, false));
}

void PrintObjectStream(const CommandContext& ctx, const std::vector<const Object*>& objects,
                       const std::string& format) {
  if (format == "json") {
    ctx.out.Line(ObjectListJson(objects));
  } else {
    ctx.out.Write(YamlStream(objects, true));
  }
}

Result<std::unique_ptr<KubeClient>> Connect(const CommandContext& ctx) {
  KubeconfigOptions options;
  options.kubeconfig_flag = ctx.flags.Get("kubeconfig");
  options.context = ctx.flags.Get("context");
  options.namespace_ = ctx.flags.Get("namespace");
  if (ctx.env.connect) return ctx.env.connect(options);
  return ConnectWithKubeconfig(options, ctx.env.getenv);
}

namespace {
Result<ObjectKey> KeyFor(const CommandContext& ctx, KubeClient& client, const std::string& type,
                         const std::string& name) {
  auto info = client.ResolveResource(type);
  if (!info.ok()) return info.status();
  ObjectKey key;
  key.gvk = GroupVersionKind{info->group, info->version, info->kind};
  if (info->namespaced) {
    key.namespace_ =
        ctx.flags.Has("namespace") ? ctx.flags.Get("namespace") : client.default_namespace();
  }
  key.name = name;
  return key;
}
}  // namespace

Result<std::vector<ObjectKey>> ParseTargets(const CommandContext& ctx, KubeClient& client) {
  const auto& args = ctx.flags.positional();
  std::vector<ObjectKey> keys;
  if (args.empty()) return Status::InvalidArgument("name a resource: TYPE/NAME or TYPE NAME");
  bool slashed = args[0].find('/') != std::string::npos;
  for (size_t i = slashed ? 0 : 1; i < args.size(); ++i) {
    std::string type = args[0], name = args[i];
    if (slashed) {
      auto slash = args[i].find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == args[i].size()) {
        return Status::InvalidArgument("\"" + args[i] +
                                       "\" is not TYPE/NAME (mix no TYPE NAME forms with it)");
      }
      type = args[i].substr(0, slash);
      name = args[i].substr(slash + 1);
    }
    auto key = KeyFor(ctx, client, type, name);
    if (!key.ok()) return key.status();
    keys.push_back(std::move(*key));
  }
  if (keys.empty()) return Status::InvalidArgument("name the " + args[0] + " to show: TYPE NAME");
  return keys;
}

Result<std::vector<ObjectKey>> KeysOfFile(const CommandContext& ctx, KubeClient& client,
                                          const std::string& file) {
  auto objects = LoadManifestFile(file);
  if (!objects.ok()) return objects.status();
  std::string fallback_ns =
      ctx.flags.Has("namespace") ? ctx.flags.Get("namespace") : client.default_namespace();
  std::vector<ObjectKey> keys;
  for (const Object& o : *objects) {
    ObjectKey key = ObjectKey::Of(o);
    auto info = client.Resource(key.gvk);
    if (!info.ok()) return info.status().Prefixed(o.origin());
    key.gvk.version = info->version;
    key.namespace_ =
        info->namespaced ? (o.namespace_().empty() ? fallback_ns : o.namespace_()) : "";
    keys.push_back(std::move(key));
  }
  return keys;
}

}  // namespace mlgitops
