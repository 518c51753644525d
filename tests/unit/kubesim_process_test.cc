// kubesim as a process: flags, readiness, kubeconfig, clean shutdown with open watches, TLS
// trust, and fault injection (latency, 429 + Retry-After, 500, dropped connections).
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <map>
#include <string>
#include <thread>

#include "kubesim/json_util.h"
#include "kubesim/launcher.h"
#include "kubesim_test_util.h"
#include "test_util.h"

namespace mlgitops::kubesim {
namespace {

using mlgitops::testing::FreePort;
using mlgitops::testing::PortAccepts;

using mlgitops::testing::RunCommand;
using mlgitops::testing::TempDir;

class KubesimProcessTest : public ::testing::Test {
 protected:
  std::unique_ptr<KubesimProcess> Launch(const std::string& faults = "", int port = 0) {
    LaunchOptions options;
    options.binary = Binary();
    options.work_dir = dir_.path();
    options.audit_log = "audit.log";
    options.faults = faults;
    options.port = port;
    auto started = KubesimProcess::Start(options);
    EXPECT_TRUE(started.ok()) << started.status().message() << "\n"
                              << mlgitops::testing::ReadFile(dir_.path() + "/kubesim.log");
    return started.ok() ? std::move(*started) : nullptr;
  }

  static std::string Binary() { return mlgitops::testing::BinDir() + "/kubesim"; }

  std::vector<Object> AuditLines() {
    return testing::JsonLines(mlgitops::testing::ReadFile(dir_.path() + "/audit.log"));
  }

