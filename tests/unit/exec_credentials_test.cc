// Exec credential plugins run for real (shell scripts written by the test), their protocol
// (KUBERNETES_EXEC_INFO, env, output parsing), caching with a fixed clock, refresh on 401,
// failures and timeouts, and the token-file provider. No error may contain a secret.
#include "kube/exec_credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "object/clock.h"
#include "object/object.h"
#include "object/timeutil.h"
#include "sys/fake_process_runner.h"
#include "sys/redact.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using testing::ParseOne;
using testing::ReadFile;
using testing::TempDir;

constexpr char kCaPem[] =
    "-----BEGIN CERTIFICATE-----\nQ0EtZm9yLXRlc3Rz\n-----END CERTIFICATE-----\n";
constexpr char kCaBase64[] =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClEwRXRabTl5TFhSbGMzUnoKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQ"
    "o=";
constexpr int64_t kExpiry = 1893456000;  // 2030-01-01T00:00:00Z, what the scripts report

/// Writes an executable /bin/sh script into `dir`.
std::string WriteScript(const TempDir& dir, const std::string& name, const std::string& body) {
  std::string path = dir.Write(name, "#!/bin/sh\n" + body);
  ::chmod(path.c_str(), 0755);
  return path;
}

std::string Credential(const std::string& api_version, const std::string& status_json) {
  return R"({"apiVersion":")" + api_version + R"(","kind":"ExecCredential","status":)" +
         status_json + "}";
}

/// A plugin script that records its input and counts its runs; the Nth run prints token
/// "exec-token-N" (plus `status_extra`, e.g. an expirationTimestamp).
std::string CountingPlugin(const TempDir& dir, const std::string& api_version,
                           const std::string& status_extra) {
  const std::string& d = dir.path();
  return WriteScript(
      dir, "plugin.sh",
      "printf '%s' \"$KUBERNETES_EXEC_INFO\" > " + d + "/exec-info.json\n" +
          "echo \"$PLUGIN_GREETING|$PLUGIN_EMPTY|$1|$2\" > " + d + "/env.txt\n" + "n=$(cat " + d +
          "/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > " + d + "/count\n" + "cat <<EOF\n" +
          Credential(api_version, R"({"token":"exec-token-$n")" + status_extra + "}") + "\nEOF\n");
}

ExecConfig ConfigFor(const std::string& command, const std::string& api_version) {
  ExecConfig config;
  config.api_version = api_version;
  config.command = command;
  config.interactive_mode = "Never";
  return config;
}

class ExecPluginTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::shared_ptr<ExecCredentialProvider> Provider(const ExecConfig& config,
                                                   ExecProviderOptions options = {}) {
    return std::make_shared<ExecCredentialProvider>(config, cluster_, runner_, "kc: users[0] \"u\"",
                                                    options);
  }
  Object ExecInfo() const { return ParseOne(ReadFile(dir_.path() + "/exec-info.json")); }

  TempDir dir_;
  std::shared_ptr<ProcessRunner> runner_ = std::make_shared<SystemProcessRunner>();
  ExecClusterInfo cluster_{
      "https://10.1.2.3:6443",     "api.internal", false, kCaPem, "http://proxy:3128",
      R"({"audience":"mlgitops"})"};
  FixedClock clock_{kExpiry - 3600};
};

INSTANTIATE_TEST_SUITE_P(ApiVersions, ExecPluginTest,
                         ::testing::Values(std::string(kExecApiV1), std::string(kExecApiV1beta1)),
                         [](const auto& info) {
                           return info.param == kExecApiV1 ? std::string("v1")
                                                           : std::string("v1beta1");
                         });

