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
// The watch cache sends each bookmark-asking watcher a bookmark every minute
// (bookmarkFrequency), and one two seconds before the watch times out (nextBookmarkTime).
constexpr auto kBookmarkInterval = std::chrono::minutes(1);
constexpr auto kBookmarkBeforeTimeout = std::chrono::seconds(2);

std::chrono::steady_clock::time_point NextBookmark(std::chrono::steady_clock::time_point now,
                                                   std::chrono::steady_clock::time_point deadline) {
  auto heartbeat = now + kBookmarkInterval;
  auto before_timeout = deadline - kBookmarkBeforeTimeout;
  if (before_timeout > now && before_timeout < heartbeat) return before_timeout;
  return heartbeat;
}
}  // namespace

WatchStream::WatchStream(const Store* store, ResourceType type, WatchOptions options,
                         const Clock* clock)
    : store_(store),
      type_(std::move(type)),
      options_(std::move(options)),
      clock_(clock),
      cursor_(options_.start_after),
      next_bookmark_(NextBookmark(std::chrono::steady_clock::now(), options_.deadline)) {}

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
    if (!out->empty()) return true;
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
  if (options_.bookmarks && now >= next_bookmark_) {
    AppendBookmark(false, out);
    next_bookmark_ = NextBookmark(now, options_.deadline);
  }
  if (!out->empty()) return true;
  auto wake = std::min(options_.deadline, now + kPollInterval);
  if (options_.bookmarks) wake = std::min(wake, next_bookmark_);
  store_->WaitForEvents(cursor_, wake);
  // Ending in this same call lets the transport finish the response before it stops.
  return !store_->shutting_down();
}

}  // namespace mlgitops::kubesim
