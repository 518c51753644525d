// The generators. Each builds ParamSets in the shape its template mode reads: fasttemplate wants
// flat dotted keys ("values.foo", "path[0]"), goTemplate nested maps (.values.foo, .path.segments).
#include "appset/generators.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>
#include <utility>

#include "object/yaml_loader.h"
#include "source/confine.h"

namespace mlgitops {

namespace {

namespace fs = std::filesystem;

// ---- Building parameter objects ----

class ParamBuilder {
 public:
  explicit ParamBuilder(bool go) : go_(go) {}

  JsonAllocator& allocator() { return params_.allocator(); }

  // Sets `path` (a list of keys) to a copy of `value`: nested in go mode, dotted when flat.
  void Set(const std::vector<std::string>& path, const JsonValue& value) {
    if (!go_ && value.IsObject()) {
      for (const auto& m : value.GetObject()) {
        std::vector<std::string> child = path;
        child.push_back(m.name.GetString());
        Set(child, m.value);
      }
      return;
    }
    if (!go_ && value.IsArray()) {
      size_t index = 0;
      for (const auto& item : value.GetArray()) {
        std::vector<std::string> child = path;
        child.push_back(std::to_string(index++));
        Set(child, item);
      }
      return;
    }
    if (!go_) {
      std::string key;
      for (const auto& p : path) key += (key.empty() ? "" : ".") + p;
      Put(&params_.mutable_json(), key, value);
      return;
    }
    JsonValue* node = &params_.mutable_json();
    for (size_t i = 0; i + 1 < path.size(); ++i) {
      auto it = node->FindMember(path[i].c_str());
      if (it == node->MemberEnd() || !it->value.IsObject()) {
        Put(node, path[i], JsonValue(rapidjson::kObjectType));
        it = node->FindMember(path[i].c_str());
      }
      node = &it->value;
    }
    Put(node, path.back(), value);
  }
  void SetString(const std::vector<std::string>& path, const std::string& text) {
    // Copied: a StringRef would be copied by reference and dangle.
    Set(path, JsonValue(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator()));
  }
  // Flat keys whose names carry their own punctuation ("path[0]"), fasttemplate only.
  void SetFlat(const std::string& key, const std::string& text) {
    Put(&params_.mutable_json(), key,
        JsonValue(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator()));
  }
  ParamSet Take(std::string origin) { return ParamSet{std::move(params_), std::move(origin)}; }
  const JsonValue& json() const { return params_.json(); }

 private:
  void Put(JsonValue* node, const std::string& key, const JsonValue& value) {
    JsonValue copy(value, allocator());
    auto it = node->FindMember(key.c_str());
    if (it != node->MemberEnd()) {
      it->value = std::move(copy);
      return;
    }
    node->AddMember(JsonValue(key.c_str(), allocator()), copy, allocator());
  }

