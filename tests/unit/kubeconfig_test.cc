// kubeconfig loading as kubectl does it: file search and merge order, flags, relative paths,
// TLS and credential fields, exec users, in-cluster fallback, and errors that name the file
// and key without ever containing a secret.
#include "kube/kubeconfig.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>

#include "object/object.h"
#include "object/yaml_loader.h"
#include "sys/fake_process_runner.h"
#include "sys/redact.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using testing::TempDir;

constexpr char kCaPem[] =
    "-----BEGIN CERTIFICATE-----\nQ0EtZm9yLXRlc3Rz\n-----END CERTIFICATE-----\n";
constexpr char kCaBase64[] =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClEwRXRabTl5TFhSbGMzUnoKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQ"
    "o"
    "=";
constexpr char kCertPem[] =
    "-----BEGIN CERTIFICATE-----\nY2xpZW50LWNlcnQ=\n-----END CERTIFICATE-----\n";
constexpr char kCertBase64[] =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClkyeHBaVzUwTFdObGNuUT0KLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQ"
    "o"
    "=";
constexpr char kKeyPem[] =
    "-----BEGIN PRIVATE KEY-----\nS0VZLXNlY3JldC1kYXRhLTQ0\n-----END PRIVATE KEY-----\n";
constexpr char kKeyBase64[] =
    "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tClMwVlpMWE5sWTNKbGRDMWtZWFJoTFRRMAotLS0tLUVORCBQUklWQVRFIE"
    "t"
    "FWS0tLS0tCg==";
// base64 of "not pem at all: KEYBYTES-SECRET-81"
constexpr char kNotPemBase64[] = "bm90IHBlbSBhdCBhbGw6IEtFWUJZVEVTLVNFQ1JFVC04MQ==";

/// A kubeconfig with one context named `name` pointing at cluster/user of the same name.
std::string OneContext(const std::string& name, const std::string& cluster_body,
                       const std::string& user_body, const std::string& extra = "") {
  return "apiVersion: v1\nkind: Config\ncurrent-context: " + name + "\nclusters:\n- name: " + name +
         "\n  cluster:\n" + cluster_body + "users:\n- name: " + name + "\n  user:\n" + user_body +
         "contexts:\n- name: " + name + "\n  context: {cluster: " + name + ", user: " + name +
         "}\n" + extra;
}

class KubeconfigTest : public ::testing::Test {
 protected:
  KubeconfigTest() { env_["HOME"] = home(); }

  std::string home() const { return dir_.path() + "/home"; }
  std::string WriteHomeConfig(const std::string& yaml) {
    return dir_.Write("home/.kube/config", yaml);
  }
  Result<RestConfig> Load(const KubeconfigOptions& options = KubeconfigOptions()) {
    KubeconfigEnv env;
    env.getenv = [this](const char* name) -> const char* {
      auto it = env_.find(name);
      return it == env_.end() ? nullptr : it->second.c_str();
    };
    env.runner = runner_;
    env.service_account_dir = dir_.path() + "/serviceaccount";
    return LoadRestConfig(options, env);
  }
  RestConfig LoadOk(const KubeconfigOptions& options = KubeconfigOptions()) {
    Result<RestConfig> config = Load(options);
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    return config.ok() ? *config : RestConfig();
  }
  Status LoadError(const KubeconfigOptions& options = KubeconfigOptions()) {
    Result<RestConfig> config = Load(options);
    EXPECT_FALSE(config.ok()) << "loaded server " << (config.ok() ? config->server : "");
    return config.status();
  }

  TempDir dir_;
  std::map<std::string, std::string> env_;
  std::shared_ptr<FakeProcessRunner> runner_ = std::make_shared<FakeProcessRunner>();
};

TEST_F(KubeconfigTest, SingleFileInHome) {
  WriteHomeConfig(std::string(R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://dev.example.com:6443/
    certificate-authority-data: )") +
                  kCaBase64 + R"(
users:
- name: dev-user
  user:
    token: tok-dev-1234
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user, namespace: ml}
)");
  RestConfig config = LoadOk();
  EXPECT_EQ(config.server, "https://dev.example.com:6443");
  EXPECT_EQ(config.ca_pem, kCaPem);
  EXPECT_EQ(config.token, "tok-dev-1234");
  EXPECT_EQ(config.namespace_, "ml");
  EXPECT_EQ(config.context_name, "dev");
  EXPECT_EQ(config.cluster_name, "dev-cluster");
  EXPECT_EQ(config.user_name, "dev-user");
  EXPECT_EQ(config.origin, "~/.kube/config");
  EXPECT_FALSE(config.insecure_skip_tls_verify);
  EXPECT_EQ(config.credentials, nullptr);
  EXPECT_TRUE(config.warnings.empty());
}

