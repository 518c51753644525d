// A Git server for tests: git's smart HTTP protocol from git-http-backend (CGI) behind a
// cpp-httplib server on 127.0.0.1 that demands basic auth, so credentials are really checked.
#pragma once

#include <httplib.h>

#include <atomic>
#include <string>
#include <thread>

#include "sys/process.h"

namespace mlgitops::testing {

/// git's CGI program (Debian package git).
inline constexpr const char* kGitHttpBackend = "/usr/lib/git-core/git-http-backend";

class GitHttpServer {
 public:
  /// Serves the repositories under `project_root` to `user`:`password` only.
  GitHttpServer(std::string project_root, std::string user, std::string password);
  ~GitHttpServer();
  GitHttpServer(const GitHttpServer&) = delete;
  GitHttpServer& operator=(const GitHttpServer&) = delete;

  /// http://127.0.0.1:PORT/<repo>
  std::string url(const std::string& repo) const;
  int requests() const { return requests_; }

 private:
  void Serve(const httplib::Request& req, httplib::Response& res);

  std::string root_;
  std::string expected_auth_;
  SystemProcessRunner runner_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> requests_{0};
};

}  // namespace mlgitops::testing
