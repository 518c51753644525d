// HttpsServer: kubesim on the wire. TLS with the run's own certificate, authentication,
// impersonation and authorization (authn.h, rbac.h), fault injection and the audit log wrapped
// around ApiServer::Handle.
#pragma once

#include <memory>
#include <string>

#include "kubesim/api_server.h"
#include "kubesim/audit.h"
#include "kubesim/authn.h"
#include "kubesim/certs.h"
#include "kubesim/faults.h"
#include "object/status.h"

namespace httplib {
class SSLServer;
}

namespace mlgitops::kubesim {

class HttpsServer {
 public:
  /// `api`, `authenticator`, `audit` and `faults` must outlive the server; `audit`/`faults` may
  /// be null. With a client CA in `authenticator`, clients may present certificates.
  HttpsServer(ApiServer* api, const ServingCertificates& certs, const Authenticator* authenticator,
              AuditLog* audit, FaultInjector* faults);
  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  /// Binds and listens on 127.0.0.1:`port` (0: any free port); returns the port. Connections
  /// queue from here on, so the kubeconfig can be written before Serve() runs.
  Result<int> Bind(int port);
  /// Accepts and serves until Stop(); blocks.
  void Serve();
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlgitops::kubesim
