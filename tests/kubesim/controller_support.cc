// Shared machinery of the simulated controllers.
#include "kubesim/controller_support.h"

#include <algorithm>
#include <cstdio>

#include "kubesim/json_util.h"
#include "kubesim/object_rules.h"
#include "kubesim/request_info.h"

namespace mlgitops::kubesim {

namespace {

constexpr size_t kMaxLoggedFailures = 200;
constexpr int kMaxOwnerDepth = 4;

std::string Trim(const std::string& s) {
  size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  size_t end = s.find_last_not_of(" \t");
  return s.substr(begin, end - begin + 1);
}

bool SameCondition(const JsonValue& old, const Condition& c) {
  return MemberString(old, "status") == c.status && MemberString(old, "reason") == c.reason &&
         MemberString(old, "message") == c.message;
}

JsonValue NewCondition(const Condition& c, ConditionTimes times, const JsonValue* old,
                       const std::string& now, JsonAllocator& a) {
  bool same_status = old && MemberString(*old, "status") == c.status;
  std::string transition = same_status ? MemberString(*old, "lastTransitionTime") : now;
  if (transition.empty()) transition = now;
  JsonValue entry(rapidjson::kObjectType);
  SetString(entry, "type", c.type, a);
  SetString(entry, "status", c.status, a);
  if (times == ConditionTimes::kPod) SetMember(entry, "lastProbeTime", JsonValue(), a);
  if (times == ConditionTimes::kProbeAndTransition) SetString(entry, "lastProbeTime", now, a);
  if (times == ConditionTimes::kUpdateAndTransition) SetString(entry, "lastUpdateTime", now, a);
  SetString(entry, "lastTransitionTime", transition, a);
  if (!c.reason.empty()) SetString(entry, "reason", c.reason, a);
  if (!c.message.empty()) SetString(entry, "message", c.message, a);
  return entry;
}

}  // namespace

// ---- Outcome ----

Outcome Outcome::Parse(const std::string& text) {
  Outcome out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string word = Trim(text.substr(start, comma - start));
    if (word == "crashloop") out.crashloop = true;
    if (word == "fail") out.fail = true;
    if (word == "slow") out.slow = true;
    if (word == "failed-to-load") out.failed_to_load = true;
    start = comma + 1;
  }
  return out;
}

// ---- Pacer ----

void Pacer::BeginPass(SteadyTime now) {
  now_ = now;
  next_due_ = SteadyTime::max();
  touched_.clear();
}

bool Pacer::Elapsed(const std::string& key, const std::string& state,
                    std::chrono::milliseconds wait) {
  touched_.insert(key);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.state != state) {
    it = entries_.insert_or_assign(key, Entry{state, now_}).first;
  }
  SteadyTime due = it->second.entered + wait;
  if (now_ >= due) return true;
  next_due_ = std::min(next_due_, due);
  return false;
}

void Pacer::Enter(const std::string& key, const std::string& state) {
  touched_.insert(key);
  entries_.insert_or_assign(key, Entry{state, now_});
}

bool Pacer::StepsElapsed(const std::string& key, const std::string& state, double steps,
                         bool slow) {
  double factor = steps * (slow ? 10.0 : 1.0);
  auto wait = std::chrono::milliseconds(static_cast<int64_t>(step_.count() * factor));
  return Elapsed(key, state, wait);
}

void Pacer::EndPass() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = touched_.count(it->first) ? std::next(it) : entries_.erase(it);
  }
}

// ---- ApiWriter ----

std::string ResourcePath(const ResourceType& type, const std::string& ns, const std::string& name,
                         const std::string& subresource) {
  std::string path =
      type.group.empty() ? "/api/" + type.version : "/apis/" + type.group + "/" + type.version;
  if (type.namespaced) path += "/namespaces/" + ns;
  path += "/" + type.plural;
  if (!name.empty()) path += "/" + name;
  if (!subresource.empty()) path += "/" + subresource;
  return path;
}

bool ApiWriter::Send(const std::string& method, const std::string& path, const std::string& body,
                     const std::string& manager) {
  HttpRequest request;
  request.method = method;
  request.path = path;
  request.body = body;
  request.content_type = "application/json";
  request.accept = "application/json";
  request.user_agent = manager + "/v1.32.4 (linux/amd64) kubesim";
  request.from_controllers = true;
  if (method != "DELETE") request.query.emplace("fieldManager", manager);
  RequestInfo info = ParseRequestInfo(method, path, false);
  HttpResponse response = api_->Handle(request, info);
  if (response.status < 300) return true;
  // A lost race with another writer, or an object or namespace going away: retried or moot.
  bool expected = response.status == 409 || response.status == 404 || response.status == 403;
  if (!expected && logged_.size() < kMaxLoggedFailures) {
    std::string line = manager + ": " + method + " " + path + ": " +
                       std::to_string(response.status) + " " + response.body.substr(0, 300);
    if (logged_.insert(line).second) {
      std::fprintf(stderr, "kubesim controllers: %s\n", line.c_str());
    }
  }
  return false;
}

