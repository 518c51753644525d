// kube-controller-manager's garbage collector, one pass at a time (ApiServer::Tick): owners
// deleted with the orphan finalizer have their dependents' ownerReferences stripped, owners
// deleted in the foreground wait for their blocking dependents, and objects whose owners are
// all gone (looked up by kind, namespace, name and uid) are deleted (attemptToDeleteItem).
#include <map>
#include <set>
#include <utility>

#include "kubesim/api_server.h"
#include "kubesim/deletion.h"
#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

struct Item {
  ResourceType type;
  std::string ns, name, uid;
};

bool Deleting(const JsonValue& o) { return Find(o, "metadata.deletionTimestamp") != nullptr; }

// Whether `o` has an ownerReference to `owner_uid` (with blockOwnerDeletion when `blocking`).
bool References(const JsonValue& o, const std::string& owner_uid, bool blocking) {
  const JsonValue* refs = Find(o, "metadata.ownerReferences");
  if (!refs || !refs->IsArray()) return false;
  for (const auto& ref : refs->GetArray()) {
    if (MemberString(ref, "uid") != owner_uid) continue;
    if (!blocking || GetBool(ref, "blockOwnerDeletion").value_or(false)) return true;
  }
  return false;
}

}  // namespace

void ApiServer::CollectGarbage() {
  std::lock_guard<std::recursive_mutex> lock(write_mu_);
  // Every stored object once (types served in several versions share their storage).
  std::vector<Item> items;
  std::set<std::string> keys;
  for (const ResourceType& type : catalog_.All()) {
    if (!keys.insert(type.storage_key()).second) continue;
    for (const ObjectPtr& o : store_.List(type.storage_key(), "")) {
      items.push_back({type, o->namespace_(), o->name(), GetString(o->json(), "metadata.uid")});
    }
  }
  std::map<std::string, std::vector<size_t>> dependents;  // owner uid -> items
  const std::vector<size_t> none;
  auto dependents_of = [&](const std::string& uid) -> const std::vector<size_t>& {
    auto it = dependents.find(uid);
    return it == dependents.end() ? none : it->second;
  };
  for (size_t i = 0; i < items.size(); ++i) {
    ObjectPtr o = store_.Get(items[i].type.storage_key(), items[i].ns, items[i].name);
    const JsonValue* refs = o ? Find(o->json(), "metadata.ownerReferences") : nullptr;
    if (!refs || !refs->IsArray()) continue;
    for (const auto& ref : refs->GetArray()) dependents[MemberString(ref, "uid")].push_back(i);
  }
  auto latest = [&](const Item& item) -> ObjectPtr {
    ObjectPtr o = store_.Get(item.type.storage_key(), item.ns, item.name);
    return o && GetString(o->json(), "metadata.uid") == item.uid ? o : nullptr;
  };
  auto remove_finalizer = [&](const Item& item, const ObjectPtr& o, const char* finalizer) {
    std::vector<std::string> rest;
    for (const std::string& f : FinalizersOf(o->json())) {
      if (f != finalizer) rest.push_back(f);
    }
    Object next = o->Clone();
    SetFinalizers(next.mutable_json(), rest, next.allocator());
    bool gone =
        rest.empty() && GetInt(next.json(), "metadata.deletionGracePeriodSeconds").value_or(0) == 0;
    if (gone) {
      store_.Remove(item.type.storage_key(), next.Clone());
      AfterWrite(item.type,
                 Committed{std::make_shared<const Object>(std::move(next)), false, true});
      return;
    }
    AfterWrite(item.type, Committed{store_.Put(item.type.storage_key(), std::move(next))});
  };

  // Owners being deleted with a garbage-collection finalizer.
  for (const Item& item : items) {
    ObjectPtr owner = latest(item);
    if (!owner || !Deleting(owner->json())) continue;
    const std::vector<size_t>& deps = dependents_of(item.uid);
    if (HasFinalizer(owner->json(), kOrphanFinalizer)) {
      // orphanDependents: the references go, the dependents stay.
      for (size_t d : deps) {
        ObjectPtr dep = latest(items[d]);
        if (!dep) continue;
        Object next = dep->Clone();
        JsonValue* refs = FindMutable(next.mutable_json(), "metadata.ownerReferences");
        if (!refs || !refs->IsArray()) continue;
        for (auto it = refs->Begin(); it != refs->End();) {
          it = MemberString(*it, "uid") == item.uid ? refs->Erase(it) : it + 1;
        }
        if (refs->Empty()) RemovePath(next.mutable_json(), "metadata.ownerReferences");
        store_.Put(items[d].type.storage_key(), std::move(next));
      }
      remove_finalizer(item, owner, kOrphanFinalizer);
      continue;
    }
    if (!HasFinalizer(owner->json(), kForegroundFinalizer)) continue;
    // processDeletingDependentsItem: the owner waits for dependents that block its deletion.
    bool blocked = false;
    for (size_t d : deps) {
      ObjectPtr dep = latest(items[d]);
      if (!dep || !References(dep->json(), item.uid, true)) continue;
      blocked = true;
      if (Deleting(dep->json())) continue;
      // Its owner waits for it: a dependent with dependents of its own goes in the foreground.
      DeleteRequest request;
      request.propagation = HasFinalizer(dep->json(), kOrphanFinalizer) ? "Orphan"
                            : !dependents_of(items[d].uid).empty()      ? "Foreground"
                                                                        : "Background";
      DeleteObject(items[d].type, dep, request);
    }
    if (!blocked) remove_finalizer(item, owner, kForegroundFinalizer);
  }

  // attemptToDeleteItem: dependents whose owners are gone.
  for (const Item& item : items) {
    ObjectPtr o = latest(item);
    if (!o || Deleting(o->json())) continue;
    const JsonValue* refs = Find(o->json(), "metadata.ownerReferences");
    if (!refs || !refs->IsArray() || refs->Size() == 0) continue;
    std::set<std::string> dangling, waiting;
    size_t solid = 0;
    for (const auto& ref : refs->GetArray()) {
      std::string api_version = MemberString(ref, "apiVersion");
      auto slash = api_version.find('/');
      std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
      std::string version = api_version.substr(slash == std::string::npos ? 0 : slash + 1);
      auto owner_type = catalog_.FindByKind(group, version, MemberString(ref, "kind"));
      if (!owner_type) {
        ++solid;  // a kind nobody serves: the real collector cannot resolve it and retries
        continue;
      }
      ObjectPtr owner = store_.Get(owner_type->storage_key(), owner_type->namespaced ? item.ns : "",
                                   MemberString(ref, "name"));
      std::string uid = MemberString(ref, "uid");
      if (!owner || GetString(owner->json(), "metadata.uid") != uid) {
        dangling.insert(uid);
      } else if (Deleting(owner->json()) && HasFinalizer(owner->json(), kForegroundFinalizer)) {
        waiting.insert(uid);
      } else {
        ++solid;
      }
    }
    if (solid > 0) {
      if (dangling.empty() && waiting.empty()) continue;
      // Still owned by someone: only the references to gone or leaving owners are removed.
      Object next = o->Clone();
      JsonValue* list = FindMutable(next.mutable_json(), "metadata.ownerReferences");
      for (auto it = list->Begin(); it != list->End();) {
        std::string uid = MemberString(*it, "uid");
        it = dangling.count(uid) || waiting.count(uid) ? list->Erase(it) : it + 1;
      }
      store_.Put(item.type.storage_key(), std::move(next));
      continue;
    }
    if (dangling.empty() && waiting.empty()) continue;
    DeleteRequest request;
    request.propagation = HasFinalizer(o->json(), kOrphanFinalizer)              ? "Orphan"
                          : HasFinalizer(o->json(), kForegroundFinalizer)        ? "Foreground"
                          : !waiting.empty() && !dependents_of(item.uid).empty() ? "Foreground"
                                                                                 : "Background";
    DeleteObject(item.type, o, request);
  }
}

}  // namespace mlgitops::kubesim
