// HttpsTransport: cpp-httplib clients in a pool, each with an OpenSSL context configured from the
// RestConfig. OpenSSL itself checks the server's chain and name during the handshake (httplib's
// own check is off), so a refusal can be explained and tls-server-name can differ from the host.
#include "kube/transport.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <optional>
#include <vector>

#include "object/base64.h"
#include "object/yaml_loader.h"

namespace mlgitops {

namespace {

// ---- OpenSSL ownership. ----

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr MemoryBio(std::string_view pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Encrypted keys are refused rather than prompting on the terminal.
int NoPassphrase(char*, int, int, void*) { return 0; }

std::vector<X509Ptr> ReadCertificates(std::string_view pem) {
  std::vector<X509Ptr> certs;
  BioPtr bio = MemoryBio(pem);
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr)) {
    certs.emplace_back(cert);
  }
  ERR_clear_error();  // the read past the last certificate always "fails"
  return certs;
}

PkeyPtr ReadPrivateKey(std::string_view pem) {
  BioPtr bio = MemoryBio(pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  ERR_clear_error();
  return key;
}

/// The OpenSSL errors queued on this thread, as one line; clears the queue.
std::string TakeOpensslErrors() {
  std::string text;
  while (unsigned long e = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(e);
    if (!reason) continue;
    if (!text.empty()) text += "; ";
    text += reason;
  }
  return text;
}

std::string NameOf(X509_NAME* name) {
  if (!name) return "";
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

// ---- TLS: what OpenSSL checks, and what it found. ----

/// Shared by a pooled client and its SSL_CTX callbacks.
struct TlsDiagnostics {
  std::string sni;  // sent in the ClientHello instead of the host when not empty
  std::mutex mu;
  std::string refusal;  // why the last handshake refused the server's certificate

  void Reset() {
    std::lock_guard<std::mutex> lock(mu);
    refusal.clear();
  }
  std::string Refusal() {
    std::lock_guard<std::mutex> lock(mu);
    return refusal;
  }
};

int TlsExIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

TlsDiagnostics* DiagnosticsOf(const SSL* ssl) {
  return static_cast<TlsDiagnostics*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), TlsExIndex()));
}

std::string RefusalText(int error, X509* cert) {
  std::string what = X509_verify_cert_error_string(error);
  std::string about = cert ? "certificate \"" + NameOf(X509_get_subject_name(cert)) +
                                 "\" issued by \"" + NameOf(X509_get_issuer_name(cert)) + "\""
                           : "certificate";
  switch (error) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      return about + " is not signed by a trusted certificate authority (" + what +
             "): check certificate-authority(-data) of this cluster in the kubeconfig";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return about + " is not valid for the name the client checked (" + what +
             "): set tls-server-name in the kubeconfig to a name the certificate lists";
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return about + ": " + what + " (check the server's certificate and this machine's clock)";
    default:
      return about + ": " + what;
  }
}

int OnVerify(int preverified, X509_STORE_CTX* store) {
  if (preverified) return 1;
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  TlsDiagnostics* diag = ssl ? DiagnosticsOf(ssl) : nullptr;
  if (diag) {
    std::lock_guard<std::mutex> lock(diag->mu);
    if (diag->refusal.empty()) {
      diag->refusal =
          RefusalText(X509_STORE_CTX_get_error(store), X509_STORE_CTX_get_current_cert(store));
    }
  }
  return 0;
}

// httplib names the host in SNI; tls-server-name replaces it before the ClientHello is built.
void OnHandshakeStart(const SSL* ssl, int where, int /*ret*/) {
  if (!(where & SSL_CB_HANDSHAKE_START)) return;
  TlsDiagnostics* diag = DiagnosticsOf(ssl);
  if (diag && !diag->sni.empty()) {
    SSL_set_tlsext_host_name(const_cast<SSL*>(ssl), diag->sni.c_str());
  }
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

struct TlsSettings {
  bool insecure = false;
  std::vector<X509Ptr> authorities;  // empty: the system's roots
  std::string verify_name;
  std::string sni;
};

bool ConfigureTls(SSL_CTX* ctx, const TlsSettings& tls, TlsDiagnostics* diag) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  diag->sni = tls.sni;
  SSL_CTX_set_ex_data(ctx, TlsExIndex(), diag);
  if (!tls.sni.empty()) SSL_CTX_set_info_callback(ctx, OnHandshakeStart);
  if (tls.insecure) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    return true;
  }
  if (tls.authorities.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) return false;
  } else {
    X509_STORE* store = X509_STORE_new();
    for (const X509Ptr& ca : tls.authorities) X509_STORE_add_cert(store, ca.get());
    SSL_CTX_set_cert_store(ctx, store);  // the context owns it now
  }
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
  int named = IsIpLiteral(tls.verify_name)
                  ? X509_VERIFY_PARAM_set1_ip_asc(param, tls.verify_name.c_str())
                  : X509_VERIFY_PARAM_set1_host(param, tls.verify_name.c_str(), 0);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, OnVerify);
  return named == 1;
}

