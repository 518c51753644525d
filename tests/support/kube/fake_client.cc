// The in-memory KubeClient: a map of objects, a version counter, a change history for watches.
// Errors are built the way HttpKubeClient builds them, so tests see the same messages.
#include "kube/fake_client.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>

#include "kube/errors.h"
#include "object/timeutil.h"

namespace mlgitops {

namespace {

struct BuiltIn {
  const char* group;
  const char* version;
  const char* kind;
  const char* plural;
  bool namespaced;
  bool has_status;
  const char* short_names;  // comma-separated
};

constexpr BuiltIn kBuiltIns[] = {
    {"", "v1", "Pod", "pods", true, true, "po"},
    {"", "v1", "Service", "services", true, true, "svc"},
    {"", "v1", "ConfigMap", "configmaps", true, false, "cm"},
    {"", "v1", "Secret", "secrets", true, false, ""},
    {"", "v1", "ServiceAccount", "serviceaccounts", true, false, "sa"},
    {"", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, true, "pvc"},
    {"", "v1", "Endpoints", "endpoints", true, false, "ep"},
    {"", "v1", "Event", "events", true, false, "ev"},
    {"", "v1", "LimitRange", "limitranges", true, false, "limits"},
    {"", "v1", "ResourceQuota", "resourcequotas", true, true, "quota"},
    {"", "v1", "Namespace", "namespaces", false, true, "ns"},
    {"", "v1", "Node", "nodes", false, true, "no"},
    {"", "v1", "PersistentVolume", "persistentvolumes", false, true, "pv"},
    {"apps", "v1", "Deployment", "deployments", true, true, "deploy"},
    {"apps", "v1", "StatefulSet", "statefulsets", true, true, "sts"},
    {"apps", "v1", "DaemonSet", "daemonsets", true, true, "ds"},
    {"apps", "v1", "ReplicaSet", "replicasets", true, true, "rs"},
    {"apps", "v1", "ControllerRevision", "controllerrevisions", true, false, ""},
    {"batch", "v1", "Job", "jobs", true, true, ""},
    {"batch", "v1", "CronJob", "cronjobs", true, true, "cj"},
    {"autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, true, "hpa"},
    {"networking.k8s.io", "v1", "Ingress", "ingresses", true, true, "ing"},
    {"networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, false, "netpol"},
    {"networking.k8s.io", "v1", "IngressClass", "ingressclasses", false, false, ""},
    {"rbac.authorization.k8s.io", "v1", "Role", "roles", true, false, ""},
    {"rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, false, ""},
    {"rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, false, ""},
    {"rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false, false,
     ""},
    {"policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true, true, "pdb"},
    {"apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false,
     true, "crd,crds"},
    {"admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration",
     "mutatingwebhookconfigurations", false, false, ""},
    {"admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration",
     "validatingwebhookconfigurations", false, false, ""},
    {"storage.k8s.io", "v1", "StorageClass", "storageclasses", false, false, "sc"},
    {"scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", false, false, "pc"},
    {"coordination.k8s.io", "v1", "Lease", "leases", true, false, ""},
};

std::vector<std::string> SplitTopLevel(std::string_view text, char separator) {
  std::vector<std::string> parts;
  int depth = 0;
  std::string current;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == separator && depth == 0) {
      parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  parts.push_back(current);
  return parts;
}

ResourceInfo FromBuiltIn(const BuiltIn& b) {
  ResourceInfo info;
  info.group = b.group;
  info.version = b.version;
  info.kind = b.kind;
  info.resource = b.plural;
  info.singular = AsciiLower(b.kind);
  info.namespaced = b.namespaced;
  info.verbs = {"create", "delete", "get", "list", "patch", "update", "watch"};
  if (b.has_status) info.subresources.push_back("status");
  for (const std::string& s : SplitTopLevel(b.short_names, ',')) {
    if (!s.empty()) info.short_names.push_back(s);
  }
  return info;
}

// ---- Selectors. ----

/// One term of a label selector.
struct Requirement {
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kNotExists };
  std::string key;
  Op op = Op::kExists;
  std::vector<std::string> values;

  bool Matches(const Object& object) const {
    std::optional<std::string> value = object.label(key);
    auto listed = [&] {
      return value && std::find(values.begin(), values.end(), *value) != values.end();
    };
    switch (op) {
      case Op::kEquals:
        return listed();
      case Op::kNotEquals:
      case Op::kNotIn:
        return !listed();
      case Op::kIn:
        return listed();
      case Op::kExists:
        return value.has_value();
      case Op::kNotExists:
        return !value.has_value();
    }
    return false;
  }
};

Result<Requirement> ParseRequirement(const std::string& term) {
  Requirement r;
  if (term[0] == '!') {
    r.op = Requirement::Op::kNotExists;
    r.key = TrimSpace(term.substr(1));
    return r;
  }
  if (size_t open = term.find('('); open != std::string::npos) {
    size_t close = term.rfind(')');
    std::string head = TrimSpace(term.substr(0, open));
    size_t space = head.find_last_of(" \t");
    if (close == std::string::npos || space == std::string::npos) {
      return Status::InvalidArgument("unable to parse requirement \"" + term + "\"");
    }
    std::string op = head.substr(space + 1);
    r.key = TrimSpace(head.substr(0, space));
    if (op != "in" && op != "notin") {
      return Status::InvalidArgument("unknown set operator \"" + op + "\"");
    }
    r.op = op == "in" ? Requirement::Op::kIn : Requirement::Op::kNotIn;
    for (const std::string& v : SplitTopLevel(term.substr(open + 1, close - open - 1), ',')) {
      r.values.push_back(TrimSpace(v));
    }
    return r;
  }
  for (auto [token, op] :
       {std::pair{"!=", Requirement::Op::kNotEquals}, std::pair{"==", Requirement::Op::kEquals},
        std::pair{"=", Requirement::Op::kEquals}}) {
    if (size_t at = term.find(token); at != std::string::npos) {
      r.key = TrimSpace(term.substr(0, at));
      r.op = op;
      r.values.push_back(TrimSpace(term.substr(at + std::string_view(token).size())));
      return r;
    }
  }
  r.key = term;
  return r;
}

Result<std::vector<Requirement>> ParseLabelSelector(std::string_view text) {
  std::vector<Requirement> out;
  if (TrimSpace(text).empty()) return out;
  for (const std::string& raw : SplitTopLevel(text, ',')) {
    std::string term = TrimSpace(raw);
    if (term.empty()) return Status::InvalidArgument("empty requirement in label selector");
    auto r = ParseRequirement(term);
    if (!r.ok()) return r.status();
    out.push_back(std::move(r).value());
  }
  return out;
}

/// Field selectors: "path=value", "path==value", "path!=value", comma-separated.
bool FieldsMatch(std::string_view selector, const Object& object) {
  if (TrimSpace(selector).empty()) return true;
  for (const std::string& raw : SplitTopLevel(selector, ',')) {
    std::string term = TrimSpace(raw);
    bool negate = term.find("!=") != std::string::npos;
    size_t at = term.find(negate ? "!=" : "=");
    if (at == std::string::npos) return false;
    size_t value_at = at + (negate || term.compare(at, 2, "==") == 0 ? 2 : 1);
    bool equal = GetString(object.json(), TrimSpace(term.substr(0, at))) == term.substr(value_at);
    if (equal == negate) return false;
  }
  return true;
}

// ---- JSON edits. ----

/// RFC 7386 when `null_deletes`; otherwise maps merge and everything else is replaced.
void MergeInto(JsonValue& target, const JsonValue& patch, JsonAllocator& a, bool null_deletes) {
  if (!patch.IsObject()) {
    target.CopyFrom(patch, a);
    return;
  }
  if (!target.IsObject()) target.SetObject();
  for (const auto& member : patch.GetObject()) {
    auto existing = target.FindMember(member.name);
    if (null_deletes && member.value.IsNull()) {
      if (existing != target.MemberEnd()) target.RemoveMember(existing);
    } else if (existing != target.MemberEnd()) {
      MergeInto(existing->value, member.value, a, null_deletes);
    } else {
      JsonValue value;
      MergeInto(value, member.value, a, null_deletes);
      target.AddMember(JsonValue(member.name, a), value, a);
    }
  }
}

JsonValue& Metadata(Object& object) {
  JsonValue& root = object.mutable_json();
  if (!root.IsObject()) root.SetObject();
  auto it = root.FindMember("metadata");
  if (it == root.MemberEnd()) {
    root.AddMember("metadata", JsonValue(rapidjson::kObjectType), object.allocator());
    return (root.MemberEnd() - 1)->value;
  }
  if (!it->value.IsObject()) it->value.SetObject();
  return it->value;
}

void SetMeta(Object& object, const char* key, JsonValue value) {
  JsonValue& meta = Metadata(object);
  auto it = meta.FindMember(key);
  if (it != meta.MemberEnd()) {
    it->value = value;
  } else {
    meta.AddMember(rapidjson::StringRef(key), value, object.allocator());
  }
}

void SetMetaString(Object& object, const char* key, std::string_view value) {
  SetMeta(object, key, JsonString(value, object.allocator()));
}

void RemoveMember(JsonValue& parent, const char* key) {
  if (parent.IsObject()) parent.RemoveMember(key);
}

/// What the server owns in metadata; an applied manifest's values for these are ignored.
void DropServerFields(Object& object) {
  JsonValue& meta = Metadata(object);
  for (const char* key : {"uid", "resourceVersion", "generation", "creationTimestamp",
                          "managedFields", "deletionTimestamp"}) {
    RemoveMember(meta, key);
  }
}

bool SameMember(const JsonValue& a, const JsonValue& b, const char* key) {
  const JsonValue* x = Find(a, key);
  const JsonValue* y = Find(b, key);
  if (!x || !y) return x == y;
  return *x == *y;
}

bool OwnedBy(const Object& object, const std::string& uid) {
  const JsonValue* refs = Find(object.json(), "metadata.ownerReferences");
  if (!refs || !refs->IsArray()) return false;
  return std::any_of(refs->Begin(), refs->End(),
                     [&](const JsonValue& ref) { return MemberString(ref, "uid") == uid; });
}

Status ApiFailure(int code, const char* reason, const std::string& message,
                  const RequestSubject& subject) {
  ApiError error;
  error.http_status = code;
  error.reason = reason;
  error.message = message;
  return ApiErrorToStatus(error, subject, Redactor());
}

}  // namespace

std::string FakeCall::ToString() const {
  return verb + " " + ref.ToString() + (dry_run ? " (dry run)" : "");
}

struct FakeKubeClient::Located {
  ResourceInfo info;
  std::string namespace_;
  std::string name;
  std::string storage_key;  // of the object; of the collection's prefix without a name
  RequestSubject subject;
  ObjectRef ref() const { return ObjectRef{info.group, info.kind, namespace_, name}; }
};

FakeKubeClient::FakeKubeClient(std::string default_namespace, const Clock* clock)
    : default_namespace_(std::move(default_namespace)), clock_(clock ? clock : &system_clock_) {
  for (const BuiltIn& b : kBuiltIns) resources_.push_back(FromBuiltIn(b));
}

void FakeKubeClient::AddResource(ResourceInfo info) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const ResourceInfo& known : resources_) {
    if (known.group == info.group && known.kind == info.kind && known.version == info.version) {
      return;
    }
  }
  resources_.push_back(std::move(info));
}

void FakeKubeClient::FailNext(const std::string& verb, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_[verb] = std::move(status);
}

std::vector<FakeCall> FakeKubeClient::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

void FakeKubeClient::ClearCalls() {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.clear();
}

void FakeKubeClient::set_history_limit(size_t events) {
  std::lock_guard<std::mutex> lock(mu_);
  history_limit_ = std::max<size_t>(1, events);
  while (history_.size() > history_limit_) {
    compacted_before_ = history_.front().version;
    history_.pop_front();
  }
}

size_t FakeKubeClient::object_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return objects_.size();
}

Result<ResourceInfo> FakeKubeClient::ResourceLocked(const GroupVersionKind& gvk) const {
  for (const ResourceInfo& info : resources_) {
    if (info.group == gvk.group && info.kind == gvk.kind &&
        (gvk.version.empty() || info.version == gvk.version)) {
      return info;
    }
  }
  return Status::NotFound("the server has no resource for kind \"" + gvk.kind + "\" in " +
                          (gvk.api_version().empty() ? "group " + gvk.group : gvk.api_version()) +
                          " (is its CRD installed and established?)");
}

Result<ResourceInfo> FakeKubeClient::Resource(const GroupVersionKind& gvk) {
  std::lock_guard<std::mutex> lock(mu_);
  return ResourceLocked(gvk);
}

Result<ResourceInfo> FakeKubeClient::ResolveResource(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const ResourceInfo& info : resources_) {
    if (info.Matches(name)) return info;
  }
  return Status::NotFound("the server has no resource type \"" + std::string(name) + "\"");
}

Result<std::vector<ResourceInfo>> FakeKubeClient::ServerResources() {
  std::lock_guard<std::mutex> lock(mu_);
  return resources_;
}

Result<FakeKubeClient::Located> FakeKubeClient::LocateLocked(const GroupVersionKind& gvk,
                                                             const std::string& namespace_,
                                                             const std::string& name,
                                                             const std::string& verb) {
  Located where;
  where.subject = RequestSubject{verb, gvk.group, gvk.version, gvk.kind, "", namespace_, name};
  auto info = ResourceLocked(gvk);
  if (!info.ok()) return info.status().Prefixed(where.subject.Describe());
  where.info = std::move(info).value();
  where.namespace_ = !where.info.namespaced ? ""
                     : namespace_.empty()
                         ? (verb == "list" || verb == "watch" ? "" : default_namespace_)
                         : namespace_;
  where.name = name;
  where.subject.resource = where.info.resource;
  where.subject.namespace_ = where.namespace_;
  where.storage_key = where.info.group + "/" + where.info.kind + "/";
  if (!where.namespace_.empty() || !name.empty()) where.storage_key += where.namespace_ + "/";
  where.storage_key += name;
  return where;
}

Status FakeKubeClient::BeginCall(const std::string& verb, const ObjectRef& ref,
                                 const WriteOptions* options, bool force) {
  FakeCall call;
  call.verb = verb;
  call.ref = ref;
  call.force = force;
  if (options) {
    call.dry_run = options->dry_run;
    call.field_manager = options->field_manager;
  }
  calls_.push_back(std::move(call));
  auto failure = failures_.find(verb);
  if (failure == failures_.end()) return Status::OK();
  Status status = std::move(failure->second);
  failures_.erase(failure);
  return status;
}

Object* FakeKubeClient::FindLocked(const Located& where) {
  auto it = objects_.find(where.storage_key);
  return it == objects_.end() ? nullptr : &it->second;
}

void FakeKubeClient::RecordLocked(WatchEvent::Type type, const Object& object) {
  history_.push_back(Event{version_, type, object.Clone()});
  while (history_.size() > history_limit_) {
    compacted_before_ = history_.front().version;
    history_.pop_front();
  }
  changed_.notify_all();
}

void FakeKubeClient::RegisterCrdLocked(const Object& crd) {
  const JsonValue& spec = *Find(crd.json(), "spec");
  ResourceInfo base;
  base.group = GetString(spec, "group");
  base.kind = GetString(spec, "names.kind");
  base.resource = GetString(spec, "names.plural");
  base.singular = GetString(spec, "names.singular");
  base.namespaced = GetString(spec, "scope") != "Cluster";
  base.verbs = {"create", "delete", "get", "list", "patch", "update", "watch"};
  if (const JsonValue* shorts = Find(spec, "names.shortNames"); shorts && shorts->IsArray()) {
    for (const JsonValue& s : shorts->GetArray()) {
      if (s.IsString()) base.short_names.push_back(s.GetString());
    }
  }
  const JsonValue* versions = Find(spec, "versions");
  if (!versions || !versions->IsArray()) return;
  for (const JsonValue& v : versions->GetArray()) {
    if (GetBool(v, "served") == false) continue;
    ResourceInfo info = base;
    info.version = GetString(v, "name");
    if (Find(v, "subresources.status")) info.subresources.push_back("status");
    bool known = std::any_of(resources_.begin(), resources_.end(), [&](const ResourceInfo& r) {
      return r.group == info.group && r.kind == info.kind && r.version == info.version;
    });
    if (!known) resources_.push_back(std::move(info));
  }
}

Result<Object> FakeKubeClient::StoreLocked(const Located& where, Object object, bool created,
                                           bool dry_run) {
  Object* live = FindLocked(where);
  if (where.info.namespaced) {
    object.SetNamespace(where.namespace_);
  } else {
    object.ClearNamespace();
  }
  SetMetaString(object, "name", where.name);
  if (created) {
    SetMetaString(object, "uid", "fake-uid-" + std::to_string(++uids_));
    SetMetaString(object, "creationTimestamp", FormatRfc3339(clock_->NowUnix()));
    SetMeta(object, "generation", JsonValue(int64_t{1}));
  } else if (live && !SameMember(live->json(), object.json(), "spec")) {
    int64_t generation = GetInt(live->json(), "metadata.generation").value_or(0);
    SetMeta(object, "generation", JsonValue(generation + 1));
  }
  if (dry_run) return object;
  SetMetaString(object, "resourceVersion", std::to_string(++version_));
  bool is_crd =
      where.info.group == "apiextensions.k8s.io" && where.info.kind == "CustomResourceDefinition";
  if (is_crd && Find(object.json(), "spec")) {
    RegisterCrdLocked(object);
    // The real server establishes a CRD at once; clients wait for this condition.
    if (!Find(object.json(), "status")) {
      auto status = ParseJsonObject(R"({"conditions":[{"type":"NamesAccepted","status":"True"},)"
                                    R"({"type":"Established","status":"True"}]})",
                                    "CRD status");
      if (status.ok()) {
        object.mutable_json().AddMember("status", JsonValue(status->json(), object.allocator()),
                                        object.allocator());
      }
    }
  }
  RecordLocked(live ? WatchEvent::Type::kModified : WatchEvent::Type::kAdded, object);
  objects_[where.storage_key] = object.Clone();
  return object;
}

Status FakeKubeClient::Seed(const Object& object) {
  std::lock_guard<std::mutex> lock(mu_);
  auto where =
      LocateLocked(GroupVersionKind::Of(object), object.namespace_(), object.name(), "create");
  if (!where.ok()) return where.status();
  Object copy = object.Clone();
  Object* live = FindLocked(where.value());
  if (live) {  // keep the identity; this is the same object changing (a controller's update)
    for (const char* key : {"uid", "creationTimestamp", "generation"}) {
      if (!Find(copy.json(), std::string("metadata.") + key)) {
        if (const JsonValue* value = Find(live->json(), std::string("metadata.") + key)) {
          SetMeta(copy, key, JsonValue(*value, copy.allocator()));
        }
      }
    }
  }
  auto stored = StoreLocked(where.value(), std::move(copy), live == nullptr, false);
  return stored.ok() ? Status::OK() : stored.status();
}

Result<Object> FakeKubeClient::Get(const ObjectKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto where = LocateLocked(key.gvk, key.namespace_, key.name, "get");
  if (!where.ok()) return where.status();
  Status injected = BeginCall("get", where->ref(), nullptr, false);
  if (!injected.ok()) return injected;
  Object* live = FindLocked(where.value());
  if (!live) return ApiFailure(404, "NotFound", "not found", where->subject);
  return live->Clone();
}

Result<Object> FakeKubeClient::GetStatus(const ObjectKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto where = LocateLocked(key.gvk, key.namespace_, key.name, "get");
  if (!where.ok()) return where.status();
  Status injected = BeginCall("status", where->ref(), nullptr, false);
  if (!injected.ok()) return injected;
  if (!where->info.HasSubresource("status")) {
    return ApiFailure(404, "NotFound", "the server could not find the requested resource",
                      where->subject);
  }
  Object* live = FindLocked(where.value());
  if (!live) return ApiFailure(404, "NotFound", "not found", where->subject);
  return live->Clone();
}

Result<ObjectList> FakeKubeClient::List(const GroupVersionKind& gvk, const std::string& namespace_,
                                        const ListOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  auto where = LocateLocked(gvk, namespace_, "", "list");
  if (!where.ok()) return where.status();
  Status injected = BeginCall("list", where->ref(), nullptr, false);
  if (!injected.ok()) return injected;
  auto labels = ParseLabelSelector(options.label_selector);
  if (!labels.ok()) {
    return ApiFailure(400, "BadRequest", labels.status().message(), where->subject);
  }
  ObjectList list;
  list.resource_version = std::to_string(version_);
  const std::string& prefix = where->storage_key;
  auto it = options.continue_token.empty() ? objects_.lower_bound(prefix)
                                           : objects_.upper_bound(options.continue_token);
  std::string last_key;
  for (; it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    const Object& object = it->second;
    bool selected = std::all_of(labels->begin(), labels->end(),
                                [&](const Requirement& r) { return r.Matches(object); }) &&
                    FieldsMatch(options.field_selector, object);
    if (!selected) continue;
    if (options.limit > 0 && static_cast<int64_t>(list.items.size()) == options.limit) {
      list.continue_token = last_key;  // the next page starts after the last item given
      break;
    }
    list.items.push_back(object.Clone());
    last_key = it->first;
  }
  return list;
}

Result<Object> FakeKubeClient::Apply(const Object& desired, const ApplyOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  auto where = LocateLocked(GroupVersionKind::Of(desired), desired.namespace_(),
                            GetString(desired.json(), "metadata.name"), "patch");
  if (!where.ok()) return where.status();
  Status injected = BeginCall("apply", where->ref(), &options, options.force);
  if (!injected.ok()) return injected;
  if (where->name.empty()) {
    return Status::InvalidArgument(where->subject.Describe() +
                                   ": server-side apply needs metadata.name");
  }
  Object applied = desired.Clone();
  DropServerFields(applied);
  if (where->info.HasSubresource("status")) RemoveMember(applied.mutable_json(), "status");
  Object* live = FindLocked(where.value());
  if (!live) return StoreLocked(where.value(), std::move(applied), true, options.dry_run);
  Object merged = live->Clone();
  MergeInto(merged.mutable_json(), applied.json(), merged.allocator(), false);
  if (merged.json() == live->json()) return merged;  // nothing changed: no new version
  return StoreLocked(where.value(), std::move(merged), false, options.dry_run);
}

Result<Object> FakeKubeClient::Patch(const ObjectKey& key, PatchType type, std::string_view patch,
                                     const WriteOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  auto where = LocateLocked(key.gvk, key.namespace_, key.name, "patch");
  if (!where.ok()) return where.status();
  Status injected = BeginCall("patch", where->ref(), &options, false);
  if (!injected.ok()) return injected;
  if (type == PatchType::kJson) {
    return Status::Unsupported(where->subject.Describe() +
                               ": the fake client does not apply JSON patches");
  }
  rapidjson::Document doc;
  doc.Parse(patch.data(), patch.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return ApiFailure(400, "BadRequest", "the patch is not a JSON object", where->subject);
  }
  Object* live = FindLocked(where.value());
  if (!live) return ApiFailure(404, "NotFound", "not found", where->subject);
  Object merged = live->Clone();
  MergeInto(merged.mutable_json(), doc, merged.allocator(), true);
  if (merged.json() == live->json()) return merged;
  return StoreLocked(where.value(), std::move(merged), false, options.dry_run);
}

Result<Object> FakeKubeClient::Create(const Object& object, const WriteOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string name = GetString(object.json(), "metadata.name");
  if (name.empty()) {
    std::string base = GetString(object.json(), "metadata.generateName");
    if (!base.empty()) name = base + std::to_string(10000 + uids_ + 1).substr(1);
  }
  auto where = LocateLocked(GroupVersionKind::Of(object), object.namespace_(), name, "create");
  if (!where.ok()) return where.status();
  Status injected = BeginCall("create", where->ref(), &options, false);
  if (!injected.ok()) return injected;
  if (name.empty()) {
    return ApiFailure(422, "Invalid", "metadata.name: Required value", where->subject);
  }
  if (FindLocked(where.value())) {
    return ApiFailure(409, "AlreadyExists", "already exists", where->subject);
  }
  Object created = object.Clone();
  DropServerFields(created);
  return StoreLocked(where.value(), std::move(created), true, options.dry_run);
}

Result<Object> FakeKubeClient::Replace(const Object& object, const WriteOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  auto where =
      LocateLocked(GroupVersionKind::Of(object), object.namespace_(), object.name(), "update");
  if (!where.ok()) return where.status();
  Status injected = BeginCall("update", where->ref(), &options, false);
  if (!injected.ok()) return injected;
  Object* live = FindLocked(where.value());
  if (!live) return ApiFailure(404, "NotFound", "not found", where->subject);
  Object replaced = object.Clone();
  DropServerFields(replaced);
  // The server keeps the object's identity and creation time.
  for (const char* key : {"uid", "creationTimestamp", "generation"}) {
    if (const JsonValue* value = Find(live->json(), std::string("metadata.") + key)) {
      SetMeta(replaced, key, JsonValue(*value, replaced.allocator()));
    }
  }
  return StoreLocked(where.value(), std::move(replaced), false, options.dry_run);
}

void FakeKubeClient::DeleteLocked(const std::string& storage_key, const DeleteOptions& options) {
  auto it = objects_.find(storage_key);
  if (it == objects_.end()) return;
  Object& object = it->second;
  const JsonValue* finalizers = Find(object.json(), "metadata.finalizers");
  if (finalizers && finalizers->IsArray() && !finalizers->Empty()) {
    if (!Find(object.json(), "metadata.deletionTimestamp")) {
      SetMetaString(object, "deletionTimestamp", FormatRfc3339(clock_->NowUnix()));
      SetMetaString(object, "resourceVersion", std::to_string(++version_));
      RecordLocked(WatchEvent::Type::kModified, object);
    }
    return;  // gone only once its finalizers are removed
  }
  std::string uid = GetString(object.json(), "metadata.uid");
  std::vector<std::string> dependents;
  if (options.propagation != Propagation::kOrphan) {
    for (const auto& [key, candidate] : objects_) {
      if (OwnedBy(candidate, uid)) dependents.push_back(key);
    }
  }
  auto remove_owner = [&] {
    auto owner = objects_.find(storage_key);
    if (owner == objects_.end()) return;
    SetMetaString(owner->second, "resourceVersion", std::to_string(++version_));
    RecordLocked(WatchEvent::Type::kDeleted, owner->second);
    objects_.erase(owner);
  };
  // Foreground removes dependents first; background removes the owner first.
  if (options.propagation != Propagation::kForeground) remove_owner();
  for (const std::string& key : dependents) DeleteLocked(key, DeleteOptions());
  if (options.propagation == Propagation::kForeground) remove_owner();
}

Status FakeKubeClient::Delete(const ObjectKey& key, const DeleteOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  auto where = LocateLocked(key.gvk, key.namespace_, key.name, "delete");
  if (!where.ok()) return where.status();
  WriteOptions write;
  write.dry_run = options.dry_run;
  write.field_manager.clear();
  Status injected = BeginCall("delete", where->ref(), &write, false);
  if (!injected.ok()) return injected;
  Object* live = FindLocked(where.value());
  if (!live) return ApiFailure(404, "NotFound", "not found", where->subject);
  std::string uid = GetString(live->json(), "metadata.uid");
  std::string version = GetString(live->json(), "metadata.resourceVersion");
  if ((!options.precondition_uid.empty() && options.precondition_uid != uid) ||
      (!options.precondition_resource_version.empty() &&
       options.precondition_resource_version != version)) {
    return ApiFailure(409, "Conflict",
                      "Precondition failed: the object's uid or resourceVersion differs",
                      where->subject);
  }
  if (!options.dry_run) DeleteLocked(where->storage_key, options);
  return Status::OK();
}

Result<WatchResult> FakeKubeClient::Watch(const GroupVersionKind& gvk,
                                          const std::string& namespace_,
                                          const WatchOptions& options,
                                          const WatchHandler& handler) {
  std::unique_lock<std::mutex> lock(mu_);
  auto where = LocateLocked(gvk, namespace_, "", "watch");
  if (!where.ok()) return where.status();
  Status injected = BeginCall("watch", where->ref(), nullptr, false);
  if (!injected.ok()) return injected;
  auto labels = ParseLabelSelector(options.label_selector);
  if (!labels.ok()) {
    return ApiFailure(400, "BadRequest", labels.status().message(), where->subject);
  }
  auto selected = [&](const Object& object) {
    return object.ref().group == where->info.group && object.kind() == where->info.kind &&
           (where->namespace_.empty() || object.namespace_() == where->namespace_) &&
           std::all_of(labels->begin(), labels->end(),
                       [&](const Requirement& r) { return r.Matches(object); }) &&
           FieldsMatch(options.field_selector, object);
  };
  WatchResult result;
  std::vector<WatchEvent> pending;
  int64_t after = version_;
  const std::string& start = options.resource_version;
  if (start.empty() || start == "0") {
    for (const auto& [key, object] : objects_) {
      if (selected(object)) pending.push_back({WatchEvent::Type::kAdded, object.Clone()});
    }
  } else {
    after = std::strtoll(start.c_str(), nullptr, 10);
    if (after < compacted_before_) {
      result.end = WatchEnd::kExpired;
      return result;
    }
  }
  result.resource_version = std::to_string(after);
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  for (;;) {
    for (const Event& event : history_) {
      if (event.version > after && selected(event.object)) {
        pending.push_back({event.type, event.object.Clone()});
      }
    }
    after = std::max(after, version_);
    result.resource_version = std::to_string(after);
    lock.unlock();  // the handler may call back into the client
    for (const WatchEvent& event : pending) {
      if (!handler(event)) {
        result.end = WatchEnd::kStopped;
        return result;
      }
    }
    pending.clear();
    lock.lock();
    if (version_ == after &&
        !changed_.wait_until(lock, deadline, [&] { return version_ != after; })) {
      result.end = WatchEnd::kTimedOut;
      return result;
    }
  }
}

}  // namespace mlgitops
