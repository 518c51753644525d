// Tracking ids: formatting, Argo CD's strict parse, and the ownership rule used for pruning.
#include "sync/tracking.h"

namespace mlgitops {

namespace {

// Splits `text` at the first `sep`; false when there is none.
bool SplitOnce(std::string_view text, char sep, std::string_view* left, std::string_view* right) {
  size_t at = text.find(sep);
  if (at == std::string_view::npos) return false;
  *left = text.substr(0, at);
  *right = text.substr(at + 1);
  return true;
}

}  // namespace

std::string TrackingId::ToString() const {
  return app + ":" + group + "/" + kind + ":" + namespace_ + "/" + name;
}

std::optional<TrackingId> TrackingId::Parse(std::string_view value) {
  std::string_view app, rest, group_kind, ns_name;
  if (!SplitOnce(value, ':', &app, &rest) || !SplitOnce(rest, ':', &group_kind, &ns_name)) {
    return std::nullopt;
  }
  if (ns_name.find(':') != std::string_view::npos) return std::nullopt;
  TrackingId id;
  std::string_view group, kind, ns, name;
  if (!SplitOnce(group_kind, '/', &group, &kind) || kind.find('/') != std::string_view::npos ||
      !SplitOnce(ns_name, '/', &ns, &name) || name.find('/') != std::string_view::npos) {
    return std::nullopt;
  }
  if (app.empty() || kind.empty() || name.empty()) return std::nullopt;
  id.app = std::string(app);
  id.group = std::string(group);
  id.kind = std::string(kind);
  id.namespace_ = std::string(ns);
  id.name = std::string(name);
  return id;
}

std::string AppInstanceName(const Application& app, const std::string& control_namespace) {
  if (control_namespace.empty() || app.namespace_.empty() || app.namespace_ == control_namespace) {
    return app.name;
  }
  return app.namespace_ + "_" + app.name;
}

TrackingId TrackingIdFor(const std::string& app_instance, const Object& object, bool namespaced) {
  return TrackingId{app_instance, object.group(), object.kind(),
                    namespaced ? object.namespace_() : "", object.name()};
}

void SetTrackingAnnotation(const TrackingId& id, Object* object) {
  object->SetAnnotation(kTrackingAnnotation, id.ToString());
}

std::optional<TrackingId> ReadTrackingId(const Object& object) {
  for (std::string_view key : {kTrackingAnnotation, kArgoTrackingAnnotation}) {
    auto value = object.annotation(key);
    if (!value) continue;
    auto id = TrackingId::Parse(*value);
    if (id) return id;
  }
  return std::nullopt;
}

bool IsTrackedBy(const Object& object, const std::string& app_instance) {
  auto id = ReadTrackingId(object);
  if (!id || id->app != app_instance) return false;
  const JsonValue* owners = Find(object.json(), "metadata.ownerReferences");
  if (owners && owners->IsArray() && !owners->Empty()) return false;
  // The id must describe the object carrying it; a namespaced object's id names its namespace.
  return id->group == object.group() && id->kind == object.kind() && id->name == object.name() &&
         (id->namespace_.empty() || id->namespace_ == object.namespace_());
}

std::optional<std::string> TrackedByAnotherApp(const Object& object,
                                               const std::string& app_instance) {
  auto id = ReadTrackingId(object);
  if (!id || id->app == app_instance || !IsTrackedBy(object, id->app)) return std::nullopt;
  return id->app;
}

std::string SharedResourceText(const ObjectRef& ref, const std::string& other,
                               const std::string& app_instance) {
  return ref.ToString() + " is part of applications " + other + " and " + app_instance;
}

}  // namespace mlgitops