TEST_P(ExecPluginTest, RunsThePluginWithExecInfoArgsAndEnv) {
  ExecConfig config = ConfigFor(CountingPlugin(dir_, GetParam(), ""), GetParam());
  config.args = {"get-token", "--cluster=ml"};
  config.env = {{"PLUGIN_GREETING", "hello world"}, {"PLUGIN_EMPTY", ""}};
  config.provide_cluster_info = true;
  auto credentials = Provider(config)->Get(clock_.NowUnix());
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  EXPECT_EQ(credentials->token, "exec-token-1");
  EXPECT_FALSE(credentials->expires_unix.has_value());
  EXPECT_EQ(ReadFile(dir_.path() + "/env.txt"), "hello world||get-token|--cluster=ml\n");

  Object info = ExecInfo();
  EXPECT_EQ(GetString(info.json(), "apiVersion"), GetParam());
  EXPECT_EQ(GetString(info.json(), "kind"), "ExecCredential");
  EXPECT_EQ(GetBool(info.json(), "spec.interactive"), false);
  EXPECT_EQ(GetString(info.json(), "spec.cluster.server"), "https://10.1.2.3:6443");
  EXPECT_EQ(GetString(info.json(), "spec.cluster.tls-server-name"), "api.internal");
  EXPECT_EQ(GetString(info.json(), "spec.cluster.certificate-authority-data"), kCaBase64);
  EXPECT_EQ(GetString(info.json(), "spec.cluster.proxy-url"), "http://proxy:3128");
  EXPECT_EQ(GetString(info.json(), "spec.cluster.config.audience"), "mlgitops");
  EXPECT_EQ(Find(info.json(), "spec.cluster.insecure-skip-tls-verify"), nullptr);
}

TEST_P(ExecPluginTest, WithoutProvideClusterInfoTheSpecHasNoCluster) {
  auto credentials =
      Provider(ConfigFor(CountingPlugin(dir_, GetParam(), ""), GetParam()))->Get(clock_.NowUnix());
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  Object info = ExecInfo();
  EXPECT_EQ(Find(info.json(), "spec.cluster"), nullptr);
  EXPECT_EQ(GetBool(info.json(), "spec.interactive"), false);
}

TEST_P(ExecPluginTest, CachesUntilShortlyBeforeExpirationTimestamp) {
  auto provider = Provider(ConfigFor(
      CountingPlugin(dir_, GetParam(), R"(,"expirationTimestamp":"2030-01-01T00:00:00Z")"),
      GetParam()));
  auto first = provider->Get(clock_.NowUnix());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->token, "exec-token-1");
  EXPECT_EQ(first->expires_unix, kExpiry);

  clock_.Set(kExpiry - 60);
  EXPECT_EQ(provider->Get(clock_.NowUnix())->token, "exec-token-1");
  EXPECT_EQ(provider->runs(), 1);

  clock_.Set(kExpiry - 5);  // inside the default 10 s margin
  EXPECT_EQ(provider->Get(clock_.NowUnix())->token, "exec-token-2");
  EXPECT_EQ(provider->runs(), 2);
}

TEST_P(ExecPluginTest, WithoutExpiryTheCacheLastsUntilInvalidate) {
  auto provider = Provider(ConfigFor(CountingPlugin(dir_, GetParam(), ""), GetParam()));
  for (int i = 0; i < 3; ++i) {
    clock_.Set(clock_.NowUnix() + 86400);
    EXPECT_EQ(provider->Get(clock_.NowUnix())->token, "exec-token-1");
  }
  provider->Invalidate();  // a 401
  EXPECT_EQ(provider->Get(clock_.NowUnix())->token, "exec-token-2");
  EXPECT_EQ(provider->runs(), 2);
}

TEST_P(ExecPluginTest, InvalidateIfCurrentIgnoresCredentialsAlreadyReplaced) {
  auto provider = Provider(ConfigFor(CountingPlugin(dir_, GetParam(), ""), GetParam()));
  Credentials first = *provider->Get(clock_.NowUnix());
  provider->Invalidate();
  Credentials second = *provider->Get(clock_.NowUnix());
  ASSERT_EQ(second.token, "exec-token-2");

  provider->InvalidateIfCurrent(first);  // a late 401 for the old token
  EXPECT_EQ(provider->Get(clock_.NowUnix())->token, "exec-token-2");
  provider->InvalidateIfCurrent(second);
  EXPECT_EQ(provider->Get(clock_.NowUnix())->token, "exec-token-3");
}

