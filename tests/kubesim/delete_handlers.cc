// Deletion: DeleteOptions, preconditions, finalizers (two-phase deletion), propagation to
// dependents (the garbage collector's job, done synchronously), namespace termination and
// removal of a CRD's objects.
#include <set>

#include "kubesim/api_server.h"
#include "kubesim/json_util.h"
#include "kubesim/selectors.h"

namespace mlgitops::kubesim {

namespace {

struct DeleteOptions {
  std::string propagation;
  bool dry_run = false;
  bool orphan_dependents_false = false;
  std::string precondition_uid;
  std::string precondition_rv;
};

ApiResult<DeleteOptions> ReadDeleteOptions(const HttpRequest& request) {
  DeleteOptions o;
  o.propagation = request.Query("propagationPolicy");
  o.dry_run = IsDryRun(request);
  if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) return o;
  auto body = ParseJson(request.body, "DeleteOptions");
  if (!body.ok()) return BadRequest(body.status().message());
  const JsonValue& v = body->json();
  std::string policy = GetString(v, "propagationPolicy");
  if (!policy.empty()) o.propagation = policy;
  if (const JsonValue* dry = FindMember(v, "dryRun"); dry && dry->IsArray()) {
    for (const auto& d : dry->GetArray()) o.dry_run = o.dry_run || View(d) == "All";
  }
  if (auto orphan = GetBool(v, "orphanDependents")) {
    if (*orphan && o.propagation.empty()) o.propagation = "Orphan";
    o.orphan_dependents_false = !*orphan;
  }
  o.precondition_uid = GetString(v, "preconditions.uid");
  o.precondition_rv = GetString(v, "preconditions.resourceVersion");
  if (!o.propagation.empty() && o.propagation != "Orphan" && o.propagation != "Background" &&
      o.propagation != "Foreground") {
    return BadRequest("propagationPolicy: Unsupported value: \"" + o.propagation +
                      "\": supported values: \"Foreground\", \"Background\", \"Orphan\"");
  }
  return o;
}

std::string DeletedStatus(const ResourceType& type, const JsonValue& object) {
  std::string out =
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":)";
  out += Quote(GetString(object, "metadata.name"));
  if (!type.group.empty()) out += ",\"group\":" + Quote(type.group);
  out += ",\"kind\":" + Quote(type.plural) + ",\"uid\":" + Quote(GetString(object, "metadata.uid"));
  return out + "}}";
}

bool HasFinalizers(const JsonValue& object) {
  const JsonValue* f = Find(object, "metadata.finalizers");
  return f && f->IsArray() && f->Size() > 0;
}

}  // namespace

HttpResponse ApiServer::Delete(const Call& call) {
  std::lock_guard<std::recursive_mutex> lock(write_mu_);
  auto options = ReadDeleteOptions(call.request);
  if (!options.ok()) return ErrorResponse(options.error());
  ObjectPtr live = store_.Get(call.type.storage_key(), call.namespace_, call.info.name);
  if (!live) return ErrorResponse(NotFound(call.type.group, call.type.plural, call.info.name));
  std::string uid = GetString(live->json(), "metadata.uid");
  std::string rv = GetString(live->json(), "metadata.resourceVersion");
  if (!options->precondition_uid.empty() && options->precondition_uid != uid) {
    return ErrorResponse(Conflict(call.type.group, call.type.plural, call.info.name,
                                  "Precondition failed: UID in precondition: " +
                                      options->precondition_uid + ", UID in object meta: " + uid));
  }
  if (!options->precondition_rv.empty() && options->precondition_rv != rv) {
    return ErrorResponse(Conflict(
        call.type.group, call.type.plural, call.info.name,
        "Precondition failed: ResourceVersion in precondition: " + options->precondition_rv +
            ", ResourceVersion in object meta: " + rv));
  }
  // Admission webhooks (admission.h) see the object about to go.
  AdmissionAttributes admission{"DELETE",       &call.type,       "", call.namespace_,
                                call.info.name, options->dry_run, "", options->propagation};
  if (auto refused = admission_.Admit(admission, nullptr, &live->json())) {
    return ErrorResponse(*refused);
  }
  auto result = DeleteObject(call.type, live, options->propagation, options->dry_run);
  if (!result.ok()) return ErrorResponse(result.error());
  if (result->deleted) return JsonResponse(200, DeletedStatus(call.type, result->object->json()));
  return JsonResponse(options->orphan_dependents_false ? 202 : 200,
                      Render(result->object, call.type));
}

