// WebhookServer over real TLS on 127.0.0.1: protocol and cipher policy, certificate rotation,
// client certificates, limits, metrics, drain, and the mlgitops-webhook binary's lifecycle.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "admission/server.h"
#include "test_tls.h"
#include "test_util.h"
#include "webhook_test_client.h"

extern char** environ;

namespace mlgitops {
namespace {

using testing::ClientTls;
using testing::ConnectTcp;
using testing::EchoOutcome;
using testing::FreePort;
using testing::HttpAnswer;
using testing::KeyPair;
using testing::TestCa;
using testing::TlsClient;

class WebhookServerTest : public testing::WebhookServerFixture {};

TEST_F(WebhookServerTest, ServesBothEndpointsOverTls12And13) {
  Start();
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    ClientTls tls = Verified();
    tls.min_version = tls.max_version = version;
    TlsClient client(port(), tls);
    ASSERT_TRUE(client.connected()) << "version " << version;
    EXPECT_EQ(client.version(), version == TLS1_2_VERSION ? "TLSv1.2" : "TLSv1.3");
    HttpAnswer validated = client.Send("POST", "/validate", R"({"a":1})");
    EXPECT_EQ(validated.status, 200);
    EXPECT_EQ(validated.body, R"(validate:{"a":1})");
    HttpAnswer mutated = client.Send("POST", "/mutate", "{}");  // same kept-alive connection
    EXPECT_EQ(mutated.status, 200);
    EXPECT_EQ(mutated.body, "mutate:{}");
    EXPECT_NE(mutated.headers.find("application/json"), std::string::npos);
  }
  EXPECT_EQ(handler_calls_.load(), 4);
}

TEST_F(WebhookServerTest, RefusesTls10And11) {
  Start();
  for (int version : {TLS1_VERSION, TLS1_1_VERSION}) {
    ClientTls tls;
    tls.min_version = tls.max_version = version;
    TlsClient client(port(), tls);
    EXPECT_FALSE(client.connected()) << "version " << version;
  }
  // The same permissive client gets in once it may speak TLS 1.2, so the refusal is the server's.
  ClientTls tls;
  tls.min_version = TLS1_VERSION;
  tls.max_version = TLS1_2_VERSION;
  TlsClient client(port(), tls);
  EXPECT_TRUE(client.connected());
}

TEST_F(WebhookServerTest, RefusesNonAeadCipherSuites) {
  Start();
  ClientTls tls;
  tls.max_version = TLS1_2_VERSION;
  for (const char* suites : {"ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384",
                             "ECDHE-ECDSA-AES128-SHA:AES128-SHA:AES256-SHA"}) {
    tls.cipher_list = suites;
    TlsClient client(port(), tls);
    EXPECT_FALSE(client.connected()) << suites;
  }
  tls.cipher_list = "ECDHE-ECDSA-AES128-GCM-SHA256";
  TlsClient client(port(), tls);
  EXPECT_TRUE(client.connected());
}

TEST_F(WebhookServerTest, RotatesCertificateWithoutDroppingConnections) {
  Start();
  TlsClient before(port(), Verified());
  ASSERT_TRUE(before.connected());
  EXPECT_TRUE(before.PeerIs(identity_.cert_pem));
  EXPECT_EQ(before.Send("POST", "/validate", "{}").status, 200);

  KeyPair rotated = ca_.IssueServer({"webhook.ml.svc"}, {"127.0.0.1"});
  WriteIdentity(rotated);
  server_->CheckForChanges();
  TlsClient after(port(), Verified());
  ASSERT_TRUE(after.connected());
  EXPECT_TRUE(after.PeerIs(rotated.cert_pem));
  EXPECT_FALSE(after.PeerIs(identity_.cert_pem));
  EXPECT_EQ(before.Send("POST", "/validate", "{}").status, 200);  // kept-alive, old certificate

  dir_.Write("tls.crt", "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n");
  server_->CheckForChanges();
  TlsClient during_bad_file(port(), Verified());
  ASSERT_TRUE(during_bad_file.connected());
  EXPECT_TRUE(during_bad_file.PeerIs(rotated.cert_pem));

  const std::string metrics = server_->metrics().Render();
  EXPECT_NE(metrics.find("mlgitops_webhook_cert_reloads_total{result=\"success\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("mlgitops_webhook_cert_reloads_total{result=\"failure\"} 1"),
            std::string::npos);
}

TEST_F(WebhookServerTest, KeyThatDoesNotMatchKeepsOldPair) {
  Start();
  KeyPair other = ca_.IssueServer({"other"}, {});
  dir_.Write("tls.key", other.key_pem);  // certificate unchanged: mismatched pair
  server_->CheckForChanges();
  TlsClient client(port(), Verified());
  ASSERT_TRUE(client.connected());
  EXPECT_TRUE(client.PeerIs(identity_.cert_pem));
}

TEST_F(WebhookServerTest, ClientCaRequiresAClientCertificate) {
  TestCa client_ca("apiserver-client-ca");
  options_.client_ca_file = dir_.Write("client-ca.crt", client_ca.cert_pem());
  Start();
  TlsClient anonymous(port(), Verified());
  EXPECT_NE(anonymous.Send("POST", "/validate", "{}").status, 200);

  ClientTls foreign_tls = Verified();
  foreign_tls.client_identity = ca_.IssueClient("kube-apiserver", {});  // wrong issuer
  TlsClient foreign(port(), foreign_tls);
  EXPECT_NE(foreign.Send("POST", "/validate", "{}").status, 200);

  ClientTls tls = Verified();
  tls.client_identity = client_ca.IssueClient("kube-apiserver", {});
  TlsClient apiserver(port(), tls);
  ASSERT_TRUE(apiserver.connected());
  EXPECT_EQ(apiserver.Send("POST", "/validate", "{}").status, 200);
  EXPECT_EQ(handler_calls_.load(), 1);
}

TEST_F(WebhookServerTest, RefusesOversizeBodyFast) {
  Start();
  TlsClient client(port(), Verified());
  const auto start = std::chrono::steady_clock::now();
  HttpAnswer answer = client.Send("POST", "/validate", std::string(8 << 20, ' '));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(answer.status, 413);
  EXPECT_NE(answer.body.find("7340032"), std::string::npos) << answer.body;
  EXPECT_LT(elapsed, std::chrono::seconds(2));
  EXPECT_EQ(handler_calls_.load(), 0);
}

TEST_F(WebhookServerTest, OverflowingTheQueueAnswers503) {
  options_.threads = 1;
  options_.max_connections = 2;  // the worker's and one waiting
  std::promise<void> entered;
  std::shared_future<void> release_future;
  std::promise<void> release;
  release_future = release.get_future().share();
  handler_ = [&](AdmissionEndpoint endpoint, std::string_view body) {
    entered.set_value();
    release_future.wait();
    return EchoOutcome(endpoint, body);
  };
  Start();
  std::future<HttpAnswer> slow = std::async(std::launch::async, [&] {
    TlsClient client(port(), Verified());
    return client.Send("POST", "/validate", "{}");
  });
  entered.get_future().wait();
  int queued = ConnectTcp(port());  // takes the one queue slot (the only worker is busy)
  ASSERT_GE(queued, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the listener accept it
  TlsClient refused(port(), Verified());
  HttpAnswer answer = refused.Send("POST", "/validate", "{}");
  EXPECT_EQ(answer.status, 503);
  EXPECT_NE(answer.headers.find("Retry-After: 1"), std::string::npos);
  release.set_value();
  EXPECT_EQ(slow.get().status, 200);
  close(queued);
}

TEST_F(WebhookServerTest, IdleKeepAliveConnectionYieldsItsWorkerToAWaitingOne) {
  options_.threads = 1;
  options_.keep_alive_timeout = std::chrono::seconds(60);
  Start();
  TlsClient idle(port(), Verified());
  ASSERT_EQ(idle.Send("POST", "/validate", "first").status, 200);
  // The only worker is parked on `idle`; without eviction this would wait out the 60 s timeout.
  const auto start = std::chrono::steady_clock::now();
  std::future<HttpAnswer> waiting = std::async(std::launch::async, [&] {
    TlsClient client(port(), Verified());
    return client.Send("POST", "/validate", "second");
  });
  ASSERT_EQ(waiting.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(waiting.get().status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(idle.Send("POST", "/validate", "third").status, 0);  // closed by the server
}

TEST_F(WebhookServerTest, MethodAndPathErrors) {
  Start();
  TlsClient client(port(), Verified());
  HttpAnswer get_validate = client.Send("GET", "/validate");
  EXPECT_EQ(get_validate.status, 405);
  EXPECT_NE(get_validate.headers.find("Allow: POST"), std::string::npos);
  EXPECT_EQ(client.Send("DELETE", "/mutate").status, 405);
  EXPECT_EQ(client.Send("POST", "/healthz", "{}").status, 405);
  EXPECT_EQ(client.Send("GET", "/nope").status, 404);
  EXPECT_EQ(client.Send("POST", "/validate/extra", "{}").status, 404);
  EXPECT_EQ(client.Send("GET", "/healthz").status, 200);
  EXPECT_EQ(client.Send("GET", "/readyz").status, 200);
  EXPECT_EQ(handler_calls_.load(), 0);
}

TEST_F(WebhookServerTest, HandlerExceptionBecomes500) {
  handler_ = [](AdmissionEndpoint, std::string_view) -> AdmissionOutcome {
    throw std::runtime_error("boom");
  };
  Start();
  TlsClient client(port(), Verified());
  EXPECT_EQ(client.Send("POST", "/validate", "{}").status, 500);
  EXPECT_EQ(client.Send("GET", "/healthz").status, 200);
}

TEST_F(WebhookServerTest, MetricsCountRequestsDenialsAndWarnings) {
  handler_ = [](AdmissionEndpoint endpoint, std::string_view body) {
    AdmissionOutcome outcome = EchoOutcome(endpoint, body);
    if (body == "deny") {
      outcome.result = "denied";
      outcome.denied_rules = {"model-server-readiness"};
      outcome.object = "apps/Deployment ml/ranker";
      outcome.message = "container server has no readinessProbe";
    }
    outcome.warned_rules = {"training-backoff"};
    return outcome;
  };
  Start();
  TlsClient client(port(), Verified());
  client.Send("POST", "/validate", "deny");
  client.Send("POST", "/validate", "ok");
  client.Send("POST", "/mutate", "ok");
  HttpAnswer answer = client.Send("GET", "/metrics");
  ASSERT_EQ(answer.status, 200);
  const std::string& text = answer.body;
  for (
      const std::string expected : {
          R"(mlgitops_webhook_requests_total{endpoint="validate",operation="CREATE",result="denied"} 1)",
          R"(mlgitops_webhook_requests_total{endpoint="validate",operation="CREATE",result="allowed"} 1)",
          R"(mlgitops_webhook_requests_total{endpoint="mutate",operation="CREATE",result="allowed"} 1)",
          R"(mlgitops_webhook_denials_total{rule="model-server-readiness"} 1)",
          R"(mlgitops_webhook_warnings_total{rule="training-backoff"} 3)",
          R"(mlgitops_webhook_request_duration_seconds_count{endpoint="validate"} 2)",
          R"(mlgitops_webhook_request_duration_seconds_bucket{endpoint="validate",le="+Inf"} 2)",
          "# TYPE mlgitops_webhook_request_duration_seconds histogram",
      }) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
  for (const char* bound : {"0.005", "0.025", "0.1", "0.5", "1", "2.5", "10", "25"}) {
    EXPECT_NE(text.find(std::string("endpoint=\"mutate\",le=\"") + bound + "\"} 1"),
              std::string::npos)
        << bound;
  }
}

TEST(WebhookMetricsTest, BucketsAreCumulativeAndLabelsFolded) {
  WebhookMetrics metrics;
  metrics.RecordRequest("validate", "CREATE", "allowed", 0.003);
  metrics.RecordRequest("validate", "CREATE", "allowed", 0.2);
  metrics.RecordRequest("validate", "EVIL\"OP", "whatever", 30);
  const std::string text = metrics.Render();
  EXPECT_NE(text.find(R"(endpoint="validate",le="0.005"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(endpoint="validate",le="0.1"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(endpoint="validate",le="0.5"} 2)"), std::string::npos);
  EXPECT_NE(text.find(R"(endpoint="validate",le="25"} 2)"), std::string::npos);
  EXPECT_NE(text.find(R"(endpoint="validate",le="+Inf"} 3)"), std::string::npos);
  EXPECT_NE(text.find(R"(operation="other",result="other"} 1)"), std::string::npos);
  EXPECT_EQ(text.find("EVIL"), std::string::npos);
}

TEST_F(WebhookServerTest, ConfigChangeRebuildsHandler) {
  options_.config_file = dir_.Write("policy.yaml", "version: 1\n");
  Start();  // the fixture's factory ignores the file; rebuild here with one that reads it
  Stop();
  std::atomic<int> builds{0};
  auto created = WebhookServer::Create(options_, [&](const std::string& path) {
    ++builds;
    std::string text = testing::ReadFile(path);
    if (text.find("broken") != std::string::npos) {
      return Result<AdmissionHandlerFn>(Status::InvalidArgument("broken config"));
    }
    return Result<AdmissionHandlerFn>(
        AdmissionHandlerFn([text](AdmissionEndpoint, std::string_view) {
          AdmissionOutcome outcome;
          outcome.body = text;
          outcome.result = "allowed";
          return outcome;
        }));
  });
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  server_ = std::move(*created);
  serving_ = std::thread([this] { server_->Serve(); });
  TlsClient client(port(), Verified());
  EXPECT_EQ(client.Send("POST", "/validate", "{}").body, "version: 1\n");
  dir_.Write("policy.yaml", "version: 22\n");
  server_->CheckForChanges();
  EXPECT_EQ(client.Send("POST", "/validate", "{}").body, "version: 22\n");
  dir_.Write("policy.yaml", "broken: true\n");
  server_->CheckForChanges();
  EXPECT_EQ(client.Send("POST", "/validate", "{}").body, "version: 22\n");
  EXPECT_EQ(builds.load(), 3);
  const std::string metrics = server_->metrics().Render();
  EXPECT_NE(metrics.find(R"(mlgitops_webhook_config_reloads_total{result="success"} 1)"),
            std::string::npos);
  EXPECT_NE(metrics.find(R"(mlgitops_webhook_config_reloads_total{result="failure"} 1)"),
            std::string::npos);
}

TEST_F(WebhookServerTest, ShutdownDrainsInFlightRequestAndClosesIdleConnections) {
  options_.keep_alive_timeout = std::chrono::seconds(60);
  options_.shutdown_delay = std::chrono::milliseconds(300);
  std::promise<void> entered;
  handler_ = [&](AdmissionEndpoint endpoint, std::string_view body) {
    if (body == "slow") {
      entered.set_value();
      std::this_thread::sleep_for(std::chrono::milliseconds(800));
    }
    return EchoOutcome(endpoint, body);
  };
  Start();
  TlsClient idle(port(), Verified());
  ASSERT_EQ(idle.Send("POST", "/validate", "fast").status, 200);
  std::future<HttpAnswer> slow = std::async(std::launch::async, [&] {
    TlsClient client(port(), Verified());
    return client.Send("POST", "/validate", "slow");
  });
  entered.get_future().wait();
  const auto start = std::chrono::steady_clock::now();
  std::thread stopping([this] { server_->Shutdown(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  {
    TlsClient probe(port(), Verified());  // still accepting during the shutdown delay
    EXPECT_EQ(probe.Send("GET", "/readyz").status, 503);
    EXPECT_EQ(probe.Send("GET", "/healthz").status, 200);
  }
  HttpAnswer answer = slow.get();
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "validate:slow");
  stopping.join();
  serving_.join();
  // The idle keep-alive connection did not hold the drain for its 60 s timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(idle.Send("POST", "/validate", "fast").status, 0);
  EXPECT_EQ(TlsClient(port(), Verified()).connected(), false);
}

// ---- The binary. ----

TEST_F(WebhookServerTest, BinaryServesAndExitsZeroOnSigterm) {
  const int port = FreePort();
  const std::string binary = testing::BinDir() + "/mlgitops-webhook";
  const std::string log = dir_.path() + "/webhook.log";
  std::vector<std::string> args = {binary,
                                   "--port",
                                   std::to_string(port),
                                   "--bind",
                                   "127.0.0.1",
                                   "--tls-cert",
                                   options_.tls_cert_file,
                                   "--tls-key",
                                   options_.tls_key_file};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);

  int healthz = 0;
  for (int attempt = 0; attempt < 100 && healthz != 200; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    TlsClient client(port, Verified());
    healthz = client.Send("GET", "/healthz").status;
  }
  EXPECT_EQ(healthz, 200);
  TlsClient client(port, Verified());
  // The binary serves the policy: a GPU request that differs from its limit is denied.
  HttpAnswer review = client.Send(
      "POST", "/validate",
      R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1",)"
      R"("kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1",)"
      R"("resource":"pods"},"namespace":"ml","operation":"CREATE","object":{"apiVersion":"v1",)"
      R"("kind":"Pod","metadata":{"name":"p","namespace":"ml"},"spec":{"containers":[{"name":)"
      R"("c","image":"i","resources":{"requests":{"nvidia.com/gpu":"1"},"limits":)"
      R"({"nvidia.com/gpu":"2"}}}]}}}})");
  EXPECT_EQ(review.status, 200);
  EXPECT_NE(review.body.find(R"("uid":"u-1","allowed":false)"), std::string::npos) << review.body;
  EXPECT_NE(review.body.find("gpu-request-limit"), std::string::npos) << review.body;

  kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  const std::string stderr_text = testing::ReadFile(log);
  EXPECT_NE(stderr_text.find(R"("event":"drained")"), std::string::npos) << stderr_text;
  EXPECT_EQ(stderr_text.find("PRIVATE KEY"), std::string::npos);
}

TEST(WebhookBinaryTest, RefusesToStartWithoutTls) {
  std::string output;
  const int status = testing::RunCommand(testing::BinDir() + "/mlgitops-webhook --port 1", &output,
                                         /*merge_stderr=*/true);
  EXPECT_NE(status, 0);
  EXPECT_NE(output.find("--tls-cert"), std::string::npos) << output;
}

}  // namespace
}  // namespace mlgitops
