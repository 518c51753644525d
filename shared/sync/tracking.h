// Which live objects belong to an Application: Argo CD's annotation tracking, under our own key
// (`mlgitops.io/tracking-id`) and Argo CD's (`argocd.argoproj.io/tracking-id`), read alike.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "app/application.h"
#include "object/object.h"

namespace mlgitops {

inline constexpr std::string_view kTrackingAnnotation = "mlgitops.io/tracking-id";
inline constexpr std::string_view kArgoTrackingAnnotation = "argocd.argoproj.io/tracking-id";

/// `<app>:<group>/<kind>:<namespace>/<name>`, the value both annotations hold.
struct TrackingId {
  std::string app;
  std::string group;
  std::string kind;
  std::string namespace_;
  std::string name;

  std::string ToString() const;
  /// Argo CD's parse: three `:` parts, the last two split once on `/`; nullopt when malformed.
  static std::optional<TrackingId> Parse(std::string_view value);
};

/// The name Argo CD tracks an app under: its name, or `<namespace>_<name>` when the
/// Application lives outside `control_namespace` ("" = never qualified).
std::string AppInstanceName(const Application& app, const std::string& control_namespace = "");

/// The id `object` should carry for `app_instance`. Cluster-scoped objects carry no namespace.
TrackingId TrackingIdFor(const std::string& app_instance, const Object& object, bool namespaced);

/// Writes the tracking annotation (ours) into `object`.
void SetTrackingAnnotation(const TrackingId& id, Object* object);

/// The tracking id `object` carries (ours first, then Argo CD's), if well formed.
std::optional<TrackingId> ReadTrackingId(const Object& object);

/// Whether the live `object` belongs to `app_instance`: it carries the app's id, the id names the
/// object itself (an annotation copied onto another object is not ownership), and it has no
/// ownerReferences (children such as ReplicaSets and Pods are never pruned directly).
bool IsTrackedBy(const Object& object, const std::string& app_instance);

/// The app other than `app_instance` that tracks the live `object` (Argo CD's shared
/// resource), or nullopt when none does.
std::optional<std::string> TrackedByAnotherApp(const Object& object,
                                               const std::string& app_instance);

/// "KIND NS/NAME is part of applications OTHER and APP": how a shared resource is reported.
std::string SharedResourceText(const ObjectRef& ref, const std::string& other,
                               const std::string& app_instance);

}  // namespace mlgitops