TEST_P(ExecPluginTest, ClientCertificateCredentials) {
  std::string status =
      R"({"clientCertificateData":"-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n",)"
      R"("clientKeyData":"-----BEGIN PRIVATE KEY-----\nKEY-zq81\n-----END PRIVATE KEY-----\n"})";
  std::string plugin =
      WriteScript(dir_, "cert.sh", "cat <<'EOF'\n" + Credential(GetParam(), status) + "\nEOF\n");
  auto credentials = Provider(ConfigFor(plugin, GetParam()))->Get(clock_.NowUnix());
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  EXPECT_EQ(credentials->token, "");
  EXPECT_NE(credentials->client_cert_pem.find("CERT\n"), std::string::npos);
  EXPECT_NE(credentials->client_key_pem.find("KEY-zq81"), std::string::npos);
  EXPECT_EQ(SecretRegistry::Global().Scrub("leaked KEY-zq81"), "leaked ***");
}

TEST_P(ExecPluginTest, PluginReturningTheOtherApiVersionIsRefused) {
  std::string other =
      GetParam() == kExecApiV1 ? std::string(kExecApiV1beta1) : std::string(kExecApiV1);
  auto credentials =
      Provider(ConfigFor(CountingPlugin(dir_, other, ""), GetParam()))->Get(clock_.NowUnix());
  ASSERT_FALSE(credentials.ok());
  const std::string& message = credentials.status().message();
  EXPECT_NE(message.find("configured for " + GetParam()), std::string::npos) << message;
  EXPECT_NE(message.find("returned apiVersion \"" + other + "\""), std::string::npos) << message;
  EXPECT_EQ(message.find("exec-token-1"), std::string::npos) << message;
}

class ExecPluginFailureTest : public ::testing::Test {
 protected:
  Status Fail(const std::string& script, ExecProviderOptions options = {}) {
    ExecConfig config = ConfigFor(WriteScript(dir_, "failing.sh", script), std::string(kExecApiV1));
    config.install_hint = "Install it with: apt install the-plugin";
    ExecCredentialProvider provider(config, {}, runner_, "~/.kube/config: users[1] \"eks\"",
                                    options);
    auto credentials = provider.Get(1000);
    EXPECT_FALSE(credentials.ok());
    return credentials.status();
  }
  TempDir dir_;
  std::shared_ptr<ProcessRunner> runner_ = std::make_shared<SystemProcessRunner>();
};

TEST_F(ExecPluginFailureTest, NonZeroExitQuotesStderrButNeverStdout) {
  Status status = Fail(
      "echo '{\"status\":{\"token\":\"STDOUT-SECRET-7f3a\"}}'\n"
      "echo 'error: login required, run: aws sso login' >&2\nexit 2\n");
  EXPECT_EQ(status.code(), Status::Code::kFailedPrecondition);
  const std::string& message = status.message();
  EXPECT_NE(message.find("~/.kube/config: users[1] \"eks\": exec plugin"), std::string::npos)
      << message;
  EXPECT_NE(message.find("failed with exit code 2"), std::string::npos) << message;
  EXPECT_NE(message.find("login required, run: aws sso login"), std::string::npos) << message;
  EXPECT_EQ(message.find("STDOUT-SECRET-7f3a"), std::string::npos) << message;
}

TEST_F(ExecPluginFailureTest, LongStderrIsCutToItsTail) {
  ExecProviderOptions options;
  options.max_stderr_in_error = 40;
  Status status =
      Fail("head -c 5000 /dev/zero | tr '\\0' 'a' >&2; echo ' the actual reason' >&2; exit 1\n",
           options);
  const std::string& message = status.message();
  EXPECT_NE(message.find("...aaaa"), std::string::npos) << message;
  EXPECT_NE(message.find("the actual reason"), std::string::npos) << message;
  EXPECT_LT(message.size(), 200u) << message;
}