  bool go_;
  Object params_;
};

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end == std::string::npos ? end : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

// `values`: each rendered against the params made so far, so one value never sees another.
Status AddValues(const std::map<std::string, std::string>& values, const std::string& where,
                 const GeneratorContext& context, ParamBuilder* builder) {
  if (values.empty()) return Status::OK();
  std::vector<std::pair<std::string, std::string>> rendered;
  for (const auto& [key, text] : values) {
    auto value = RenderTemplateString(text, builder->json(), context.template_options);
    if (!value.ok()) return value.status().Prefixed(where + ".values." + key);
    rendered.emplace_back(key, std::move(*value));
  }
  for (const auto& [key, text] : rendered) builder->SetString({"values", key}, text);
  return Status::OK();
}

// ---- list ----

Result<std::vector<ParamSet>> RunList(const GeneratorSpec& spec, GeneratorContext& context) {
  std::vector<const JsonValue*> elements;
  if (spec.list.elements) {
    for (const auto& e : spec.list.elements->json().GetArray()) elements.push_back(&e);
  }
  std::vector<Object> yaml_docs;
  if (!spec.list.elements_yaml.empty()) {
    auto docs =
        ParseYamlStream(spec.list.elements_yaml, spec.where + ".list.elementsYaml", context.limits);
    if (!docs.ok()) return docs.status();
    yaml_docs = std::move(*docs);
    for (const Object& doc : yaml_docs) {
      if (!doc.json().IsArray()) {
        return Status::InvalidArgument(spec.where + ".list.elementsYaml: expected a YAML list");
      }
      for (const auto& e : doc.json().GetArray()) elements.push_back(&e);
    }
  }
  std::vector<ParamSet> sets;
  for (size_t i = 0; i < elements.size(); ++i) {
    std::string origin = spec.where + ".list.elements[" + std::to_string(i) + "]";
    if (!elements[i]->IsObject()) return Status::InvalidArgument(origin + ": expected a map");
    ParamBuilder builder(context.template_options.go_template);
    for (const auto& m : elements[i]->GetObject()) builder.Set({m.name.GetString()}, m.value);
    sets.push_back(builder.Take(origin));
  }
  return sets;
}

// ---- clusters ----

Result<std::vector<ParamSet>> RunClusters(const GeneratorSpec& spec, GeneratorContext& context) {
  std::vector<ClusterInfo> clusters;
  if (context.clusters) {
    auto listed = context.clusters->Clusters();
    if (!listed.ok()) return listed.status().Prefixed(spec.where + ".clusters");
    clusters = std::move(*listed);
  }
  bool has_local = std::any_of(clusters.begin(), clusters.end(),
                               [](const ClusterInfo& c) { return c.server == kInClusterServer; });
  const LabelSelector& selector = spec.clusters.selector;
  // The local cluster has no Secret, hence no labels: only a selector-less generator sees it.
  if (!has_local && selector.Empty()) {
    clusters.insert(clusters.begin(), InClusterInfo());
  }
  std::vector<ParamSet> sets;
  for (const ClusterInfo& c : clusters) {
    auto lookup = [&](const std::string& key) -> const std::string* {
      auto it = c.labels.find(key);
      return it == c.labels.end() ? nullptr : &it->second;
    };
    if (!selector.Matches(lookup)) continue;
    bool go = context.template_options.go_template;
    ParamBuilder builder(go);
    builder.SetString({"name"}, c.name);
    builder.SetString({"nameNormalized"}, NormalizeName(c.name));
    builder.SetString({"server"}, c.server);
    builder.SetString({"project"}, c.project);
    for (const auto* group : {&c.labels, &c.annotations}) {
      const char* field = group == &c.labels ? "labels" : "annotations";
      if (go) {
        JsonValue map(rapidjson::kObjectType);
        builder.Set({"metadata", field}, map);
      }
      for (const auto& [k, v] : *group) {
        if (go) {
          builder.SetString({"metadata", field, k}, v);
        } else {
          builder.SetFlat(std::string("metadata.") + field + "." + k, v);
        }
      }
    }
    Status s = AddValues(spec.clusters.values, spec.where + ".clusters", context, &builder);
    if (!s.ok()) return s;
    sets.push_back(builder.Take(spec.where + ".clusters (cluster " + c.name + ")"));
  }
  return sets;
}

// ---- git ----

bool MatchFrom(std::string_view p, std::string_view s) {
  while (!p.empty()) {
    if (p.substr(0, 2) == "**") {
      std::string_view rest = p.substr(2);
      if (!rest.empty() && rest[0] == '/') {
        // `**/` also matches no directory at all.
        if (MatchFrom(rest.substr(1), s)) return true;
      }
      for (size_t i = 0; i <= s.size(); ++i) {
        if (MatchFrom(rest, s.substr(i))) return true;
      }
      return false;
    }
    char c = p[0];
    if (c == '*') {
      for (size_t i = 0; i <= s.size(); ++i) {
        if (MatchFrom(p.substr(1), s.substr(i))) return true;
        if (i < s.size() && s[i] == '/') break;
      }
      return false;
    }
    if (s.empty()) return false;
    if (c == '?') {
      if (s[0] == '/') return false;
    } else if (c == '[') {
      size_t close = p.find(']', 1);
      if (close == std::string_view::npos) return false;
      std::string_view set = p.substr(1, close - 1);
      bool negate = !set.empty() && (set[0] == '^' || set[0] == '!');
      if (negate) set.remove_prefix(1);
      bool hit = false;
      for (size_t i = 0; i < set.size(); ++i) {
        if (i + 2 < set.size() && set[i + 1] == '-') {
          hit = hit || (s[0] >= set[i] && s[0] <= set[i + 2]);
          i += 2;
        } else {
          hit = hit || s[0] == set[i];
        }
      }
      if (hit == negate || s[0] == '/') return false;
      p.remove_prefix(close);
    } else {
      if (c == '\\' && p.size() > 1) {
        p.remove_prefix(1);
        c = p[0];
      }
      if (s[0] != c) return false;
    }
    p.remove_prefix(1);
    s.remove_prefix(1);
  }
  return s.empty();
}

// Directories and files of a checkout, relative, sorted; anything under a dot-entry is skipped.
// A symbolic link counts as what it leads to when that stays inside the checkout (and is never
// descended into); links leading out are listed apart, so a generator selecting one refuses it
// without reading it. Dangling links are left out.
struct TreeListing {
  std::vector<std::string> dirs;
  std::vector<std::string> files;
  std::vector<std::string> outside;
};

Result<TreeListing> ListTree(const std::string& root) {
  TreeListing out;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  if (ec) return Status::IOError(root + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Status::IOError(root + ": " + ec.message());
    std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    // Lexical: fs::relative would resolve a link to where it leads.
    std::string rel = it->path().lexically_relative(root).generic_string();
    fs::file_status st = it->symlink_status(ec);
    if (!ec && fs::is_symlink(st)) {
      auto target = ResolveInside(root, rel, rel);
      if (!target.ok()) {
        Status::Code code = target.status().code();
        if (code == Status::Code::kInvalidArgument) out.outside.push_back(rel);
        if (code == Status::Code::kInvalidArgument || code == Status::Code::kNotFound) continue;
        return target.status();
      }
      st = fs::status(*target, ec);
    }
    if (ec) return Status::IOError(rel + ": " + ec.message());
    if (fs::is_directory(st)) {
      out.dirs.push_back(rel);
    } else if (fs::is_regular_file(st)) {
      out.files.push_back(rel);
    }
  }
  std::sort(out.dirs.begin(), out.dirs.end());
  std::sort(out.files.begin(), out.files.end());
  std::sort(out.outside.begin(), out.outside.end());
  return out;
}

bool Selected(const std::vector<GitPathPattern>& patterns, const std::string& path) {
  bool included = false;
  for (const auto& p : patterns) {
    if (!MatchPathPattern(p.path, path)) continue;
    if (p.exclude) return false;  // an exclude wins whatever the order
    included = true;
  }
  return included;
}

// A selected path that is a link leading out of the repository: refused before anything is
// read, naming the generator, the link and the rule (never the target).
Status RefuseOutsideLinks(const std::vector<GitPathPattern>& patterns, const TreeListing& listing,
                          const std::string& where) {
  for (const std::string& link : listing.outside) {
    if (Selected(patterns, link)) {
      return Status::InvalidArgument(where + " (" + link +
                                     "): symbolic link points outside the repository root; "
                                     "generators read nothing outside the repository");
    }
  }
  return Status::OK();
}

// path, path.basename, path[n] ... for a directory (and the file in it, for files).
void AddPathParams(const std::string& dir, const std::string& file, const GitGenerator& git,
                   bool go, ParamBuilder* builder) {
  std::string base = dir.substr(dir.rfind('/') == std::string::npos ? 0 : dir.rfind('/') + 1);
  std::vector<std::string> segments = Split(dir, '/');
  std::vector<std::string> root;
  if (!git.path_param_prefix.empty()) root.push_back(git.path_param_prefix);
  auto key = [&](std::vector<std::string> tail) {
    std::vector<std::string> full = root;
    full.insert(full.end(), tail.begin(), tail.end());
    return full;
  };
  builder->SetString(
      key(go ? std::vector<std::string>{"path", "path"} : std::vector<std::string>{"path"}), dir);
  builder->SetString(key({"path", "basename"}), base);
  builder->SetString(key({"path", "basenameNormalized"}), NormalizeName(base));
  if (!file.empty()) {
    builder->SetString(key({"path", "filename"}), file);
    builder->SetString(key({"path", "filenameNormalized"}), NormalizeName(file));
  }
  if (go) {
    JsonValue list(rapidjson::kArrayType);
    for (const auto& s : segments) {
      list.PushBack(JsonValue(s.c_str(), builder->allocator()), builder->allocator());
    }
    builder->Set(key({"path", "segments"}), list);
    return;
  }
  std::string prefix = git.path_param_prefix.empty() ? "" : git.path_param_prefix + ".";
  for (size_t i = 0; i < segments.size(); ++i) {
    builder->SetFlat(prefix + "path[" + std::to_string(i) + "]", segments[i]);
  }
}

Result<GitSnapshot> Checkout(const GeneratorSpec& spec, GeneratorContext& context) {
  const GitGenerator& git = spec.git;
  std::string key = git.repo_url + "@" + git.revision;
  auto cached = context.checkouts.find(key);
  if (cached != context.checkouts.end()) return cached->second;
  if (!context.git) {
    return Status::FailedPrecondition(spec.where + ".git: no Git cache to read " +
                                      StripUrlUserinfo(git.repo_url));
  }
  GitFetchOptions options = context.git_options;
  if (context.credentials) options.credentials = context.credentials->For(git.repo_url);
  auto snapshot = context.git->Checkout(git.repo_url, git.revision, options);
  if (!snapshot.ok()) return snapshot.status().Prefixed(spec.where + ".git");
  context.checkouts[key] = *snapshot;
  return snapshot;
}

Result<std::vector<ParamSet>> RunGitFiles(const GeneratorSpec& spec, GeneratorContext& context,
                                          const GitSnapshot& snapshot, const TreeListing& listing) {
  bool go = context.template_options.go_template;
  Status refused = RefuseOutsideLinks(spec.git.files, listing, spec.where + ".git.files");
  if (!refused.ok()) return refused;
  std::vector<ParamSet> sets;
  for (const std::string& file : listing.files) {
    if (!Selected(spec.git.files, file)) continue;
    std::string origin = spec.where + ".git.files (" + file + ")";
    // Resolved again at the read, so no path can be read that was not checked.
    auto real = ResolveInside(snapshot.dir, file, origin);
    if (!real.ok()) return real.status();
    auto text = ReadFileLimited(*real, context.limits.max_file_bytes, file);
    if (!text.ok()) return text.status();
    auto docs = ParseYamlStream(
        *text,
        StripUrlUserinfo(spec.git.repo_url) + "@" + snapshot.commit.substr(0, 8) + ":" + file,
        context.limits);
    if (!docs.ok()) return docs.status().Prefixed(spec.where + ".git.files");
    std::vector<const JsonValue*> entries;
    for (const Object& doc : *docs) {
      if (doc.json().IsArray()) {
        for (const auto& e : doc.json().GetArray()) entries.push_back(&e);
      } else {
        entries.push_back(&doc.json());
      }
    }
    size_t slash = file.rfind('/');
    std::string dir = slash == std::string::npos ? "." : file.substr(0, slash);
    std::string name = slash == std::string::npos ? file : file.substr(slash + 1);
    for (size_t i = 0; i < entries.size(); ++i) {
      if (!entries[i]->IsObject()) {
        return Status::InvalidArgument(origin + ": expected a map or a list of maps");
      }
      ParamBuilder builder(go);
      for (const auto& m : entries[i]->GetObject()) builder.Set({m.name.GetString()}, m.value);
      AddPathParams(dir, name, spec.git, go, &builder);
      Status s = AddValues(spec.git.values, spec.where + ".git", context, &builder);
      if (!s.ok()) return s;
      sets.push_back(
          builder.Take(entries.size() > 1 ? origin + "[" + std::to_string(i) + "]" : origin));
    }
  }
  return sets;
}

Result<std::vector<ParamSet>> RunGit(const GeneratorSpec& spec, GeneratorContext& context) {
  auto snapshot = Checkout(spec, context);
  if (!snapshot.ok()) return snapshot.status();
  auto listing = ListTree(snapshot->dir);
  if (!listing.ok()) return listing.status();
  if (!spec.git.files.empty()) return RunGitFiles(spec, context, *snapshot, *listing);
  Status refused =
      RefuseOutsideLinks(spec.git.directories, *listing, spec.where + ".git.directories");
  if (!refused.ok()) return refused;
  bool go = context.template_options.go_template;
  std::vector<ParamSet> sets;
  for (const std::string& dir : listing->dirs) {
    if (!Selected(spec.git.directories, dir)) continue;
    ParamBuilder builder(go);
    AddPathParams(dir, "", spec.git, go, &builder);
    Status s = AddValues(spec.git.values, spec.where + ".git", context, &builder);
    if (!s.ok()) return s;
    sets.push_back(builder.Take(spec.where + ".git.directories (" + dir + ")"));
  }
  return sets;
}

// ---- matrix and merge ----

// Go mode: `from` fills what `into` lacks, maps merged deeply; `into` wins.
void FillMissing(JsonValue* into, const JsonValue& from, JsonAllocator& allocator) {
  for (const auto& m : from.GetObject()) {
    auto it = into->FindMember(m.name);
    if (it == into->MemberEnd()) {
      into->AddMember(JsonValue(m.name, allocator), JsonValue(m.value, allocator), allocator);
    } else if (it->value.IsObject() && m.value.IsObject()) {
      FillMissing(&it->value, m.value, allocator);
    }
  }
}

Result<ParamSet> Combine(const ParamSet& first, const ParamSet& second, bool go) {
  ParamSet out{first.params.Clone(), first.origin + " x " + second.origin};
  JsonValue& into = out.params.mutable_json();
  if (go) {
    FillMissing(&into, second.params.json(), out.params.allocator());
    return out;
  }
  for (const auto& m : second.params.json().GetObject()) {
    auto it = into.FindMember(m.name);
    if (it == into.MemberEnd()) {
      into.AddMember(JsonValue(m.name, out.params.allocator()),
                     JsonValue(m.value, out.params.allocator()), out.params.allocator());
    } else if (it->value != m.value) {
      return Status::InvalidArgument("matrix: parameter \"" + std::string(m.name.GetString()) +
                                     "\" has different values in " + first.origin + " and " +
                                     second.origin);
    }
  }
  return out;
}

bool UsesTemplates(const JsonValue& v) {
  if (v.IsString()) return std::string_view(v.GetString()).find("{{") != std::string_view::npos;
  if (v.IsArray()) {
    for (const auto& item : v.GetArray()) {
      if (UsesTemplates(item)) return true;
    }
  }
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      if (UsesTemplates(m.value)) return true;
    }
  }
  return false;
}

