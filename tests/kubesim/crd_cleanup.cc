// Deleting a CustomResourceDefinition as apiextensions-apiserver does: the first delete adds the
// customresourcecleanup finalizer and the Terminating condition, creates of its resources are
// refused from then on, the finalizer controller deletes every instance (through their own
// finalizers), then drops its finalizer so that the CRD goes and its resources stop being served.
#include <set>

#include "kubesim/api_server.h"
#include "kubesim/deletion.h"
#include "kubesim/json_util.h"
#include "kubesim/object_rules.h"

namespace mlgitops::kubesim {

namespace {

// Sets the Terminating condition, keeping lastTransitionTime while its status is unchanged.
void SetTerminating(JsonValue& crd, const char* status, const char* reason, const char* message,
                    const std::string& now, JsonAllocator& a) {
  JsonValue& st = EnsureObject(crd, "status", a);
  JsonValue* list = FindMember(st, "conditions");
  if (!list || !list->IsArray()) {
    SetMember(st, "conditions", JsonValue(rapidjson::kArrayType), a);
    list = FindMember(st, "conditions");
  }
  JsonValue condition(rapidjson::kObjectType);
  SetString(condition, "type", "Terminating", a);
  SetString(condition, "status", status, a);
  std::string since = now;
  for (auto it = list->Begin(); it != list->End(); ++it) {
    if (GetString(*it, "type") != "Terminating") continue;
    if (GetString(*it, "status") == status) since = GetString(*it, "lastTransitionTime", now);
    list->Erase(it);
    break;
  }
  SetString(condition, "lastTransitionTime", since, a);
  SetString(condition, "reason", reason, a);
  SetString(condition, "message", message, a);
  list->PushBack(std::move(condition), a);
}

bool CrdTerminating(const JsonValue& crd) {
  const JsonValue* c = FindCondition(crd, "Terminating");
  return c && MemberString(*c, "status") == "True";
}

}  // namespace

void ApiServer::MarkCrdForCleanup(JsonValue& crd, JsonAllocator& a) const {
  JsonValue& meta = EnsureObject(crd, "metadata", a);
  if (!FindMember(meta, "deletionTimestamp"))
    SetString(meta, "deletionTimestamp", NowTimestamp(), a);
  std::vector<std::string> finalizers = FinalizersOf(crd);
  if (!HasFinalizer(crd, kCrdCleanupFinalizer)) {
    finalizers.push_back(kCrdCleanupFinalizer);
    SetFinalizers(crd, finalizers, a);
  }
  SetTerminating(crd, "True", "InstanceDeletionPending",
                 "CustomResourceDefinition marked for deletion; CustomResource deletion will "
                 "begin soon",
                 NowTimestamp(), a);
}

std::optional<ApiError> ApiServer::RefuseCreateWhileCrdTerminating(const ResourceType& type) const {
  if (type.crd_name.empty()) return std::nullopt;
  ObjectPtr crd = store_.Get("apiextensions.k8s.io/customresourcedefinitions", "", type.crd_name);
  if (!crd || !CrdTerminating(crd->json())) return std::nullopt;
  // The custom resource handler answers MethodNotSupported with its own message.
  ApiError e;
  e.code = 405;
  e.reason = "MethodNotAllowed";
  e.message = "create not allowed while custom resource definition is terminating";
  e.group = type.group;
  e.kind = type.plural;
  e.has_details = true;
  return e;
}

void ApiServer::FinalizeCustomResourceDefinitions() {
  std::lock_guard<std::recursive_mutex> lock(write_mu_);
  auto crd_type = catalog_.Find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  if (!crd_type) return;
  for (const ObjectPtr& crd : store_.List(crd_type->storage_key(), "")) {
    const JsonValue& v = crd->json();
    if (!Find(v, "metadata.deletionTimestamp") || !HasFinalizer(v, kCrdCleanupFinalizer)) continue;
    std::string key = GetString(v, "spec.group") + "/" + GetString(v, "spec.names.plural");
    std::vector<ObjectPtr> instances = store_.List(key, "");
    Object next = crd->Clone();
    JsonAllocator& a = next.allocator();
    if (!instances.empty()) {
      SetTerminating(next.mutable_json(), "True", "InstanceDeletionInProgress",
                     "CustomResource deletion is in progress", NowTimestamp(), a);
      if (!SameObject(v, next.json())) store_.Put(crd_type->storage_key(), std::move(next));
      // A delete per instance, default options, as the finalizer's deletecollection does;
      // instances with finalizers stay until those are removed.
      std::vector<ResourceType> served;
      for (const ResourceType& t : catalog_.All()) {
        if (t.storage_key() == key) served.push_back(t);
      }
      if (served.empty()) continue;
      for (const ObjectPtr& o : instances) {
        if (!Find(o->json(), "metadata.deletionTimestamp")) {
          DeleteObject(served.front(), o, DeleteRequest());
        }
      }
      continue;
    }
    SetTerminating(next.mutable_json(), "False", "InstanceDeletionCompleted",
                   "removed all instances", NowTimestamp(), a);
    std::vector<std::string> finalizers;
    for (const std::string& f : FinalizersOf(v)) {
      if (f != kCrdCleanupFinalizer) finalizers.push_back(f);
    }
    SetFinalizers(next.mutable_json(), finalizers, a);
    if (!finalizers.empty()) {
      Committed result{store_.Put(crd_type->storage_key(), std::move(next)), false, false};
      AfterWrite(*crd_type, result);
      continue;
    }
    store_.Remove(crd_type->storage_key(), next.Clone());
    Committed result{std::make_shared<const Object>(std::move(next)), false, true};
    AfterWrite(*crd_type, result);
  }
}

void ApiServer::RemoveCustomResources(const ResourceType& crd_type, const ObjectPtr& crd) {
  (void)crd_type;
  // Left over only when someone removed the cleanup finalizer by hand; etcd would keep them,
  // kubesim drops them so that a new CRD of the same name starts empty.
  std::string key =
      GetString(crd->json(), "spec.group") + "/" + GetString(crd->json(), "spec.names.plural");
  for (const ObjectPtr& o : store_.List(key, "")) store_.Remove(key, o->Clone());
}

}  // namespace mlgitops::kubesim
