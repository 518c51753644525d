// Application parsing: a small typed reader over the JSON tree that remembers the first type
// error (with its field path) and collects unknown-field warnings, then one function per block.
#include "app/application.h"

#include <cctype>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <utility>

#include "object/timeutil.h"

namespace mlgitops {

namespace {

constexpr size_t kMaxQuotedChars = 60;

// A value inside the Application and the path that names it in messages.
struct Field {
  const JsonValue* value = nullptr;  // nullptr when absent or null
  std::string path;
};

std::string Quoted(const JsonValue& v) {
  std::string text(v.GetString(), v.GetStringLength());
  if (text.size() > kMaxQuotedChars) text = text.substr(0, kMaxQuotedChars) + "...";
  return "\"" + text + "\"";
}

// How a wrong value is shown after "got ".
std::string Describe(const JsonValue& v) {
  if (v.IsString()) return Quoted(v);
  if (v.IsObject()) return "a map";
  if (v.IsArray()) return "a list";
  return ToJson(v);  // numbers, booleans, null
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Reads typed fields. After the first error every read returns its fallback, so callers can
// read a whole block and check status() once.
class Reader {
 public:
  explicit Reader(std::string subject) : subject_(std::move(subject)) {}

  const Status& status() const { return status_; }
  std::vector<std::string> TakeWarnings() { return std::move(warnings_); }

  void Fail(const Field& f, const std::string& what) {
    if (!status_.ok()) return;
    std::string where = f.path.empty() ? "" : f.path + ": ";
    status_ = Status::InvalidArgument(subject_ + ": " + where + what);
  }

  static Field Child(const Field& f, std::string_view key) {
    std::string path = f.path.empty() ? std::string(key) : f.path + "." + std::string(key);
    if (!f.value || !f.value->IsObject()) return Field{nullptr, std::move(path)};
    auto it = f.value->FindMember(JsonValue(rapidjson::StringRef(key.data(), key.size())));
    if (it == f.value->MemberEnd() || it->value.IsNull()) return Field{nullptr, std::move(path)};
    return Field{&it->value, std::move(path)};
  }

  /// True when `f` is a map; a present non-map is an error.
  bool IsMap(const Field& f) { return Expect(f, f.value && f.value->IsObject(), "a map"); }

  std::vector<Field> Items(const Field& f) {
    std::vector<Field> items;
    if (!Expect(f, f.value && f.value->IsArray(), "a list")) return items;
    size_t index = 0;
    for (const auto& item : f.value->GetArray()) {
      std::string path = f.path + "[" + std::to_string(index++) + "]";
      items.push_back(Field{item.IsNull() ? nullptr : &item, std::move(path)});
    }
    return items;
  }

  std::string String(const Field& f, std::string fallback = "") {
    if (!Expect(f, f.value && f.value->IsString(), "a string")) return fallback;
    return std::string(f.value->GetString(), f.value->GetStringLength());
  }

  std::string RequiredString(const Field& f) {
    std::string value = String(f);
    if (value.empty() && status_.ok()) Fail(f, "required");
    return value;
  }

  std::optional<bool> OptionalBool(const Field& f) {
    if (!Expect(f, f.value && f.value->IsBool(), "a boolean")) return std::nullopt;
    return f.value->GetBool();
  }

  bool Bool(const Field& f, bool fallback = false) { return OptionalBool(f).value_or(fallback); }

  std::optional<int64_t> Int(const Field& f) {
    if (!f.value) return std::nullopt;
    const JsonValue& v = *f.value;
    if (v.IsInt64()) return v.GetInt64();
    if (v.IsDouble()) {
      double d = v.GetDouble();
      if (d == static_cast<double>(static_cast<int64_t>(d)) && std::abs(d) < 9e18) {
        return static_cast<int64_t>(d);
      }
    }
    Fail(f, "expected an integer, got " + Describe(v));
    return std::nullopt;
  }

  std::vector<std::string> Strings(const Field& f) {
    std::vector<std::string> out;
    for (const Field& item : Items(f)) out.push_back(String(item));
    return out;
  }

  std::map<std::string, std::string> StringMap(const Field& f) {
    std::map<std::string, std::string> out;
    if (!IsMap(f)) return out;
    for (auto it = f.value->MemberBegin(); it != f.value->MemberEnd(); ++it) {
      std::string key(it->name.GetString(), it->name.GetStringLength());
      Field entry{it->value.IsNull() ? nullptr : &it->value, f.path + "[\"" + key + "\"]"};
      out[key] = String(entry);
    }
    return out;
  }

  /// The block as compact JSON, "" when absent; it must be a map.
  RawJson RawMap(const Field& f) { return IsMap(f) ? ToJson(*f.value) : RawJson(); }

  /// Records a warning for every member of map `f` not in `known`.
  void WarnUnknown(const Field& f, std::initializer_list<std::string_view> known) {
    if (!f.value || !f.value->IsObject()) return;
    for (auto it = f.value->MemberBegin(); it != f.value->MemberEnd(); ++it) {
      std::string_view key(it->name.GetString(), it->name.GetStringLength());
      std::string hint;
      bool found = false;
      for (std::string_view k : known) {
        found = found || k == key;
        if (k != key && EqualsIgnoringCase(k, key))
          hint = " (did you mean " + std::string(k) + "?)";
      }
      if (found) continue;
      std::string path = f.path.empty() ? std::string(key) : f.path + "." + std::string(key);
      warnings_.push_back(subject_ + ": " + path + ": unknown field" + hint);
    }
  }

 private:
  // True when present and `ok`; records "expected <what>" when present and not `ok`.
  bool Expect(const Field& f, bool ok, const char* what) {
    if (!f.value) return false;
    if (!ok) Fail(f, std::string("expected ") + what + ", got " + Describe(*f.value));
    return ok && status_.ok();
  }

  std::string subject_;
  Status status_;
  std::vector<std::string> warnings_;
};

// ---- One function per block. ----

ApplicationSourceDirectory ReadDirectory(Reader& r, const Field& f) {
  r.WarnUnknown(f, {"recurse", "include", "exclude", "disableExtensionFilter", "jsonnet"});
  ApplicationSourceDirectory d;
  d.recurse = r.Bool(Reader::Child(f, "recurse"));
  d.include = r.String(Reader::Child(f, "include"));
  d.exclude = r.String(Reader::Child(f, "exclude"));
  d.disable_extension_filter = r.Bool(Reader::Child(f, "disableExtensionFilter"));
  d.jsonnet = r.RawMap(Reader::Child(f, "jsonnet"));
  return d;
}

std::vector<HelmParameter> ReadHelmParameters(Reader& r, const Field& f) {
  std::vector<HelmParameter> out;
  for (const Field& item : r.Items(f)) {
    if (!r.IsMap(item)) continue;
    r.WarnUnknown(item, {"name", "value", "forceString"});
    HelmParameter p;
    p.name = r.String(Reader::Child(item, "name"));
    p.value = r.String(Reader::Child(item, "value"));
    p.force_string = r.Bool(Reader::Child(item, "forceString"));
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<HelmFileParameter> ReadHelmFileParameters(Reader& r, const Field& f) {
  std::vector<HelmFileParameter> out;
  for (const Field& item : r.Items(f)) {
    if (!r.IsMap(item)) continue;
    r.WarnUnknown(item, {"name", "path"});
    out.push_back({r.String(Reader::Child(item, "name")), r.String(Reader::Child(item, "path"))});
  }
  return out;
}

ApplicationSourceHelm ReadHelm(Reader& r, const Field& f) {
  r.WarnUnknown(
      f, {"valueFiles", "values", "valuesObject", "parameters", "fileParameters", "releaseName",
          "namespace", "version", "kubeVersion", "apiVersions", "skipCrds", "skipTests",
          "skipSchemaValidation", "ignoreMissingValueFiles", "passCredentials"});
  auto child = [&](const char* key) { return Reader::Child(f, key); };
  ApplicationSourceHelm h;
  h.value_files = r.Strings(child("valueFiles"));
  h.values = r.String(child("values"));
  h.values_object = r.RawMap(child("valuesObject"));
  h.parameters = ReadHelmParameters(r, child("parameters"));
  h.file_parameters = ReadHelmFileParameters(r, child("fileParameters"));
  h.release_name = r.String(child("releaseName"));
  h.namespace_ = r.String(child("namespace"));
  h.version = r.String(child("version"));
  h.kube_version = r.String(child("kubeVersion"));
  h.api_versions = r.Strings(child("apiVersions"));
  h.skip_crds = r.Bool(child("skipCrds"));
  h.skip_tests = r.Bool(child("skipTests"));
  h.skip_schema_validation = r.Bool(child("skipSchemaValidation"));
  h.ignore_missing_value_files = r.Bool(child("ignoreMissingValueFiles"));
  h.pass_credentials = r.Bool(child("passCredentials"));
  h.raw = r.RawMap(f);
  return h;
}

ApplicationSourceKustomize ReadKustomize(Reader& r, const Field& f) {
  ApplicationSourceKustomize k;
  k.name_prefix = r.String(Reader::Child(f, "namePrefix"));
  k.name_suffix = r.String(Reader::Child(f, "nameSuffix"));
  k.namespace_ = r.String(Reader::Child(f, "namespace"));
  k.raw = r.RawMap(f);
  return k;
}

ApplicationSource ReadSource(Reader& r, const Field& f) {
  ApplicationSource s;
  if (!r.IsMap(f)) return s;
  r.WarnUnknown(f, {"repoURL", "targetRevision", "path", "chart", "ref", "name", "tagPrefix",
                    "directory", "helm", "kustomize", "plugin"});
  auto child = [&](const char* key) { return Reader::Child(f, key); };
  s.repo_url = r.RequiredString(child("repoURL"));
  s.target_revision = r.String(child("targetRevision"));
  if (s.target_revision.empty()) s.target_revision = "HEAD";
  s.path = r.String(child("path"));
  s.chart = r.String(child("chart"));
  s.ref = r.String(child("ref"));
  s.name = r.String(child("name"));
  s.tag_prefix = r.String(child("tagPrefix"));
  if (r.IsMap(child("directory"))) s.directory = ReadDirectory(r, child("directory"));
  if (r.IsMap(child("helm"))) s.helm = ReadHelm(r, child("helm"));
  if (r.IsMap(child("kustomize"))) s.kustomize = ReadKustomize(r, child("kustomize"));
  if (r.IsMap(child("plugin"))) s.plugin = r.RawMap(child("plugin"));
  return s;
}

void ReadSources(Reader& r, const Field& spec, Application* app) {
  Field source = Reader::Child(spec, "source");
  Field sources = Reader::Child(spec, "sources");
  std::optional<ApplicationSource> single;
  if (source.value) single = ReadSource(r, source);
  for (const Field& item : r.Items(sources)) app->sources.push_back(ReadSource(r, item));
  app->multi_source = !app->sources.empty();
  if (!app->multi_source && single) app->sources.push_back(std::move(*single));
  if (app->sources.empty() && app->source_hydrator.empty()) {
    r.Fail(spec, "either spec.source or spec.sources must be set");
  }
}

ApplicationDestination ReadDestination(Reader& r, const Field& f) {
  ApplicationDestination d;
  if (!f.value) {
    r.Fail(f, "required");
    return d;
  }
  if (!r.IsMap(f)) return d;
  r.WarnUnknown(f, {"server", "name", "namespace"});
  d.server = r.String(Reader::Child(f, "server"));
  while (!d.server.empty() && d.server.back() == '/') d.server.pop_back();
  d.name = r.String(Reader::Child(f, "name"));
  d.namespace_ = r.String(Reader::Child(f, "namespace"));
  if (!d.server.empty() && !d.name.empty()) {
    r.Fail(f, "application destination can't have both name and server defined: " + d.name + " " +
                  d.server);
  } else if (d.server.empty() && d.name.empty()) {
    r.Fail(f, "destination must have either server or name set");
  }
  return d;
}

AutomatedSync ReadAutomated(Reader& r, const Field& f) {
  r.WarnUnknown(f, {"enabled", "prune", "selfHeal", "allowEmpty"});
  AutomatedSync a;
  a.enabled = r.OptionalBool(Reader::Child(f, "enabled"));
  a.prune = r.Bool(Reader::Child(f, "prune"));
  a.self_heal = r.Bool(Reader::Child(f, "selfHeal"));
  a.allow_empty = r.Bool(Reader::Child(f, "allowEmpty"));
  return a;
}

// A Go duration ("90s", "2m") or a plain number of seconds, given as a string or an integer.
int64_t ReadDuration(Reader& r, const Field& f, int64_t fallback) {
  if (!f.value) return fallback;
  if (f.value->IsString()) {
    if (auto seconds = ParseDurationSeconds(r.String(f))) return *seconds;
    r.Fail(f, "expected a duration such as \"5s\" or \"2m\", got " + Describe(*f.value));
    return fallback;
  }
  std::optional<int64_t> seconds = r.Int(f);
  if (seconds && *seconds < 0) r.Fail(f, "must not be negative");
  return seconds.value_or(fallback);
}

RetryStrategy ReadRetry(Reader& r, const Field& f) {
  r.WarnUnknown(f, {"limit", "backoff", "refresh"});
  RetryStrategy retry;
  retry.limit = r.Int(Reader::Child(f, "limit")).value_or(0);
  retry.refresh = r.Bool(Reader::Child(f, "refresh"));
  Field backoff = Reader::Child(f, "backoff");
  if (r.IsMap(backoff)) {
    r.WarnUnknown(backoff, {"duration", "factor", "maxDuration"});
    RetryBackoff& b = retry.backoff;
    b.duration_seconds = ReadDuration(r, Reader::Child(backoff, "duration"), b.duration_seconds);
    b.factor = r.Int(Reader::Child(backoff, "factor")).value_or(b.factor);
    b.max_duration_seconds =
        ReadDuration(r, Reader::Child(backoff, "maxDuration"), b.max_duration_seconds);
  }
  return retry;
}

SyncPolicy ReadSyncPolicy(Reader& r, const Field& f) {
  SyncPolicy p;
  if (!r.IsMap(f)) return p;
  r.WarnUnknown(f, {"automated", "syncOptions", "retry", "managedNamespaceMetadata"});
  Field automated = Reader::Child(f, "automated");
  if (r.IsMap(automated)) p.automated = ReadAutomated(r, automated);
  p.sync_options = r.Strings(Reader::Child(f, "syncOptions"));
  for (const std::string& option : p.sync_options) {
    size_t eq = option.find('=');
    p.sync_option_values[option.substr(0, eq)] =
        eq == std::string::npos ? std::string() : option.substr(eq + 1);
  }
  Field retry = Reader::Child(f, "retry");
  if (r.IsMap(retry)) p.retry = ReadRetry(r, retry);
  Field metadata = Reader::Child(f, "managedNamespaceMetadata");
  if (r.IsMap(metadata)) {
    r.WarnUnknown(metadata, {"labels", "annotations"});
    p.managed_namespace_metadata =
        ManagedNamespaceMetadata{r.StringMap(Reader::Child(metadata, "labels")),
                                 r.StringMap(Reader::Child(metadata, "annotations"))};
  }
  return p;
}

std::vector<IgnoreDifference> ReadIgnoreDifferences(Reader& r, const Field& f) {
  std::vector<IgnoreDifference> out;
  for (const Field& item : r.Items(f)) {
    if (!r.IsMap(item)) continue;
    r.WarnUnknown(item, {"group", "kind", "name", "namespace", "jsonPointers", "jqPathExpressions",
                         "managedFieldsManagers"});
    IgnoreDifference d;
    d.group = r.String(Reader::Child(item, "group"));
    d.kind = r.RequiredString(Reader::Child(item, "kind"));
    d.name = r.String(Reader::Child(item, "name"));
    d.namespace_ = r.String(Reader::Child(item, "namespace"));
    d.json_pointers = r.Strings(Reader::Child(item, "jsonPointers"));
    d.jq_path_expressions = r.Strings(Reader::Child(item, "jqPathExpressions"));
    d.managed_fields_managers = r.Strings(Reader::Child(item, "managedFieldsManagers"));
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<InfoEntry> ReadInfo(Reader& r, const Field& f) {
  std::vector<InfoEntry> out;
  for (const Field& item : r.Items(f)) {
    if (!r.IsMap(item)) continue;
    r.WarnUnknown(item, {"name", "value"});
    out.push_back({r.String(Reader::Child(item, "name")), r.String(Reader::Child(item, "value"))});
  }
  return out;
}

void ReadMetadata(Reader& r, const Field& meta, Application* app) {
  if (!r.IsMap(meta)) {
    r.Fail(meta, "required");
    return;
  }
  app->name = r.RequiredString(Reader::Child(meta, "name"));
  app->namespace_ = r.String(Reader::Child(meta, "namespace"));
  app->labels = r.StringMap(Reader::Child(meta, "labels"));
  app->annotations = r.StringMap(Reader::Child(meta, "annotations"));
  app->finalizers = r.Strings(Reader::Child(meta, "finalizers"));
}

void ReadSpec(Reader& r, const Field& spec, Application* app) {
  if (!spec.value) return r.Fail(spec, "required");
  if (!r.IsMap(spec)) return;
  r.WarnUnknown(spec, {"project", "source", "sources", "destination", "syncPolicy",
                       "ignoreDifferences", "revisionHistoryLimit", "info", "sourceHydrator"});
  auto child = [&](const char* key) { return Reader::Child(spec, key); };
  app->project = r.String(child("project"));
  if (app->project.empty()) app->project = "default";
  app->source_hydrator = r.RawMap(child("sourceHydrator"));
  ReadSources(r, spec, app);
  app->destination = ReadDestination(r, child("destination"));
  app->sync_policy = ReadSyncPolicy(r, child("syncPolicy"));
  app->ignore_differences = ReadIgnoreDifferences(r, child("ignoreDifferences"));
  app->revision_history_limit = r.Int(child("revisionHistoryLimit")).value_or(10);
  app->info = ReadInfo(r, child("info"));
}

std::string DisplayNameOf(std::string_view kind, const std::string& ns, const std::string& name) {
  std::string out(kind);
  out += ' ';
  if (!ns.empty()) out += ns + "/";
  out += name.empty() ? "(unnamed)" : name;
  return out;
}

// "app.yaml (document 1): Application ml/fraud", the prefix of every message.
std::string SubjectOf(const Object& object) {
  const JsonValue& v = object.json();
  std::string who = DisplayNameOf(object.kind(), GetString(v, "metadata.namespace"),
                                  GetString(v, "metadata.name"));
  return object.origin().empty() ? who : object.origin() + ": " + who;
}

bool IsApplicationGroup(const std::string& group) {
  return group == "argoproj.io" || group == "mlgitops.io";
}

Status CheckKind(const Object& object) {
  std::string subject = SubjectOf(object);
  if (!IsApplicationGroup(object.group())) {
    return Status::InvalidArgument(subject + ": not an Application (apiVersion " +
                                   object.api_version() + ")");
  }
  if (object.kind() == "ApplicationSet") {
    return Status::Unsupported(
        subject +
        ": is an ApplicationSet, not an Application: list the Applications it "
        "generates with `kubectl mlgitops appset generate -f FILE`");
  }
  if (object.kind() != "Application") {
    return Status::InvalidArgument(subject + ": not an Application");
  }
  if (object.version() != "v1alpha1") {
    return Status::InvalidArgument(subject + ": unsupported apiVersion " + object.api_version() +
                                   " (expected argoproj.io/v1alpha1 or mlgitops.io/v1alpha1)");
  }
  return Status::OK();
}

}  // namespace

std::optional<std::string> SyncPolicy::SyncOption(std::string_view key) const {
  auto it = sync_option_values.find(key);
  if (it == sync_option_values.end()) return std::nullopt;
  return it->second;
}

bool SyncPolicy::SyncOptionTrue(std::string_view key) const {
  return SyncOption(key) == std::optional<std::string>("true");
}

std::string Application::DisplayName() const {
  return DisplayNameOf("Application", namespace_, name);
}

Result<Application> ParseApplication(const Object& object) {
  Status kind = CheckKind(object);
  if (!kind.ok()) return kind;
  Application app;
  app.api_version = object.api_version();
  app.origin = object.origin();
  Reader r(SubjectOf(object));
  Field root{&object.json(), ""};
  ReadMetadata(r, Reader::Child(root, "metadata"), &app);
  ReadSpec(r, Reader::Child(root, "spec"), &app);
  if (!r.status().ok()) return r.status();
  app.warnings = r.TakeWarnings();
  return app;
}

Result<std::vector<Application>> LoadApplicationFile(const std::string& path,
                                                     const LoadLimits& limits) {
  auto objects = LoadManifestFile(path, limits);
  if (!objects.ok()) return objects.status();
  std::vector<Application> apps;
  for (const Object& object : *objects) {
    auto app = ParseApplication(object);
    if (!app.ok()) return app.status();
    apps.push_back(std::move(app).value());
  }
  if (apps.empty()) return Status::InvalidArgument(path + ": no Application found");
  return apps;
}

}  // namespace mlgitops
