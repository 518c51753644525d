// Helpers for the webhook server tests: a raw OpenSSL client (so tests control protocol, ciphers,
// headers, keep-alive and pacing) and a fixture running a WebhookServer on a free 127.0.0.1 port.
#pragma once

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "admission/server.h"
#include "test_tls.h"
#include "test_util.h"

namespace mlgitops::testing {

struct HttpAnswer {
  int status = 0;  // 0: no answer (connection failed or closed)
  std::string headers;
  std::string body;
};

struct ClientTls {
  int min_version = TLS1_2_VERSION;
  int max_version = 0;      // 0 = the newest OpenSSL knows
  std::string cipher_list;  // TLS 1.2 suites; "" = OpenSSL's defaults
  std::string ca_pem;       // server CA to verify against ("" = no verification)
  KeyPair client_identity;  // presented when set
  // How long one read (handshake included) waits before the client gives up.
  std::chrono::milliseconds receive_timeout{10000};
};

/// A TCP connection to 127.0.0.1:port with a receive timeout, or -1.
int ConnectTcp(int port, std::chrono::milliseconds receive_timeout = std::chrono::seconds(10));

/// One client connection with raw OpenSSL. The constructor connects and handshakes.
class TlsClient {
 public:
  TlsClient(int port, const ClientTls& tls);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool connected() const { return connected_; }
  std::string version() const;
  /// Whether the server presented exactly this certificate.
  bool PeerIs(const std::string& cert_pem) const;

  /// Sends one request and reads one answer. A POST carries Content-Length and, unless
  /// `content_type` is empty, that Content-Type.
  HttpAnswer Send(const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& content_type = "application/json");
  /// Writes raw bytes of a request (for requests sent in pieces); false when the write failed.
  bool Write(std::string_view data);
  /// Reads one answer; status 0 when the connection closed first.
  HttpAnswer Read();

 private:
  bool ReadSome(std::string* into);

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
};

/// The handler the fixture serves unless a test sets another: echoes the endpoint and body.
AdmissionOutcome EchoOutcome(AdmissionEndpoint endpoint, std::string_view body);

/// A server on a free port with files in a temp dir; Serve() runs on its own thread.
class WebhookServerFixture : public ::testing::Test {
 protected:
  WebhookServerFixture();
  ~WebhookServerFixture() override;

  void WriteIdentity(const KeyPair& pair);
  void Start();
  void Stop();
  ClientTls Verified() const;
  int port() const { return server_->port(); }

  TestCa ca_;
  KeyPair identity_;
  TempDir dir_;
  WebhookServerOptions options_;
  AdmissionHandlerFn handler_;
  std::atomic<int> handler_calls_{0};
  std::unique_ptr<WebhookServer> server_;
  std::thread serving_;
};

}  // namespace mlgitops::testing