bool ApiWriter::Create(const ResourceType& type, const Object& object, const std::string& manager) {
  return Send("POST", ResourcePath(type, object.namespace_(), ""), ToJson(object.json()), manager);
}

bool ApiWriter::Replace(const ResourceType& type, const Object& object,
                        const std::string& manager) {
  return Send("PUT", ResourcePath(type, object.namespace_(), object.name()), ToJson(object.json()),
              manager);
}

bool ApiWriter::ReplaceStatus(const ResourceType& type, const Object& object,
                              const std::string& manager) {
  std::string sub = type.has_status ? "status" : "";
  return Send("PUT", ResourcePath(type, object.namespace_(), object.name(), sub),
              ToJson(object.json()), manager);
}

bool ApiWriter::Delete(const ResourceType& type, const Object& object, const std::string& manager) {
  std::string body = R"({"kind":"DeleteOptions","apiVersion":"v1",)"
                     R"("propagationPolicy":"Background","preconditions":{"uid":)" +
                     Quote(UidOf(object)) + "}}";
  return Send("DELETE", ResourcePath(type, object.namespace_(), object.name()), body, manager);
}

bool ApiWriter::DeleteNow(const ResourceType& type, const Object& object,
                          const std::string& manager) {
  std::string body = R"({"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":0,)"
                     R"("preconditions":{"uid":)" +
                     Quote(UidOf(object)) + "}}";
  return Send("DELETE", ResourcePath(type, object.namespace_(), object.name()), body, manager);
}

// ---- Conditions ----

void SetCondition(JsonValue& status, const Condition& c, ConditionTimes times,
                  const std::string& now, JsonAllocator& a) {
  JsonValue* list = FindMember(status, "conditions");
  if (!list || !list->IsArray()) {
    SetMember(status, "conditions", JsonValue(rapidjson::kArrayType), a);
    list = FindMember(status, "conditions");
  }
  for (auto& entry : list->GetArray()) {
    if (!entry.IsObject() || MemberString(entry, "type") != c.type) continue;
    if (SameCondition(entry, c)) return;
    JsonValue replacement = NewCondition(c, times, &entry, now, a);
    entry = std::move(replacement);
    return;
  }
  list->PushBack(NewCondition(c, times, nullptr, now, a), a);
}

std::string ConditionStatusOf(const JsonValue& object, const std::string& type) {
  const JsonValue* c = FindCondition(object, type);
  return c ? MemberString(*c, "status") : "";
}

// ---- Owners, labels, names ----

std::string UidOf(const Object& object) { return GetString(object.json(), "metadata.uid"); }

JsonValue ControllerReference(const Object& owner, JsonAllocator& a) {
  JsonValue ref(rapidjson::kObjectType);
  SetString(ref, "apiVersion", owner.api_version(), a);
  SetString(ref, "kind", owner.kind(), a);
  SetString(ref, "name", owner.name(), a);
  SetString(ref, "uid", UidOf(owner), a);
  SetMember(ref, "controller", JsonValue(true), a);
  SetMember(ref, "blockOwnerDeletion", JsonValue(true), a);
  return ref;
}

std::string ControllerUid(const Object& object) {
  const JsonValue* refs = Find(object.json(), "metadata.ownerReferences");
  if (!refs || !refs->IsArray()) return "";
  for (const auto& ref : refs->GetArray()) {
    if (GetBool(ref, "controller").value_or(false)) return MemberString(ref, "uid");
  }
  return "";
}

OwnedIndex IndexByController(const std::vector<ObjectPtr>& objects) {
  OwnedIndex index;
  for (const ObjectPtr& o : objects) {
    std::string uid = ControllerUid(*o);
    if (!uid.empty()) index[uid].push_back(o);
  }
  return index;
}

const std::vector<ObjectPtr>& OwnedBy(const OwnedIndex& index, const std::string& uid) {
  static const std::vector<ObjectPtr> kNone;
  auto it = index.find(uid);
  return it == index.end() ? kNone : it->second;
}

void SetLabel(JsonValue& object, const std::string& key, const std::string& value,
              JsonAllocator& a) {
  JsonValue& labels = EnsureObject(EnsureObject(object, "metadata", a), "labels", a);
  SetString(labels, key, value, a);
}

void SetAnnotation(JsonValue& object, const std::string& key, const std::string& value,
                   JsonAllocator& a) {
  JsonValue& annotations = EnsureObject(EnsureObject(object, "metadata", a), "annotations", a);
  SetString(annotations, key, value, a);
}

