// TLS fixtures for the kube client tests: a CA that issues server and client certificates, an
// HTTPS server on 127.0.0.1 that counts connections, and an HTTP CONNECT proxy.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace mlgitops::testing {

struct KeyPair {
  std::string cert_pem;
  std::string key_pem;
};

/// A certificate authority (EC P-256) made in memory.
class TestCa {
 public:
  explicit TestCa(const std::string& common_name);
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  const std::string& cert_pem() const { return cert_pem_; }
  /// A serving certificate with these subject alternative names.
  KeyPair IssueServer(const std::vector<std::string>& dns_names,
                      const std::vector<std::string>& ips) const;
  /// A client certificate: CN is the user, O the groups (as Kubernetes reads them).
  KeyPair IssueClient(const std::string& user, const std::vector<std::string>& groups) const;

 private:
  struct Keys;
  std::unique_ptr<Keys> keys_;
  std::string cert_pem_;
};

/// cpp-httplib's SSLServer on 127.0.0.1 with a free port; every request goes to `handler`.
class TestHttpsServer {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  struct Options {
    KeyPair identity;
    std::string client_ca_pem;  // when set, clients must present a certificate it issued
  };
  TestHttpsServer(const Options& options, Handler handler);
  ~TestHttpsServer();
  TestHttpsServer(const TestHttpsServer&) = delete;
  TestHttpsServer& operator=(const TestHttpsServer&) = delete;

  int port() const { return port_; }
  /// "https://127.0.0.1:<port>"
  std::string url() const;
  /// Client connections that sent at least one request.
  int connections() const;
  int requests() const { return requests_.load(); }
  /// The SNI name of the last handshake ("" when the client sent none).
  std::string last_sni() const;

  /// CN of the client certificate presented on the connection of `request`, "" when none.
  static std::string PeerCommonName(const httplib::Request& request);
  /// Shuts down the connection under `request` without an answer, like a crashed server.
  static void DropConnection(const httplib::Request& request);

 private:
  static int OnServerName(SSL* ssl, int* alert, void* arg);

  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = 0;
  Handler handler_;
  mutable std::mutex mu_;
  std::set<int> client_ports_;
  std::string last_sni_;
  std::atomic<int> requests_{0};
};

/// An HTTP proxy that only does CONNECT tunnels, optionally demanding a Proxy-Authorization.
class TestConnectProxy {
 public:
  explicit TestConnectProxy(std::string required_authorization = "");
  ~TestConnectProxy();
  TestConnectProxy(const TestConnectProxy&) = delete;
  TestConnectProxy& operator=(const TestConnectProxy&) = delete;

  int port() const { return port_; }
  int tunnels() const { return tunnels_.load(); }
  std::string last_target() const;

 private:
  void AcceptLoop();
  void Serve(int client);

  std::string required_authorization_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> tunnels_{0};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<std::thread> workers_;
  std::string last_target_;
};

}  // namespace mlgitops::testing
