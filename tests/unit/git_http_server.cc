// GitHttpServer: each request handed to git-http-backend as CGI, its answer relayed; the test
// CA that TLS servers share, trusted by libgit2.
#include "git_http_server.h"

#include <git2.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "object/base64.h"

namespace mlgitops::testing {

namespace {

struct GitTestTls {
  TestCa ca{"mlgitops git test CA"};
  // mbedTLS 2 (libgit2's TLS on Debian) matches only DNS names, so 127.0.0.1 is one too.
  KeyPair identity = ca.IssueServer({"localhost", "127.0.0.1"}, {"127.0.0.1"});
  std::string ca_file;

  GitTestTls() {
    char name[] = "/tmp/mlgitops-git-test-ca-XXXXXX";
    int fd = ::mkstemp(name);
    EXPECT_GE(fd, 0);
    if (fd >= 0) ::close(fd);
    ca_file = name;
    std::ofstream(ca_file) << ca.cert_pem();
    // libgit2's TLS stream (mbedTLS on Debian) reads its trusted CAs from here, process-wide.
    git_libgit2_init();
    EXPECT_EQ(git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, ca_file.c_str(), nullptr), 0)
        << git_error_last()->message;
  }
  ~GitTestTls() { std::remove(ca_file.c_str()); }
};

GitTestTls& Tls() {
  static GitTestTls tls;  // destroyed at exit: removes the CA file
  return tls;
}

}  // namespace

const KeyPair& GitTestTlsIdentity() { return Tls().identity; }
const std::string& GitTestCaFile() { return Tls().ca_file; }

GitHttpServer::GitHttpServer(std::string project_root, std::string user, std::string password,
                             Scheme scheme)
    : root_(std::move(project_root)),
      expected_auth_("Basic " + Base64Encode(user + ":" + password)),
      scheme_(scheme) {
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { Serve(req, res); };
  if (scheme_ == Scheme::kHttps) {
    tls_server_ = std::make_unique<TestHttpsServer>(
        TestHttpsServer::Options{GitTestTlsIdentity(), ""}, handler);
    port_ = tls_server_->port();
    return;
  }
  server_ = std::make_unique<httplib::Server>();
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  port_ = server_->bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

GitHttpServer::~GitHttpServer() {
  if (!server_) return;
  server_->stop();
  thread_.join();
}

std::string GitHttpServer::url(const std::string& repo) const {
  return std::string(scheme_ == Scheme::kHttps ? "https" : "http") +
         "://127.0.0.1:" + std::to_string(port_) + "/" + repo;
}

std::vector<std::string> GitHttpServer::authorizations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return authorizations_;
}

bool GitHttpServer::ReceivedPassword(const std::string& password) const {
  for (const std::string& header : authorizations()) {
    if (header.rfind("Basic ", 0) != 0) return true;  // unknown scheme: assume the worst
    auto decoded = Base64Decode(header.substr(6));
    if (!decoded || decoded->find(password) != std::string::npos) return true;
  }
  return false;
}

void GitHttpServer::RedirectPostsTo(const std::string& origin) {
  std::lock_guard<std::mutex> lock(mu_);
  post_redirect_ = origin;
}

void GitHttpServer::Serve(const httplib::Request& req, httplib::Response& res) {
  ++requests_;
  std::string authorization = req.get_header_value("Authorization");
  std::string post_redirect;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!authorization.empty()) authorizations_.push_back(authorization);
    post_redirect = post_redirect_;
  }
  if (req.method == "POST" && !post_redirect.empty()) {
    res.status = 307;
    res.set_header("Location", post_redirect + req.path);
    return;
  }
  if (authorization != expected_auth_) {
    res.status = 401;
    res.set_header("WWW-Authenticate", "Basic realm=\"git\"");
    return;
  }
  ProcessRequest cgi;
  cgi.argv = {kGitHttpBackend};
  cgi.env = {
      {"GIT_PROJECT_ROOT", root_},
      {"GIT_HTTP_EXPORT_ALL", "1"},
      {"PATH_INFO", req.path},
      {"QUERY_STRING", req.has_param("service") ? "service=" + req.get_param_value("service") : ""},
      {"REQUEST_METHOD", req.method},
      {"CONTENT_TYPE", req.get_header_value("Content-Type")},
      {"CONTENT_LENGTH", std::to_string(req.body.size())},
      {"REMOTE_USER", "tester"}};
  cgi.stdin_text = req.body;
  cgi.max_output_bytes = size_t{64} << 20;
  cgi.timeout_ms = 10000;
  auto out = runner_.Run(cgi);
  if (!out.ok() || !out->succeeded()) {
    res.status = 500;
    return;
  }
  const std::string& text = out->stdout_text;
  size_t end = text.find("\r\n\r\n");
  size_t skip = 4;
  if (end == std::string::npos) {
    end = text.find("\n\n");
    skip = 2;
  }
  std::string headers = text.substr(0, end);
  std::string content_type = "text/plain";
  res.status = 200;
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t eol = headers.find('\n', pos);
    if (eol == std::string::npos) eol = headers.size();
    std::string line = headers.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = eol + 1;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon), value = line.substr(colon + 2);
    if (name == "Status") {
      res.status = std::atoi(value.c_str());
    } else if (name == "Content-Type") {
      content_type = value;
    } else {
      res.set_header(name, value);
    }
  }
  res.set_content(end == std::string::npos ? "" : text.substr(end + skip), content_type);
}

}  // namespace mlgitops::testing