// ---- URLs. ----

struct Url {
  std::string scheme;
  std::string host;  // without IPv6 brackets
  int port = 0;
  std::string authority;  // host[:port] as written, for the Host header
  std::string prefix;     // path below which the API lives, no trailing slash
  std::string user;
  std::string password;
};

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

Result<Url> ParseUrl(std::string_view text, const std::string& what) {
  Url url;
  size_t scheme_end = text.find("://");
  if (scheme_end == std::string::npos) {
    return Status::InvalidArgument(what + " is not a URL (expected scheme://host[:port])");
  }
  url.scheme = std::string(text.substr(0, scheme_end));
  url.scheme = AsciiLower(url.scheme);
  std::string_view rest = text.substr(scheme_end + 3);
  size_t path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  if (path_start != std::string::npos) url.prefix = std::string(rest.substr(path_start));
  while (!url.prefix.empty() && url.prefix.back() == '/') url.prefix.pop_back();
  if (size_t at = authority.rfind('@'); at != std::string::npos) {
    std::string_view userinfo = authority.substr(0, at);
    size_t colon = userinfo.find(':');
    url.user = PercentDecode(userinfo.substr(0, colon));
    if (colon != std::string::npos) url.password = PercentDecode(userinfo.substr(colon + 1));
    authority = authority.substr(at + 1);
  }
  url.authority = std::string(authority);
  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return Status::InvalidArgument(what + " has a bad IPv6 host");
    url.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      port_text = authority.substr(close + 2);
    }
  } else {
    size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return Status::InvalidArgument(what + " has no host");
  url.port = url.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    bool digits = port_text.size() <= 5 &&
                  std::all_of(port_text.begin(), port_text.end(),
                              [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    int port = digits ? std::stoi(std::string(port_text)) : 0;
    if (port <= 0 || port > 65535) return Status::InvalidArgument(what + " has a bad port");
    url.port = port;
  }
  return url;
}

// ---- Credentials. ----

/// A client certificate with its key (and any intermediate certificates after it).
struct ClientIdentity {
  std::string cert_pem;  // to notice rotation
  X509Ptr cert;
  std::vector<X509Ptr> chain;
  PkeyPtr key;
};

Result<std::shared_ptr<const ClientIdentity>> ParseIdentity(const std::string& cert_pem,
                                                            const std::string& key_pem,
                                                            const std::string& owner) {
  auto identity = std::make_shared<ClientIdentity>();
  identity->cert_pem = cert_pem;
  std::vector<X509Ptr> certs = ReadCertificates(cert_pem);
  if (certs.empty()) {
    return Status::InvalidArgument(owner + ": the client certificate is not a PEM certificate");
  }
  identity->cert = std::move(certs.front());
  for (size_t i = 1; i < certs.size(); ++i) identity->chain.push_back(std::move(certs[i]));
  identity->key = ReadPrivateKey(key_pem);
  if (!identity->key) {
    return Status::InvalidArgument(owner +
                                   ": the client key is missing, encrypted or not a PEM key");
  }
  if (X509_check_private_key(identity->cert.get(), identity->key.get()) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument(owner + ": the client key does not match the certificate");
  }
  return std::shared_ptr<const ClientIdentity>(std::move(identity));
}

/// A token file that rotates (bound service-account tokens): reread every minute and after a 401.
class TokenFileProvider : public CredentialProvider {
 public:
  TokenFileProvider(std::string path, std::string initial)
      : path_(std::move(path)), token_(std::move(initial)) {}

  Result<Credentials> Get(int64_t now_unix) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (token_.empty() || now_unix - read_at_ >= kRereadSeconds) {
      auto text = ReadFileLimited(path_, kMaxTokenBytes, "token file " + path_);
      if (text.ok()) {
        token_ = TrimSpace(text.value());
        read_at_ = now_unix;
      } else if (token_.empty()) {
        return text.status();
      }
    }
    Credentials creds;
    creds.token = token_;
    return creds;
  }

  void Invalidate() override {
    std::lock_guard<std::mutex> lock(mu_);
    read_at_ = INT64_MIN / 2;
  }

 private:
  static constexpr int64_t kRereadSeconds = 60;
  static constexpr size_t kMaxTokenBytes = 1 << 20;
  std::mutex mu_;
  std::string path_;
  std::string token_;
  int64_t read_at_ = INT64_MIN / 2;
};

