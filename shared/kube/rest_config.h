// RestConfig: everything needed to talk to one API server, resolved from a kubeconfig (or the
// in-cluster service account). The transport consumes it; credentials come from a provider.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "object/status.h"

namespace mlgitops {

/// A bearer token or client certificate obtained from an exec credential plugin or a token file.
struct Credentials {
  std::string token;            // "" when the plugin returned a certificate instead
  std::string client_cert_pem;  // PEM, with client_key_pem
  std::string client_key_pem;
  std::optional<int64_t> expires_unix;  // nullopt: valid until a 401 says otherwise
};

/// Supplies credentials that can expire (exec plugins, rotated token files). Thread-safe.
class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  /// Cached credentials, refreshed when expired (`now_unix` from the caller's clock).
  virtual Result<Credentials> Get(int64_t now_unix) = 0;
  /// Drops the cache after a 401 so the next Get() runs the plugin / rereads the file.
  virtual void Invalidate() = 0;
};

struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 or v1beta1
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string install_hint;
  bool provide_cluster_info = false;
  std::string interactive_mode;  // Never | IfAvailable | Always
};

struct RestConfig {
  std::string context_name;
  std::string cluster_name;
  std::string user_name;
  std::string server;      // https://host:port[/prefix], no trailing slash
  std::string namespace_;  // the context's namespace, "default" when none (or -n)
  // TLS
  std::string ca_pem;  // from certificate-authority(-data); "" = system roots
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
  std::string proxy_url;  // http:// or https:// proxy, "" = none
  // Static credentials (file-based ones are read when the config is loaded).
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;
  std::string token_file;  // reread on 401 (bound service-account tokens rotate)
  std::string username;    // basic auth (deprecated, still honoured)
  std::string password;
  std::optional<ExecConfig> exec;
  /// Set when credentials can change at run time (exec plugin, token file); shared by copies.
  std::shared_ptr<CredentialProvider> credentials;
};

}  // namespace mlgitops
