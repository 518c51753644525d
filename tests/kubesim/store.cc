// In-memory object store with a bounded change history.
#include "kubesim/store.h"

#include <algorithm>
#include <utility>

#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {
std::string Slot(const std::string& ns, const std::string& name) { return ns + "/" + name; }
}  // namespace

Store::Store(size_t history_limit) : history_limit_(history_limit) {}

ObjectPtr Store::Get(const std::string& key, const std::string& ns, const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto by_key = objects_.find(key);
  if (by_key == objects_.end()) return nullptr;
  auto it = by_key->second.find(Slot(ns, name));
  return it == by_key->second.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Store::List(const std::string& key, const std::string& ns,
                                   int64_t* resource_version) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (resource_version) *resource_version = resource_version_;
  std::vector<ObjectPtr> out;
  auto by_key = objects_.find(key);
  if (by_key == objects_.end()) return out;
  auto begin = ns.empty() ? by_key->second.begin() : by_key->second.lower_bound(ns + "/");
  for (auto it = begin; it != by_key->second.end(); ++it) {
    if (!ns.empty() && it->first.compare(0, ns.size() + 1, ns + "/") != 0) break;
    out.push_back(it->second);
  }
  return out;
}

std::vector<std::string> Store::KeysWithObjectsIn(const std::string& ns) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> keys;
  for (const auto& [key, slots] : objects_) {
    auto it = slots.lower_bound(ns + "/");
    if (it != slots.end() && it->first.compare(0, ns.size() + 1, ns + "/") == 0) {
      keys.push_back(key);
    }
  }
  return keys;
}

int64_t Store::CurrentResourceVersion() const {
  std::lock_guard<std::mutex> lock(mu_);
  return resource_version_;
}

int64_t Store::Stamp(Object& object) {
  int64_t rv = ++resource_version_;
  JsonValue& metadata = EnsureObject(object.mutable_json(), "metadata", object.allocator());
  SetString(metadata, "resourceVersion", std::to_string(rv), object.allocator());
  return rv;
}

void Store::Record(WatchEvent event) {
  history_.push_back(std::move(event));
  while (history_.size() > history_limit_) {
    oldest_watchable_ = history_.front().resource_version;
    history_.pop_front();
  }
  changed_.notify_all();
}

ObjectPtr Store::Put(const std::string& key, Object object) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t rv = Stamp(object);
  std::string ns = object.namespace_();
  std::string slot = Slot(ns, GetString(object.json(), "metadata.name"));
  auto stored = std::make_shared<const Object>(std::move(object));
  auto& slots = objects_[key];
  auto it = slots.find(slot);
  ObjectPtr previous = it == slots.end() ? nullptr : it->second;
  slots[slot] = stored;
  Record({rv, previous ? "MODIFIED" : "ADDED", key, ns, stored, previous});
  return stored;
}

void Store::Remove(const std::string& key, Object final_state) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t rv = Stamp(final_state);
  std::string ns = final_state.namespace_();
  auto by_key = objects_.find(key);
  if (by_key != objects_.end()) {
    by_key->second.erase(Slot(ns, GetString(final_state.json(), "metadata.name")));
    if (by_key->second.empty()) objects_.erase(by_key);
  }
  Record({rv, "DELETED", key, ns, std::make_shared<const Object>(std::move(final_state)), nullptr});
}

bool Store::EventsAfter(int64_t after, std::vector<WatchEvent>* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (after < oldest_watchable_) return false;
  // History is ordered by resourceVersion: skip the prefix already seen.
  auto it =
      std::upper_bound(history_.begin(), history_.end(), after,
                       [](int64_t rv, const WatchEvent& e) { return rv < e.resource_version; });
  for (; it != history_.end(); ++it) out->push_back(*it);
  return true;
}

void Store::WaitForEvents(int64_t after, std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_until(lock, deadline, [&] { return shutting_down_ || resource_version_ > after; });
}

int64_t Store::OldestWatchableVersion() const {
  std::lock_guard<std::mutex> lock(mu_);
  return oldest_watchable_;
}

void Store::Shutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutting_down_ = true;
  changed_.notify_all();
}

bool Store::shutting_down() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shutting_down_;
}

}  // namespace mlgitops::kubesim
