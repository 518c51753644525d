// HTTP(S) to one Kubernetes API server: TLS and credentials from a RestConfig, a bounded pool of
// kept-alive connections shared by threads, and streamed answers for watches.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "kube/errors.h"
#include "kube/rest_config.h"
#include "object/clock.h"
#include "object/status.h"

namespace mlgitops {

struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using HttpHeaders = std::multimap<std::string, std::string, CaseInsensitiveLess>;

struct HttpRequest {
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string path;    // path and query below the server URL's prefix, already escaped
  std::string body;
  std::string content_type;  // required with a body
  std::string accept = "application/json";
  HttpHeaders headers;  // extra headers, e.g. If-None-Match
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
  /// The first value of header `name`, "" when absent.
  std::string Header(const std::string& name) const;
};

/// Why no HTTP answer arrived.
enum class TransportFailure {
  kNone,
  kConfig,        // the RestConfig cannot work (bad server URL, key, proxy scheme)
  kCredentials,   // the credential provider (exec plugin, token file) failed
  kConnect,       // TCP connect or proxy CONNECT failed: the request never left
  kTlsVerify,     // the server's certificate was refused: never retried
  kTlsHandshake,  // the TLS handshake failed otherwise: the request never left
  kLost,          // the connection dropped or timed out after the request may have been sent
  kTooLarge,      // the answer exceeded TransportOptions::max_response_bytes
  kCanceled,      // a streaming handler stopped reading
};

struct HttpOutcome {
  TransportFailure failure = TransportFailure::kNone;
  /// False when the failure happened before the server could have seen the whole request,
  /// so even a non-idempotent request may be sent again.
  bool maybe_sent = false;
  std::string detail;  // what went wrong, secret-free; "" on success
  /// Valid when ok(). A Stream that broke off still carries the status it had started with.
  HttpResponse response;
  bool ok() const { return failure == TransportFailure::kNone; }
};

struct TransportOptions {
  int max_connections = 8;  // kept-alive connections in the pool (watches have their own)
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{60000};  // read and write timeout of one request
  size_t max_response_bytes = size_t{256} << 20;
  std::string user_agent;  // "mlgitops/<version>" when empty
  /// One line per request (method, path, status, time); never headers or bodies.
  std::function<void(const std::string&)> log;
  /// "Now" for credential expiry; the system clock when null.
  const Clock* clock = nullptr;
};

/// Sends requests to one API server. Implementations are thread-safe.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual HttpOutcome Send(const HttpRequest& request) = 0;
  /// Receives a long answer (a watch) piece by piece. Status and headers arrive in the outcome;
  /// `on_chunk` only sees the body of a 200 answer (other bodies land in the outcome) and returns
  /// false to stop. `idle_timeout` bounds the wait for each piece.
  using ChunkHandler = std::function<bool(std::string_view)>;
  virtual HttpOutcome Stream(const HttpRequest& request, const ChunkHandler& on_chunk,
                             std::chrono::milliseconds idle_timeout) = 0;
  /// After a 401: drops cached credentials so the next request fetches fresh ones. False when
  /// the credentials cannot change (a static token), so repeating the request is pointless.
  virtual bool RefreshCredentials() = 0;
  /// Knows the credentials in use (they can rotate), for scrubbing messages.
  virtual Redactor redactor() const = 0;
  /// "https://host:port", for messages.
  virtual const std::string& server() const = 0;
};

/// The Transport for a real API server (or kubesim), built on cpp-httplib and OpenSSL.
/// Verifies the server against RestConfig::ca_pem (system roots when empty) for the name in
/// tls_server_name (else the server's host), sends that name as SNI, presents client
/// certificates, adds bearer or basic credentials, and tunnels through an http:// proxy-url
/// with CONNECT.
class HttpsTransport : public Transport {
 public:
  static Result<std::unique_ptr<HttpsTransport>> Create(const RestConfig& config,
                                                        TransportOptions options = {});
  ~HttpsTransport() override;

  HttpOutcome Send(const HttpRequest& request) override;
  HttpOutcome Stream(const HttpRequest& request, const ChunkHandler& on_chunk,
                     std::chrono::milliseconds idle_timeout) override;
  bool RefreshCredentials() override;
  Redactor redactor() const override;
  const std::string& server() const override;

  /// TCP connections opened so far (pool and watches); few means keep-alive works.
  int connections_opened() const;

  class Impl;

 private:
  explicit HttpsTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlgitops
