// Certificates made with OpenSSL at test time, and the servers the kube client tests talk to.
#include "test_tls.h"

#include <gtest/gtest.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace mlgitops::testing {

namespace {

std::atomic<long> next_serial{1};

std::string ToPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

std::string ToPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  ASSERT_NE(ext, nullptr) << "extension " << value;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

/// A certificate for `key` named `cn` (and `orgs`), signed by issuer (itself when null).
X509* NewCertificate(EVP_PKEY* key, const std::string& cn, const std::vector<std::string>& orgs,
                     X509* issuer, EVP_PKEY* issuer_key) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), next_serial.fetch_add(1));
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  for (const std::string& org : orgs) {
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(org.c_str()), -1, -1, 0);
  }
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
  return cert;
}

void Sign(X509* cert, EVP_PKEY* key) { X509_sign(cert, key, EVP_sha256()); }

EVP_PKEY* FromPem(const std::string& pem, X509** cert) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = nullptr;
  if (cert) {
    *cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  } else {
    key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  }
  BIO_free(bio);
  return key;
}

}  // namespace

// ---- TestCa. ----

struct TestCa::Keys {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  ~Keys() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
};

TestCa::TestCa(const std::string& common_name) : keys_(std::make_unique<Keys>()) {
  keys_->key = EVP_EC_gen("P-256");
  keys_->cert = NewCertificate(keys_->key, common_name, {}, nullptr, nullptr);
  AddExtension(keys_->cert, keys_->cert, NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(keys_->cert, keys_->cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(keys_->cert, keys_->cert, NID_subject_key_identifier, "hash");
  Sign(keys_->cert, keys_->key);
  cert_pem_ = ToPem(keys_->cert);
}

TestCa::~TestCa() = default;

KeyPair TestCa::IssueServer(const std::vector<std::string>& dns_names,
                            const std::vector<std::string>& ips) const {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  std::string cn = dns_names.empty() ? (ips.empty() ? "server" : ips.front()) : dns_names.front();
  X509* cert = NewCertificate(key, cn, {}, keys_->cert, keys_->key);
  std::string sans;
  for (const std::string& dns : dns_names) sans += (sans.empty() ? "DNS:" : ",DNS:") + dns;
  for (const std::string& ip : ips) sans += (sans.empty() ? "IP:" : ",IP:") + ip;
  if (!sans.empty()) AddExtension(cert, keys_->cert, NID_subject_alt_name, sans);
  AddExtension(cert, keys_->cert, NID_key_usage, "critical,digitalSignature");
  AddExtension(cert, keys_->cert, NID_ext_key_usage, "serverAuth");
  Sign(cert, keys_->key);
  KeyPair pair{ToPem(cert), ToPem(key)};
  X509_free(cert);
  EVP_PKEY_free(key);
  return pair;
}

KeyPair TestCa::IssueClient(const std::string& user, const std::vector<std::string>& groups) const {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = NewCertificate(key, user, groups, keys_->cert, keys_->key);
  AddExtension(cert, keys_->cert, NID_key_usage, "critical,digitalSignature");
  AddExtension(cert, keys_->cert, NID_ext_key_usage, "clientAuth");
  Sign(cert, keys_->key);
  KeyPair pair{ToPem(cert), ToPem(key)};
  X509_free(cert);
  EVP_PKEY_free(key);
  return pair;
}

// ---- TestHttpsServer. ----

int TestHttpsServer::OnServerName(SSL* ssl, int*, void* arg) {
  auto* self = static_cast<TestHttpsServer*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  std::lock_guard<std::mutex> lock(self->mu_);
  self->last_sni_ = name ? name : "";
  return SSL_TLSEXT_ERR_OK;
}

TestHttpsServer::TestHttpsServer(const Options& options, Handler handler)
    : handler_(std::move(handler)) {
  server_ = std::make_unique<httplib::SSLServer>([this, &options](SSL_CTX& ctx) {
    X509* cert = nullptr;
    FromPem(options.identity.cert_pem, &cert);
    EVP_PKEY* key = FromPem(options.identity.key_pem, nullptr);
    bool ok = cert && key && SSL_CTX_use_certificate(&ctx, cert) == 1 &&
              SSL_CTX_use_PrivateKey(&ctx, key) == 1;
    X509_free(cert);
    EVP_PKEY_free(key);
    SSL_CTX_set_tlsext_servername_callback(&ctx, OnServerName);
    SSL_CTX_set_tlsext_servername_arg(&ctx, this);
    if (!options.client_ca_pem.empty()) {
      X509* ca = nullptr;
      FromPem(options.client_ca_pem, &ca);
      X509_STORE_add_cert(SSL_CTX_get_cert_store(&ctx), ca);
      X509_free(ca);
      SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
    return ok;
  });
  EXPECT_TRUE(server_->is_valid());
  server_->new_task_queue = [] { return new httplib::ThreadPool(32); };
  server_->set_keep_alive_max_count(100000);
  server_->set_keep_alive_timeout(5);
  server_->set_tcp_nodelay(true);
  auto route = [this](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      client_ports_.insert(req.remote_port);
    }
    requests_.fetch_add(1);
    handler_(req, res);
  };
  server_->Get(".*", route);
  server_->Post(".*", route);
  server_->Put(".*", route);
  server_->Patch(".*", route);
  server_->Delete(".*", route);
  port_ = server_->bind_to_any_port("127.0.0.1");
  EXPECT_GT(port_, 0);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  for (int i = 0; i < 500 && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

TestHttpsServer::~TestHttpsServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string TestHttpsServer::url() const { return "https://127.0.0.1:" + std::to_string(port_); }

int TestHttpsServer::connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(client_ports_.size());
}

std::string TestHttpsServer::last_sni() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_sni_;
}

std::string TestHttpsServer::PeerCommonName(const httplib::Request& request) {
  if (!request.ssl) return "";
  X509* peer = SSL_get1_peer_certificate(request.ssl);
  if (!peer) return "";
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
  X509_free(peer);
  return cn;
}

void TestHttpsServer::DropConnection(const httplib::Request& request) {
  if (request.ssl) ::shutdown(SSL_get_fd(request.ssl), SHUT_RDWR);
}

// ---- TestConnectProxy. ----

namespace {

int ConnectTo(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* ai = found; ai && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd >= 0 && ::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  return fd;
}

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

std::string HeaderValue(const std::string& head, const std::string& name) {
  std::string lower_head = head;
  for (char& c : lower_head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string key = "\r\n" + name + ":";
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t at = lower_head.find(key);
  if (at == std::string::npos) return "";
  size_t start = at + key.size();
  size_t end = head.find("\r\n", start);
  std::string value = head.substr(start, end - start);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  return value;
}

}  // namespace

TestConnectProxy::TestConnectProxy(std::string required_authorization)
    : required_authorization_(std::move(required_authorization)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(::listen(listen_fd_, 16), 0);
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TestConnectProxy::~TestConnectProxy() {
  stopping_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (std::thread& worker : workers_) worker.join();
  ::close(listen_fd_);
}

std::string TestConnectProxy::last_target() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_target_;
}

void TestConnectProxy::AcceptLoop() {
  while (!stopping_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 50) <= 0) continue;
    int client = ::accept(listen_fd_, nullptr, nullptr);
    if (client < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    workers_.emplace_back([this, client] { Serve(client); });
  }
}

void TestConnectProxy::Serve(int client) {
  std::string head;
  char buf[16384];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 8192) {
    ssize_t n = ::recv(client, buf, sizeof(buf), 0);
    if (n <= 0) {
      ::close(client);
      return;
    }
    head.append(buf, static_cast<size_t>(n));
  }
  std::string line = head.substr(0, head.find("\r\n"));
  std::string target = line.rfind("CONNECT ", 0) == 0 ? line.substr(8, line.find(' ', 8) - 8) : "";
  bool authorized = required_authorization_.empty() ||
                    HeaderValue(head, "Proxy-Authorization") == required_authorization_;
  size_t colon = target.rfind(':');
  int upstream = authorized && colon != std::string::npos
                     ? ConnectTo(target.substr(0, colon), target.substr(colon + 1))
                     : -1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_target_ = target;
  }
  if (upstream < 0) {
    const char* refusal = authorized ? "HTTP/1.1 502 Bad Gateway\r\n\r\n"
                                     : "HTTP/1.1 407 Proxy Authentication Required\r\n\r\n";
    SendAll(client, refusal, strlen(refusal));
    ::close(client);
    return;
  }
  tunnels_.fetch_add(1);
  const char* ok = "HTTP/1.1 200 Connection established\r\n\r\n";
  SendAll(client, ok, strlen(ok));
  pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
  while (!stopping_) {
    if (::poll(fds, 2, 50) < 0) break;
    bool open = true;
    for (int i = 0; i < 2 && open; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::recv(fds[i].fd, buf, sizeof(buf), 0);
      open = n > 0 && SendAll(fds[1 - i].fd, buf, static_cast<size_t>(n));
    }
    if (!open) break;
  }
  ::close(upstream);
  ::close(client);
}

}  // namespace mlgitops::testing