Result<std::vector<ParamSet>> RunMatrix(const GeneratorSpec& spec, GeneratorContext& context) {
  auto firsts = RunGenerator(spec.children[0], context);
  if (!firsts.ok()) return firsts;
  const GeneratorSpec& second = spec.children[1];
  bool templated = UsesTemplates(second.raw->json());
  std::optional<std::vector<ParamSet>> fixed;
  std::vector<ParamSet> out;
  for (const ParamSet& first : *firsts) {
    Result<std::vector<ParamSet>> seconds = std::vector<ParamSet>();
    if (templated) {
      // The second child may read the first's params: render its spec, then run it.
      Object rendered = second.raw->Clone();
      Status s = RenderTree(&rendered.mutable_json(), rendered.allocator(), first.params.json(),
                            context.template_options);
      if (!s.ok()) return s.Prefixed(second.where + " (with " + first.origin + ")");
      auto parsed = ParseGenerator(rendered.json(), second.where);
      if (!parsed.ok()) return parsed.status();
      seconds = RunGenerator(*parsed, context);
    } else {
      if (!fixed) {
        auto run = RunGenerator(second, context);
        if (!run.ok()) return run;
        fixed = std::move(*run);
      }
      seconds = std::vector<ParamSet>();
      for (const ParamSet& p : *fixed) seconds->push_back(ParamSet{p.params.Clone(), p.origin});
    }
    if (!seconds.ok()) return seconds;
    for (const ParamSet& s : *seconds) {
      auto combined = Combine(first, s, context.template_options.go_template);
      if (!combined.ok()) return combined.status();
      out.push_back(std::move(*combined));
    }
  }
  return out;
}

