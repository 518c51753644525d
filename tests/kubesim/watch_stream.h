// A watch: newline-delimited {"type":...,"object":...} events for one resource, filtered by
// namespace and selectors, from a resourceVersion until timeoutSeconds or server shutdown.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "kubesim/catalog.h"
#include "kubesim/http_types.h"
#include "kubesim/selectors.h"
#include "kubesim/store.h"
#include "object/clock.h"

namespace mlgitops::kubesim {

struct WatchOptions {
  std::string namespace_;  // "" for all
  LabelSelector labels;
  FieldSelector fields;
  int64_t start_after = 0;          // events with a newer resourceVersion are sent
  std::vector<ObjectPtr> initial;   // sent first as ADDED (list-then-watch semantics)
  bool bookmarks = false;           // allowWatchBookmarks
  bool initial_events_end = false;  // sendInitialEvents: a bookmark marks their end
  bool table = false;               // objects rendered as meta.k8s.io Tables
  std::chrono::steady_clock::time_point deadline;
};

class WatchStream : public ResponseStream {
 public:
  WatchStream(const Store* store, ResourceType type, WatchOptions options, const Clock* clock);
  bool Next(std::string* out) override;

 private:
  bool Matches(const ObjectPtr& object) const;
  void AppendEvent(const char* type, const ObjectPtr& object, std::string* out);
  void AppendBookmark(bool initial_events_end, std::string* out);

  const Store* store_;
  ResourceType type_;
  WatchOptions options_;
  const Clock* clock_;
  int64_t cursor_;
  bool initial_sent_ = false;
  bool first_table_ = true;
  std::chrono::steady_clock::time_point next_bookmark_;
};

}  // namespace mlgitops::kubesim
