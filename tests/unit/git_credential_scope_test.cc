// Where Git credentials may go (issue 12), over real servers on 127.0.0.1 that record the
// Authorization headers they get: only to the URL they were given for, never over plain http,
// never to a redirect target elsewhere; URL passwords decoded before use and never shown.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/memory_terminal.h"
#include "git_http_server.h"
#include "git_test_repo.h"
#include "object/timeutil.h"
#include "source/git_repo.h"
#include "test_tls.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using testing::FreePort;
using testing::GitHttpServer;
using testing::TempDir;
using testing::TestGitRepo;

constexpr const char* kPassword = "env-s3cret-pw";

struct CliRun {
  int exit_code;
  std::string out;
  std::string err;
};

class GitCredentialScopeTest : public ::testing::Test {
 protected:
  GitCredentialScopeTest()
      : team_(tmp_.path() + "/srv/team/repo.git"), evil_(tmp_.path() + "/srv/teamevil/repo.git") {
    for (TestGitRepo* repo : {&team_, &evil_}) {
      repo->Commit({{"app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"}});
    }
  }

  void SetUp() override {
    if (access(testing::kGitHttpBackend, X_OK) != 0) {
      GTEST_SKIP() << testing::kGitHttpBackend << " is not installed";
    }
  }

  std::string root() const { return tmp_.path() + "/srv"; }

  /// `render -f` of an Application on `repo_url`, with env_ as the environment.
  CliRun Render(const std::string& repo_url) {
    std::string app = tmp_.Write(
        "app.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: scoped\n"
        "spec:\n  destination:\n    server: https://kubernetes.default.svc\n"
        "    namespace: ml\n  source:\n    repoURL: '" +
            repo_url + "'\n    targetRevision: main\n    path: app\n");
    MemoryTerminal out(false), err(false);
    FixedClock clock(*ParseRfc3339("2026-11-26T12:00:00Z"));
    CliEnv env{out, err, clock, [this](const char* name) -> const char* {
                 auto it = env_.find(name);
                 return it == env_.end() ? nullptr : it->second.c_str();
               }};
    int code = RunCli({"render", "-f", app, "--cache-dir", tmp_.path() + "/cache"}, env);
    return {code, out.text(), err.text()};
  }

  /// Credentials for https://127.0.0.1:<port><path> in the environment.
  void EnvCredentialsFor(const std::string& url) {
    env_ = {{"MLGITOPS_GIT_URL", url},
            {"MLGITOPS_GIT_USERNAME", "alice"},
            {"MLGITOPS_GIT_PASSWORD", kPassword}};
  }

  TempDir tmp_;
  TestGitRepo team_;
  TestGitRepo evil_;
  std::map<std::string, std::string> env_;
};

TEST_F(GitCredentialScopeTest, EnvironmentCredentialsGoOnlyToTheirUrlPrefix) {
  GitHttpServer a(root(), "alice", kPassword, GitHttpServer::Scheme::kHttps);
  GitHttpServer b(root(), "alice", kPassword, GitHttpServer::Scheme::kHttps);
  std::string a_origin = "https://127.0.0.1:" + std::to_string(a.port());
  EnvCredentialsFor(a_origin + "/team");

  CliRun ok = Render(a.url("team/repo.git"));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(a.ReceivedPassword(kPassword));

  // Another port is another host; "teamevil" is not below "team"; localhost is not 127.0.0.1.
  size_t a_seen = a.authorizations().size();
  for (const std::string& url :
       {b.url("team/repo.git"), a.url("teamevil/repo.git"),
        "https://localhost:" + std::to_string(a.port()) + "/team/repo.git"}) {
    CliRun refused = Render(url);
    EXPECT_NE(refused.exit_code, 0) << url;
    EXPECT_NE(refused.err.find("no credentials are given for it"), std::string::npos)
        << refused.err;
    EXPECT_EQ(refused.err.find(kPassword), std::string::npos) << refused.err;
  }
  EXPECT_FALSE(b.ReceivedPassword(kPassword)) << "sent to another port";
  EXPECT_EQ(a.authorizations().size(), a_seen) << "sent outside the path prefix or to localhost";
}

