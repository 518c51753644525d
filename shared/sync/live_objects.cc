// ListTrackedObjects: one list per (kind, namespace) in parallel, filtered on the tracking id.
#include "sync/live_objects.h"

#include <algorithm>

#include "kube/errors.h"
#include "sync/parallel.h"
#include "sync/tracking.h"

namespace mlgitops {

namespace {

bool HasVerb(const ResourceInfo& info, const char* verb) {
  return std::find(info.verbs.begin(), info.verbs.end(), verb) != info.verbs.end();
}

}  // namespace

std::string ObjectIdentity(const Object& object) { return ObjectIdentity(object.ref()); }

std::string ObjectIdentity(const ObjectRef& ref) {
  return ref.group + "/" + ref.kind + "/" + ref.namespace_ + "/" + ref.name;
}

std::set<std::string> AppNamespaces(const Application& app, const std::vector<Object>& desired) {
  std::set<std::string> namespaces;
  for (const Object& obj : desired) {
    if (!obj.namespace_().empty()) namespaces.insert(obj.namespace_());
  }
  if (!app.destination.namespace_.empty()) namespaces.insert(app.destination.namespace_);
  return namespaces;
}

Result<std::vector<Object>> ListTrackedObjects(KubeClient& client, const std::string& app_instance,
                                               const std::set<std::string>& namespaces,
                                               int parallelism, std::vector<std::string>* unlisted,
                                               std::vector<ObjectRef>* untracked) {
  auto resources = client.ServerResources();
  if (!resources.ok()) return resources.status().Prefixed("listing resource types");
  struct Listing {
    ResourceInfo info;
    std::string namespace_;
  };
  std::vector<Listing> listings;
  for (const ResourceInfo& info : *resources) {
    // Only what we could have created and could delete again; subresources are not objects.
    if (!HasVerb(info, "list") || !HasVerb(info, "delete")) continue;
    if (info.resource.find('/') != std::string::npos) continue;
    if (info.kind == "Event") continue;  // never tracked, and by far the longest lists
    if (!info.namespaced) {
      listings.push_back({info, ""});
      continue;
    }
    for (const std::string& ns : namespaces) listings.push_back({info, ns});
  }
  std::vector<std::vector<Object>> found(listings.size());
  std::vector<std::vector<ObjectRef>> orphans(listings.size());
  std::vector<Status> errors(listings.size());
  std::vector<char> forbidden(listings.size(), 0);
  RunParallel(listings.size(), parallelism, [&](size_t i) {
    const Listing& l = listings[i];
    auto list = ListAll(client, {l.info.group, l.info.version, l.info.kind}, l.namespace_, {});
    if (!list.ok()) {
      if (IsForbidden(list.status())) {
        forbidden[i] = 1;
      } else if (list.status().code() != Status::Code::kNotFound) {
        errors[i] = list.status();
      }
      return;
    }
    for (Object& obj : list->items) {
      if (IsTrackedBy(obj, app_instance)) {
        found[i].push_back(std::move(obj));
      } else if (untracked && !l.namespace_.empty() && !ReadTrackingId(obj) &&
                 !Find(obj.json(), "metadata.ownerReferences")) {
        orphans[i].push_back(obj.ref());
      }
    }
  });
  for (const Status& s : errors) {
    if (!s.ok()) return s.Prefixed("listing tracked objects");
  }
  for (size_t i = 0; unlisted && i < listings.size(); ++i) {
    if (!forbidden[i]) continue;
    const Listing& l = listings[i];
    std::string what = l.info.group + "/" + l.info.kind;
    what += l.namespace_.empty() ? " (cluster-scoped)" : " in namespace " + l.namespace_;
    if (std::find(unlisted->begin(), unlisted->end(), what) == unlisted->end()) {
      unlisted->push_back(what);
    }
  }
  if (untracked) {
    std::set<std::string> seen_orphans;
    for (auto& refs : orphans) {
      for (ObjectRef& ref : refs) {
        if (seen_orphans.insert(ref.ToString()).second) untracked->push_back(std::move(ref));
      }
    }
    std::sort(untracked->begin(), untracked->end(),
              [](const ObjectRef& a, const ObjectRef& b) { return a.ToString() < b.ToString(); });
  }
  std::vector<Object> tracked;
  std::set<std::string> seen;
  for (auto& objects : found) {
    for (Object& obj : objects) {
      if (seen.insert(ObjectIdentity(obj)).second) tracked.push_back(std::move(obj));
    }
  }
  std::sort(tracked.begin(), tracked.end(), [](const Object& a, const Object& b) {
    return a.ref().ToString() < b.ref().ToString();
  });
  return tracked;
}

std::string UnlistedKindsWarning(const std::vector<std::string>& unlisted) {
  if (unlisted.empty()) return "";
  std::string kinds;
  for (const std::string& u : unlisted) kinds += (kinds.empty() ? "" : ", ") + u;
  return "cannot list " + kinds +
         " (forbidden): objects of these kinds are not tracked and will not be pruned";
}

}  // namespace mlgitops
