// AppStateStore: the status document (Argo CD's field names: sync, health, operationState,
// history, resources) written to the Application CR or kept as JSON text in a ConfigMap.
#include "sync/app_state.h"

#include <algorithm>

#include "object/timeutil.h"

namespace mlgitops {

namespace {

constexpr char kStateKey[] = "state";

JsonValue Str(const std::string& s, JsonAllocator& a) { return JsonString(s, a); }

JsonValue StringArray(const std::vector<std::string>& values, JsonAllocator& a) {
  JsonValue out(rapidjson::kArrayType);
  for (const std::string& v : values) out.PushBack(Str(v, a), a);
  return out;
}

std::vector<std::string> ReadStrings(const JsonValue& v, std::string_view path) {
  std::vector<std::string> out;
  const JsonValue* array = Find(v, path);
  if (!array || !array->IsArray()) return out;
  for (const JsonValue& item : array->GetArray()) {
    if (item.IsString()) out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return out;
}

int64_t ReadTime(const JsonValue& v, std::string_view path) {
  return ParseRfc3339(GetString(v, path)).value_or(0);
}

JsonValue ResourceJson(const ResourceResult& r, JsonAllocator& a) {
  JsonValue o(rapidjson::kObjectType);
  size_t slash = r.api_version.find('/');
  o.AddMember("group", Str(r.ref.group, a), a);
  o.AddMember("version",
              Str(slash == std::string::npos ? r.api_version : r.api_version.substr(slash + 1), a),
              a);
  o.AddMember("kind", Str(r.ref.kind, a), a);
  o.AddMember("namespace", Str(r.ref.namespace_, a), a);
  o.AddMember("name", Str(r.ref.name, a), a);
  o.AddMember("status", Str(r.status, a), a);
  o.AddMember("message", Str(r.message, a), a);
  o.AddMember("syncPhase", Str(std::string(SyncPhaseName(r.phase)), a), a);
  o.AddMember("syncWave", static_cast<int64_t>(r.wave), a);
  o.AddMember("action", Str(r.action, a), a);
  if (r.hook) o.AddMember("hook", true, a);
  JsonValue health(rapidjson::kObjectType);
  health.AddMember("status", Str(std::string(HealthCodeName(r.health.code)), a), a);
  if (!r.health.message.empty()) health.AddMember("message", Str(r.health.message, a), a);
  o.AddMember("health", health, a);
  return o;
}

ResourceResult ParseResource(const JsonValue& v) {
  ResourceResult r;
  r.ref = ObjectRef{GetString(v, "group"), GetString(v, "kind"), GetString(v, "namespace"),
                    GetString(v, "name")};
  std::string version = GetString(v, "version");
  r.api_version = r.ref.group.empty() ? version : r.ref.group + "/" + version;
  r.status = GetString(v, "status");
  r.message = GetString(v, "message");
  r.action = GetString(v, "action");
  r.wave = GetInt(v, "syncWave").value_or(0);
  r.hook = GetBool(v, "hook").value_or(false);
  std::string phase = GetString(v, "syncPhase");
  r.phase = phase == "PreSync"    ? SyncPhase::kPreSync
            : phase == "PostSync" ? SyncPhase::kPostSync
            : phase == "SyncFail" ? SyncPhase::kSyncFail
                                  : SyncPhase::kSync;
  r.health.code = ParseHealthCode(GetString(v, "health.status")).value_or(HealthCode::kUnknown);
  r.health.message = GetString(v, "health.message");
  return r;
}

JsonValue HistoryJson(const HistoryEntry& e, JsonAllocator& a) {
  JsonValue o(rapidjson::kObjectType);
  o.AddMember("id", e.id, a);
  o.AddMember("revision", Str(e.revisions.empty() ? "" : e.revisions.front(), a), a);
  if (e.revisions.size() > 1) o.AddMember("revisions", StringArray(e.revisions, a), a);
  o.AddMember("deployStartedAt", Str(FormatRfc3339(e.deploy_started_at), a), a);
  o.AddMember("deployedAt", Str(FormatRfc3339(e.deployed_at), a), a);
  JsonValue by(rapidjson::kObjectType);
  if (e.initiated_by == "automated") {
    by.AddMember("automated", true, a);
  } else {
    by.AddMember("username", Str(e.initiated_by, a), a);
  }
  o.AddMember("initiatedBy", by, a);
  o.AddMember("phase", Str(e.phase, a), a);
  o.AddMember("message", Str(e.message, a), a);
  o.AddMember("resources", StringArray(e.resources, a), a);
  return o;
}

HistoryEntry ParseHistory(const JsonValue& v) {
  HistoryEntry e;
  e.id = GetInt(v, "id").value_or(0);
  e.revisions = ReadStrings(v, "revisions");
  if (e.revisions.empty() && !GetString(v, "revision").empty()) {
    e.revisions.push_back(GetString(v, "revision"));
  }
  e.deploy_started_at = ReadTime(v, "deployStartedAt");
  e.deployed_at = ReadTime(v, "deployedAt");
  e.initiated_by = GetBool(v, "initiatedBy.automated").value_or(false)
                       ? "automated"
                       : GetString(v, "initiatedBy.username");
  e.phase = GetString(v, "phase", "Succeeded");  // Argo CD records successful syncs only
  e.message = GetString(v, "message");
  e.resources = ReadStrings(v, "resources");
  return e;
}

}  // namespace

AppState ParseAppState(const JsonValue& status) {
  AppState s;
  const JsonValue* history = Find(status, "history");
  if (history && history->IsArray()) {
    for (const JsonValue& h : history->GetArray()) s.history.push_back(ParseHistory(h));
  }
  s.sync_status = GetString(status, "sync.status");
  s.health = GetString(status, "health.status");
  s.health_message = GetString(status, "health.message");
  s.last_phase = GetString(status, "operationState.phase");
  s.last_message = GetString(status, "operationState.message");
  s.last_revisions = ReadStrings(status, "operationState.syncResult.revisions");
  const JsonValue* resources = Find(status, "operationState.syncResult.resources");
  if (resources && resources->IsArray()) {
    for (const JsonValue& r : resources->GetArray()) s.resources.push_back(ParseResource(r));
  }
  return s;
}

AppStateStore::AppStateStore(KubeClient& client, const Application& app, bool in_cluster_app,
                             std::string namespace_)
    : client_(client),
      app_(app),
      in_cluster_app_(in_cluster_app),
      namespace_(std::move(namespace_)) {}

std::string AppStateStore::location() const {
  if (in_cluster_app_) return "Application " + namespace_ + "/" + app_.name + " status";
  return "ConfigMap " + namespace_ + "/mlgitops-app-" + app_.name;
}

Result<Object> AppStateStore::Fetch() {
  if (in_cluster_app_) {
    GroupVersionKind gvk = GroupVersionKind::FromApiVersion(app_.api_version, "Application");
    return client_.Get(ObjectKey{gvk, namespace_, app_.name});
  }
  return client_.Get(ObjectKey{{"", "v1", "ConfigMap"}, namespace_, "mlgitops-app-" + app_.name});
}

Result<AppState> AppStateStore::Load() {
  auto object = Fetch();
  if (!object.ok()) {
    if (object.status().code() == Status::Code::kNotFound && !in_cluster_app_) return AppState();
    return object.status().Prefixed("reading " + location());
  }
  if (in_cluster_app_) {
    const JsonValue* status = Find(object->json(), "status");
    return status ? ParseAppState(*status) : AppState();
  }
  std::string text = GetString(object->json(), std::string("data.") + kStateKey);
  if (text.empty()) return AppState();
  auto parsed = ParseJsonObject(text, location());
  if (!parsed.ok()) return parsed.status();
  return ParseAppState(parsed->json());
}

Status AppStateStore::Store(const std::string& status_json) {
  WriteOptions write;
  if (in_cluster_app_) {
    // Argo CD's Application CRD has no status subresource: the status is patched in place.
    GroupVersionKind gvk = GroupVersionKind::FromApiVersion(app_.api_version, "Application");
    auto patched = client_.Patch(ObjectKey{gvk, namespace_, app_.name}, PatchType::kMerge,
                                 "{\"status\":" + status_json + "}", write);
    return patched.ok() ? Status::OK() : patched.status().Prefixed("writing " + location());
  }
  auto cm = ParseJsonObject(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{},"data":{}})",
                            location());
  if (!cm.ok()) return cm.status();
  JsonAllocator& a = cm->allocator();
  JsonValue& metadata = cm->mutable_json()["metadata"];
  metadata.AddMember("name", Str("mlgitops-app-" + app_.name, a), a);
  metadata.AddMember("namespace", Str(namespace_, a), a);
  JsonValue labels(rapidjson::kObjectType);
  labels.AddMember("app.kubernetes.io/managed-by", "mlgitops", a);
  labels.AddMember("mlgitops.io/application", Str(app_.name, a), a);
  metadata.AddMember("labels", labels, a);
  cm->mutable_json()["data"].AddMember(JsonValue(kStateKey, a), Str(status_json, a), a);
  ApplyOptions apply;
  auto applied = client_.Apply(*cm, apply);
  return applied.ok() ? Status::OK() : applied.status().Prefixed("writing " + location());
}

