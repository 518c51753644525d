// Store: every object kubesim holds, keyed by storage key / namespace / name, plus the history
// of changes that watches replay. A global resourceVersion counter orders all writes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "object/object.h"

namespace mlgitops::kubesim {

using ObjectPtr = std::shared_ptr<const Object>;

struct WatchEvent {
  int64_t resource_version = 0;
  std::string type;  // ADDED, MODIFIED, DELETED
  std::string storage_key;
  std::string namespace_;
  ObjectPtr object;
  ObjectPtr previous;  // the state before a MODIFIED event, for selector-filtered watches
};

class Store {
 public:
  /// Keeps the last `history_limit` events for watches; older resourceVersions get 410.
  explicit Store(size_t history_limit = 20000);

  ObjectPtr Get(const std::string& key, const std::string& ns, const std::string& name) const;
  /// Objects of one storage key, in namespace/name order; `ns` "" means all namespaces.
  /// `resource_version`, when given, receives the version the snapshot corresponds to.
  std::vector<ObjectPtr> List(const std::string& key, const std::string& ns,
                              int64_t* resource_version = nullptr) const;
  /// Every storage key currently holding objects in namespace `ns`.
  std::vector<std::string> KeysWithObjectsIn(const std::string& ns) const;
  int64_t CurrentResourceVersion() const;

  /// Stores `object` (create or replace), stamping a fresh metadata.resourceVersion.
  ObjectPtr Put(const std::string& key, Object object);
  /// Removes the object; `final_state` (stamped with a fresh resourceVersion) is what
  /// watchers see in the DELETED event.
  void Remove(const std::string& key, Object final_state);

  /// Events with resourceVersion > `after` into `out`; false when `after` predates the history.
  bool EventsAfter(int64_t after, std::vector<WatchEvent>* out) const;
  /// Blocks until an event newer than `after` exists, `deadline` passes or Shutdown().
  void WaitForEvents(int64_t after, std::chrono::steady_clock::time_point deadline) const;
  /// The oldest resourceVersion a watch can start from.
  int64_t OldestWatchableVersion() const;
  /// Wakes every waiting watch so the server can stop.
  void Shutdown();
  bool shutting_down() const;

 private:
  int64_t Stamp(Object& object);
  void Record(WatchEvent event);

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::map<std::string, std::map<std::string, ObjectPtr>> objects_;  // key -> "ns/name" -> obj
  std::deque<WatchEvent> history_;
  size_t history_limit_;
  int64_t resource_version_ = 100;
  int64_t oldest_watchable_ = 100;
  bool shutting_down_ = false;
};

}  // namespace mlgitops::kubesim