/// Three files whose entries overlap: a defines the shared cluster first, b the current
/// context first, c only things that earlier files already set.
class KubeconfigMergeTest : public KubeconfigTest {
 protected:
  void SetUp() override {
    a_ = dir_.Write("a.yaml", R"(current-context: ""
clusters:
- name: shared
  cluster: {server: "https://a.example.com"}
contexts:
- name: ctx-a
  context: {cluster: shared, user: u}
)");
    b_ = dir_.Write("b.yaml", R"(current-context: ctx-b
clusters:
- name: shared
  cluster: {server: "https://b.example.com", insecure-skip-tls-verify: true}
- name: only-b
  cluster: {server: "https://only-b.example.com"}
users:
- name: u
  user: {token: token-from-b}
contexts:
- name: ctx-b
  context: {cluster: only-b, user: u, namespace: from-b}
)");
    c_ = dir_.Write("c.yaml", R"(current-context: ctx-c
clusters:
- name: c1
  cluster: {server: "https://c.example.com"}
users:
- name: u
  user: {token: token-from-c}
contexts:
- name: ctx-b
  context: {cluster: c1, user: u, namespace: from-c}
- name: ctx-c
  context: {cluster: c1, user: u}
)");
    env_["KUBECONFIG"] = a_ + ":" + dir_.path() + "/missing.yaml:" + b_ + "::" + a_ + ":" + c_;
    WriteHomeConfig(OneContext("home", "    server: https://home.example.com\n", "    {}\n"));
  }
  std::string a_, b_, c_;
};

TEST_F(KubeconfigMergeTest, SearchPathsFollowKubeconfigWithoutDuplicates) {
  KubeconfigOptions options;
  auto getenv = [this](const char* name) -> const char* {
    return env_.count(name) ? env_[name].c_str() : nullptr;
  };
  EXPECT_EQ(KubeconfigSearchPaths(options, getenv),
            (std::vector<std::string>{a_, dir_.path() + "/missing.yaml", b_, c_}));
  options.kubeconfig_flag = c_;
  EXPECT_EQ(KubeconfigSearchPaths(options, getenv), std::vector<std::string>{c_});
  env_.erase("KUBECONFIG");
  EXPECT_EQ(KubeconfigSearchPaths(KubeconfigOptions(), getenv),
            std::vector<std::string>{home() + "/.kube/config"});
}

TEST_F(KubeconfigMergeTest, FirstNonEmptyCurrentContextAndFirstDefinitionOfEachNameWin) {
  RestConfig config = LoadOk();
  EXPECT_EQ(config.context_name, "ctx-b");  // a's is empty, b's comes before c's
  EXPECT_EQ(config.server, "https://only-b.example.com");
  EXPECT_EQ(config.token, "token-from-b");
  EXPECT_EQ(config.namespace_, "from-b");
  EXPECT_EQ(config.origin, b_);
}

TEST_F(KubeconfigMergeTest, AnEntryIsTakenWholeFromTheFirstFileNeverMergedFieldByField) {
  KubeconfigOptions options;
  options.context = "ctx-a";
  RestConfig config = LoadOk(options);
  EXPECT_EQ(config.server, "https://a.example.com");
  EXPECT_FALSE(config.insecure_skip_tls_verify);  // b's "shared" adds nothing to a's
  EXPECT_EQ(config.token, "token-from-b");        // user u is defined first by b
  EXPECT_EQ(config.namespace_, "default");
}

TEST_F(KubeconfigMergeTest, KubeconfigFlagIsTheOnlyFileRead) {
  KubeconfigOptions options;
  options.kubeconfig_flag = c_;
  RestConfig config = LoadOk(options);
  EXPECT_EQ(config.context_name, "ctx-c");
  EXPECT_EQ(config.token, "token-from-c");
  options.context = "ctx-a";
  Status status = LoadError(options);
  EXPECT_EQ(status.code(), Status::Code::kNotFound);
  EXPECT_EQ(status.message(),
            "--context \"ctx-a\" is not defined in " + c_ + " (contexts: defined: ctx-b, ctx-c)");
}