Status AppStateStore::Record(const SyncResult& result, const std::string& initiated_by) {
  if (result.dry_run) return Status::OK();
  auto state = Load();
  if (!state.ok()) return state.status();
  HistoryEntry entry;
  entry.id = state->history.empty() ? 0 : state->history.back().id + 1;
  entry.revisions = result.revisions;
  entry.deploy_started_at = result.started_at;
  entry.deployed_at = result.finished_at;
  entry.initiated_by = initiated_by;
  entry.phase = result.phase;
  entry.message = result.message;
  for (const ResourceResult& r : result.resources) {
    entry.resources.push_back(r.ref.ToString() + ": " + (r.status.empty() ? "-" : r.status) + " " +
                              (r.action.empty() ? "-" : r.action) + " " +
                              std::string(HealthCodeName(r.health.code)));
  }
  std::vector<HistoryEntry> history = state->history;
  history.push_back(std::move(entry));
  int64_t limit = std::max<int64_t>(app_.revision_history_limit, 1);
  if (static_cast<int64_t>(history.size()) > limit) {
    history.erase(history.begin(), history.end() - limit);
  }

  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  JsonValue h(rapidjson::kArrayType);
  for (const HistoryEntry& e : history) h.PushBack(HistoryJson(e, a), a);
  doc.AddMember("history", h, a);
  JsonValue op(rapidjson::kObjectType);
  op.AddMember("phase", Str(result.phase, a), a);
  op.AddMember("message", Str(result.message, a), a);
  op.AddMember("startedAt", Str(FormatRfc3339(result.started_at), a), a);
  op.AddMember("finishedAt", Str(FormatRfc3339(result.finished_at), a), a);
  JsonValue sync_result(rapidjson::kObjectType);
  sync_result.AddMember("revision", Str(result.revisions.empty() ? "" : result.revisions[0], a), a);
  sync_result.AddMember("revisions", StringArray(result.revisions, a), a);
  JsonValue resources(rapidjson::kArrayType);
  for (const ResourceResult& r : result.resources) resources.PushBack(ResourceJson(r, a), a);
  sync_result.AddMember("resources", resources, a);
  op.AddMember("syncResult", sync_result, a);
  doc.AddMember("operationState", op, a);
  return Store(ToJson(doc));
}

Status AppStateStore::RecordStatus(const std::string& sync_status, const HealthStatus& health) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  JsonValue sync(rapidjson::kObjectType);
  sync.AddMember("status", Str(sync_status, a), a);
  doc.AddMember("sync", sync, a);
  JsonValue h(rapidjson::kObjectType);
  h.AddMember("status", Str(std::string(HealthCodeName(health.code)), a), a);
  h.AddMember("message", Str(health.message, a), a);
  doc.AddMember("health", h, a);
  if (in_cluster_app_) return Store(ToJson(doc));
  // The ConfigMap keeps one document: merge into what is there.
  auto object = Fetch();
  rapidjson::Document merged(rapidjson::kObjectType);
  if (object.ok()) {
    std::string text = GetString(object->json(), std::string("data.") + kStateKey);
    if (!text.empty()) merged.Parse(text.c_str(), text.size());
    if (merged.HasParseError() || !merged.IsObject()) merged.SetObject();
  }
  auto& ma = merged.GetAllocator();
  for (const char* key : {"sync", "health"}) {
    merged.RemoveMember(key);
    merged.AddMember(JsonValue(key, ma), JsonValue(doc[key], ma), ma);
  }
  return Store(ToJson(merged));
}

}  // namespace mlgitops
