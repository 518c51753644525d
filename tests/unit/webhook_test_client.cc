// The raw TLS client and the server fixture of webhook_test_client.h.
#include "webhook_test_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace mlgitops::testing {
namespace {

X509* CertFromPem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

EVP_PKEY* KeyFromPem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return key;
}

}  // namespace

int ConnectTcp(int port, std::chrono::milliseconds receive_timeout) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(receive_timeout).count();
  timeval timeout{static_cast<time_t>(micros / 1000000),
                  static_cast<suseconds_t>(micros % 1000000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

TlsClient::TlsClient(int port, const ClientTls& tls) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  // Security level 0 lets this client offer what a careless peer would (TLS 1.0, SHA-1 suites).
  SSL_CTX_set_security_level(ctx_, 0);
  SSL_CTX_set_min_proto_version(ctx_, tls.min_version);
  SSL_CTX_set_max_proto_version(ctx_, tls.max_version);
  if (!tls.cipher_list.empty()) SSL_CTX_set_cipher_list(ctx_, tls.cipher_list.c_str());
  if (!tls.ca_pem.empty()) {
    X509* ca = CertFromPem(tls.ca_pem);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), ca);
    X509_free(ca);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  }
  if (!tls.client_identity.cert_pem.empty()) {
    X509* cert = CertFromPem(tls.client_identity.cert_pem);
    EVP_PKEY* key = KeyFromPem(tls.client_identity.key_pem);
    SSL_CTX_use_certificate(ctx_, cert);
    SSL_CTX_use_PrivateKey(ctx_, key);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  fd_ = ConnectTcp(port, tls.receive_timeout);
  if (fd_ < 0) return;
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  connected_ = SSL_connect(ssl_) == 1;
  ERR_clear_error();
}

TlsClient::~TlsClient() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) close(fd_);
  SSL_CTX_free(ctx_);
}

std::string TlsClient::version() const { return connected_ ? SSL_get_version(ssl_) : ""; }

bool TlsClient::PeerIs(const std::string& cert_pem) const {
  X509* peer = SSL_get1_peer_certificate(ssl_);
  X509* expected = CertFromPem(cert_pem);
  const bool same = peer != nullptr && expected != nullptr && X509_cmp(peer, expected) == 0;
  X509_free(peer);
  X509_free(expected);
  return same;
}

HttpAnswer TlsClient::Send(const std::string& method, const std::string& path,
                           const std::string& body, const std::string& content_type) {
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: webhook\r\n";
  if (method == "POST") {
    if (!content_type.empty()) request += "Content-Type: " + content_type + "\r\n";
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  if (!Write(request)) return HttpAnswer();
  return Read();
}

bool TlsClient::Write(std::string_view data) {
  if (!connected_) return false;
  size_t sent = 0;
  while (sent < data.size()) {
    int n = SSL_write(ssl_, data.data() + sent, static_cast<int>(data.size() - sent));
    if (n <= 0) {
      ERR_clear_error();
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  return true;
}

HttpAnswer TlsClient::Read() {
  HttpAnswer answer;
  if (!connected_) return answer;
  std::string received;
  size_t header_end;
  while ((header_end = received.find("\r\n\r\n")) == std::string::npos) {
    if (!ReadSome(&received)) return answer;
  }
  answer.headers = received.substr(0, header_end);
  answer.status = std::atoi(answer.headers.c_str() + answer.headers.find(' ') + 1);
  size_t length_at = answer.headers.find("Content-Length: ");
  size_t length =
      length_at == std::string::npos ? 0 : std::stoul(answer.headers.substr(length_at + 16));
  while (received.size() < header_end + 4 + length) {
    if (!ReadSome(&received)) break;
  }
  answer.body = received.substr(header_end + 4);
  return answer;
}

bool TlsClient::ReadSome(std::string* into) {
  char buffer[16384];
  int n = SSL_read(ssl_, buffer, sizeof(buffer));
  if (n <= 0) {
    ERR_clear_error();
    return false;
  }
  into->append(buffer, static_cast<size_t>(n));
  return true;
}

AdmissionOutcome EchoOutcome(AdmissionEndpoint endpoint, std::string_view body) {
  AdmissionOutcome outcome;
  outcome.body = std::string(endpoint == AdmissionEndpoint::kMutate ? "mutate:" : "validate:") +
                 std::string(body);
  outcome.operation = "CREATE";
  outcome.result = "allowed";
  return outcome;
}

WebhookServerFixture::WebhookServerFixture() : ca_("webhook-test-ca") {
  // A write to a connection the server has cut must fail with EPIPE, not end the test binary
  // (mlgitops-webhook ignores SIGPIPE the same way, and OpenSSL writes with plain write()).
  signal(SIGPIPE, SIG_IGN);
  identity_ = ca_.IssueServer({"webhook.ml.svc"}, {"127.0.0.1"});
  WriteIdentity(identity_);
  options_.bind_address = "127.0.0.1";
  options_.port = 0;
  options_.tls_cert_file = dir_.path() + "/tls.crt";
  options_.tls_key_file = dir_.path() + "/tls.key";
  options_.reload_poll_interval = std::chrono::hours(1);  // tests call CheckForChanges()
  handler_ = EchoOutcome;
}

WebhookServerFixture::~WebhookServerFixture() { Stop(); }

void WebhookServerFixture::WriteIdentity(const KeyPair& pair) {
  dir_.Write("tls.crt", pair.cert_pem);
  dir_.Write("tls.key", pair.key_pem);
}

void WebhookServerFixture::Start() {
  AdmissionHandlerFn handler = [this](AdmissionEndpoint endpoint, std::string_view body) {
    ++handler_calls_;
    return handler_(endpoint, body);
  };
  auto created = WebhookServer::Create(
      options_, [handler](const std::string&) { return Result<AdmissionHandlerFn>(handler); });
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  server_ = std::move(*created);
  serving_ = std::thread([this] { EXPECT_TRUE(server_->Serve().ok()); });
}

void WebhookServerFixture::Stop() {
  if (server_ != nullptr) server_->Shutdown();
  if (serving_.joinable()) serving_.join();
  server_.reset();
}

ClientTls WebhookServerFixture::Verified() const {
  ClientTls tls;
  tls.ca_pem = ca_.cert_pem();
  return tls;
}

}  // namespace mlgitops::testing