// The merge key values of a set as one text, or "" when a key is absent.
std::string MergeKey(const ParamSet& set, const std::vector<std::string>& keys, bool go) {
  std::string out;
  for (const auto& key : keys) {
    const JsonValue* v = nullptr;
    if (go) {
      v = Find(set.params.json(), key);
    } else {
      auto it = set.params.json().FindMember(key.c_str());
      if (it != set.params.json().MemberEnd()) v = &it->value;
    }
    if (!v) return "";
    out += ToJson(*v) + "\n";
  }
  return out;
}

Result<std::vector<ParamSet>> RunMerge(const GeneratorSpec& spec, GeneratorContext& context) {
  bool go = context.template_options.go_template;
  auto base = RunGenerator(spec.children[0], context);
  if (!base.ok()) return base;
  for (size_t c = 1; c < spec.children.size(); ++c) {
    auto later = RunGenerator(spec.children[c], context);
    if (!later.ok()) return later;
    std::map<std::string, const ParamSet*> by_key;
    for (const ParamSet& p : *later) {
      std::string key = MergeKey(p, spec.merge_keys, go);
      if (!key.empty()) by_key[key] = &p;
    }
    for (ParamSet& b : *base) {
      auto it = by_key.find(MergeKey(b, spec.merge_keys, go));
      if (it == by_key.end()) continue;
      for (const auto& m : it->second->params.json().GetObject()) {
        JsonValue& into = b.params.mutable_json();
        auto existing = into.FindMember(m.name);
        JsonValue copy(m.value, b.params.allocator());
        if (existing != into.MemberEnd()) {
          existing->value = std::move(copy);
        } else {
          into.AddMember(JsonValue(m.name, b.params.allocator()), copy, b.params.allocator());
        }
      }
      b.origin += " + " + it->second->origin;
    }
  }
  return base;
}

