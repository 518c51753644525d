// `webhook install` and `webhook uninstall` against a cluster: certificates kept or rotated so
// the apiserver always trusts the certificate being served, and an order of writes that never
// leaves a webhook registered without a way back.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kube/client.h"
#include "object/status.h"
#include "webhook_install/certs.h"
#include "webhook_install/manifests.h"

namespace mlgitops {

/// Which CA signs the serving certificate, and what caBundle the webhooks trust.
struct CaPlan {
  PemKeyPair ca;
  std::string bundle_pem;  // the CA, then any CA still trusted during a rotation
  bool generated = false;  // a new CA (first install, --rotate-ca, expiring or broken CA)
  std::string reason;      // why, for the report
};

/// Keeps `existing` while it is a working CA that outlives a new serving certificate; else
/// (or with `rotate`) makes a new CA and trusts both it and the old one, if still valid.
Result<CaPlan> PlanCa(const std::optional<PemKeyPair>& existing, bool rotate, int64_t now_unix);

struct InstallOptions {
  WebhookValues values;
  bool rotate_ca = false;
  bool dry_run = false;
  int64_t now_unix = 0;
  std::string field_manager = "kubectl-mlgitops-webhook";
};

/// Progress lines ("secret/mlgitops-webhook-tls serverside-applied"), as kubectl prints them.
using ProgressFn = std::function<void(const std::string& line)>;

struct InstallReport {
  CaPlan ca;
  std::string serving_not_after;  // RFC 3339
  bool registered_first = false;  // the configurations already existed: trust went first
};

/// Installs or updates the webhook: Namespace, ServiceAccount, ConfigMap (created once, then
/// left to the user), CA and serving Secrets, Service, Deployment, PDB and both webhook
/// configurations. When the configurations already exist they are written first, so a new CA
/// is trusted before any pod can serve a certificate it signed; on a first install they are
/// written last, after everything they point at.
Result<InstallReport> InstallWebhook(KubeClient& client, const InstallOptions& options,
                                     const ProgressFn& progress);

/// Deletes the webhook configurations first (so nothing can lock the cluster out while the
/// rest goes), then the namespaced objects, then the Namespace if install created it.
Status UninstallWebhook(KubeClient& client, const std::string& namespace_,
                        const ProgressFn& progress);

}  // namespace mlgitops
