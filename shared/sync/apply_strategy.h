// How the sync engine writes one resource: server-side apply by default; Argo CD's sync options
// Replace=true (PUT, or create when missing) and Force=true or `sync --force` (delete and create
// again when the API server refuses a change to an immutable field); and, when none is set, an
// error naming the object, the refused fields and these ways out.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "app/application.h"
#include "kube/client.h"
#include "object/object.h"
#include "object/status.h"

namespace mlgitops {

/// The sync options that decide how one resource is written.
struct WriteStrategy {
  /// Replace=true: `kubectl replace` (PUT), or `kubectl create` when the object is missing.
  bool replace = false;
  /// Force=true or `sync --force`: a change the server refuses as immutable is made by deleting
  /// the object and creating it again (with Replace=true: always, as `kubectl replace --force`).
  bool force = false;
};

/// The strategy for `desired`: its argocd.argoproj.io/sync-options annotation wins over the
/// app's syncPolicy.syncOptions; `force_flag` (sync --force) adds Force.
WriteStrategy WriteStrategyFor(const Object& desired, const Application& app, bool force_flag);

/// One resource to write.
struct WriteRequest {
  const Object* desired = nullptr;
  ObjectKey key;
  std::string ref;  // how messages name it: "batch/Job ml/retrain"
  bool live_exists = false;
  WriteStrategy strategy;
  bool dry_run = false;
};

/// What a write did.
struct WriteDone {
  Object object;           // the server's answer (in a dry run, what it would store)
  bool replaced = false;   // written with PUT (Replace=true)
  bool recreated = false;  // deleted and created again (Force=true)
};

/// Writes resources for one sync. Thread-safe as far as the client is (one call per resource).
class ResourceWriter {
 public:
  struct Limits {
    /// How long a deleted object may take to disappear before it is created again (the wave
    /// timeout); zero means no limit.
    std::chrono::milliseconds wait_gone{std::chrono::minutes(10)};
    std::chrono::milliseconds poll{500};
    const std::atomic<bool>* cancel = nullptr;
  };

  ResourceWriter(KubeClient& client, std::string field_manager, Limits limits)
      : client_(client), field_manager_(std::move(field_manager)), limits_(limits) {}

  /// Applies (or replaces) `request.desired`. A refusal of a live object's update as immutable
  /// is told apart from an invalid manifest by the server itself: a dry-run create of the same
  /// object is refused only because it exists (409 AlreadyExists), never as Invalid. Without
  /// Force such a refusal is an error naming the fields and the ways out; with it the object is
  /// deleted (foreground), awaited until really gone, and created again.
  Result<WriteDone> Write(const WriteRequest& request);

 private:
  Result<Object> ApplyOrReplace(const WriteRequest& request);
  /// True when the server would accept `desired` as a new object (see Write).
  bool RefusedAsImmutable(const WriteRequest& request);
  Result<WriteDone> Recreate(const WriteRequest& request);
  Status WaitGone(const WriteRequest& request);

  KubeClient& client_;
  std::string field_manager_;
  Limits limits_;
};

/// The error for an update refused as immutable without Force: names `ref`, the fields the
/// server named (details.causes, with its words) and the ways out: Force=true,
/// Replace=true,Force=true and sync --force.
Status ImmutableFieldError(const std::string& ref, const Status& refused);

}  // namespace mlgitops
