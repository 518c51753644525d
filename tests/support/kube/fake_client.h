// FakeKubeClient: an in-memory KubeClient for core tests: a resourceVersion counter, label and
// field selectors, paging, watches over a bounded history, and a log of the calls made.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "kube/client.h"
#include "object/clock.h"

namespace mlgitops {

/// One operation as the fake saw it, for tests to check order and options.
struct FakeCall {
  std::string verb;  // get, status, list, apply, patch, create, delete, watch
  ObjectRef ref;     // namespace_ and name empty for collections
  bool dry_run = false;
  bool force = false;
  std::string field_manager;
  /// "apply apps/Deployment ml/ranker", with " (dry run)" for dry runs.
  std::string ToString() const;
};

/// Simplifications, on purpose: objects are stored per group/kind/namespace/name and read back
/// with the apiVersion they were written with (no conversion); server-side apply merges maps
/// and replaces lists, without field managers or conflicts, and leaves status alone; strategic
/// merge patches act as merge patches; JSON patches are unsupported; objects may be put into
/// namespaces that do not exist. Deletion honours finalizers (sets deletionTimestamp),
/// preconditions and propagation (dependents by ownerReferences go too, unless Orphan).
class FakeKubeClient : public KubeClient {
 public:
  /// Serves common built-in kinds (core, apps, batch, networking, rbac, policy, autoscaling,
  /// apiextensions, admissionregistration, storage, scheduling). `clock` stamps creation times
  /// (the system clock when null).
  explicit FakeKubeClient(std::string default_namespace = "default", const Clock* clock = nullptr);

  /// Serves `info` from now on; applying or creating a CustomResourceDefinition does the same.
  void AddResource(ResourceInfo info);
  /// Stores `object` as the server would after a create, without logging a call.
  Status Seed(const Object& object);
  /// The next call of `verb` fails with `status` instead of running.
  void FailNext(const std::string& verb, Status status);
  std::vector<FakeCall> calls() const;
  void ClearCalls();
  /// How many change events watches can replay; a version older than that gets 410 Gone.
  void set_history_limit(size_t events);
  size_t object_count() const;

  std::string default_namespace() const override { return default_namespace_; }
  Result<ResourceInfo> Resource(const GroupVersionKind& gvk) override;
  Result<ResourceInfo> ResolveResource(std::string_view name) override;
  Result<std::vector<ResourceInfo>> ServerResources() override;
  Result<Object> Get(const ObjectKey& key) override;
  Result<Object> GetStatus(const ObjectKey& key) override;
  Result<ObjectList> List(const GroupVersionKind& gvk, const std::string& namespace_,
                          const ListOptions& options) override;
  Result<Object> Apply(const Object& desired, const ApplyOptions& options) override;
  Result<Object> Patch(const ObjectKey& key, PatchType type, std::string_view patch,
                       const WriteOptions& options) override;
  Result<Object> Create(const Object& object, const WriteOptions& options) override;
  Result<Object> Replace(const Object& object, const WriteOptions& options) override;
  Status Delete(const ObjectKey& key, const DeleteOptions& options) override;
  Result<WatchResult> Watch(const GroupVersionKind& gvk, const std::string& namespace_,
                            const WatchOptions& options, const WatchHandler& handler) override;

 private:
  struct Event {
    int64_t version;
    WatchEvent::Type type;
    Object object;
  };
  struct Located;  // a key resolved against the served resources

  Result<ResourceInfo> ResourceLocked(const GroupVersionKind& gvk) const;
  Result<Located> LocateLocked(const GroupVersionKind& gvk, const std::string& namespace_,
                               const std::string& name, const std::string& verb);
  Status BeginCall(const std::string& verb, const ObjectRef& ref, const WriteOptions* options,
                   bool force);
  Object* FindLocked(const Located& where);
  Result<Object> StoreLocked(const Located& where, Object object, bool created, bool dry_run);
  void RecordLocked(WatchEvent::Type type, const Object& object);
  void RegisterCrdLocked(const Object& crd);
  void DeleteLocked(const std::string& storage_key, const DeleteOptions& options);

  std::string default_namespace_;
  SystemClock system_clock_;
  const Clock* clock_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<ResourceInfo> resources_;
  std::map<std::string, Object> objects_;  // by "group/kind/namespace/name"
  std::deque<Event> history_;
  size_t history_limit_ = 1000;
  int64_t compacted_before_ = 0;  // versions at or below this are gone from the history
  int64_t version_ = 1000;
  int64_t uids_ = 0;
  std::vector<FakeCall> calls_;
  std::map<std::string, Status> failures_;
};

}  // namespace mlgitops
