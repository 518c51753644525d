// WebhookClient: where a webhook lives (its URL, or a Service mapped to a local address) and the
// HTTPS POST that reaches it, verified against the webhook's caBundle with the real names.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kubesim/admission_config.h"
#include "kubesim/store.h"
#include "object/status.h"

namespace mlgitops {
class HttpsTransport;
}

namespace mlgitops::kubesim {

/// Annotation on a Service naming the local address that stands in for its endpoints.
inline constexpr char kEndpointAnnotation[] = "kubesim.mlgitops.io/endpoint";

/// `ns/name[:port]=host:port` (the --service-endpoint flag): Service ns/name (on that service
/// port, or any when omitted) is served at host:port.
struct ServiceEndpoint {
  std::string namespace_;
  std::string name;
  int port = 0;         // 0: any service port
  std::string address;  // host:port
};
Result<ServiceEndpoint> ParseServiceEndpoint(const std::string& spec);

/// A resolved webhook: where to connect and what to verify.
struct WebhookTarget {
  std::string display_url;  // "https://hook.ns.svc:443/validate?timeout=10s", as messages show it
  std::string server;       // "https://127.0.0.1:PORT": where the connection goes
  std::string path;         // "/validate?timeout=10s"
  std::string server_name;  // the TLS name verified and sent as SNI
  std::string ca_pem;       // "" trusts the system roots
};

/// What one call produced: an HTTP 2xx body, or why there is none (`error`, worded as
/// kube-apiserver words the reason after "failed calling webhook ...: ").
struct WebhookAnswer {
  std::string error;
  std::string body;
};

class WebhookClient {
 public:
  WebhookClient();
  ~WebhookClient();
  WebhookClient(const WebhookClient&) = delete;
  WebhookClient& operator=(const WebhookClient&) = delete;

  void AddServiceEndpoint(ServiceEndpoint endpoint);
  /// Resolves `config` (services through the --service-endpoint mappings, then the Service's
  /// kEndpointAnnotation in `store`). On failure the message is the reason text.
  Result<WebhookTarget> Resolve(const WebhookClientConfig& config, int timeout_seconds,
                                const Store& store) const;
  /// POSTs `body` (an AdmissionReview) and waits at most `timeout_seconds` in total.
  WebhookAnswer Post(const WebhookTarget& target, int timeout_seconds, const std::string& body);

 private:
  std::string EndpointFor(const WebhookClientConfig& config, const Store& store,
                          std::string* why) const;
  Result<std::shared_ptr<HttpsTransport>> TransportFor(const WebhookTarget& target,
                                                       int timeout_seconds);

  mutable std::mutex mu_;
  std::vector<ServiceEndpoint> endpoints_;
  // One kept-alive connection pool per (server, name, CA, timeout), as client-go caches clients.
  std::map<std::string, std::shared_ptr<HttpsTransport>> transports_;
};

}  // namespace mlgitops::kubesim