TEST_F(ExecPluginFailureTest, StderrEchoingAKnownSecretIsScrubbed) {
  SecretRegistry::Global().Add("registered-secret-91xq");
  Status status = Fail("echo 'bad token registered-secret-91xq' >&2; exit 1\n");
  EXPECT_EQ(status.message().find("registered-secret-91xq"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("bad token ***"), std::string::npos) << status.message();
}

TEST_F(ExecPluginFailureTest, HangingPluginIsKilledAtTheTimeout) {
  ExecProviderOptions options;
  options.timeout_ms = 300;
  auto start = std::chrono::steady_clock::now();
  Status status = Fail("sleep 30\n", options);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_NE(status.message().find("did not finish within 300ms"), std::string::npos)
      << status.message();
}

TEST_F(ExecPluginFailureTest, PluginKilledBySignal) {
  Status status = Fail("kill -KILL $$\n");
  EXPECT_NE(status.message().find("killed by signal 9"), std::string::npos) << status.message();
}

TEST_F(ExecPluginFailureTest, InvalidJsonNamesTheProblemWithoutQuotingOutput) {
  Status status = Fail("echo 'token: NOT-JSON-SECRET-55'\n");
  EXPECT_NE(status.message().find("not a valid ExecCredential: not JSON"), std::string::npos)
      << status.message();
  EXPECT_EQ(status.message().find("NOT-JSON-SECRET-55"), std::string::npos) << status.message();
}

TEST(ExecPluginMissingTest, MissingCommandShowsTheInstallHint) {
  for (const char* command : {"mlgitops-absent-auth-plugin", "/nonexistent/dir/auth-plugin"}) {
    ExecConfig config = ConfigFor(command, std::string(kExecApiV1beta1));
    config.install_hint = "gke-gcloud-auth-plugin is needed: gcloud components install ...";
    ExecCredentialProvider provider(config, {}, std::make_shared<SystemProcessRunner>(),
                                    "kc: users[0] \"gke\"");
    auto credentials = provider.Get(0);
    ASSERT_FALSE(credentials.ok());
    EXPECT_EQ(credentials.status().code(), Status::Code::kNotFound);
    const std::string& message = credentials.status().message();
    EXPECT_NE(message.find(std::string("exec plugin \"") + command + "\" was not found"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("gcloud components install"), std::string::npos) << message;
  }
}

TEST(ExecPluginConcurrencyTest, ConcurrentGetRunsThePluginOnce) {
  auto fake = std::make_shared<FakeProcessRunner>();
  fake->On("slow-plugin", [](const ProcessRequest&) -> Result<ProcessResult> {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    ProcessResult result;
    result.exit_code = 0;
    result.stdout_text = Credential(std::string(kExecApiV1), R"({"token":"shared-token"})");
    return result;
  });
  ExecCredentialProvider provider(ConfigFor("slow-plugin", std::string(kExecApiV1)), {}, fake, "");
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto credentials = provider.Get(100);
      if (credentials.ok() && credentials->token == "shared-token") ++good;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(good.load(), 8);
  EXPECT_EQ(fake->call_count(), 1u);
  EXPECT_EQ(provider.runs(), 1);
}

TEST(ExecPluginOutputLimitTest, OversizedOutputIsRefused) {
  auto fake = std::make_shared<FakeProcessRunner>();
  fake->On("chatty", [](const ProcessRequest& request) -> Result<ProcessResult> {
    ProcessResult result;
    result.exit_code = 0;
    result.stdout_text = std::string(request.max_output_bytes, ' ');
    result.stdout_truncated = true;
    return result;
  });
  ExecProviderOptions options;
  options.max_output_bytes = 4096;
  ExecCredentialProvider provider(ConfigFor("chatty", std::string(kExecApiV1)), {}, fake, "",
                                  options);
  auto credentials = provider.Get(0);
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.status().code(), Status::Code::kLimitExceeded);
  EXPECT_EQ(fake->calls()[0].max_output_bytes, 4096u);
}

TEST(ExecPluginConfigTest, InvalidConfigFailsEveryGetWithoutRunning) {
  auto fake = std::make_shared<FakeProcessRunner>();
  ExecConfig config = ConfigFor("plugin", std::string(kExecApiV1));
  config.interactive_mode = "";
  ExecCredentialProvider provider(config, {}, fake, "kc: users[0] \"u\"");
  auto credentials = provider.Get(0);
  ASSERT_FALSE(credentials.ok());
  EXPECT_NE(credentials.status().message().find("interactiveMode must be set"), std::string::npos);
  EXPECT_EQ(fake->call_count(), 0u);
}

// ---- Pieces of the protocol ----

struct ParseCase {
  const char* name;
  std::string output;
  const char* expected_error;  // nullptr: parses
};

class ParseExecCredentialTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseExecCredentialTest, ErrorsDescribeTheOutputWithoutQuotingIt) {
  auto parsed = ParseExecCredential(GetParam().output, kExecApiV1);
  if (GetParam().expected_error == nullptr) {
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    return;
  }
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find(GetParam().expected_error), std::string::npos)
      << parsed.status().message();
  EXPECT_EQ(parsed.status().message().find("SECRET-x7"), std::string::npos)
      << parsed.status().message();
}

