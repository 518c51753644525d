// ApplicationSet parsing: each block read by a small function that reports the field path of
// the first wrong value; generator entries are kept as written too, for matrix rendering.
#include "appset/appset.h"

#include <utility>

namespace mlgitops {

namespace {

const char* const kGeneratorKinds[] = {"list", "clusters", "git", "matrix", "merge"};
// Argo CD generators this project does not run: named in the error rather than ignored.
const char* const kForeignGenerators[] = {"scmProvider", "pullRequest", "clusterDecisionResource",
                                          "plugin"};

Status FieldError(const std::string& where, const std::string& what) {
  return Status::InvalidArgument(where + ": " + what);
}

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

const JsonValue* Member(const JsonValue& v, const char* key) {
  if (!v.IsObject()) return nullptr;
  auto it = v.FindMember(key);
  return it == v.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

Status ReadString(const JsonValue& parent, const char* key, const std::string& where,
                  std::string* out) {
  const JsonValue* v = Member(parent, key);
  if (!v) return Status::OK();
  if (!v->IsString()) return FieldError(Join(where, key), "expected a string");
  *out = v->GetString();
  return Status::OK();
}

Status ReadStringMap(const JsonValue& parent, const char* key, const std::string& where,
                     std::map<std::string, std::string>* out) {
  const JsonValue* v = Member(parent, key);
  if (!v) return Status::OK();
  if (!v->IsObject()) return FieldError(Join(where, key), "expected a map");
  for (const auto& m : v->GetObject()) {
    if (!m.value.IsString()) {
      return FieldError(Join(where, key) + "." + m.name.GetString(), "expected a string");
    }
    (*out)[m.name.GetString()] = m.value.GetString();
  }
  return Status::OK();
}

Status ReadStringList(const JsonValue& parent, const char* key, const std::string& where,
                      std::vector<std::string>* out) {
  const JsonValue* v = Member(parent, key);
  if (!v) return Status::OK();
  if (!v->IsArray()) return FieldError(Join(where, key), "expected a list");
  for (const auto& item : v->GetArray()) {
    if (!item.IsString()) return FieldError(Join(where, key), "expected a list of strings");
    out->push_back(item.GetString());
  }
  return Status::OK();
}

std::shared_ptr<const Object> CopyOf(const JsonValue& v, const std::string& origin) {
  auto allocator = NewObjectAllocator();
  JsonValue copy(v, *allocator);
  return std::make_shared<const Object>(std::move(allocator), std::move(copy), origin);
}

Status ReadSelector(const JsonValue& parent, const std::string& where, LabelSelector* out) {
  const JsonValue* v = Member(parent, "selector");
  if (!v) return Status::OK();
  std::string path = Join(where, "selector");
  if (!v->IsObject()) return FieldError(path, "expected a map");
  Status s = ReadStringMap(*v, "matchLabels", path, &out->match_labels);
  if (!s.ok()) return s;
  const JsonValue* expressions = Member(*v, "matchExpressions");
  if (!expressions) return Status::OK();
  if (!expressions->IsArray()) return FieldError(path + ".matchExpressions", "expected a list");
  size_t index = 0;
  for (const auto& e : expressions->GetArray()) {
    std::string item = path + ".matchExpressions[" + std::to_string(index++) + "]";
    LabelSelector::Requirement r;
    s = ReadString(e, "key", item, &r.key);
    if (s.ok()) s = ReadString(e, "operator", item, &r.op);
    if (s.ok()) s = ReadStringList(e, "values", item, &r.values);
    if (!s.ok()) return s;
    if (r.op != "In" && r.op != "NotIn" && r.op != "Exists" && r.op != "DoesNotExist") {
      return FieldError(item + ".operator",
                        "\"" + r.op + "\" is not In, NotIn, Exists or DoesNotExist");
    }
    out->match_expressions.push_back(std::move(r));
  }
  return Status::OK();
}

Status ReadPatterns(const JsonValue& parent, const char* key, const std::string& where,
                    std::vector<GitPathPattern>* out) {
  const JsonValue* v = Member(parent, key);
  if (!v) return Status::OK();
  if (!v->IsArray()) return FieldError(Join(where, key), "expected a list");
  size_t index = 0;
  for (const auto& item : v->GetArray()) {
    std::string path = Join(where, key) + "[" + std::to_string(index++) + "]";
    GitPathPattern p;
    Status s = ReadString(item, "path", path, &p.path);
    if (!s.ok()) return s;
    if (p.path.empty()) return FieldError(path + ".path", "required");
    if (const JsonValue* exclude = Member(item, "exclude")) {
      if (!exclude->IsBool()) return FieldError(path + ".exclude", "expected true or false");
      p.exclude = exclude->GetBool();
    }
    out->push_back(std::move(p));
  }
  return Status::OK();
}

Status ReadList(const JsonValue& v, const std::string& where, ListGenerator* out) {
  if (const JsonValue* elements = Member(v, "elements")) {
    if (!elements->IsArray()) return FieldError(where + ".elements", "expected a list");
    out->elements = CopyOf(*elements, where);
  }
  return ReadString(v, "elementsYaml", where, &out->elements_yaml);
}

Status ReadGit(const JsonValue& v, const std::string& where, GitGenerator* out) {
  Status s = ReadString(v, "repoURL", where, &out->repo_url);
  if (s.ok()) s = ReadString(v, "revision", where, &out->revision);
  if (s.ok()) s = ReadPatterns(v, "directories", where, &out->directories);
  if (s.ok()) s = ReadPatterns(v, "files", where, &out->files);
  if (s.ok()) s = ReadString(v, "pathParamPrefix", where, &out->path_param_prefix);
  if (s.ok()) s = ReadStringMap(v, "values", where, &out->values);
  if (!s.ok()) return s;
  if (out->repo_url.empty()) return FieldError(where + ".repoURL", "required");
  if (out->revision.empty()) out->revision = "HEAD";
  if (out->directories.empty() == out->files.empty()) {
    return FieldError(where, "a git generator needs exactly one of directories or files");
  }
  return Status::OK();
}

Status ReadChildren(const JsonValue& v, const std::string& where, GeneratorSpec* out) {
  const JsonValue* children = Member(v, "generators");
  if (!children || !children->IsArray())
    return FieldError(where + ".generators", "expected a list");
  size_t index = 0;
  for (const auto& child : children->GetArray()) {
    auto spec = ParseGenerator(child, where + ".generators[" + std::to_string(index++) + "]");
    if (!spec.ok()) return spec.status();
    out->children.push_back(std::move(*spec));
  }
  if (out->kind == "matrix" && out->children.size() != 2) {
    return FieldError(where + ".generators", "a matrix needs exactly 2 generators, got " +
                                                 std::to_string(out->children.size()));
  }
  if (out->kind == "merge" && out->children.size() < 2) {
    return FieldError(where + ".generators", "a merge needs at least 2 generators");
  }
  if (out->kind == "merge") {
    Status s = ReadStringList(v, "mergeKeys", where, &out->merge_keys);
    if (!s.ok()) return s;
    if (out->merge_keys.empty()) return FieldError(where + ".mergeKeys", "required");
  }
  return Status::OK();
}

}  // namespace

Result<GeneratorSpec> ParseGenerator(const JsonValue& entry, const std::string& where) {
  if (!entry.IsObject()) return FieldError(where, "expected a map");
  GeneratorSpec spec;
  spec.where = where;
  spec.raw = CopyOf(entry, where);
  std::vector<std::string> kinds;
  for (const auto& m : entry.GetObject()) {
    std::string key = m.name.GetString();
    if (key == "selector" || key == "template" || m.value.IsNull()) continue;
    bool known = false;
    for (const char* kind : kGeneratorKinds) known = known || key == kind;
    if (!known) {
      bool foreign = false;
      for (const char* kind : kForeignGenerators) foreign = foreign || key == kind;
      return FieldError(where, (foreign ? "generator \"" + key + "\" is not supported"
                                        : "unknown generator \"" + key + "\"") +
                                   " (supported: list, clusters, git, matrix, merge)");
    }
    kinds.push_back(key);
  }
  if (kinds.empty())
    return FieldError(where, "no generator (expected list, clusters, git, matrix or merge)");
  if (kinds.size() > 1) {
    return FieldError(where, "one generator per entry, got " + kinds[0] + " and " + kinds[1]);
  }
  spec.kind = kinds[0];
  const JsonValue& body = entry[spec.kind.c_str()];
  std::string path = where + "." + spec.kind;
  if (!body.IsObject()) return FieldError(path, "expected a map");
  Status s;
  if (spec.kind == "list") s = ReadList(body, path, &spec.list);
  if (spec.kind == "clusters") {
    s = ReadSelector(body, path, &spec.clusters.selector);
    if (s.ok()) s = ReadStringMap(body, "values", path, &spec.clusters.values);
  }
  if (spec.kind == "git") s = ReadGit(body, path, &spec.git);
  if (spec.kind == "matrix" || spec.kind == "merge") s = ReadChildren(body, path, &spec);
  if (s.ok()) s = ReadSelector(entry, where, &spec.selector);
  if (!s.ok()) return s;
  if (const JsonValue* t = Member(entry, "template")) {
    if (!t->IsObject()) return FieldError(where + ".template", "expected a map");
    spec.template_override = CopyOf(*t, where + ".template");
  }
  return spec;
}

bool IsApplicationSet(const Object& object) {
  std::string group = object.group();
  return object.kind() == "ApplicationSet" && (group == "argoproj.io" || group == "mlgitops.io");
}

std::string ApplicationSet::DisplayName() const {
  return "ApplicationSet " + (namespace_.empty() ? "" : namespace_ + "/") +
         (name.empty() ? "(unnamed)" : name);
}

Result<ApplicationSet> ParseApplicationSet(const Object& object) {
  ApplicationSet set;
  set.api_version = object.api_version();
  set.origin = object.origin();
  set.name = object.name();
  set.namespace_ = object.namespace_();
  std::string subject = (set.origin.empty() ? "" : set.origin + ": ") + set.DisplayName();
  auto fail = [&](const Status& s) { return s.Prefixed(subject); };
  if (!IsApplicationSet(object)) return fail(Status::InvalidArgument("not an ApplicationSet"));
  if (object.version() != "v1alpha1") {
    return fail(Status::InvalidArgument("unsupported apiVersion " + set.api_version));
  }
  if (set.name.empty()) return fail(FieldError("metadata.name", "required"));
  const JsonValue* spec = Member(object.json(), "spec");
  if (!spec || !spec->IsObject()) return fail(FieldError("spec", "required"));
  if (const JsonValue* go = Member(*spec, "goTemplate")) {
    if (!go->IsBool()) return fail(FieldError("spec.goTemplate", "expected true or false"));
    set.go_template = go->GetBool();
  }
  Status s = ReadStringList(*spec, "goTemplateOptions", "spec", &set.go_template_options);
  if (s.ok()) s = ReadString(*spec, "templatePatch", "spec", &set.template_patch);
  if (!s.ok()) return fail(s);
  for (const auto& option : set.go_template_options) {
    set.missing_key_error = set.missing_key_error || option == "missingkey=error";
  }
  if (!set.template_patch.empty() && !set.go_template) {
    return fail(FieldError("spec.templatePatch", "needs goTemplate: true"));
  }
  const JsonValue* tmpl = Member(*spec, "template");
  if (!tmpl || !tmpl->IsObject()) return fail(FieldError("spec.template", "required (a map)"));
  set.template_ = CopyOf(*tmpl, subject);
  const JsonValue* generators = Member(*spec, "generators");
  if (!generators || !generators->IsArray() || generators->Empty()) {
    return fail(FieldError("spec.generators", "required (a non-empty list)"));
  }
  size_t index = 0;
  for (const auto& entry : generators->GetArray()) {
    auto g = ParseGenerator(entry, "spec.generators[" + std::to_string(index++) + "]");
    if (!g.ok()) return fail(g.status());
    set.generators.push_back(std::move(*g));
  }
  if (const JsonValue* policy = Member(*spec, "syncPolicy")) {
    if (const JsonValue* preserve = Member(*policy, "preserveResourcesOnDeletion")) {
      set.preserve_resources_on_deletion = preserve->IsBool() && preserve->GetBool();
    }
    s = ReadString(*policy, "applicationsSync", "spec.syncPolicy", &set.applications_sync);
    if (!s.ok()) return fail(s);
  }
  if (const JsonValue* strategy = Member(*spec, "strategy")) {
    set.strategy = ToJson(*strategy);
    s = ReadString(*strategy, "type", "spec.strategy", &set.strategy_type);
    if (!s.ok()) return fail(s);
  }
  return set;
}

Result<std::vector<ApplicationSet>> LoadApplicationSetFile(const std::string& path,
                                                           const LoadLimits& limits) {
  auto objects = LoadManifestFile(path, limits);
  if (!objects.ok()) return objects.status();
  std::vector<ApplicationSet> sets;
  for (const Object& object : *objects) {
    if (!IsApplicationSet(object)) {
      return Status::InvalidArgument(object.origin() + ": " + object.ref().ToString() +
                                     " is not an ApplicationSet");
    }
    auto set = ParseApplicationSet(object);
    if (!set.ok()) return set.status();
    sets.push_back(std::move(*set));
  }
  if (sets.empty()) return Status::InvalidArgument(path + ": no ApplicationSet in the file");
  return sets;
}

}  // namespace mlgitops