TEST_F(KubeconfigMergeTest, MissingKubeconfigFlagFileIsAnError) {
  KubeconfigOptions options;
  options.kubeconfig_flag = dir_.path() + "/nope.yaml";
  Status status = LoadError(options);
  EXPECT_EQ(status.code(), Status::Code::kNotFound);
  EXPECT_EQ(status.message(), "--kubeconfig " + options.kubeconfig_flag + ": no such file");
}

TEST_F(KubeconfigMergeTest, KubeconfigListOfMissingFilesDoesNotFallBackToHome) {
  env_["KUBECONFIG"] = dir_.path() + "/missing.yaml";
  Status status = LoadError();
  EXPECT_EQ(status.code(), Status::Code::kNotFound);
  EXPECT_NE(status.message().find("no kubeconfig found (looked at " + dir_.path() +
                                  "/missing.yaml) and not running in a cluster"),
            std::string::npos)
      << status.message();
}

TEST_F(KubeconfigMergeTest, NamespaceFlagOverridesTheContext) {
  KubeconfigOptions options;
  options.namespace_ = "team-a";
  EXPECT_EQ(LoadOk(options).namespace_, "team-a");
}

TEST_F(KubeconfigMergeTest, ClusterAndUserFlagsReplaceTheContextsChoice) {
  KubeconfigOptions options;
  options.cluster = "c1";
  RestConfig config = LoadOk(options);
  EXPECT_EQ(config.context_name, "ctx-b");
  EXPECT_EQ(config.cluster_name, "c1");
  EXPECT_EQ(config.server, "https://c.example.com");
  EXPECT_EQ(config.namespace_, "from-b");
  options.user = "ghost";
  Status status = LoadError(options);
  EXPECT_EQ(status.message(), "--user: user \"ghost\" is not defined in " + a_ + ", " + b_ + ", " +
                                  c_ + " (defined: u)");
}

TEST_F(KubeconfigTest, MissingContextClusterAndUserAreNamed) {
  std::string path = WriteHomeConfig(R"(current-context: gone
clusters:
- name: real
  cluster: {server: "https://real"}
users:
- name: someone
  user: {token: tok-someone-1}
contexts:
- name: no-cluster
  context: {cluster: absent-cluster, user: someone}
- name: no-user
  context: {cluster: real, user: absent-user}
- name: empty
  context: {}
)");
  Status status = LoadError();
  EXPECT_EQ(status.message(),
            "current-context \"gone\" is not defined in ~/.kube/config (contexts: defined: empty, "
            "no-cluster, no-user)");
  KubeconfigOptions options;
  options.context = "no-cluster";
  EXPECT_EQ(LoadError(options).message(),
            "~/.kube/config: contexts[0] \"no-cluster\": cluster \"absent-cluster\" is not "
            "defined in ~/.kube/config (defined: real)");
  options.context = "no-user";
  EXPECT_EQ(LoadError(options).message(),
            "~/.kube/config: contexts[1] \"no-user\": user \"absent-user\" is not defined in "
            "~/.kube/config (defined: someone)");
  options.context = "empty";
  EXPECT_EQ(LoadError(options).message(),
            "~/.kube/config: contexts[2] \"empty\": names no cluster");
}

TEST_F(KubeconfigTest, NoCurrentContextAsksForContextFlag) {
  WriteHomeConfig(R"(clusters:
- name: c
  cluster: {server: "https://c"}
contexts:
- name: one
  context: {cluster: c}
)");
  Status status = LoadError();
  EXPECT_EQ(status.message(),
            "no current-context is set in ~/.kube/config; pass --context (contexts: defined: one)");
  KubeconfigOptions options;
  options.context = "one";
  RestConfig config = LoadOk(options);
  EXPECT_EQ(config.server, "https://c");
  EXPECT_EQ(config.user_name, "");  // a context without a user is anonymous
}