/// The credentials of one request.
struct Auth {
  std::string authorization;                       // header value, "" for none
  std::shared_ptr<const ClientIdentity> identity;  // null: no client certificate
};

// ---- Requests. ----

bool IsSafeForWire(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) == 0x7f;
  });
}

bool HasLineBreak(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

HttpOutcome Failure(TransportFailure failure, bool maybe_sent, std::string detail) {
  HttpOutcome outcome;
  outcome.failure = failure;
  outcome.maybe_sent = maybe_sent;
  outcome.detail = std::move(detail);
  return outcome;
}

/// Paths and headers go to the wire unescaped: anything that could split the request is refused.
std::optional<HttpOutcome> RefuseMalformed(const HttpRequest& request) {
  if (!IsSafeForWire(request.path) || request.path.empty() || request.path[0] != '/' ||
      HasLineBreak(request.content_type) || HasLineBreak(request.accept)) {
    return Failure(TransportFailure::kConfig, false, "malformed request path or header");
  }
  for (const auto& [name, value] : request.headers) {
    if (HasLineBreak(name) || HasLineBreak(value)) {
      return Failure(TransportFailure::kConfig, false, "malformed request header " + name);
    }
  }
  return std::nullopt;
}

}  // namespace

// ---- The pool. ----

/// One httplib client (one connection at a time) and the TLS state its callbacks write.
struct PooledClient {
  TlsDiagnostics tls;  // declared first: outlives `http`, whose SSL_CTX points at it
  std::unique_ptr<httplib::ClientImpl> http;
  uint64_t generation = 0;
};

class HttpsTransport::Impl {
 public:
  Impl(const RestConfig& config, TransportOptions options)
      : options_(std::move(options)), cluster_(config.cluster_name) {
    if (!options_.clock) options_.clock = &system_clock_;
    if (options_.user_agent.empty())
      options_.user_agent = std::string("mlgitops/") + MLGITOPS_VERSION;
    options_.max_connections = std::max(1, options_.max_connections);
  }

  Status Init(const RestConfig& config);
  HttpOutcome Exchange(const HttpRequest& request, const ChunkHandler* on_chunk,
                       std::chrono::milliseconds read_timeout);
  bool RefreshCredentials();
  Redactor redactor() const {
    std::lock_guard<std::mutex> lock(redactor_mu_);
    return redactor_;
  }
  const std::string& server() const { return server_; }
  int connections_opened() const { return connections_.load(); }

 private:
  Status InitServer(const RestConfig& config);
  Status InitProxy(const RestConfig& config);
  Status InitTls(const RestConfig& config);
  Status InitCredentials(const RestConfig& config);
  void AddSecret(std::string_view secret) {
    std::lock_guard<std::mutex> lock(redactor_mu_);
    redactor_.AddSecret(secret);
  }

  Result<Auth> CurrentAuth();
  Result<std::shared_ptr<const ClientIdentity>> ProviderIdentity(const Credentials& creds);
  Result<std::unique_ptr<PooledClient>> NewClient(const ClientIdentity* identity,
                                                  std::chrono::milliseconds read_timeout,
                                                  bool keep_alive);
  Result<std::unique_ptr<PooledClient>> Acquire(const std::shared_ptr<const ClientIdentity>& id);
  void Release(std::unique_ptr<PooledClient> client);
  httplib::Request BuildRequest(const HttpRequest& request, const Auth& auth) const;
  HttpOutcome Run(PooledClient& client, httplib::Request req, const ChunkHandler* on_chunk,
                  std::chrono::milliseconds read_timeout,
                  std::chrono::steady_clock::time_point start) const;
  HttpOutcome Classify(httplib::Error error, PooledClient& client, bool too_large,
                       std::chrono::milliseconds elapsed,
                       std::chrono::milliseconds read_timeout) const;
  void Log(const HttpRequest& request, const HttpOutcome& outcome,
           std::chrono::milliseconds elapsed) const;

