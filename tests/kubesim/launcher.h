// KubesimProcess: starts the kubesim binary as a child process for tests and benchmarks,
// waits for its kubeconfig, talks HTTPS to it, and always stops it (SIGTERM, then SIGKILL).
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kube/client.h"
#include "object/status.h"

namespace mlgitops::kubesim {

struct LaunchOptions {
  std::string binary;     // path to build/bin/kubesim
  std::string work_dir;   // kubeconfig, kubesim.log (and the audit log, if named) go here
  std::string audit_log;  // file name inside work_dir, "" for none
  std::string faults;     // --faults SPEC, "" for none
  int port = 0;           // 0: a free port
  std::vector<std::string> extra_args;  // more flags, e.g. {"--service-endpoint", "ns/x=..."}
  // Simulated controllers are off unless asked for: most tests write status themselves.
  bool controllers = false;
  std::string step_delay;  // --step-delay, "" for kubesim's default
  // --authorization-mode: "" keeps kubesim's default (RBAC); "AlwaysAllow" turns RBAC off, for
  // tests that say why they need it.
  std::string authorization_mode;
  int ready_timeout_ms = 15000;
};

struct HttpResult {
  int status = 0;  // 0: the request failed (connection refused, dropped, TLS error)
  std::string body;
  std::multimap<std::string, std::string> headers;
  std::string error;  // why status is 0
};

class KubesimProcess {
 public:
  /// Spawns kubesim and waits until its kubeconfig exists (or the process dies). kubesim gets
  /// SIGTERM when the calling thread exits, so a crashed test leaves no server behind: call it
  /// from a thread that lives as long as the server should (the test's main thread).
  static Result<std::unique_ptr<KubesimProcess>> Start(const LaunchOptions& options);
  ~KubesimProcess();
  KubesimProcess(const KubesimProcess&) = delete;
  KubesimProcess& operator=(const KubesimProcess&) = delete;

  /// SIGTERM, then SIGKILL after `grace_ms`; returns the exit status (-1 if killed).
  int Stop(int grace_ms = 5000);
  /// An mlgitops client for this kubesim, through the kubeconfig it wrote (and only that).
  Result<std::unique_ptr<HttpKubeClient>> Connect(KubeClientOptions options = {}) const;
  /// The same, authenticating with `token` instead of the kubeconfig's (administrator) token.
  Result<std::unique_ptr<HttpKubeClient>> ConnectAs(const std::string& token,
                                                    KubeClientOptions options = {}) const;
  bool running() const { return pid_ > 0; }

  const std::string& kubeconfig_path() const { return kubeconfig_path_; }
  const std::string& log_path() const { return log_path_; }
  const std::string& server() const { return server_; }  // https://127.0.0.1:PORT
  int port() const { return port_; }
  const std::string& token() const { return token_; }
  const std::string& ca_pem() const { return ca_pem_; }
  /// The CA in a PEM file (beside the kubeconfig), for clients that want a path.
  const std::string& ca_path() const { return ca_path_; }
  pid_t pid() const { return pid_; }

  /// One HTTPS request verifying the server against the run's CA, with the bearer token
  /// unless `authenticated` is false.
  HttpResult Request(const std::string& method, const std::string& path,
                     const std::string& body = "",
                     const std::string& content_type = "application/json",
                     const std::map<std::string, std::string>& headers = {},
                     bool authenticated = true) const;

 private:
  KubesimProcess() = default;
  Status ReadKubeconfig();

  pid_t pid_ = -1;
  std::string kubeconfig_path_;
  std::string log_path_;
  std::string server_;
  int port_ = 0;
  std::string token_;
  std::string ca_pem_;
  std::string ca_path_;  // ca_pem_ written beside the kubeconfig, for the HTTPS client
};

}  // namespace mlgitops::kubesim