TEST_F(KubeconfigTest, RelativePathsResolveAgainstTheirFilesDirectory) {
  dir_.Write("conf/certs/ca.crt", kCaPem);
  dir_.Write("conf/certs/client.crt", kCertPem);
  dir_.Write("keys/client.key", kKeyPem);
  dir_.Write("conf/tokens/t", "token-from-file\n");
  std::string kc = dir_.Write("conf/kc.yaml", R"(current-context: certs
clusters:
- name: c
  cluster: {server: "https://c", certificate-authority: certs/ca.crt}
users:
- name: certs
  user: {client-certificate: certs/client.crt, client-key: ../keys/client.key}
- name: file-token
  user: {tokenFile: tokens/t}
- name: relative-plugin
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: ./bin/get-token}
- name: path-plugin
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws, args: [eks, get-token]}
contexts:
- {name: certs, context: {cluster: c, user: certs}}
- {name: file-token, context: {cluster: c, user: file-token}}
- {name: relative-plugin, context: {cluster: c, user: relative-plugin}}
- {name: path-plugin, context: {cluster: c, user: path-plugin}}
)");
  env_["KUBECONFIG"] = kc;
  RestConfig certs = LoadOk();
  EXPECT_EQ(certs.ca_pem, kCaPem);
  EXPECT_EQ(certs.client_cert_pem, kCertPem);
  EXPECT_EQ(certs.client_key_pem, kKeyPem);

  KubeconfigOptions options;
  options.context = "file-token";
  RestConfig file_token = LoadOk(options);
  EXPECT_EQ(file_token.token, "token-from-file");
  EXPECT_EQ(file_token.token_file, dir_.path() + "/conf/tokens/t");
  ASSERT_NE(file_token.credentials, nullptr);
  dir_.Write("conf/tokens/t", "rotated-token\n");
  file_token.credentials->Invalidate();
  EXPECT_EQ(file_token.credentials->Get(0)->token, "rotated-token");

  options.context = "relative-plugin";
  RestConfig relative = LoadOk(options);
  ASSERT_TRUE(relative.exec.has_value());
  EXPECT_EQ(relative.exec->command, dir_.path() + "/conf/./bin/get-token");
  EXPECT_EQ(relative.exec->interactive_mode, "IfAvailable");  // the v1beta1 default
  options.context = "path-plugin";
  RestConfig on_path = LoadOk(options);
  EXPECT_EQ(on_path.exec->command, "aws");
  EXPECT_EQ(on_path.exec->args, (std::vector<std::string>{"eks", "get-token"}));
}

TEST_F(KubeconfigTest, InlineDataWinsOverFilesWithAWarning) {
  WriteHomeConfig(
      OneContext("d",
                 std::string("    server: https://d\n    certificate-authority: /absent/ca.crt\n") +
                     "    certificate-authority-data: " + kCaBase64 + "\n",
                 std::string("    client-certificate-data: ") + kCertBase64 +
                     "\n    client-key-data: " + kKeyBase64 + "\n"));
  RestConfig config = LoadOk();
  EXPECT_EQ(config.ca_pem, kCaPem);
  EXPECT_EQ(config.client_cert_pem, kCertPem);
  EXPECT_EQ(config.client_key_pem, kKeyPem);
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_EQ(config.warnings[0],
            "~/.kube/config: clusters[0] \"d\": both certificate-authority-data and "
            "certificate-authority are set; using certificate-authority-data");
}

TEST_F(KubeconfigTest, UnreadableCertificateFileNamesTheKeyAndPath) {
  WriteHomeConfig(
      OneContext("d", "    server: https://d\n    certificate-authority: ca.crt\n", "    {}\n"));
  Status status = LoadError();
  EXPECT_EQ(status.message(), "~/.kube/config: clusters[0] \"d\": certificate-authority: " +
                                  home() + "/.kube/ca.crt: No such file or directory");
}

TEST_F(KubeconfigTest, BadBase64NamesFileEntryAndKeyButNotTheValue) {
  WriteHomeConfig(R"(current-context: gke
clusters:
- {name: c, cluster: {server: "https://c"}}
users:
- {name: a, user: {token: tok-a-123}}
- {name: b, user: {token: tok-b-123}}
- name: gke-user
  user:
    client-certificate-data: )" +
                  std::string(kCertBase64) + R"(
    client-key-data: "KEYBYTES-SECRET-81!!"
contexts:
- {name: gke, context: {cluster: c, user: gke-user}}
)");
  Status status = LoadError();
  EXPECT_EQ(status.message(),
            "~/.kube/config: users[2] \"gke-user\": client-key-data is not valid base64 (it holds "
            "the base64 of a PEM file; to give a path, use client-key)");
}