  TransportOptions options_;
  SystemClock system_clock_;
  std::string cluster_;
  Url url_;
  std::string server_;  // scheme://authority, for messages
  Url proxy_;
  bool use_proxy_ = false;
  bool proxy_authorization_empty_ = true;  // no credentials for the proxy
  TlsSettings tls_;
  std::string static_authorization_;
  std::shared_ptr<const ClientIdentity> static_identity_;
  std::shared_ptr<CredentialProvider> provider_;
  std::shared_ptr<const ClientIdentity> provider_identity_;  // guarded by auth_mu_
  std::mutex auth_mu_;

  mutable std::mutex redactor_mu_;
  Redactor redactor_;
  std::atomic<int> connections_{0};

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<PooledClient>> idle_;
  int live_ = 0;
  uint64_t generation_ = 0;
  std::shared_ptr<const ClientIdentity> pool_identity_;  // held, so its address is not reused
};

Status HttpsTransport::Impl::Init(const RestConfig& config) {
  Status status = InitServer(config);
  if (status.ok()) status = InitProxy(config);
  if (status.ok()) status = InitTls(config);
  if (status.ok()) status = InitCredentials(config);
  return status;
}

Status HttpsTransport::Impl::InitServer(const RestConfig& config) {
  std::string owner = "cluster \"" + config.cluster_name + "\"";
  if (config.server.empty()) return Status::InvalidArgument(owner + " has no server URL");
  AddSecret(config.password);  // in case the URL embeds it
  auto url = ParseUrl(config.server, owner + " server URL");
  if (!url.ok()) return url.status();
  url_ = std::move(url).value();
  AddSecret(url_.password);
  if (url_.scheme != "https" && url_.scheme != "http") {
    return Status::InvalidArgument(owner + " server URL must start with https:// (or http://)");
  }
  server_ = url_.scheme + "://" + url_.authority;
  return Status::OK();
}

Status HttpsTransport::Impl::InitProxy(const RestConfig& config) {
  if (config.proxy_url.empty()) return Status::OK();
  std::string owner = "proxy-url of cluster \"" + config.cluster_name + "\"";
  auto proxy = ParseUrl(config.proxy_url, owner);
  if (!proxy.ok()) return Status::InvalidArgument(redactor().Redact(proxy.status().message()));
  proxy_ = std::move(proxy).value();
  AddSecret(proxy_.password);
  if (proxy_.scheme != "http") {
    return Status::Unsupported(
        owner + " uses " + proxy_.scheme +
        "://; only http:// proxies are supported (the API traffic stays TLS end to end through "
        "the proxy's CONNECT tunnel)");
  }
  use_proxy_ = true;
  proxy_authorization_empty_ = proxy_.user.empty() && proxy_.password.empty();
  return Status::OK();
}

Status HttpsTransport::Impl::InitTls(const RestConfig& config) {
  tls_.insecure = config.insecure_skip_tls_verify;
  tls_.verify_name = config.tls_server_name.empty() ? url_.host : config.tls_server_name;
  tls_.sni = config.tls_server_name;
  if (!config.ca_pem.empty() && !tls_.insecure) {
    tls_.authorities = ReadCertificates(config.ca_pem);
    if (tls_.authorities.empty()) {
      return Status::InvalidArgument("certificate-authority of cluster \"" + config.cluster_name +
                                     "\" holds no PEM certificate");
    }
  }
  return Status::OK();
}

Status HttpsTransport::Impl::InitCredentials(const RestConfig& config) {
  AddSecret(config.token);
  AddSecret(config.password);
  AddSecret(config.client_key_pem);
  if (!config.client_cert_pem.empty() || !config.client_key_pem.empty()) {
    auto identity = ParseIdentity(config.client_cert_pem, config.client_key_pem,
                                  "user \"" + config.user_name + "\"");
    if (!identity.ok()) return identity.status();
    static_identity_ = std::move(identity).value();
  }
  if (!config.token.empty()) {
    static_authorization_ = "Bearer " + config.token;
  } else if (!config.username.empty() || !config.password.empty()) {
    static_authorization_ = "Basic " + Base64Encode(config.username + ":" + config.password);
  }
  AddSecret(static_authorization_);
  provider_ = config.credentials;
  if (!provider_ && !config.token_file.empty()) {
    provider_ = std::make_shared<TokenFileProvider>(config.token_file, config.token);
  }
  return Status::OK();
}

