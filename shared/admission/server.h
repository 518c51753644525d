// The admission webhook's HTTPS server: routes /mutate and /validate to a handler, serves health
// and metrics, reloads certificate and config when their files change, and drains on shutdown.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "admission/admission.h"
#include "admission/metrics.h"
#include "admission/policy.h"
#include "object/status.h"

namespace mlgitops {

/// Decides one AdmissionReview; the server never looks inside the body.
using AdmissionHandlerFn = std::function<AdmissionOutcome(AdmissionEndpoint, std::string_view)>;
/// Builds the handler from a policy config file ("" = built-in defaults). Called at start and
/// whenever the file changes; an error keeps the previous handler.
using AdmissionHandlerFactory = std::function<Result<AdmissionHandlerFn>(const std::string&)>;

/// The production factory (shared/admission/default_handler.cc).
Result<AdmissionHandlerFn> DefaultAdmissionHandler(const std::string& config_path);
/// The same policy, also denying Applications their AppProject does not permit.
AdmissionHandlerFactory ProjectCheckingHandlerFactory(ApplicationProjectCheck projects);

struct WebhookServerOptions {
  std::string bind_address = "0.0.0.0";
  int port = 8443;  // 0 picks a free port (tests)
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string client_ca_file;  // when set, only clients with a certificate it issued get in
  std::string config_file;
  // cpp-httplib gives each connection a worker for its whole life, so threads bound the number
  // of connections served at once; the apiserver keeps up to 25 idle ones per host.
  int threads = 32;
  // Open connections, served or waiting for a worker. Beyond it a new connection is answered
  // 503 and closed instead of queueing without end.
  size_t max_connections = 96;
  // Connections over the limit waiting for their 503. One thread answers them; beyond this they
  // are closed unanswered, so a flood cannot pile up sockets.
  size_t refusal_backlog = 64;
  // The whole request must arrive within this: a new connection's TLS handshake, headers and
  // body; on a kept-alive one, from the request's first byte. A per-read timeout is not enough,
  // as a byte every few seconds resets it and a few such clients hold every worker.
  std::chrono::milliseconds request_read_timeout{10000};
  // The whole life of a connection over the limit: handshake, headers and its 503 (which reads
  // no body), so a silent client holds the one refusal thread only this long.
  std::chrono::milliseconds refusal_read_timeout{1000};
  size_t max_body_bytes = 7 * 1024 * 1024;
  // Longer than the apiserver's idle-connection timeout (Go's 90 s) so the client closes first.
  std::chrono::seconds keep_alive_timeout{120};
  size_t keep_alive_max_requests = 1000000;
  std::chrono::seconds read_write_timeout{30};  // one read or write; see request_read_timeout
  std::chrono::milliseconds reload_poll_interval{1000};
  // After SIGTERM, /readyz answers 503 for this long while requests are still served, so the
  // endpoint leaves the Service before the listener closes.
  std::chrono::milliseconds shutdown_delay{0};
  std::chrono::milliseconds drain_timeout{25000};
};

/// One webhook server. Create() loads the certificate, builds the handler and binds the port;
/// Serve() blocks until Shutdown() has drained.
class WebhookServer {
 public:
  static Result<std::unique_ptr<WebhookServer>> Create(const WebhookServerOptions& options,
                                                       AdmissionHandlerFactory factory);
  ~WebhookServer();
  WebhookServer(const WebhookServer&) = delete;
  WebhookServer& operator=(const WebhookServer&) = delete;

  int port() const;
  /// Serves until Shutdown(); returns an error only when serving could not start.
  Status Serve();
  /// Turns /readyz to 503, waits shutdown_delay, stops accepting, lets in-flight requests finish
  /// (closing idle keep-alive connections), and force-closes what is left after drain_timeout.
  /// Thread-safe.
  void Shutdown();
  /// Checks the watched files now instead of waiting for the next poll (tests).
  void CheckForChanges();

  const WebhookMetrics& metrics() const;

 private:
  struct Impl;
  explicit WebhookServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlgitops
