// Where an Application's sync results and history live: on its CR's status when it is a CR in
// the cluster (as Argo CD keeps them), else in a ConfigMap `mlgitops-app-<name>` beside it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "app/application.h"
#include "kube/client.h"
#include "object/status.h"
#include "sync/syncer.h"

namespace mlgitops {

/// One sync operation, as `history` lists it.
struct HistoryEntry {
  int64_t id = 0;
  std::vector<std::string> revisions;
  int64_t deploy_started_at = 0;
  int64_t deployed_at = 0;
  std::string initiated_by;
  std::string phase;  // Succeeded, Failed, Terminated
  std::string message;
  /// Per resource: "Kind ns/name: status action health".
  std::vector<std::string> resources;
  /// The rendered source, so a rollback can fetch the same thing again.
  std::vector<std::string> source_paths;
};

/// The Application's recorded state: the last operation and its history.
struct AppState {
  std::vector<HistoryEntry> history;  // oldest first
  std::string sync_status;            // Synced, OutOfSync, Unknown ("" when never compared)
  std::string health;                 // Healthy, Degraded, ...
  std::string health_message;
  std::string last_phase;
  std::string last_message;
  std::vector<std::string> last_revisions;
  std::vector<ResourceResult> resources;  // of the last operation
};

class AppStateStore {
 public:
  /// `in_cluster_app`: the app is an Application CR (group mlgitops.io or argoproj.io), whose
  /// status takes the results; else the ConfigMap in `namespace_` does.
  AppStateStore(KubeClient& client, const Application& app, bool in_cluster_app,
                std::string namespace_);

  Result<AppState> Load();
  /// Adds `result` to the history (trimmed to revisionHistoryLimit, Argo CD's default 10; dry
  /// runs are not recorded) and stores it as the last operation.
  Status Record(const SyncResult& result, const std::string& initiated_by);
  /// Stores comparison and health without a new history entry (get, the controller).
  Status RecordStatus(const std::string& sync_status, const HealthStatus& health);

  std::string location()
      const;  // "Application ml/fraud status" or "ConfigMap ml/mlgitops-app-fraud"

 private:
  Result<Object> Fetch();
  Status Store(const std::string& status_json);

  KubeClient& client_;
  const Application& app_;
  bool in_cluster_app_;
  std::string namespace_;
};

/// Parses a history/state JSON value as Store writes it (exposed for tests).
AppState ParseAppState(const JsonValue& status);

}  // namespace mlgitops