Result<std::shared_ptr<const ClientIdentity>> HttpsTransport::Impl::ProviderIdentity(
    const Credentials& creds) {
  std::lock_guard<std::mutex> lock(auth_mu_);
  if (provider_identity_ && provider_identity_->cert_pem == creds.client_cert_pem) {
    return provider_identity_;
  }
  AddSecret(creds.client_key_pem);
  auto identity = ParseIdentity(creds.client_cert_pem, creds.client_key_pem,
                                "the credential plugin's certificate");
  if (!identity.ok()) return identity.status();
  provider_identity_ = std::move(identity).value();
  return provider_identity_;
}

Result<Auth> HttpsTransport::Impl::CurrentAuth() {
  Auth auth{static_authorization_, static_identity_};
  if (!provider_) return auth;
  auto creds = provider_->Get(options_.clock->NowUnix());
  if (!creds.ok()) return creds.status();
  if (!creds->token.empty()) {
    AddSecret(creds->token);
    auth.authorization = "Bearer " + creds->token;
  }
  if (!creds->client_cert_pem.empty()) {
    auto identity = ProviderIdentity(creds.value());
    if (!identity.ok()) return identity.status();
    auth.identity = std::move(identity).value();
  }
  return auth;
}

bool HttpsTransport::Impl::RefreshCredentials() {
  if (!provider_) return false;
  provider_->Invalidate();
  return true;
}

Result<std::unique_ptr<PooledClient>> HttpsTransport::Impl::NewClient(
    const ClientIdentity* identity, std::chrono::milliseconds read_timeout, bool keep_alive) {
  auto client = std::make_unique<PooledClient>();
  if (url_.scheme == "https") {
    auto ssl = identity ? std::make_unique<httplib::SSLClient>(
                              url_.host, url_.port, identity->cert.get(), identity->key.get())
                        : std::make_unique<httplib::SSLClient>(url_.host, url_.port);
    if (!ssl->is_valid()) {
      return Status::InvalidArgument("the client certificate cannot be used with its key");
    }
    // OpenSSL checks chain and name in the handshake (ConfigureTls); httplib's check is off.
    ssl->enable_server_certificate_verification(false);
    SSL_CTX* ctx = ssl->ssl_context();
    if (identity) {
      for (const X509Ptr& extra : identity->chain) SSL_CTX_add1_chain_cert(ctx, extra.get());
    }
    if (!ConfigureTls(ctx, tls_, &client->tls)) {
      return Status::InvalidArgument("cannot set up TLS for " + server_ + ": " +
                                     TakeOpensslErrors());
    }
    client->http = std::move(ssl);
  } else {
    client->http = std::make_unique<httplib::ClientImpl>(url_.host, url_.port);
  }
  httplib::ClientImpl& http = *client->http;
  http.set_keep_alive(keep_alive);
  http.set_tcp_nodelay(true);
  http.set_url_encode(false);  // paths arrive escaped
  http.set_connection_timeout(options_.connect_timeout);
  http.set_read_timeout(read_timeout);
  http.set_write_timeout(options_.request_timeout);
  http.set_socket_options([this](socket_t) { connections_.fetch_add(1); });
  if (use_proxy_) {
    http.set_proxy(proxy_.host, proxy_.port);
    if (!proxy_authorization_empty_) http.set_proxy_basic_auth(proxy_.user, proxy_.password);
  }
  return client;
}