TEST_F(KubeconfigTest, InsecureSkipTlsVerifyAndTlsServerName) {
  WriteHomeConfig(
      OneContext("i",
                 "    server: https://10.0.0.5:6443\n    insecure-skip-tls-verify: true\n"
                 "    tls-server-name: api.cluster.local\n",
                 "    token: tok-i-123\n"));
  RestConfig config = LoadOk();
  EXPECT_TRUE(config.insecure_skip_tls_verify);
  EXPECT_EQ(config.tls_server_name, "api.cluster.local");
}

TEST_F(KubeconfigTest, InsecureWithACertificateAuthorityIsRefusedAsKubectlDoes) {
  WriteHomeConfig(OneContext("i",
                             std::string("    server: https://h\n    insecure-skip-tls-verify: "
                                         "true\n    certificate-authority-data: ") +
                                 kCaBase64 + "\n",
                             "    {}\n"));
  EXPECT_EQ(LoadError().message(),
            "~/.kube/config: clusters[0] \"i\": insecure-skip-tls-verify cannot be combined with "
            "certificate-authority(-data); remove one of them");
}

TEST_F(KubeconfigTest, WrongTypesAreNamed) {
  WriteHomeConfig(OneContext("t", "    server: https://h\n    insecure-skip-tls-verify: \"yes\"\n",
                             "    {}\n"));
  EXPECT_EQ(LoadError().message(),
            "~/.kube/config: clusters[0] \"t\": insecure-skip-tls-verify must be true or false");
}

struct ProxyCase {
  const char* name;
  const char* proxy_url;
  Status::Code code;
  const char* expected;  // the loaded proxy_url, or a part of the error
};

class KubeconfigProxyTest : public KubeconfigTest,
                            public ::testing::WithParamInterface<ProxyCase> {};