// Flat text view of params for the `selector` post-filter.
void FlattenText(const JsonValue& v, const std::string& prefix,
                 std::map<std::string, std::string>* out) {
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      FlattenText(m.value, prefix.empty() ? m.name.GetString() : prefix + "." + m.name.GetString(),
                  out);
    }
  } else if (v.IsString()) {
    (*out)[prefix] = v.GetString();
  } else if (!v.IsArray() && !v.IsNull()) {
    (*out)[prefix] = ToJson(v);
  }
}

}  // namespace

bool MatchPathPattern(std::string_view pattern, std::string_view path) {
  return MatchFrom(pattern, path);
}

Result<std::vector<ParamSet>> RunGenerator(const GeneratorSpec& spec, GeneratorContext& context) {
  Result<std::vector<ParamSet>> sets = std::vector<ParamSet>();
  if (spec.kind == "list") sets = RunList(spec, context);
  if (spec.kind == "clusters") sets = RunClusters(spec, context);
  if (spec.kind == "git") sets = RunGit(spec, context);
  if (spec.kind == "matrix") sets = RunMatrix(spec, context);
  if (spec.kind == "merge") sets = RunMerge(spec, context);
  if (!sets.ok() || spec.selector.Empty()) return sets;
  std::vector<ParamSet> kept;
  for (ParamSet& set : *sets) {
    std::map<std::string, std::string> flat;
    FlattenText(set.params.json(), "", &flat);
    auto lookup = [&](const std::string& key) -> const std::string* {
      auto it = flat.find(key);
      return it == flat.end() ? nullptr : &it->second;
    };
    if (spec.selector.Matches(lookup)) kept.push_back(std::move(set));
  }
  return kept;
}

}  // namespace mlgitops