Result<std::unique_ptr<PooledClient>> HttpsTransport::Impl::Acquire(
    const std::shared_ptr<const ClientIdentity>& identity) {
  std::unique_lock<std::mutex> lock(pool_mu_);
  if (identity != pool_identity_) {
    // A rotated client certificate: connections made with the old one are closed as they idle.
    pool_identity_ = identity;
    ++generation_;
    live_ -= static_cast<int>(idle_.size());
    idle_.clear();
  }
  for (;;) {
    while (!idle_.empty()) {
      std::unique_ptr<PooledClient> client = std::move(idle_.back());
      idle_.pop_back();
      if (client->generation == generation_) return client;
      --live_;
    }
    if (live_ < options_.max_connections) break;
    pool_cv_.wait(lock);
  }
  ++live_;
  uint64_t generation = generation_;
  lock.unlock();
  auto client = NewClient(identity.get(), options_.request_timeout, /*keep_alive=*/true);
  if (!client.ok()) {
    lock.lock();
    --live_;
    pool_cv_.notify_one();
    return client.status();
  }
  client.value()->generation = generation;
  return client;
}

void HttpsTransport::Impl::Release(std::unique_ptr<PooledClient> client) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (client->generation == generation_) {
    idle_.push_back(std::move(client));
  } else {
    --live_;
  }
  pool_cv_.notify_one();
}

httplib::Request HttpsTransport::Impl::BuildRequest(const HttpRequest& request,
                                                    const Auth& auth) const {
  httplib::Request out;
  out.method = request.method;
  out.path = url_.prefix + request.path;
  out.headers.emplace("Host", url_.authority);
  out.headers.emplace("Accept", request.accept);
  out.headers.emplace("User-Agent", options_.user_agent);
  if (!auth.authorization.empty()) out.headers.emplace("Authorization", auth.authorization);
  if (!request.body.empty() || !request.content_type.empty()) {
    out.headers.emplace("Content-Type", request.content_type);
  }
  for (const auto& [name, value] : request.headers) out.headers.emplace(name, value);
  if (use_proxy_ && !proxy_authorization_empty_) {
    // httplib 0.11 repeats the proxy's credentials on every request inside the CONNECT
    // tunnel, i.e. to the API server; an empty header of that name stops it.
    out.headers.emplace("Proxy-Authorization", "");
  }
  out.body = request.body;
  return out;
}

HttpOutcome HttpsTransport::Impl::Classify(httplib::Error error, PooledClient& client,
                                           bool too_large, std::chrono::milliseconds elapsed,
                                           std::chrono::milliseconds read_timeout) const {
  std::string openssl = TakeOpensslErrors();
  std::string via = use_proxy_ ? " through proxy " + proxy_.scheme + "://" + proxy_.host + ":" +
                                     std::to_string(proxy_.port)
                               : "";
  if (too_large) {
    return Failure(TransportFailure::kTooLarge, true,
                   "the answer from " + server_ + " exceeds " +
                       std::to_string(options_.max_response_bytes >> 20) + " MiB");
  }
  switch (error) {
    case httplib::Error::Canceled:
      return Failure(TransportFailure::kCanceled, true, "request to " + server_ + " canceled");
    case httplib::Error::Connection:
    case httplib::Error::ConnectionTimeout:
      return Failure(TransportFailure::kConnect, false,
                     "cannot connect to " + server_ + via +
                         " (is the API server running and reachable? check the server URL in the "
                         "kubeconfig)");
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLServerVerification: {
      std::string refusal = client.tls.Refusal();
      if (!refusal.empty()) {
        return Failure(TransportFailure::kTlsVerify, false,
                       "TLS: refused the server " + server_ + ": " + refusal);
      }
      return Failure(
          TransportFailure::kTlsHandshake, false,
          "TLS handshake with " + server_ + " failed" + (openssl.empty() ? "" : ": " + openssl));
    }
    case httplib::Error::SSLLoadingCerts:
      return Failure(TransportFailure::kConfig, false,
                     "cannot load certificates for " + server_ + ": " + openssl);
    case httplib::Error::Write:
      return Failure(TransportFailure::kLost, false,
                     "connection to " + server_ + " lost while sending the request");
    default:
      break;
  }
  if (openssl.find("alert") != std::string::npos) {
    // The server ended the TLS session with an alert (e.g. it wants a client certificate).
    return Failure(TransportFailure::kTlsHandshake, false,
                   "TLS: the server " + server_ + " refused the connection: " + openssl);
  }
  std::string what = elapsed + std::chrono::milliseconds(50) >= read_timeout
                         ? "no answer from " + server_ + " within " + SecondsText(read_timeout)
                         : "connection to " + server_ + " closed before the answer arrived";
  return Failure(TransportFailure::kLost, true, what);
}