Object PodFromTemplate(const JsonValue* pod_template, const Object& owner) {
  Object pod;
  JsonAllocator& a = pod.allocator();
  JsonValue& root = pod.mutable_json();
  SetString(root, "apiVersion", "v1", a);
  SetString(root, "kind", "Pod", a);
  JsonValue& meta = EnsureObject(root, "metadata", a);
  SetString(meta, "namespace", owner.namespace_(), a);
  for (const char* key : {"labels", "annotations"}) {
    const JsonValue* from =
        pod_template ? Find(*pod_template, std::string("metadata.") + key) : nullptr;
    if (from && from->IsObject()) SetMember(meta, key, JsonValue(*from, a), a);
  }
  JsonValue refs(rapidjson::kArrayType);
  refs.PushBack(ControllerReference(owner, a), a);
  SetMember(meta, "ownerReferences", std::move(refs), a);
  const JsonValue* spec = pod_template ? Find(*pod_template, "spec") : nullptr;
  SetMember(root, "spec",
            spec && spec->IsObject() ? JsonValue(*spec, a) : JsonValue(rapidjson::kObjectType), a);
  return pod;
}

int64_t ReplicasAt(const JsonValue& object, const char* path) {
  return std::max<int64_t>(0, GetInt(object, path).value_or(1));
}

std::string SafeHash(const std::string& text) {
  uint32_t hash = 2166136261u;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 16777619u;
  }
  static const char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (char digit : std::to_string(hash)) {
    out += kAlphabet[static_cast<unsigned char>(digit) % (sizeof(kAlphabet) - 1)];
  }
  return out;
}

// ---- Pods ----

bool PodIsTerminating(const Object& pod) {
  return Find(pod.json(), "metadata.deletionTimestamp") != nullptr;
}

bool PodIsReady(const Object& pod) { return ConditionStatusOf(pod.json(), "Ready") == "True"; }

std::string PodPhase(const Object& pod) { return GetString(pod.json(), "status.phase"); }

int64_t PodRestarts(const Object& pod) {
  int64_t restarts = 0;
  const JsonValue* statuses = Find(pod.json(), "status.containerStatuses");
  if (!statuses || !statuses->IsArray()) return 0;
  for (const auto& s : statuses->GetArray()) restarts += GetInt(s, "restartCount").value_or(0);
  return restarts;
}

// ---- ControllerContext ----

std::optional<ResourceType> ControllerContext::Type(const std::string& group,
                                                    const std::string& plural,
                                                    const std::string& preferred_version) const {
  if (auto type = api_->catalog().Find(group, preferred_version, plural)) return type;
  for (ResourceType& t : api_->catalog().All()) {
    if (t.group == group && t.plural == plural) return std::move(t);
  }
  return std::nullopt;
}

std::optional<ResourceType> ControllerContext::TypeOfKind(const std::string& api_version,
                                                          const std::string& kind) const {
  size_t slash = api_version.find('/');
  std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  std::string version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
  if (auto type = api_->catalog().FindByKind(group, version, kind)) return type;
  for (ResourceType& t : api_->catalog().All()) {
    if (t.group == group && t.kind == kind) return std::move(t);
  }
  return std::nullopt;
}

std::vector<ObjectPtr> ControllerContext::List(const ResourceType& type,
                                               const std::string& ns) const {
  return api_->store().List(type.storage_key(), ns);
}

ObjectPtr ControllerContext::Get(const ResourceType& type, const std::string& ns,
                                 const std::string& name) const {
  return api_->store().Get(type.storage_key(), type.namespaced ? ns : "", name);
}

ObjectPtr ControllerContext::ControllerOf(const Object& object) const {
  const JsonValue* refs = Find(object.json(), "metadata.ownerReferences");
  if (!refs || !refs->IsArray()) return nullptr;
  for (const auto& ref : refs->GetArray()) {
    if (!GetBool(ref, "controller").value_or(false)) continue;
    auto type = TypeOfKind(MemberString(ref, "apiVersion"), MemberString(ref, "kind"));
    if (!type) return nullptr;
    ObjectPtr owner = Get(*type, object.namespace_(), MemberString(ref, "name"));
    if (owner && UidOf(*owner) == MemberString(ref, "uid")) return owner;
    return nullptr;
  }
  return nullptr;
}

Outcome ControllerContext::OutcomeOf(const Object& object) const {
  if (auto value = object.annotation(kOutcomeAnnotation)) return Outcome::Parse(*value);
  ObjectPtr owner = ControllerOf(object);
  for (int depth = 0; owner && depth < kMaxOwnerDepth; ++depth) {
    if (auto value = owner->annotation(kOutcomeAnnotation)) return Outcome::Parse(*value);
    owner = ControllerOf(*owner);
  }
  return Outcome();
}

std::string ControllerContext::Now() const { return Timestamp(clock_->NowUnix()); }

bool WriteStatusIfChanged(ControllerContext& ctx, const ResourceType& type, const Object& current,
                          const Object& next, const std::string& manager) {
  const JsonValue* before = Find(current.json(), "status");
  const JsonValue* after = Find(next.json(), "status");
  if (before && after && *before == *after) return false;
  return ctx.writer().ReplaceStatus(type, next, manager);
}

}  // namespace mlgitops::kubesim