TEST_P(KubeconfigProxyTest, OnlyHttpAndHttpsProxiesAreAccepted) {
  WriteHomeConfig(OneContext(
      "p", std::string("    server: https://h\n    proxy-url: ") + GetParam().proxy_url + "\n",
      "    {}\n"));
  Result<RestConfig> config = Load();
  EXPECT_EQ(config.status().code(), GetParam().code) << config.status().ToString();
  if (config.ok()) {
    EXPECT_EQ(config->proxy_url, GetParam().expected);
  } else {
    EXPECT_NE(config.status().message().find(GetParam().expected), std::string::npos)
        << config.status().message();
    EXPECT_EQ(config.status().message().find("proxy-SECRET-ccc3"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Schemes, KubeconfigProxyTest,
    ::testing::Values(
        ProxyCase{"http", "http://proxy.corp:3128", Status::Code::kOk, "http://proxy.corp:3128"},
        ProxyCase{"https", "https://proxy.corp", Status::Code::kOk, "https://proxy.corp"},
        ProxyCase{"socks5", "socks5://u:proxy-SECRET-ccc3@proxy:1080", Status::Code::kUnsupported,
                  "proxy-url socks5://u:***@proxy:1080 is a SOCKS proxy, which mlgitops does not "
                  "support"},
        ProxyCase{"ftp", "ftp://proxy", Status::Code::kInvalidArgument,
                  "proxy-url ftp://proxy must start with http:// or https://"}),
    [](const ::testing::TestParamInfo<ProxyCase>& info) { return info.param.name; });

TEST_F(KubeconfigTest, ServerWithoutSchemeGetsHttpsOnlyWhenTlsIsConfigured) {
  WriteHomeConfig(OneContext("s", "    server: plain.example.com:8080\n", "    {}\n"));
  EXPECT_EQ(LoadOk().server, "http://plain.example.com:8080");
  WriteHomeConfig(OneContext(
      "s", "    server: tls.example.com:6443\n    tls-server-name: tls.example.com\n", "    {}\n"));
  EXPECT_EQ(LoadOk().server, "https://tls.example.com:6443");
}

TEST_F(KubeconfigTest, TokenWinsOverTokenFile) {
  WriteHomeConfig(OneContext("t", "    server: https://h\n",
                             "    token: static-token-1\n    tokenFile: /absent/token\n"));
  RestConfig config = LoadOk();
  EXPECT_EQ(config.token, "static-token-1");
  EXPECT_EQ(config.credentials, nullptr);
}

TEST_F(KubeconfigTest, ClientCertificateWithoutKeyIsAnError) {
  WriteHomeConfig(OneContext("c", "    server: https://h\n",
                             std::string("    client-certificate-data: ") + kCertBase64 + "\n"));
  EXPECT_EQ(LoadError().message(),
            "~/.kube/config: users[0] \"c\": client-certificate(-data) is set without "
            "client-key(-data)");
}

TEST_F(KubeconfigTest, AuthProviderIsRefusedWithAPointerToExecPlugins) {
  WriteHomeConfig(OneContext("a", "    server: https://h\n",
                             "    auth-provider:\n      name: gcp\n      config: {access-token: "
                             "ap-SECRET-eee5}\n"));
  Status status = LoadError();
  EXPECT_EQ(status.code(), Status::Code::kUnsupported);
  EXPECT_NE(status.message().find("~/.kube/config: users[0] \"a\": auth-provider \"gcp\" is not "
                                  "supported; use an exec credential plugin"),
            std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("gke-gcloud-auth-plugin"), std::string::npos);
}

TEST_F(KubeconfigTest, DuplicateNamesInOneFileAreRefused) {
  WriteHomeConfig(R"(users:
- {name: dup, user: {token: tok-dup-1}}
- {name: dup, user: {token: tok-dup-2}}
)");
  EXPECT_EQ(LoadError().message(), "~/.kube/config: users[1]: duplicate name \"dup\" in users");
}

TEST_F(KubeconfigTest, ExecUserGetsAProviderThatRunsThePluginLazily) {
  WriteHomeConfig(std::string(R"(current-context: gke
clusters:
- name: gke-cluster
  cluster:
    server: https://34.1.2.3
    certificate-authority-data: )") +
                  kCaBase64 + R"(
    extensions:
    - name: client.authentication.k8s.io/exec
      extension: {audience: ml-team}
users:
- name: gke-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: gke-gcloud-auth-plugin
      args: [--verbosity, error]
      env:
      - {name: CLOUDSDK_CORE_PROJECT, value: ml-prod}
      installHint: Install gke-gcloud-auth-plugin for use with kubectl
      provideClusterInfo: true
contexts:
- {name: gke, context: {cluster: gke-cluster, user: gke-user}}
)");
  runner_->OnOutput(
      "gke-gcloud-auth-plugin", 0,
      R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",)"
      R"("status":{"token":"ya29.exec-token","expirationTimestamp":"2030-01-01T00:00:00Z"}})");
  RestConfig config = LoadOk();
  EXPECT_EQ(runner_->call_count(), 0u);  // loading never runs a plugin
  ASSERT_TRUE(config.exec.has_value());
  EXPECT_TRUE(config.exec->provide_cluster_info);
  EXPECT_EQ(config.exec->install_hint, "Install gke-gcloud-auth-plugin for use with kubectl");
  ASSERT_NE(config.credentials, nullptr);

  auto credentials = config.credentials->Get(1000);
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  EXPECT_EQ(credentials->token, "ya29.exec-token");
  ASSERT_EQ(runner_->call_count(), 1u);
  ProcessRequest request = runner_->calls()[0];
  EXPECT_EQ(request.argv,
            (std::vector<std::string>{"gke-gcloud-auth-plugin", "--verbosity", "error"}));
  std::map<std::string, std::string> env(request.env.begin(), request.env.end());
  EXPECT_EQ(env["CLOUDSDK_CORE_PROJECT"], "ml-prod");
  Object info = testing::ParseOne(env["KUBERNETES_EXEC_INFO"]);
  EXPECT_EQ(GetString(info.json(), "spec.cluster.server"), "https://34.1.2.3");
  EXPECT_EQ(GetString(info.json(), "spec.cluster.certificate-authority-data"), kCaBase64);
  EXPECT_EQ(GetString(info.json(), "spec.cluster.config.audience"), "ml-team");
}

TEST_F(KubeconfigTest, ExecV1WithoutInteractiveModeIsRefusedAtLoad) {
  WriteHomeConfig(
      OneContext("e", "    server: https://h\n",
                 "    exec: {apiVersion: client.authentication.k8s.io/v1, command: x}\n"));
  EXPECT_EQ(LoadError().message(),
            "~/.kube/config: users[0] \"e\": exec: interactiveMode must be set for "
            "client.authentication.k8s.io/v1 (Never, IfAvailable or Always)");
}

TEST_F(KubeconfigTest, ExecFieldOfTheWrongTypeIsNamedWithItsPrefix) {
  WriteHomeConfig(
      OneContext("e", "    server: https://h\n",
                 "    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: [x]}\n"));
  EXPECT_EQ(LoadError().message(), "~/.kube/config: users[0] \"e\": exec.command must be a string");
}

// ---- In-cluster ----

class InClusterTest : public KubeconfigTest {
 protected:
  void SetUp() override {
    env_["KUBERNETES_SERVICE_HOST"] = "10.96.0.1";
    env_["KUBERNETES_SERVICE_PORT"] = "443";
    dir_.Write("serviceaccount/token", "sa-token-1\n");
    dir_.Write("serviceaccount/ca.crt", kCaPem);
    dir_.Write("serviceaccount/namespace", "ml-serving\n");
  }
};

TEST_F(InClusterTest, UsedWhenThereIsNoKubeconfig) {
  RestConfig config = LoadOk();
  EXPECT_EQ(config.server, "https://10.96.0.1:443");
  EXPECT_EQ(config.ca_pem, kCaPem);
  EXPECT_EQ(config.token, "sa-token-1");
  EXPECT_EQ(config.namespace_, "ml-serving");
  EXPECT_EQ(config.origin, "in-cluster");
  ASSERT_NE(config.credentials, nullptr);
  dir_.Write("serviceaccount/token", "sa-token-2\n");  // the kubelet rotated it
  config.credentials->Invalidate();
  EXPECT_EQ(config.credentials->Get(0)->token, "sa-token-2");
}

TEST_F(InClusterTest, EmptyKubeconfigFileStillFallsBackToInCluster) {
  WriteHomeConfig("");
  EXPECT_EQ(LoadOk().server, "https://10.96.0.1:443");
}

TEST_F(InClusterTest, KubeconfigContentWins) {
  WriteHomeConfig(OneContext("k", "    server: https://outside\n", "    {}\n"));
  EXPECT_EQ(LoadOk().server, "https://outside");
}

TEST_F(InClusterTest, NamespaceFlagThenPodNamespaceThenFile) {
  env_["POD_NAMESPACE"] = "from-env";
  EXPECT_EQ(LoadOk().namespace_, "from-env");
  KubeconfigOptions options;
  options.namespace_ = "from-flag";
  EXPECT_EQ(LoadOk(options).namespace_, "from-flag");
  env_.erase("POD_NAMESPACE");
  std::remove((dir_.path() + "/serviceaccount/namespace").c_str());
  EXPECT_EQ(LoadOk().namespace_, "default");
}

TEST_F(InClusterTest, Ipv6HostIsBracketed) {
  env_["KUBERNETES_SERVICE_HOST"] = "fd00:10:96::1";
  env_["KUBERNETES_SERVICE_PORT"] = "6443";
  EXPECT_EQ(LoadOk().server, "https://[fd00:10:96::1]:6443");
}

TEST_F(InClusterTest, MissingCaFallsBackToSystemRootsWithAWarning) {
  std::remove((dir_.path() + "/serviceaccount/ca.crt").c_str());
  RestConfig config = LoadOk();
  EXPECT_EQ(config.ca_pem, "");
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_NE(config.warnings[0].find("cannot read the service account CA"), std::string::npos);
}

TEST_F(InClusterTest, NotPossibleWithoutTheTokenFileOrTheVariables) {
  std::remove((dir_.path() + "/serviceaccount/token").c_str());
  EXPECT_NE(LoadError().message().find("not running in a cluster"), std::string::npos);
  dir_.Write("serviceaccount/token", "sa-token-1\n");
  env_.erase("KUBERNETES_SERVICE_PORT");
  EXPECT_NE(LoadError().message().find("not running in a cluster"), std::string::npos);
  auto getenv = [this](const char* name) -> const char* {
    return env_.count(name) ? env_[name].c_str() : nullptr;
  };
  Result<RestConfig> direct = LoadInClusterConfig(getenv, dir_.path() + "/serviceaccount");
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.status().code(), Status::Code::kFailedPrecondition);
}

TEST_F(InClusterTest, BadPortIsRefused) {
  env_["KUBERNETES_SERVICE_PORT"] = "https";
  EXPECT_EQ(LoadError().message(), "KUBERNETES_SERVICE_PORT is not a port number: https");
}

// ---- Secrets never appear in errors ----

constexpr const char* kSecrets[] = {
    "tok-SECRET-aaa1",    "pw-SECRET-bbb2",    kKeyBase64,
    "KEYBYTES-SECRET-81", "proxy-SECRET-ccc3", "srv-SECRET-ddd4",
    "ap-SECRET-eee5",     "env-SECRET-fff6",   "S0VZLXNlY3JldC1kYXRhLTQ0"};

struct SecretCase {
  const char* name;
  std::string cluster_body;
  std::string user_body;
  const char* expected_error;
};

class KubeconfigSecretTest : public KubeconfigTest,
                             public ::testing::WithParamInterface<SecretCase> {};

TEST_P(KubeconfigSecretTest, ErrorNamesTheProblemButNoSecret) {
  // A second user full of secrets sits beside the broken one.
  std::string extra = std::string("- name: other\n  user: {token: tok-SECRET-aaa1, ") +
                      "client-key-data: " + kKeyBase64 + "}\n";
  std::string yaml = OneContext("s", GetParam().cluster_body, GetParam().user_body);
  yaml.insert(yaml.find("contexts:"), extra);
  WriteHomeConfig(yaml);
  Status status = LoadError();
  EXPECT_NE(status.message().find(GetParam().expected_error), std::string::npos)
      << status.message();
  for (const char* secret : kSecrets) {
    EXPECT_EQ(status.ToString().find(secret), std::string::npos)
        << "secret " << secret << " leaked: " << status.ToString();
  }
}

const std::string kServer = "    server: https://h\n";

INSTANTIATE_TEST_SUITE_P(
    Cases, KubeconfigSecretTest,
    ::testing::Values(
        SecretCase{
            "token_and_password", kServer,
            "    token: tok-SECRET-aaa1\n    username: admin\n    password: pw-SECRET-bbb2\n",
            "more than one authentication method"},
        SecretCase{"key_not_base64", kServer,
                   std::string("    client-certificate-data: ") + kCertBase64 +
                       "\n    client-key-data: KEYBYTES-SECRET-81\n",
                   "client-key-data is not valid base64"},
        SecretCase{"key_not_pem", kServer,
                   std::string("    client-certificate-data: ") + kCertBase64 +
                       "\n    client-key-data: " + kNotPemBase64 + "\n",
                   "client-key-data does not hold PEM data"},
        SecretCase{"key_without_cert", kServer,
                   std::string("    client-key-data: ") + kKeyBase64 + "\n",
                   "client-key(-data) is set without client-certificate(-data)"},
        SecretCase{"socks_proxy_password",
                   kServer + "    proxy-url: socks5://me:proxy-SECRET-ccc3@p:1080\n",
                   "    token: tok-SECRET-aaa1\n", "is a SOCKS proxy"},
        SecretCase{"server_password", "    server: ftp://me:srv-SECRET-ddd4@h\n",
                   "    token: tok-SECRET-aaa1\n", "must be an https:// (or http://) URL"},
        SecretCase{"auth_provider", kServer,
                   "    auth-provider: {name: oidc, config: {id-token: ap-SECRET-eee5}}\n",
                   "auth-provider \"oidc\" is not supported"},
        SecretCase{"exec_invalid", kServer,
                   "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                   "      command: kubelogin\n      env: [{name: AZURE_SECRET, value: "
                   "env-SECRET-fff6}]\n",
                   "interactiveMode must be set"},
        SecretCase{"exec_version_is_a_secret", kServer,
                   "    exec: {apiVersion: env-SECRET-fff6, command: x, interactiveMode: Never}\n",
                   "exec: apiVersion (invalid) is not supported"},
        SecretCase{"token_not_a_string", kServer, "    token: [tok-SECRET-aaa1]\n",
                   "token must be a string"},
        SecretCase{"password_not_a_string", kServer,
                   "    username: u\n    password: {p: pw-SECRET-bbb2}\n",
                   "password must be a string"}),
    [](const ::testing::TestParamInfo<SecretCase>& info) { return info.param.name; });

TEST_F(KubeconfigTest, SecretsReadAreRegisteredForScrubbing) {
  WriteHomeConfig(
      OneContext("r", "    server: https://h\n",
                 std::string("    token: registered-token-5150\n    client-certificate-data: ") +
                     kCertBase64 + "\n    client-key-data: " + kKeyBase64 + "\n"));
  LoadOk();
  std::string scrubbed = SecretRegistry::Global().Scrub(
      "token registered-token-5150, key line S0VZLXNlY3JldC1kYXRhLTQ0, data " +
      std::string(kKeyBase64));
  EXPECT_EQ(scrubbed, "token ***, key line ***, data ***");
}

}  // namespace
}  // namespace mlgitops