const std::string kV1(kExecApiV1);

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseExecCredentialTest,
    ::testing::Values(
        ParseCase{"token", Credential(kV1, R"({"token":"SECRET-x7"})"), nullptr},
        ParseCase{"trailing_output_ignored",
                  Credential(kV1, R"({"token":"SECRET-x7"})") + "\nlog line", nullptr},
        ParseCase{"not_json", "SECRET-x7", "not JSON"},
        ParseCase{"not_an_object", R"(["SECRET-x7"])", "not a JSON object"},
        ParseCase{"wrong_version",
                  Credential(std::string(kExecApiV1beta1), R"({"token":"SECRET-x7"})"),
                  "returned apiVersion \"client.authentication.k8s.io/v1beta1\""},
        ParseCase{"version_holding_a_secret",
                  R"({"apiVersion":"SECRET-x7 TOKEN","kind":"ExecCredential"})",
                  "returned apiVersion an invalid one"},
        ParseCase{"no_version", R"({"kind":"ExecCredential","status":{"token":"SECRET-x7"}})",
                  "returned apiVersion none"},
        ParseCase{
            "wrong_kind",
            R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"Secret","status":{"token":"SECRET-x7"}})",
            "kind is not ExecCredential"},
        ParseCase{"no_status",
                  R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"})",
                  "no status"},
        ParseCase{"empty_status", Credential(kV1, "{}"),
                  "neither a token nor a client certificate"},
        ParseCase{"cert_without_key", Credential(kV1, R"({"clientCertificateData":"SECRET-x7"})"),
                  "only one of clientCertificateData and clientKeyData"},
        ParseCase{"token_not_string", Credential(kV1, R"({"token":7})"),
                  "status.token is not a string"},
        ParseCase{"bad_expiry",
                  Credential(kV1, R"({"token":"SECRET-x7","expirationTimestamp":"tomorrow"})"),
                  "expirationTimestamp is not an RFC 3339 time"}),
    [](const ::testing::TestParamInfo<ParseCase>& info) { return info.param.name; });

TEST(ParseExecCredentialTest, ReadsTokenAndExpiry) {
  auto parsed = ParseExecCredential(
      Credential(kV1, R"({"token":"tok-1","expirationTimestamp":"2030-01-01T00:00:00Z"})"),
      kExecApiV1);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->token, "tok-1");
  EXPECT_EQ(parsed->expires_unix, kExpiry);
}

TEST(ExecInfoJsonTest, ClusterFieldsAreOmittedWhenEmpty) {
  ExecConfig config = ConfigFor("p", std::string(kExecApiV1beta1));
  ExecClusterInfo cluster;
  cluster.server = "https://h:6443";
  cluster.insecure_skip_tls_verify = true;
  EXPECT_EQ(ExecInfoJson(config, &cluster),
            R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",)"
            R"("spec":{"cluster":{"server":"https://h:6443","insecure-skip-tls-verify":true},)"
            R"("interactive":false}})");
  EXPECT_EQ(ExecInfoJson(config, nullptr),
            R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",)"
            R"("spec":{"interactive":false}})");
}

struct ValidateCase {
  const char* name;
  const char* api_version;
  const char* command;
  const char* interactive_mode;
  const char* expected_error;  // nullptr: valid
};