void HttpsTransport::Impl::Log(const HttpRequest& request, const HttpOutcome& outcome,
                               std::chrono::milliseconds elapsed) const {
  if (!options_.log) return;
  std::string line = request.method + " " + url_.prefix + request.path + " -> ";
  line += outcome.ok() ? std::to_string(outcome.response.status) : outcome.detail;
  line += " (" + std::to_string(elapsed.count()) + " ms)";
  options_.log(redactor().Redact(line));
}

HttpOutcome HttpsTransport::Impl::Exchange(const HttpRequest& request, const ChunkHandler* on_chunk,
                                           std::chrono::milliseconds read_timeout) {
  if (std::optional<HttpOutcome> refused = RefuseMalformed(request)) return *refused;
  auto auth = CurrentAuth();
  if (!auth.ok()) {
    return Failure(TransportFailure::kCredentials, false,
                   redactor().Redact("cannot get credentials: " + auth.status().message()));
  }
  bool streaming = on_chunk != nullptr;
  if (!streaming) read_timeout = options_.request_timeout;
  auto lease = streaming ? NewClient(auth->identity.get(), read_timeout, /*keep_alive=*/false)
                         : Acquire(auth->identity);
  if (!lease.ok()) return Failure(TransportFailure::kConfig, false, lease.status().message());
  auto start = std::chrono::steady_clock::now();
  HttpOutcome outcome =
      Run(*lease.value(), BuildRequest(request, auth.value()), on_chunk, read_timeout, start);
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  if (!streaming) Release(std::move(lease).value());
  Log(request, outcome, elapsed);
  return outcome;
}

HttpOutcome HttpsTransport::Impl::Run(PooledClient& client, httplib::Request req,
                                      const ChunkHandler* on_chunk,
                                      std::chrono::milliseconds read_timeout,
                                      std::chrono::steady_clock::time_point start) const {
  bool streaming = on_chunk != nullptr;
  std::string body;
  bool too_large = false;
  int status = 0;
  req.response_handler = [&status](const httplib::Response& r) {
    status = r.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
    if (streaming && status == 200) return (*on_chunk)(std::string_view(data, size));
    if (body.size() + size > options_.max_response_bytes) {
      too_large = true;
      return false;
    }
    body.append(data, size);
    return true;
  };
  client.tls.Reset();
  ERR_clear_error();
  httplib::Response res;
  httplib::Error error = httplib::Error::Success;
  bool sent = client.http->send(req, res, error);
  bool stopped_by_handler = streaming && status == 200 && error == httplib::Error::Canceled;
  if (!sent && !stopped_by_handler) {
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    HttpOutcome outcome = Classify(error, client, too_large, elapsed, read_timeout);
    outcome.response.status = status;  // set when a stream broke off after its status line
    return outcome;
  }
  ERR_clear_error();
  HttpOutcome outcome;
  outcome.response.status = res.status > 0 ? res.status : status;
  outcome.response.headers.insert(res.headers.begin(), res.headers.end());
  outcome.response.body = std::move(body);
  return outcome;
}

// ---- Public surface. ----

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) <
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::string HttpResponse::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

Result<std::unique_ptr<HttpsTransport>> HttpsTransport::Create(const RestConfig& config,
                                                               TransportOptions options) {
  // A peer that closes a connection must not kill the process with SIGPIPE.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });
  auto impl = std::make_unique<Impl>(config, std::move(options));
  Status status = impl->Init(config);
  if (!status.ok()) return status;
  return std::unique_ptr<HttpsTransport>(new HttpsTransport(std::move(impl)));
}

HttpsTransport::HttpsTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpsTransport::~HttpsTransport() = default;

HttpOutcome HttpsTransport::Send(const HttpRequest& request) {
  return impl_->Exchange(request, nullptr, std::chrono::milliseconds(0));
}

HttpOutcome HttpsTransport::Stream(const HttpRequest& request, const ChunkHandler& on_chunk,
                                   std::chrono::milliseconds idle_timeout) {
  return impl_->Exchange(request, &on_chunk, idle_timeout);
}

bool HttpsTransport::RefreshCredentials() { return impl_->RefreshCredentials(); }
Redactor HttpsTransport::redactor() const { return impl_->redactor(); }
const std::string& HttpsTransport::server() const { return impl_->server(); }
int HttpsTransport::connections_opened() const { return impl_->connections_opened(); }

}  // namespace mlgitops
