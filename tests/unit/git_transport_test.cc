// The clone cache over real transports on 127.0.0.1: smart HTTPS (git-http-backend behind a
// cpp-httplib server with basic auth) and ssh (a private sshd with its own host key).
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define MLGITOPS_HAS_LSAN 1
#else
#define MLGITOPS_HAS_LSAN 0
#endif
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "git_http_server.h"
#include "git_test_repo.h"
#include "object/base64.h"
#include "source/git_repo.h"
#include "sys/process.h"
#include "test_util.h"

extern char** environ;

namespace mlgitops {
namespace {

using mlgitops::testing::FreePort;
using mlgitops::testing::PortAccepts;

using testing::GitHttpServer;
using testing::ReadFile;
using testing::RunCommand;
using testing::TempDir;
using testing::TestGitRepo;

TEST(GitTransportTest, SmartHttpsWithBasicAuth) {
  if (access(testing::kGitHttpBackend, X_OK) != 0)
    GTEST_SKIP() << testing::kGitHttpBackend << " is not installed";
  TempDir tmp;
  TestGitRepo remote(tmp.path() + "/srv/repo.git");
  std::string sha = remote.Commit({{"a.yaml", "over http"}});
  remote.AnnotatedTag("v1", sha);
  GitHttpServer server(tmp.path() + "/srv", "alice", "right-password",
                       GitHttpServer::Scheme::kHttps);
  GitRepoCache cache(tmp.path() + "/cache");

  GitFetchOptions good;
  good.credentials.username = "alice";
  good.credentials.password = "right-password";
  auto snap = cache.Checkout(server.url("repo.git"), "v1", good);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(snap->commit, sha);
  EXPECT_EQ(ReadFile(snap->dir + "/a.yaml"), "over http");
  EXPECT_GT(server.requests(), 0);

  // Credentials written in the URL work too, and never show up in errors.
  std::string in_url = "https://alice:right-password@" + server.url("repo.git").substr(8);
  snap = cache.Checkout(in_url, "main", GitFetchOptions());
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();

  GitFetchOptions bad;
  bad.credentials.username = "alice";
  bad.credentials.password = "wrong-s3cret";
  auto refused = cache.Checkout(server.url("repo.git"), "main", bad);
  ASSERT_FALSE(refused.ok());
  const std::string& message = refused.status().message();
  EXPECT_NE(message.find("authentication failed"), std::string::npos) << message;
  EXPECT_EQ(message.find("wrong-s3cret"), std::string::npos) << message;

  auto bad_url = cache.Checkout("https://alice:wrong-s3cret@" + server.url("repo.git").substr(8),
                                "main", GitFetchOptions());
  ASSERT_FALSE(bad_url.ok());
  EXPECT_EQ(bad_url.status().message().find("wrong-s3cret"), std::string::npos);
  EXPECT_EQ(bad_url.status().message().find("alice:"), std::string::npos);
}

/// sshd on 127.0.0.1 as the current user, with its own host key and authorized_keys.
class TestSshd {
 public:
  explicit TestSshd(const std::string& dir) : dir_(dir), port_(FreePort()) {
    std::string out;
    for (const char* key : {"host_key", "user_key", "other_host_key"}) {
      RunCommand("ssh-keygen -q -t ecdsa -b 256 -m PEM -N '' -f " + dir + "/" + key, &out);
    }
    RunCommand("cp " + dir + "/user_key.pub " + dir + "/authorized_keys", &out);
    std::string config = "Port " + std::to_string(port_) + "\nListenAddress 127.0.0.1\nHostKey " +
                         dir + "/host_key\n" + "AuthorizedKeysFile " + dir +
                         "/authorized_keys\nStrictModes no\n" + "UsePAM no\nPidFile " + dir +
                         "/sshd.pid\nPasswordAuthentication no\n" +
                         "PermitRootLogin prohibit-password\n";
    FILE* f = std::fopen((dir + "/sshd_config").c_str(), "w");
    std::fputs(config.c_str(), f);
    std::fclose(f);
    if (geteuid() == 0) ::mkdir("/run/sshd", 0755);  // sshd's privilege separation directory
    std::string conf = dir + "/sshd_config";
    const char* argv[] = {"/usr/sbin/sshd", "-D", "-e", "-f", conf.c_str(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, (dir + "/sshd.log").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, const_cast<char**>(argv), environ) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; i < 100 && pid_ > 0 && !PortAccepts(port_); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
  }
  ~TestSshd() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool running() const { return pid_ > 0 && PortAccepts(port_); }
  int port() const { return port_; }
  std::string KnownHostsLine(const std::string& key_file) const {
    return "[127.0.0.1]:" + std::to_string(port_) + " " + ReadFile(dir_ + "/" + key_file);
  }
  std::string log() const { return ReadFile(dir_ + "/sshd.log"); }

 private:
  std::string dir_;
  int port_;
  pid_t pid_ = -1;
};

/// Allocations made while alive are never reported as leaks (sanitizer builds only).
class LeakCheckPause {
 public:
  LeakCheckPause() {
#if MLGITOPS_HAS_LSAN
    __lsan_disable();
#endif
  }
  ~LeakCheckPause() {
#if MLGITOPS_HAS_LSAN
    __lsan_enable();
#endif
  }
};

TEST(GitTransportTest, SshWithKeyAndKnownHosts) {
  if (access("/usr/sbin/sshd", X_OK) != 0) {
    GTEST_SKIP() << "/usr/sbin/sshd is not installed (tests/install-deps.sh adds openssh-server)";
  }
  TempDir tmp;
  TestGitRepo remote(tmp.path() + "/repo.git");
  std::string sha = remote.Commit({{"a.yaml", "over ssh"}});
  TestSshd sshd(tmp.path());
  ASSERT_TRUE(sshd.running()) << sshd.log();
  std::string user = getenv("USER") ? getenv("USER") : (geteuid() == 0 ? "root" : "");
  if (user.empty()) GTEST_SKIP() << "no user name for ssh";
  std::string url = "ssh://" + user + "@127.0.0.1:" + std::to_string(sshd.port()) + remote.path();
  GitRepoCache cache(tmp.path() + "/cache");
  // Debian's libgit2 1.5 leaks a few bytes inside git_remote_connect over ssh (its ssh
  // transport, not our calls); keep LeakSanitizer from reporting those in the sanitizer build.
  LeakCheckPause libgit2_ssh_leaks;

  GitFetchOptions options;
  options.credentials.ssh_private_key = ReadFile(tmp.path() + "/user_key");
  options.credentials.ssh_known_hosts = "# test\n" + sshd.KnownHostsLine("host_key.pub");
  auto snap = cache.Checkout(url, "main", options);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString() << "\n" << sshd.log();
  EXPECT_EQ(snap->commit, sha);
  EXPECT_EQ(ReadFile(snap->dir + "/a.yaml"), "over ssh");

  options.credentials.ssh_known_hosts = sshd.KnownHostsLine("other_host_key.pub");
  auto mismatch = cache.Checkout(url, "main", options);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("host key mismatch"), std::string::npos)
      << mismatch.status().message();
  EXPECT_EQ(mismatch.status().message().find("PRIVATE KEY"), std::string::npos);

  options.credentials.ssh_known_hosts = "";
  auto unknown = cache.Checkout(url, "main", options);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown ssh host"), std::string::npos)
      << unknown.status().message();

  options.credentials.insecure_ignore_host_key = true;
  auto insecure = cache.Checkout(url, "main", options);
  EXPECT_TRUE(insecure.ok()) << insecure.status().ToString();
}

}  // namespace
}  // namespace mlgitops
