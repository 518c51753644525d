// A Git server for tests: git's smart HTTP protocol from git-http-backend (CGI) behind a
// cpp-httplib server on 127.0.0.1 (plain or TLS) that demands basic auth and records it.
#pragma once

#include <httplib.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sys/process.h"
#include "test_tls.h"

namespace mlgitops::testing {

/// git's CGI program (Debian package git).
inline constexpr const char* kGitHttpBackend = "/usr/lib/git-core/git-http-backend";

/// The serving identity (127.0.0.1 and localhost) of every TLS test Git server, issued by one
/// process-wide CA. libgit2 trusts that CA from the first call on (its CA locations are
/// process-wide; tests never reach the network, so no other CA is needed).
const KeyPair& GitTestTlsIdentity();
/// A PEM file holding the CA above, for GIT_SSL_CAINFO in child processes.
const std::string& GitTestCaFile();

class GitHttpServer {
 public:
  enum class Scheme { kHttp, kHttps };
  /// Serves the repositories under `project_root` to `user`:`password` only.
  GitHttpServer(std::string project_root, std::string user, std::string password,
                Scheme scheme = Scheme::kHttp);
  ~GitHttpServer();
  GitHttpServer(const GitHttpServer&) = delete;
  GitHttpServer& operator=(const GitHttpServer&) = delete;

  /// http(s)://127.0.0.1:PORT/<repo>
  std::string url(const std::string& repo) const;
  int port() const { return port_; }
  int requests() const { return requests_; }
  /// Every Authorization header received, in order (requests without one are not listed).
  std::vector<std::string> authorizations() const;
  /// Whether any request carried `password` in its basic credentials.
  bool ReceivedPassword(const std::string& password) const;
  /// From now on every POST (the fetch after the ref advertisement) is answered with a 307 to
  /// the same path at `origin` ("scheme://host:port"), as a hostile server might.
  void RedirectPostsTo(const std::string& origin);

 private:
  void Serve(const httplib::Request& req, httplib::Response& res);

  std::string root_;
  std::string expected_auth_;
  Scheme scheme_;
  SystemProcessRunner runner_;
  std::unique_ptr<httplib::Server> server_;      // plain http
  std::unique_ptr<TestHttpsServer> tls_server_;  // https
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> requests_{0};
  mutable std::mutex mu_;
  std::vector<std::string> authorizations_;
  std::string post_redirect_;
};

}  // namespace mlgitops::testing
