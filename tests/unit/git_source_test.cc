// The clone cache over file:// remotes: revision resolution, fetch avoidance, corruption
// recovery, concurrent use, and credential selection and scrubbing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "git_test_repo.h"
#include "object/base64.h"
#include "source/git_credentials.h"
#include "source/git_repo.h"
#include "test_util.h"

namespace mlgitops {
namespace {

namespace fs = std::filesystem;
using testing::ParseOne;
using testing::ReadFile;
using testing::TempDir;
using testing::TestGitRepo;

class GitSourceTest : public ::testing::Test {
 protected:
  GitSourceTest() : remote_(tmp_.path() + "/remote.git"), cache_(tmp_.path() + "/cache") {}

  Result<GitSnapshot> Checkout(const std::string& revision, bool offline = false) {
    GitFetchOptions options;
    options.offline = offline;
    return cache_.Checkout(remote_.url(), revision, options);
  }

  TempDir tmp_;
  TestGitRepo remote_;
  GitRepoCache cache_;
};

TEST_F(GitSourceTest, ResolvesBranchesTagsShasAndHead) {
  std::string first = remote_.Commit({{"a.yaml", "one"}});
  std::string second = remote_.Commit({{"a.yaml", "two"}});
  std::string other = remote_.Commit({{"a.yaml", "feature"}}, "feature");
  remote_.LightweightTag("light", first);
  std::string tag_object = remote_.AnnotatedTag("v1.0", first);
  ASSERT_NE(tag_object, first);

  struct Case {
    std::string revision, commit, content;
  };
  for (const Case& c :
       {Case{"main", second, "two"}, Case{"feature", other, "feature"}, Case{"light", first, "one"},
        Case{"v1.0", first, "one"}, Case{"HEAD", second, "two"}, Case{"", second, "two"},
        Case{first, first, "one"}, Case{other.substr(0, 8), other, "feature"},
        Case{"refs/heads/feature", other, "feature"}}) {
    auto snap = Checkout(c.revision);
    ASSERT_TRUE(snap.ok()) << c.revision << ": " << snap.status().ToString();
    EXPECT_EQ(snap->commit, c.commit) << c.revision;
    EXPECT_EQ(ReadFile(snap->dir + "/a.yaml"), c.content) << c.revision;
  }
  auto missing = Checkout("no-such-branch");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no-such-branch"), std::string::npos);
}

TEST_F(GitSourceTest, NewCommitOnBranchIsPickedUp) {
  std::string first = remote_.Commit({{"a.yaml", "one"}});
  auto snap = Checkout("main");
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(snap->commit, first);
  std::string second = remote_.Commit({{"a.yaml", "two"}});
  snap = Checkout("main");
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(snap->commit, second);
  EXPECT_EQ(ReadFile(snap->dir + "/a.yaml"), "two");
  // Offline, the branch resolves to what the last online resolve saw.
  remote_.Commit({{"a.yaml", "three"}});
  snap = Checkout("main", /*offline=*/true);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(snap->commit, second);
  EXPECT_FALSE(snap->contacted_remote);
}

TEST_F(GitSourceTest, CachedFullShaNeedsNoRemote) {
  std::string sha = remote_.Commit({{"a.yaml", "one"}});
  ASSERT_TRUE(Checkout("main").ok());
  fs::rename(remote_.path(), tmp_.path() + "/moved.git");  // the remote is gone
  auto snap = Checkout(sha);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(snap->commit, sha);
  EXPECT_FALSE(snap->contacted_remote);
  auto branch = Checkout("main");
  EXPECT_FALSE(branch.ok()) << "a branch is re-resolved against the (now missing) remote";
  fs::rename(tmp_.path() + "/moved.git", remote_.path());
}

TEST_F(GitSourceTest, SnapshotIsReadOnly) {
  remote_.Commit({{"dir/a.yaml", "one"}});
  auto snap = Checkout("main");
  ASSERT_TRUE(snap.ok());
  auto perms = fs::status(snap->dir + "/dir/a.yaml").permissions();
  EXPECT_EQ(perms & fs::perms::owner_write, fs::perms::none);
  EXPECT_TRUE(fs::exists(snap->dir + ".complete"));
}

TEST_F(GitSourceTest, DamagedCacheIsRebuilt) {
  std::string sha = remote_.Commit({{"a.yaml", "one"}, {"b/c.yaml", "two"}});
  ASSERT_TRUE(Checkout("main").ok());
  std::string repo = cache_.RepoDir(remote_.url());

  // 1. Truncated objects.
  for (const auto& e : fs::recursive_directory_iterator(repo + "/git/objects")) {
    if (e.is_regular_file()) {
      fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
      fs::resize_file(e.path(), 3);
    }
  }
  fs::remove_all(repo + "/checkouts");
  auto snap = Checkout(sha);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_TRUE(snap->rebuilt);
  EXPECT_EQ(ReadFile(snap->dir + "/b/c.yaml"), "two");

  // 2. Missing HEAD.
  fs::remove(repo + "/git/HEAD");
  fs::remove_all(repo + "/checkouts");
  snap = Checkout("main");
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_TRUE(snap->rebuilt);
  EXPECT_EQ(ReadFile(snap->dir + "/a.yaml"), "one");

  // 3. A half-written snapshot (no completion marker) is not trusted.
  fs::remove(snap->dir + ".complete");
  fs::permissions(snap->dir + "/a.yaml", fs::perms::owner_write, fs::perm_options::add);
  fs::remove(snap->dir + "/a.yaml");
  snap = Checkout(sha);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(ReadFile(snap->dir + "/a.yaml"), "one");
}

TEST_F(GitSourceTest, ConcurrentCheckoutsShareTheCache) {
  std::string sha = remote_.Commit({{"a.yaml", "one"}, {"b.yaml", "two"}});
  std::vector<Result<GitSnapshot>> results(4, Status::Internal("not run"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      GitRepoCache cache(cache_.root());
      results[i] = cache.Checkout(remote_.url(), i % 2 ? "main" : sha, GitFetchOptions());
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->commit, sha);
    EXPECT_EQ(ReadFile(r->dir + "/b.yaml"), "two");
  }
  size_t staging = 0;
  for (const auto& e : fs::directory_iterator(cache_.RepoDir(remote_.url()) + "/checkouts")) {
    staging += e.path().filename().string().rfind(".tmp-", 0) == 0;
  }
  EXPECT_EQ(staging, 0u);
}

TEST_F(GitSourceTest, TheCloneCacheIsNoSourceAndOtherReposShasStayUnknown) {
  std::string sha = remote_.Commit({{"private.yaml", "secret plans"}});
  remote_.LightweightTag("v1", sha);
  ASSERT_TRUE(Checkout("v1").ok());
  // The cache layout is predictable (hash of the URL): a repoURL into it would read another
  // repository's clone, fetched with that repository's credentials, with none of its own.
  std::string cached = cache_.RepoDir(remote_.url()) + "/git";
  fs::create_directories(tmp_.path() + "/links");
  fs::create_directory_symlink(cached, tmp_.path() + "/links/cached");
  for (const std::string& url :
       {cached, "file://" + cached, tmp_.path() + "/links/cached", cache_.root()}) {
    for (const char* revision : {"v1", "refs/remotes/origin/main"}) {
      auto r = cache_.Checkout(url, revision, GitFetchOptions());
      ASSERT_FALSE(r.ok()) << url << " read the cached clone of " << remote_.url();
      EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << r.status().ToString();
      EXPECT_NE(r.status().message().find("inside the clone cache"), std::string::npos)
          << r.status().message();
      EXPECT_EQ(r.status().message().find(sha), std::string::npos) << r.status().message();
    }
  }
  // Asking another repository for that commit says only that it has no such commit.
  TestGitRepo other(tmp_.path() + "/other.git");
  other.Commit({{"a.yaml", "x"}});
  auto r = cache_.Checkout(other.url(), sha, GitFetchOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(r.status().message().find(cache_.root()), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find(remote_.path()), std::string::npos) << r.status().message();
}

TEST_F(GitSourceTest, CacheDirectoryNeverNamesTheUrl) {
  std::string dir = cache_.RepoDir("https://user:s3cret@example.com/org/repo.git");
  EXPECT_EQ(dir.find("s3cret"), std::string::npos);
  EXPECT_EQ(dir.find("example.com"), std::string::npos);
  EXPECT_EQ(dir, cache_.RepoDir("https://EXAMPLE.com/org/repo"));
}

TEST(GitCredentialsTest, UrlHelpersStripUserinfo) {
  EXPECT_EQ(StripUrlUserinfo("https://user:pw@host:8443/x.git"), "https://host:8443/x.git");
  EXPECT_EQ(StripUserinfoInText("failed for 'https://tok@h/x' and ssh://git@h2/y"),
            "failed for 'https://h/x' and ssh://h2/y");
  EXPECT_EQ(NormalizeRepoUrl("HTTPS://User:pw@GitHub.com/Org/Repo.git/"),
            "https://github.com/Org/Repo");
}

Object RepoSecret(const std::string& type, const std::string& url, const std::string& password,
                  bool base64) {
  std::string data = base64 ? "data:\n  url: " + Base64Encode(url) +
                                  "\n  password: " + Base64Encode(password) +
                                  "\n  username: " + Base64Encode("bot")
                            : "stringData:\n  url: " + url + "\n  password: " + password;
  return ParseOne("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s-" + password +
                  "\n  labels:\n    " + type + "\n" + data + "\n");
}

TEST(GitCredentialsTest, StorePicksExactThenLongestPrefix) {
  std::vector<Object> secrets;
  secrets.push_back(RepoSecret("argocd.argoproj.io/secret-type: repo-creds",
                               "https://git.example.com/", "prefix-short", true));
  secrets.push_back(RepoSecret("mlgitops.io/secret-type: repo-creds", "https://git.example.com/ml/",
                               "prefix-long", false));
  secrets.push_back(RepoSecret("argocd.argoproj.io/secret-type: repository",
                               "https://git.example.com/ml/exact.git", "exact-one", false));
  secrets.push_back(RepoSecret("other: label", "https://git.example.com/", "ignored", false));
  CredentialStore store;
  ASSERT_TRUE(store.AddSecrets(secrets).ok());
  EXPECT_EQ(store.For("https://git.example.com/ml/exact").password, "exact-one");
  EXPECT_EQ(store.For("https://git.example.com/ml/other.git").password, "prefix-long");
  GitCredentials shortest = store.For("https://git.example.com/infra/x.git");
  EXPECT_EQ(shortest.password, "prefix-short");
  EXPECT_EQ(shortest.username, "bot");
  EXPECT_EQ(store.For("https://elsewhere.example.com/x.git").password, "");
  EXPECT_EQ(store.For("https://u:inurl@elsewhere.example.com/x.git").password, "inurl");
  ScopedCredentials explicit_creds;
  explicit_creds.url = "https://git.example.com/ml";
  explicit_creds.credentials.password = "explicit";
  ASSERT_TRUE(store.SetExplicit(explicit_creds).ok());
  EXPECT_EQ(store.For("https://git.example.com/ml/exact").password, "explicit");
  EXPECT_EQ(store.For("https://git.example.com/infra/x.git").password, "prefix-short");
}

TEST(GitCredentialsTest, RepoCredsMatchSchemeHostPortAndWholePathSegments) {
  std::vector<Object> secrets;
  secrets.push_back(RepoSecret("argocd.argoproj.io/secret-type: repo-creds",
                               "https://git.example.com/team", "team-creds", false));
  secrets.push_back(RepoSecret("argocd.argoproj.io/secret-type: repository",
                               "https://git.example.com/solo.git", "solo-creds", false));
  CredentialStore store;
  ASSERT_TRUE(store.AddSecrets(secrets).ok());
  for (const char* url :
       {"https://git.example.com/team/x.git", "https://git.example.com/team",
        "https://GIT.Example.com/team/sub/x", "https://git.example.com:443/team/x.git",
        "https://someone@git.example.com/team/x.git"}) {
    EXPECT_EQ(store.For(url).password, "team-creds") << url;
  }
  EXPECT_EQ(store.For("https://git.example.com:443/solo").password, "solo-creds");
  // Not below the prefix on a "/" boundary, or another scheme, host or port.
  for (const char* url :
       {"https://git.example.com/teamevil/x.git", "https://git.example.com/team.evil/x.git",
        "http://git.example.com/team/x.git", "https://git.example.com:8443/team/x.git",
        "https://git.example.com.evil.io/team/x.git",
        "https://evil.io/https://git.example.com/team", "ssh://git@git.example.com/team/x.git",
        "https://git.example.com/solo.git/../x"}) {
    EXPECT_TRUE(store.For(url).password.empty()) << url;
  }
}

TEST(GitCredentialsTest, BadSecretIsNamedNotShown) {
  Object bad = ParseOne(
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: broken\n  labels:\n"
      "    argocd.argoproj.io/secret-type: repository\ndata:\n  url: '%%%'\n");
  CredentialStore store;
  Status s = store.AddSecrets({});
  ASSERT_TRUE(s.ok());
  std::vector<Object> list;
  list.push_back(std::move(bad));
  s = store.AddSecrets(list);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("broken"), std::string::npos);
}

TEST(GitCredentialsTest, EnvironmentCredentials) {
  TempDir tmp;
  std::string key = tmp.Write("id", "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n");
  std::map<std::string, std::string> env = {{"MLGITOPS_GIT_USERNAME", "me"},
                                            {"MLGITOPS_GIT_TOKEN", "tok-123"},
                                            {"MLGITOPS_GIT_SSH_KEY", key}};
  auto creds = CredentialsFromEnv([&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->credentials.username, "me");
  EXPECT_EQ(creds->credentials.password, "tok-123");
  EXPECT_NE(creds->credentials.ssh_private_key.find("BEGIN OPENSSH"), std::string::npos);
  env["MLGITOPS_GIT_SSH_KEY"] = tmp.path() + "/missing";
  EXPECT_FALSE(CredentialsFromEnv([&](const char* name) -> const char* {
                 auto it = env.find(name);
                 return it == env.end() ? nullptr : it->second.c_str();
               }).ok());
}

TEST(GitCredentialsTest, SecretsNeverReachErrors) {
  TempDir tmp;
  GitRepoCache cache(tmp.path());
  // A closed port on 127.0.0.1: the connection is refused at once.
  GitFetchOptions options;
  auto r = cache.Checkout("https://user:s3cret-pw@127.0.0.1:9/x.git", "main", options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find("s3cret-pw"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find("user:"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("127.0.0.1"), std::string::npos);

  CredentialStore store;
  ScopedCredentials token;
  token.url = "https://127.0.0.1:9/";
  token.credentials.username = "bot";
  token.credentials.password = "tok-very-secret";
  ASSERT_TRUE(store.SetExplicit(token).ok());
  options.credentials = store.For("https://127.0.0.1:9/y.git");
  EXPECT_EQ(options.credentials.password, "tok-very-secret");
  r = cache.Checkout("https://127.0.0.1:9/y.git", "main", options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find("tok-very-secret"), std::string::npos);
}

}  // namespace
}  // namespace mlgitops