TEST_F(GitCredentialScopeTest, EnvironmentCredentialsWithoutAUrlAreRefused) {
  GitHttpServer a(root(), "alice", kPassword, GitHttpServer::Scheme::kHttps);
  EnvCredentialsFor("");
  env_.erase("MLGITOPS_GIT_URL");
  CliRun refused = Render(a.url("team/repo.git"));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("MLGITOPS_GIT_URL"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find(kPassword), std::string::npos) << refused.err;
  EXPECT_TRUE(a.authorizations().empty()) << "credentials without a scope were sent";
}

TEST_F(GitCredentialScopeTest, CredentialsNeverGoOverPlainHttp) {
  GitHttpServer plain(root(), "alice", kPassword);
  GitRepoCache cache(tmp_.path() + "/cache");
  GitFetchOptions options;
  options.credentials.username = "alice";
  options.credentials.password = kPassword;
  auto given = cache.Checkout(plain.url("team/repo.git"), "main", options);
  ASSERT_FALSE(given.ok());
  EXPECT_NE(given.status().message().find(plain.url("team/repo.git")), std::string::npos)
      << given.status().message();
  EXPECT_NE(given.status().message().find("plain http"), std::string::npos)
      << given.status().message();

  std::string in_url = "http://alice:" + std::string(kPassword) +
                       "@127.0.0.1:" + std::to_string(plain.port()) + "/team/repo.git";
  auto userinfo = cache.Checkout(in_url, "main", GitFetchOptions());
  ASSERT_FALSE(userinfo.ok());
  EXPECT_EQ(userinfo.status().message().find(kPassword), std::string::npos);

  EnvCredentialsFor("http://127.0.0.1:" + std::to_string(plain.port()) + "/");
  CliRun scoped = Render(plain.url("team/repo.git"));
  EXPECT_NE(scoped.exit_code, 0);
  EXPECT_NE(scoped.err.find("plain http"), std::string::npos) << scoped.err;

  EXPECT_TRUE(plain.authorizations().empty()) << "credentials went over plain http";
}

/// An https server on 127.0.0.1 that redirects every request to `target` (same path and query);
/// with `auth_first` it asks for credentials first and redirects only once it has them.
class RedirectServer {
 public:
  RedirectServer(std::string target, int status, bool auth_first)
      : server_({testing::GitTestTlsIdentity(), ""},
                [=](const httplib::Request& req, httplib::Response& res) {
                  if (auth_first && req.get_header_value("Authorization").empty()) {
                    res.status = 401;
                    res.set_header("WWW-Authenticate", "Basic realm=\"git\"");
                    return;
                  }
                  std::string query =
                      req.has_param("service") ? "?service=" + req.get_param_value("service") : "";
                  res.status = status;
                  res.set_header("Location", target + req.path + query);
                }) {}
  std::string url(const std::string& repo) const { return server_.url() + "/" + repo; }
  int requests() const { return server_.requests(); }

 private:
  testing::TestHttpsServer server_;
};

TEST_F(GitCredentialScopeTest, CredentialsAreNotSentAfterARedirectToAnotherHost) {
  GitRepoCache cache(tmp_.path() + "/cache");
  GitFetchOptions options;
  options.credentials.username = "alice";
  options.credentials.password = kPassword;
  enum class Target { kOtherPort, kOtherName, kPlainHttp };
  for (Target where : {Target::kOtherPort, Target::kOtherName, Target::kPlainHttp}) {
    for (bool auth_first : {false, true}) {
      GitHttpServer target(root(), "alice", kPassword,
                           where == Target::kPlainHttp ? GitHttpServer::Scheme::kHttp
                                                       : GitHttpServer::Scheme::kHttps);
      std::string port = std::to_string(target.port());
      std::string location = where == Target::kOtherPort   ? "https://127.0.0.1:" + port
                             : where == Target::kOtherName ? "https://localhost:" + port
                                                           : "http://127.0.0.1:" + port;
      RedirectServer redirect(location, auth_first ? 301 : 302, auth_first);
      auto r = cache.Checkout(redirect.url("team/repo.git"), "main", options);
      SCOPED_TRACE(location + (auth_first ? " after auth: " : ": ") +
                   (r.ok() ? "ok" : r.status().message()));
      EXPECT_GT(redirect.requests(), 0);
      EXPECT_FALSE(r.ok());
      EXPECT_FALSE(target.ReceivedPassword(kPassword));
      if (!r.ok()) {
        const std::string& message = r.status().message();
        EXPECT_EQ(message.find(kPassword), std::string::npos);
        // libgit2 itself refuses https -> http; the rest is our refusal, naming both ends.
        std::string why =
            where == Target::kPlainHttp ? "cannot redirect" : "redirected to " + location;
        EXPECT_NE(message.find(why), std::string::npos) << message;
      }
    }
  }
}

