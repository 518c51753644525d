// Deletion: DeleteOptions, preconditions, graceful deletion of Pods, finalizers (two-phase
// deletion) including the garbage collector's orphan/foregroundDeletion ones, and namespace
// termination. Dependents are removed later by the garbage collector (garbage_collector.cc).
#include <algorithm>
#include <set>

#include "kubesim/api_server.h"
#include "kubesim/deletion.h"
#include "kubesim/json_util.h"
#include "kubesim/object_rules.h"
#include "kubesim/selectors.h"
#include "object/timeutil.h"

namespace mlgitops::kubesim {

namespace {

std::string DeletedStatus(const ResourceType& type, const JsonValue& object) {
  std::string out =
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":)";
  out += Quote(GetString(object, "metadata.name"));
  if (!type.group.empty()) out += ",\"group\":" + Quote(type.group);
  out += ",\"kind\":" + Quote(type.plural) + ",\"uid\":" + Quote(GetString(object, "metadata.uid"));
  return out + "}}";
}

bool IsPodType(const ResourceType& t) { return t.group.empty() && t.plural == "pods"; }

// rest.BeforeDelete checks the preconditions before anything else, naming the Kind.
std::optional<ApiError> FailedPrecondition(const ResourceType& type, const JsonValue& live,
                                           const DeleteRequest& request) {
  std::string name = GetString(live, "metadata.name");
  std::string uid = GetString(live, "metadata.uid");
  std::string rv = GetString(live, "metadata.resourceVersion");
  if (!request.precondition_uid.empty() && request.precondition_uid != uid) {
    return Conflict(type.group, type.kind, name,
                    "the UID in the precondition (" + request.precondition_uid +
                        ") does not match the UID in record (" + uid +
                        "). The object might have been deleted and then recreated");
  }
  if (!request.precondition_rv.empty() && request.precondition_rv != rv) {
    return Conflict(type.group, type.kind, name,
                    "the ResourceVersion in the precondition (" + request.precondition_rv +
                        ") does not match the ResourceVersion in record (" + rv +
                        "). The object might have been modified");
  }
  return std::nullopt;
}

// What rest.BeforeDelete decides for a Pod (podStrategy.CheckGracefulDelete).
enum class Grace { kNone, kPending, kGraceful };

Grace PodGrace(const JsonValue& live, const DeleteRequest& request, int64_t now, JsonValue& meta,
               JsonAllocator& a, int64_t* period_out) {
  std::optional<int64_t> asked = request.grace_period;
  if (asked && *asked < 0) asked = 1;  // negative values are treated as one second
  if (Find(live, "metadata.deletionTimestamp")) {
    // Already being deleted: only a shorter grace period may be given.
    std::optional<int64_t> current = GetInt(live, "metadata.deletionGracePeriodSeconds");
    if (!current || *current <= 0) return Grace::kNone;
    if (!asked || *asked >= *current) return Grace::kPending;
    int64_t started =
        ParseRfc3339(GetString(live, "metadata.deletionTimestamp")).value_or(now) - *current;
    SetString(meta, "deletionTimestamp", Timestamp(started + *asked), a);
    SetInt(meta, "deletionGracePeriodSeconds", *asked, a);
    *period_out = *asked;
    return Grace::kGraceful;
  }
  int64_t period = asked ? *asked : GetInt(live, "spec.terminationGracePeriodSeconds").value_or(30);
  // An unscheduled Pod, or one whose containers are done, has nothing to stop.
  std::string phase = GetString(live, "status.phase");
  if (GetString(live, "spec.nodeName").empty() || phase == "Succeeded" || phase == "Failed") {
    period = 0;
  }
  if (period < 0) period = 1;
  SetString(meta, "deletionTimestamp", Timestamp(now + period), a);
  SetInt(meta, "deletionGracePeriodSeconds", period, a);
  *period_out = period;
  return Grace::kGraceful;
}

}  // namespace

HttpResponse ApiServer::Delete(const Call& call) {
  std::lock_guard<std::recursive_mutex> lock(write_mu_);
  auto options = ReadDeleteRequest(call.request);
  if (!options.ok()) return ErrorResponse(options.error());
  ObjectPtr live = store_.Get(call.type.storage_key(), call.namespace_, call.info.name);
  if (!live) return ErrorResponse(NotFound(call.type.group, call.type.plural, call.info.name));
  if (auto failed = FailedPrecondition(call.type, live->json(), *options)) {
    return ErrorResponse(*failed);
  }
  // Admission webhooks (admission.h) see the object about to go.
  AdmissionAttributes admission{"DELETE",       &call.type,       "", call.namespace_,
                                call.info.name, options->dry_run, "", options->propagation};
  if (auto refused = admission_.Admit(admission, nullptr, &live->json())) {
    return ErrorResponse(*refused);
  }
  auto result = DeleteObject(call.type, live, *options);
  if (!result.ok()) return ErrorResponse(result.error());
  if (result->deleted) {
    // The Pod registry answers with the deleted object (ReturnDeletedObject), others a Status.
    if (IsPodType(call.type)) return JsonResponse(200, Render(result->object, call.type));
    return JsonResponse(200, DeletedStatus(call.type, result->object->json()));
  }
  bool cascading = options->orphan_dependents.has_value() && !*options->orphan_dependents;
  return JsonResponse(cascading ? 202 : 200, Render(result->object, call.type));
}

HttpResponse ApiServer::DeleteCollection(const Call& call) {
  std::lock_guard<std::recursive_mutex> lock(write_mu_);
  auto options = ReadDeleteRequest(call.request);
  if (!options.ok()) return ErrorResponse(options.error());
  auto labels = LabelSelector::Parse(call.request.Query("labelSelector"));
  if (!labels.ok()) return ErrorResponse(BadRequest(labels.status().message()));
  auto fields = FieldSelector::Parse(call.request.Query("fieldSelector"), call.type.plural);
  if (!fields.ok()) return ErrorResponse(BadRequest(fields.status().message()));
  std::string items;
  for (const ObjectPtr& o : store_.List(call.type.storage_key(), call.namespace_)) {
    if (!labels->Matches(o->json()) || !fields->Matches(o->json())) continue;
    // Admission webhooks (admission.h) see each object about to go.
    AdmissionAttributes admission{"DELETE",
                                  &call.type,
                                  "",
                                  call.namespace_,
                                  GetString(o->json(), "metadata.name"),
                                  options->dry_run,
                                  "",
                                  options->propagation};
    if (auto refused = admission_.Admit(admission, nullptr, &o->json())) {
      return ErrorResponse(*refused);
    }
    auto result = DeleteObject(call.type, o, *options);
    if (!result.ok()) return ErrorResponse(result.error());
    if (!items.empty()) items += ',';
    items += Render(result->object, call.type);
  }
  return JsonResponse(200, "{\"kind\":" + Quote(call.type.kind + "List") +
                               ",\"apiVersion\":" + Quote(call.type.api_version()) +
                               ",\"metadata\":{\"resourceVersion\":" +
                               Quote(std::to_string(store_.CurrentResourceVersion())) +
                               "},\"items\":[" + items + "]}");
}

ApiResult<ApiServer::Committed> ApiServer::DeleteObject(const ResourceType& type,
                                                        const ObjectPtr& object,
                                                        const DeleteRequest& request) {
  const JsonValue& live = object->json();
  bool terminating = Find(live, "metadata.deletionTimestamp") != nullptr;
  Object next = object->Clone();
  JsonValue& root = next.mutable_json();
  JsonAllocator& a = next.allocator();
  JsonValue& meta = EnsureObject(root, "metadata", a);
  if (IsNamespaceType(type)) {
    // The namespace controller deletes the content, then the namespace (FinalizeNamespace).
    if (terminating) return Committed{object, false, false};
    SetString(meta, "deletionTimestamp", NowTimestamp(), a);
    SetInt(meta, "deletionGracePeriodSeconds", 0, a);
    SetPath(root, "status.phase", Str("Terminating", a), a);
  } else {
    // The CRD registry adds its cleanup finalizer on the first delete (crd_cleanup.cc).
    if (type.group == "apiextensions.k8s.io" && !terminating) MarkCrdForCleanup(root, a);
    int64_t period = 0;
    Grace grace = IsPodType(type) ? PodGrace(live, request, Now(), meta, a, &period) : Grace::kNone;
    // A graceful deletion in progress keeps its finalizers whatever the options say.
    if (grace == Grace::kPending) return Committed{object, false, false};
    std::vector<std::string> finalizers = FinalizersAfterDelete(type, root, request);
    bool delete_now =
        grace == Grace::kGraceful ? finalizers.empty() && period == 0 : finalizers.empty();
    if (delete_now) {
      if (request.dry_run) return Committed{object, false, true};
      store_.Remove(type.storage_key(), object->Clone());
      Committed result{object, false, true};
      AfterWrite(type, result);
      return result;
    }
    SetFinalizers(root, finalizers, a);
    if (grace == Grace::kNone) {
      // markAsDeleting: objects without graceful deletion wait for their finalizers.
      bool had_timestamp = Find(live, "metadata.deletionTimestamp") != nullptr;
      int64_t generation = GetInt(live, "metadata.generation").value_or(0);
      if (!had_timestamp && generation > 0) SetInt(meta, "generation", generation + 1, a);
      if (!had_timestamp) SetString(meta, "deletionTimestamp", NowTimestamp(), a);
      SetInt(meta, "deletionGracePeriodSeconds", 0, a);
    }
  }
  if (SameObject(live, root)) return Committed{object, false, false};
  if (request.dry_run) {
    return Committed{std::make_shared<const Object>(std::move(next)), false, false};
  }
  Committed result{store_.Put(type.storage_key(), std::move(next)), false, false};
  AfterWrite(type, result);
  return result;
}

void ApiServer::FinalizeNamespace(const ObjectPtr& ns) {
  std::lock_guard<std::recursive_mutex> lock(write_mu_);
  std::string name = GetString(ns->json(), "metadata.name");
  ObjectPtr current = store_.Get("/namespaces", "", name);
  if (!current) return;
  std::vector<ResourceType> types = catalog_.All();
  DeleteRequest background;
  background.propagation = "Background";
  for (const std::string& key : store_.KeysWithObjectsIn(name)) {
    for (const ResourceType& type : types) {
      if (type.storage_key() != key) continue;
      for (const ObjectPtr& o : store_.List(key, name)) {
        if (!Find(o->json(), "metadata.deletionTimestamp")) DeleteObject(type, o, background);
      }
      break;
    }
  }
  if (!store_.KeysWithObjectsIn(name).empty()) return;
  if (!FinalizersOf(current->json()).empty()) return;  // metadata.finalizers set by someone else
  store_.Remove("/namespaces", current->Clone());
}

// ---- DeleteOptions and finalizer lists ----

ApiResult<DeleteRequest> ReadDeleteRequest(const HttpRequest& request) {
  DeleteRequest o;
  o.propagation = request.Query("propagationPolicy");
  o.dry_run = IsDryRun(request);
  std::string grace = request.Query("gracePeriodSeconds");
  if (!grace.empty()) {
    char* end = nullptr;
    long long value = std::strtoll(grace.c_str(), &end, 10);
    if (!end || *end != '\0') {
      return BadRequest("gracePeriodSeconds: invalid value \"" + grace + "\"");
    }
    o.grace_period = value;
  }
  if (request.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    auto body = ParseJson(request.body, "DeleteOptions");
    if (!body.ok()) return BadRequest(body.status().message());
    const JsonValue& v = body->json();
    std::string policy = GetString(v, "propagationPolicy");
    if (!policy.empty()) o.propagation = policy;
    if (const JsonValue* dry = FindMember(v, "dryRun"); dry && dry->IsArray()) {
      for (const auto& d : dry->GetArray()) o.dry_run = o.dry_run || View(d) == "All";
    }
    if (auto orphan = GetBool(v, "orphanDependents")) o.orphan_dependents = *orphan;
    if (auto seconds = GetInt(v, "gracePeriodSeconds")) o.grace_period = *seconds;
    o.precondition_uid = GetString(v, "preconditions.uid");
    o.precondition_rv = GetString(v, "preconditions.resourceVersion");
  }
  if (!o.propagation.empty() && o.propagation != "Orphan" && o.propagation != "Background" &&
      o.propagation != "Foreground") {
    return BadRequest("propagationPolicy: Unsupported value: \"" + o.propagation +
                      "\": supported values: \"Foreground\", \"Background\", \"Orphan\"");
  }
  return o;
}

std::vector<std::string> FinalizersOf(const JsonValue& object) {
  std::vector<std::string> out;
  const JsonValue* list = Find(object, "metadata.finalizers");
  if (!list || !list->IsArray()) return out;
  for (const auto& f : list->GetArray()) {
    if (f.IsString()) out.push_back(f.GetString());
  }
  return out;
}

bool HasFinalizer(const JsonValue& object, const std::string& finalizer) {
  std::vector<std::string> list = FinalizersOf(object);
  return std::find(list.begin(), list.end(), finalizer) != list.end();
}

void SetFinalizers(JsonValue& object, const std::vector<std::string>& finalizers,
                   JsonAllocator& a) {
  JsonValue& meta = EnsureObject(object, "metadata", a);
  if (finalizers.empty()) {
    RemoveMember(meta, "finalizers");
    return;
  }
  JsonValue list(rapidjson::kArrayType);
  for (const std::string& f : finalizers) list.PushBack(Str(f, a), a);
  SetMember(meta, "finalizers", std::move(list), a);
}

std::vector<std::string> FinalizersAfterDelete(const ResourceType& type, const JsonValue& object,
                                               const DeleteRequest& request) {
  std::vector<std::string> current = FinalizersOf(object);
  // The object's own choice, when it made one earlier (the first of the two wins).
  std::string own;
  for (const std::string& f : current) {
    if (f == kOrphanFinalizer || f == kForegroundFinalizer) {
      own = f;
      break;
    }
  }
  // ReplicationControllers and Jobs requested through core/v1 and batch/v1 orphan by default
  // (DefaultGarbageCollectionPolicy, kept for backwards compatibility); the rest delete
  // dependents in the background.
  bool default_orphan = (type.group.empty() && type.plural == "replicationcontrollers") ||
                        (type.group == "batch" && type.version == "v1" && type.plural == "jobs");
  bool orphan, foreground;
  if (request.orphan_dependents) {
    orphan = *request.orphan_dependents;
    foreground = false;
  } else if (!request.propagation.empty()) {
    orphan = request.propagation == "Orphan";
    foreground = request.propagation == "Foreground";
  } else if (!own.empty()) {
    orphan = own == kOrphanFinalizer;
    foreground = own == kForegroundFinalizer;
  } else {
    orphan = default_orphan;
    foreground = false;
  }
  std::vector<std::string> out;
  for (const std::string& f : current) {
    if (f != kOrphanFinalizer && f != kForegroundFinalizer) out.push_back(f);
  }
  if (orphan) out.push_back(kOrphanFinalizer);
  if (foreground) out.push_back(kForegroundFinalizer);
  // An unchanged set keeps the object's own order.
  if (std::set<std::string>(out.begin(), out.end()) ==
      std::set<std::string>(current.begin(), current.end())) {
    return current;
  }
  return out;
}

}  // namespace mlgitops::kubesim