HttpResponse ApiServer::DeleteCollection(const Call& call) {
  std::lock_guard<std::recursive_mutex> lock(write_mu_);
  auto options = ReadDeleteOptions(call.request);
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
    auto result = DeleteObject(call.type, o, options->propagation, options->dry_run);
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
                                                        const std::string& propagation,
                                                        bool dry_run) {
  const JsonValue& live = object->json();
  bool is_namespace = type.group.empty() && type.plural == "namespaces";
  bool terminating = Find(live, "metadata.deletionTimestamp") != nullptr;
  if (is_namespace || HasFinalizers(live)) {
    // Two-phase deletion: mark it, and let finalizers (or namespace cleanup) finish it.
    if (terminating) return Committed{object, false, false};
    Object next = object->Clone();
    JsonValue& root = next.mutable_json();
    JsonAllocator& a = next.allocator();
    JsonValue& meta = EnsureObject(root, "metadata", a);
    SetString(meta, "deletionTimestamp", NowTimestamp(), a);
    SetInt(meta, "deletionGracePeriodSeconds", 0, a);
    if (type.tracks_generation) {
      SetInt(meta, "generation", GetInt(live, "metadata.generation").value_or(0) + 1, a);
    }
    if (is_namespace) SetPath(root, "status.phase", Str("Terminating", a), a);
    if (dry_run) return Committed{std::make_shared<const Object>(std::move(next)), false, false};
    if (propagation == "Foreground") DeleteDependents(GetString(live, "metadata.uid"), false);
    Committed result{store_.Put(type.storage_key(), std::move(next)), false, false};
    AfterWrite(type, result);
    return result;
  }
  if (dry_run) return Committed{object, false, true};
  store_.Remove(type.storage_key(), object->Clone());
  Committed result{object, false, true};
  AfterWrite(type, result);
  DeleteDependents(GetString(live, "metadata.uid"), propagation == "Orphan");
  return result;
}

void ApiServer::DeleteDependents(const std::string& owner_uid, bool orphan) {
  if (owner_uid.empty()) return;
  std::set<std::string> seen;
  for (const ResourceType& type : catalog_.All()) {
    if (!seen.insert(type.storage_key()).second) continue;
    for (const ObjectPtr& o : store_.List(type.storage_key(), "")) {
      const JsonValue* refs = Find(o->json(), "metadata.ownerReferences");
      if (!refs || !refs->IsArray()) continue;
      bool owned = false;
      for (const auto& ref : refs->GetArray()) owned = owned || GetString(ref, "uid") == owner_uid;
      if (!owned) continue;
      if (!orphan && refs->Size() == 1) {
        DeleteObject(type, o, "Background", false);
        continue;
      }
      // Orphaned, or still owned by someone else: only the reference goes.
      Object next = o->Clone();
      JsonValue* list = FindMutable(next.mutable_json(), "metadata.ownerReferences");
      for (auto it = list->Begin(); it != list->End();) {
        it = GetString(*it, "uid") == owner_uid ? list->Erase(it) : it + 1;
      }
      if (list->Empty()) RemovePath(next.mutable_json(), "metadata.ownerReferences");
      store_.Put(type.storage_key(), std::move(next));
    }
  }
}

void ApiServer::FinalizeNamespace(const ObjectPtr& ns) {
  std::lock_guard<std::recursive_mutex> lock(write_mu_);
  std::string name = GetString(ns->json(), "metadata.name");
  ObjectPtr current = store_.Get("/namespaces", "", name);
  if (!current) return;
  std::vector<ResourceType> types = catalog_.All();
  for (const std::string& key : store_.KeysWithObjectsIn(name)) {
    for (const ResourceType& type : types) {
      if (type.storage_key() != key) continue;
      for (const ObjectPtr& o : store_.List(key, name)) {
        if (!Find(o->json(), "metadata.deletionTimestamp")) {
          DeleteObject(type, o, "Background", false);
        }
      }
      break;
    }
  }
  if (!store_.KeysWithObjectsIn(name).empty()) return;
  if (HasFinalizers(current->json())) return;  // metadata.finalizers set by someone else
  store_.Remove("/namespaces", current->Clone());
}

void ApiServer::RemoveCustomResources(const ResourceType& crd_type, const ObjectPtr& crd) {
  std::string key =
      GetString(crd->json(), "spec.group") + "/" + GetString(crd->json(), "spec.names.plural");
  for (const ObjectPtr& o : store_.List(key, "")) store_.Remove(key, o->Clone());
}

}  // namespace mlgitops::kubesim