TEST_F(GitCredentialScopeTest, CredentialsAreNotSentWhenTheFetchIsRedirectedToAnotherPort) {
  GitHttpServer origin(root(), "alice", kPassword, GitHttpServer::Scheme::kHttps);
  GitHttpServer target(root(), "alice", kPassword, GitHttpServer::Scheme::kHttps);
  origin.RedirectPostsTo("https://127.0.0.1:" + std::to_string(target.port()));
  GitRepoCache cache(tmp_.path() + "/cache");
  GitFetchOptions options;
  options.credentials.username = "alice";
  options.credentials.password = kPassword;
  auto r = cache.Checkout(origin.url("team/repo.git"), "main", options);
  EXPECT_TRUE(origin.ReceivedPassword(kPassword));
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(target.ReceivedPassword(kPassword))
      << (r.ok() ? "ok" : r.status().message()) << " " << target.requests();
}

/// The password written in the URL, its decoded form, and unique pieces of it that must never
/// show up in an error.
struct UrlPassword {
  std::string written;
  std::string decoded;  // "" = the URL is refused before use
  std::vector<std::string> pieces;
};

std::vector<UrlPassword> UrlPasswords() {
  return {
      {"Kq1%40Zx2%2FWv3%23Ty4", "Kq1@Zx2/Wv3#Ty4", {"Kq1", "Zx2", "Wv3", "Ty4"}},
      {"Kq1@Zx2@Wv3", "Kq1@Zx2@Wv3", {"Kq1", "Zx2", "Wv3"}},
      {"Kq1%2fZx2%25Wv3", "Kq1/Zx2%Wv3", {"Kq1", "Zx2", "Wv3"}},
      {"Kq1%40Zx2/Wv3#Ty4", "", {"Kq1", "Zx2", "Wv3", "Ty4"}},
      {"Kq1/Zx2@Wv3", "", {"Kq1", "Zx2", "Wv3"}},
      {"Kq1#Zx2", "", {"Kq1", "Zx2"}},
      {"Kq1?Zx2", "", {"Kq1", "Zx2"}},
  };
}

TEST_F(GitCredentialScopeTest, UrlPasswordsWithReservedCharactersNeverShowInErrors) {
  GitRepoCache cache(tmp_.path() + "/cache");
  int closed = FreePort();
  for (const UrlPassword& p : UrlPasswords()) {
    std::string url =
        "https://alice:" + p.written + "@127.0.0.1:" + std::to_string(closed) + "/team/repo.git";
    auto r = cache.Checkout(url, "main", GitFetchOptions());
    ASSERT_FALSE(r.ok()) << p.written;
    const std::string& message = r.status().message();
    for (const std::string& piece : p.pieces) {
      EXPECT_EQ(message.find(piece), std::string::npos) << p.written << ": " << message;
    }
    CliRun rendered = Render(url);
    EXPECT_NE(rendered.exit_code, 0);
    for (const std::string& piece : p.pieces) {
      EXPECT_EQ(rendered.err.find(piece), std::string::npos) << p.written << ": " << rendered.err;
      EXPECT_EQ(rendered.out.find(piece), std::string::npos) << p.written << ": " << rendered.out;
    }
  }
}

TEST_F(GitCredentialScopeTest, UrlPasswordsAreDecodedBeforeUse) {
  for (const UrlPassword& p : UrlPasswords()) {
    if (p.decoded.empty()) continue;
    GitHttpServer server(root(), "alice", p.decoded, GitHttpServer::Scheme::kHttps);
    GitRepoCache cache(tmp_.path() + "/cache");
    std::string url = "https://alice:" + p.written + "@127.0.0.1:" + std::to_string(server.port()) +
                      "/team/repo.git";
    auto r = cache.Checkout(url, "main", GitFetchOptions());
    EXPECT_TRUE(r.ok()) << p.written << ": " << r.status().ToString();
    EXPECT_TRUE(server.ReceivedPassword(p.decoded)) << p.written;
  }
}

}  // namespace
}  // namespace mlgitops
