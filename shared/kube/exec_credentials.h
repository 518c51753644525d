// Credential providers for credentials that change at run time: exec plugins
// (client.authentication.k8s.io v1 and v1beta1, as GKE, EKS and AKS use) and token files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "kube/rest_config.h"
#include "object/status.h"
#include "sys/process.h"

namespace mlgitops {

inline constexpr std::string_view kExecApiV1 = "client.authentication.k8s.io/v1";
inline constexpr std::string_view kExecApiV1beta1 = "client.authentication.k8s.io/v1beta1";

/// What a plugin with provideClusterInfo learns about the cluster (spec.cluster).
struct ExecClusterInfo {
  std::string server;
  std::string tls_server_name;
  bool insecure_skip_tls_verify = false;
  std::string ca_pem;  // sent base64-encoded as certificate-authority-data
  std::string proxy_url;
  std::string config_json;  // the cluster's client.authentication.k8s.io/exec extension, or ""
};

struct ExecProviderOptions {
  int64_t timeout_ms = 60000;
  /// Credentials are refreshed this long before their expirationTimestamp (at most half
  /// their lifetime), so a request never leaves with a token about to expire.
  int64_t refresh_margin_seconds = 10;
  size_t max_output_bytes = size_t{1} << 20;
  size_t max_stderr_in_error = 1024;  // the tail of the plugin's stderr quoted in errors
};

/// Checks apiVersion (v1 or v1beta1), command, interactiveMode (required by v1) and env names.
/// The message names the offending field but no value other than the apiVersion.
Status ValidateExecConfig(const ExecConfig& config);

/// The KUBERNETES_EXEC_INFO value: an ExecCredential with spec.interactive=false and, when
/// `cluster` is given, spec.cluster.
std::string ExecInfoJson(const ExecConfig& config, const ExecClusterInfo* cluster);

/// Reads the ExecCredential a plugin printed. Errors describe what is wrong without quoting the
/// output, which holds the token.
Result<Credentials> ParseExecCredential(std::string_view output, std::string_view api_version);

/// Runs an exec plugin and caches its credentials until their expirationTimestamp (or until
/// Invalidate when there is none). Concurrent Get() calls during a refresh share one run.
class ExecCredentialProvider : public CredentialProvider {
 public:
  /// `origin` names the kubeconfig entry in errors (`~/.kube/config: users[0] "gke"`).
  ExecCredentialProvider(ExecConfig config, ExecClusterInfo cluster,
                         std::shared_ptr<ProcessRunner> runner, std::string origin,
                         ExecProviderOptions options = ExecProviderOptions());

  Result<Credentials> Get(int64_t now_unix) override;
  void Invalidate() override;
  void InvalidateIfCurrent(const Credentials& rejected) override;
  /// How many times the plugin has been started.
  int runs() const;

 private:
  bool FreshLocked(int64_t now_unix) const;
  Result<Credentials> RunPlugin();
  Status PluginFailure(const ProcessResult& result) const;
  std::string Describe() const;

  const ExecConfig config_;
  const ExecClusterInfo cluster_;
  const std::shared_ptr<ProcessRunner> runner_;
  const std::string origin_;
  const ExecProviderOptions options_;
  const Status config_status_;

  std::mutex run_mutex_;  // held for a whole plugin run: one run at a time
  mutable std::mutex state_mutex_;
  std::optional<Credentials> cached_;
  int64_t refresh_at_ = 0;  // meaningful when cached_ has an expiry
  int runs_ = 0;
};

/// A small text file without its leading and trailing whitespace (token and namespace files).
Result<std::string> ReadTrimmedFile(const std::string& path, size_t max_bytes,
                                    const std::string& display);

/// A bearer token file: trimmed, must not be empty. Errors name `display`, never the content.
Result<std::string> ReadTokenFile(const std::string& path, const std::string& display);

/// A token file reread every `reread_seconds` (bound service-account tokens rotate) and at
/// once after Invalidate. A failed periodic reread keeps the last good token.
class TokenFileProvider : public CredentialProvider {
 public:
  TokenFileProvider(std::string path, std::string display, int64_t reread_seconds = 60);

  Result<Credentials> Get(int64_t now_unix) override;
  void Invalidate() override;
  void InvalidateIfCurrent(const Credentials& rejected) override;

 private:
  const std::string path_;
  const std::string display_;
  const int64_t reread_seconds_;
  std::mutex mutex_;
  std::optional<std::string> token_;
  int64_t read_at_ = 0;
};

}  // namespace mlgitops