class ValidateExecConfigTest : public ::testing::TestWithParam<ValidateCase> {};

TEST_P(ValidateExecConfigTest, Checks) {
  ExecConfig config;
  config.api_version = GetParam().api_version;
  config.command = GetParam().command;
  config.interactive_mode = GetParam().interactive_mode;
  Status status = ValidateExecConfig(config);
  if (GetParam().expected_error == nullptr) {
    EXPECT_TRUE(status.ok()) << status.ToString();
  } else {
    EXPECT_NE(status.message().find(GetParam().expected_error), std::string::npos)
        << status.message();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ValidateExecConfigTest,
    ::testing::Values(ValidateCase{"v1", "client.authentication.k8s.io/v1", "p", "Never", nullptr},
                      ValidateCase{"v1beta1_without_mode", "client.authentication.k8s.io/v1beta1",
                                   "p", "", nullptr},
                      ValidateCase{"v1_without_mode", "client.authentication.k8s.io/v1", "p", "",
                                   "interactiveMode must be set"},
                      ValidateCase{"no_version", "", "p", "Never", "apiVersion must be set"},
                      ValidateCase{"v1alpha1", "client.authentication.k8s.io/v1alpha1", "p",
                                   "Never", "removed in Kubernetes 1.24"},
                      ValidateCase{"unknown_version", "example.com/v9", "p", "Never",
                                   "is not supported"},
                      ValidateCase{"no_command", "client.authentication.k8s.io/v1", "", "Never",
                                   "command must be set"},
                      ValidateCase{"bad_mode", "client.authentication.k8s.io/v1", "p", "Sometimes",
                                   "must be Never, IfAvailable or Always"},
                      ValidateCase{"always_needs_terminal", "client.authentication.k8s.io/v1", "p",
                                   "Always", "needs a terminal"}),
    [](const ::testing::TestParamInfo<ValidateCase>& info) { return info.param.name; });

// ---- Token files ----

class TokenFileProviderTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string path_ = dir_.path() + "/token";
};

TEST_F(TokenFileProviderTest, ReadsTheTrimmedTokenAndRereadsAfterInvalidate) {
  dir_.Write("token", "  first-token\n");
  TokenFileProvider provider(path_, path_);
  EXPECT_EQ(provider.Get(0)->token, "first-token");
  dir_.Write("token", "second-token\n");
  EXPECT_EQ(provider.Get(10)->token, "first-token");  // cached within the reread period
  provider.Invalidate();
  EXPECT_EQ(provider.Get(11)->token, "second-token");
}

TEST_F(TokenFileProviderTest, RereadsPeriodicallyAndKeepsTheLastGoodTokenOnFailure) {
  dir_.Write("token", "first-token");
  TokenFileProvider provider(path_, path_, 60);
  EXPECT_EQ(provider.Get(0)->token, "first-token");
  dir_.Write("token", "rotated-token");
  EXPECT_EQ(provider.Get(59)->token, "first-token");
  EXPECT_EQ(provider.Get(60)->token, "rotated-token");
  std::remove(path_.c_str());
  EXPECT_EQ(provider.Get(200)->token, "rotated-token");
  provider.Invalidate();
  auto missing = provider.Get(201);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(path_), std::string::npos);
}

TEST_F(TokenFileProviderTest, InvalidateIfCurrentOnlyDropsTheRejectedToken) {
  dir_.Write("token", "first-token");
  TokenFileProvider provider(path_, path_);
  Credentials first = *provider.Get(0);
  dir_.Write("token", "second-token");
  Credentials stale;
  stale.token = "older-token";
  provider.InvalidateIfCurrent(stale);
  EXPECT_EQ(provider.Get(1)->token, "first-token");
  provider.InvalidateIfCurrent(first);
  EXPECT_EQ(provider.Get(2)->token, "second-token");
}

TEST_F(TokenFileProviderTest, EmptyFileIsAnErrorThatNamesIt) {
  dir_.Write("token", " \n");
  auto token = ReadTokenFile(path_, "the-display-name");
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().message(), "the-display-name: token file is empty");
}

}  // namespace
}  // namespace mlgitops
