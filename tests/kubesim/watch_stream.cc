// Watch event production from the store's change history.
#include "kubesim/watch_stream.h"

#include <algorithm>

#include "kubesim/api_errors.h"
#include "kubesim/json_util.h"
#include "kubesim/object_rules.h"
#include "kubesim/table.h"

namespace mlgitops::kubesim {

namespace {
constexpr auto kPollInterval = std::chrono::seconds(1);
constexpr auto kBookmarkInterval = std::chrono::seconds(10);
}  // namespace

WatchStream::WatchStream(const Store* store, ResourceType type, WatchOptions options,
                         const Clock* clock)
    : store_(store),
      type_(std::move(type)),
      options_(std::move(options)),
      clock_(clock),
      cursor_(options_.start_after),
      last_sent_(std::chrono::steady_clock::now()) {}

bool WatchStream::Matches(const ObjectPtr& object) const {
  if (!object) return false;
  const JsonValue& o = object->json();
  if (!options_.namespace_.empty() && GetString(o, "metadata.namespace") != options_.namespace_) {
    return false;
  }
  return options_.labels.Matches(o) && options_.fields.Matches(o);
}

void WatchStream::AppendEvent(const char* type, const ObjectPtr& object, std::string* out) {
  *out += "{\"type\":\"";
  *out += type;
  *out += "\",\"object\":";
  if (options_.table) {
    TableOptions t;
    t.now = clock_->NowUnix();
    t.with_columns = first_table_;
    t.resource_version = GetString(object->json(), "metadata.resourceVersion");
    first_table_ = false;
    *out += RenderTable(type_, {object}, t);
  } else {
    *out += RenderAs(*object, type_.api_version());
  }
  *out += "}\n";
}

void WatchStream::AppendBookmark(bool initial_events_end, std::string* out) {
  std::string kind = options_.table ? "Table" : type_.kind;
  std::string api_version = options_.table ? "meta.k8s.io/v1" : type_.api_version();
  *out += "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":" + Quote(kind) +
          ",\"apiVersion\":" + Quote(api_version) +
          ",\"metadata\":{\"resourceVersion\":" + Quote(std::to_string(cursor_));
  if (initial_events_end) *out += R"(,"annotations":{"k8s.io/initial-events-end":"true"})";
  *out += "}}}\n";
}

bool WatchStream::Next(std::string* out) {
  auto now = std::chrono::steady_clock::now();
  if (!initial_sent_) {
    initial_sent_ = true;
    for (const ObjectPtr& object : options_.initial) {
      if (Matches(object)) AppendEvent("ADDED", object, out);
    }
    if (options_.initial_events_end) AppendBookmark(true, out);
    if (!out->empty()) {
      last_sent_ = now;
      return true;
    }
  }
  if (now >= options_.deadline || store_->shutting_down()) return false;

  std::vector<WatchEvent> events;
  if (!store_->EventsAfter(cursor_, &events)) {
    ApiError gone = Expired("too old resource version: " + std::to_string(cursor_) + " (" +
                            std::to_string(store_->OldestWatchableVersion()) + ")");
    *out += "{\"type\":\"ERROR\",\"object\":" + gone.ToJson() + "}\n";
    return false;
  }
  for (const WatchEvent& e : events) {
    cursor_ = e.resource_version;
    if (e.storage_key != type_.storage_key()) continue;
    bool now_matches = Matches(e.object);
    bool matched_before = Matches(e.previous);
    if (e.type == "DELETED") {
      if (now_matches) AppendEvent("DELETED", e.object, out);
    } else if (now_matches && (e.type == "ADDED" || !matched_before)) {
      AppendEvent("ADDED", e.object, out);
    } else if (now_matches) {
      AppendEvent("MODIFIED", e.object, out);
    } else if (matched_before) {
      // The object left the selection: watchers see it go away.
      AppendEvent("DELETED", e.object, out);
    }
  }
  if (!out->empty()) {
    last_sent_ = now;
    return true;
  }
  if (options_.bookmarks && now - last_sent_ >= kBookmarkInterval) {
    AppendBookmark(false, out);
    last_sent_ = now;
    return true;
  }
  store_->WaitForEvents(cursor_, std::min(options_.deadline, now + kPollInterval));
  // Ending in this same call lets the transport finish the response before it stops.
  return !store_->shutting_down();
}

}  // namespace mlgitops::kubesim