  TempDir dir_;
};

TEST_F(KubesimProcessTest, HelpDocumentsTheFaultSpecAndBadFlagsFail) {
  std::string out;
  EXPECT_EQ(RunCommand(Binary() + " --help", &out), 0);
  EXPECT_NE(out.find("--faults SPEC"), std::string::npos);
  EXPECT_NE(out.find("retry-after="), std::string::npos);
  EXPECT_EQ(RunCommand(Binary() + " --port 0", &out, true), 2);
  EXPECT_NE(out.find("--kubeconfig PATH is required"), std::string::npos) << out;
  EXPECT_EQ(RunCommand(Binary() + " --kubeconfig x --faults 429=2", &out, true), 2);
  EXPECT_NE(out.find("expected a fraction between 0 and 1"), std::string::npos) << out;
  EXPECT_EQ(RunCommand(Binary() + " --kubeconfig x --bogus", &out, true), 2);
}

TEST_F(KubesimProcessTest, KubeconfigNamesTheChosenPortAndTheRunsCa) {
  int port = FreePort();
  auto process = Launch("", port);
  ASSERT_NE(process, nullptr);
  EXPECT_EQ(process->port(), port);
  EXPECT_EQ(process->server(), "https://127.0.0.1:" + std::to_string(port));
  std::string kubeconfig = mlgitops::testing::ReadFile(process->kubeconfig_path());
  EXPECT_NE(kubeconfig.find("current-context: kubesim"), std::string::npos);
  EXPECT_NE(kubeconfig.find("namespace: default"), std::string::npos);
  EXPECT_NE(process->ca_pem().find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_EQ(process->Request("GET", "/version").status, 200);

  // Another run's CA must not be trusted for this server.
  TempDir other_dir;
  LaunchOptions options;
  options.binary = Binary();
  options.work_dir = other_dir.path();
  auto other = KubesimProcess::Start(options);
  ASSERT_TRUE(other.ok());
  EXPECT_NE((*other)->ca_pem(), process->ca_pem());
  EXPECT_NE((*other)->token(), process->token());
  std::string curl_out;
  std::string ca_file = other_dir.Write("other-ca.pem", (*other)->ca_pem());
  int code = RunCommand(
      "curl -sS --cacert " + ca_file + " https://127.0.0.1:" + std::to_string(port) + "/readyz",
      &curl_out, true);
  EXPECT_NE(code, 0) << "curl trusted a foreign CA: " << curl_out;
  std::string own_ca = other_dir.Write("own-ca.pem", process->ca_pem());
  EXPECT_EQ(RunCommand("curl -sS --cacert " + own_ca +
                           " https://127.0.0.1:" + std::to_string(port) + "/readyz",
                       &curl_out, true),
            0)
      << curl_out;
}

TEST_F(KubesimProcessTest, SigtermEndsOpenWatchesAndExitsCleanly) {
  auto process = Launch();
  ASSERT_NE(process, nullptr);
  auto watch = std::async(std::launch::async, [&] {
    return process->Request("GET", "/api/v1/namespaces?watch=1&timeoutSeconds=60");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(process->Stop(10000), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  ASSERT_EQ(watch.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  HttpResult result = watch.get();
  EXPECT_NE(result.body.find("\"type\":\"ADDED\""), std::string::npos)
      << result.status << " " << result.error << " " << result.body;
  std::string log = mlgitops::testing::ReadFile(process->log_path());
  EXPECT_NE(log.find("stopping on signal 15"), std::string::npos) << log;
}

TEST_F(KubesimProcessTest, IdleKeepAliveConnectionsDoNotDelayShutdown) {
  auto process = Launch();
  ASSERT_NE(process, nullptr);
  httplib::SSLClient client("127.0.0.1", process->port());
  client.set_ca_cert_path(process->ca_path().c_str());
  client.enable_server_certificate_verification(true);
  client.set_keep_alive(true);
  auto response = client.Get("/readyz");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(process->Stop(10000), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST_F(KubesimProcessTest, ServerDiesWithACrashedTestProcess) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t test_process = ::fork();
  ASSERT_GE(test_process, 0);
  if (test_process == 0) {
    LaunchOptions options;
    options.binary = Binary();
    options.work_dir = dir_.path();
    auto started = KubesimProcess::Start(options);
    pid_t server = started.ok() ? (*started)->pid() : -1;
    ssize_t written = ::write(fds[1], &server, sizeof server);
    ::_exit(written == sizeof server ? 0 : 1);  // no destructor: as if the test crashed
  }
  ::close(fds[1]);
  pid_t server = -1;
  ASSERT_EQ(::read(fds[0], &server, sizeof server), static_cast<ssize_t>(sizeof server));
  ::close(fds[0]);
  ::waitpid(test_process, nullptr, 0);
  ASSERT_GT(server, 0);
  auto alive = [&] {
    std::string stat = mlgitops::testing::ReadFile("/proc/" + std::to_string(server) + "/stat");
    size_t paren = stat.rfind(')');
    return !stat.empty() && paren != std::string::npos && stat.compare(paren + 2, 1, "Z") != 0;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (alive() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(alive()) << "kubesim " << server << " outlived its parent";
  if (alive()) ::kill(server, SIGKILL);
}

TEST_F(KubesimProcessTest, Injected429CarriesRetryAfterAndSparesHealthChecks) {
  auto process = Launch("429=1,retry-after=3");
  ASSERT_NE(process, nullptr);
  HttpResult r = process->Request("GET", "/api/v1/namespaces");
  EXPECT_EQ(r.status, 429);
  auto retry = r.headers.find("Retry-After");
  ASSERT_NE(retry, r.headers.end());
  EXPECT_EQ(retry->second, "3");
  auto parsed = ParseJson(r.body, "429");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(GetString(parsed->json(), "reason"), "TooManyRequests");
  EXPECT_EQ(GetInt(parsed->json(), "details.retryAfterSeconds").value_or(0), 3);
  EXPECT_EQ(process->Request("GET", "/readyz", "", "", {}, false).status, 200);
  auto lines = AuditLines();
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(GetString(lines.front().json(), "fault"), "429");
  EXPECT_EQ(GetInt(lines.front().json(), "code").value_or(0), 429);
}

TEST_F(KubesimProcessTest, Injected500AndDroppedConnections) {
  auto failing = Launch("500=1");
  ASSERT_NE(failing, nullptr);
  HttpResult r = failing->Request("GET", "/api/v1/namespaces/default");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("\"reason\":\"InternalError\""), std::string::npos) << r.body;
  failing->Stop();

  TempDir other;
  LaunchOptions options;
  options.binary = Binary();
  options.work_dir = other.path();
  options.faults = "drop=1";
  auto dropping = KubesimProcess::Start(options);
  ASSERT_TRUE(dropping.ok());
  HttpResult dropped = (*dropping)->Request("GET", "/api/v1/namespaces/default");
  EXPECT_EQ(dropped.status, 0) << "a dropped connection delivers no response: " << dropped.body;
  EXPECT_FALSE(dropped.error.empty());
  EXPECT_EQ((*dropping)->Request("GET", "/healthz", "", "", {}, false).status, 200);
}

TEST_F(KubesimProcessTest, LatencyAndRatesFollowTheSpec) {
  auto process = Launch("latency=60ms,429=0.25,seed=11,verbs=list");
  ASSERT_NE(process, nullptr);
  EXPECT_EQ(process->Request("GET", "/api/v1/namespaces/default").status, 200)
      << "gets are outside verbs=list";
  auto started = std::chrono::steady_clock::now();
  process->Request("GET", "/api/v1/namespaces");
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(60));
  // Which requests were delayed is read from the audit log, not from timings a loaded machine
  // would blur: the list carries a fault, the get (outside verbs=list) none.
  std::map<std::string, std::string> fault_by_verb;
  for (const Object& line : AuditLines()) {
    if (GetString(line.json(), "resource") != "namespaces") continue;
    fault_by_verb[GetString(line.json(), "verb")] = GetString(line.json(), "fault");
  }
  EXPECT_EQ(fault_by_verb["get"], "");
  // (A delayed request may then also be throttled: its fault reads "429".)
  EXPECT_TRUE(fault_by_verb["list"] == "latency" || fault_by_verb["list"] == "429")
      << fault_by_verb["list"];
  int throttled = 0;
  const int kRequests = 40;
  started = std::chrono::steady_clock::now();
  for (int i = 0; i < kRequests; ++i) {
    throttled += process->Request("GET", "/api/v1/configmaps").status == 429;
  }
  auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_GE(elapsed, std::chrono::milliseconds(60 * kRequests));
  // 25% of 40 is 10; the binomial standard deviation is about 2.7.
  EXPECT_GE(throttled, 3);
  EXPECT_LE(throttled, 18);
}

}  // namespace
}  // namespace mlgitops::kubesim
