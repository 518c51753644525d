// The webhook server under hostile clients: slow requests are cut at a whole-request deadline,
// open connections are bounded (503 beyond, closed unanswered past the refusal backlog), and
// the admission endpoints take only JSON.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "admission/server.h"
#include "test_util.h"
#include "webhook_test_client.h"

namespace mlgitops {
namespace {

using testing::ClientTls;
using testing::ConnectTcp;
using testing::HttpAnswer;
using testing::TlsClient;

using Clock = std::chrono::steady_clock;

class WebhookHardening : public testing::WebhookServerFixture {
 protected:
  std::string Metrics() const { return server_->metrics().Render(); }
  /// mlgitops_webhook_connections_shed_total for `reason`: what the server did, seen from outside.
  int Shed(const std::string& reason) const {
    const std::string metrics = Metrics();
    const std::string prefix =
        "mlgitops_webhook_connections_shed_total{reason=\"" + reason + "\"} ";
    const size_t at = metrics.find(prefix);
    return at == std::string::npos ? 0 : std::atoi(metrics.c_str() + at + prefix.size());
  }
  /// Shed(reason) once it reaches `at_least`, or what it is after `bound`.
  int ShedWithin(const std::string& reason, int at_least, std::chrono::seconds bound) const {
    const Clock::time_point deadline = Clock::now() + bound;
    while (Shed(reason) < at_least && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return Shed(reason);
  }
};

/// Writes one byte to each connection every 100 ms until destroyed: each byte would reset a
/// per-read timeout, so only a whole-request deadline ends such requests. The clients are used
/// by no one else meanwhile (an SSL object is not thread-safe).
class Trickler {
 public:
  explicit Trickler(std::vector<std::unique_ptr<TlsClient>>* clients)
      : thread_([this, clients] {
          while (!stop_.load()) {
            for (auto& client : *clients) client->Write(" ");
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
          }
        }) {}
  ~Trickler() {
    stop_.store(true);
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

constexpr char kSlowBodyStart[] =
    "POST /validate HTTP/1.1\r\nHost: webhook\r\nContent-Type: application/json\r\n"
    "Content-Length: 100000\r\n\r\n{";

TEST_F(WebhookHardening, SlowBodiesAreCutSoHealthzKeepsAnswering) {
  options_.threads = 4;
  options_.request_read_timeout = std::chrono::milliseconds(1000);
  Start();
  // As many slow clients as workers, each sending its headers and then a trickle of body.
  std::vector<std::unique_ptr<TlsClient>> slow;
  for (int i = 0; i < options_.threads; ++i) {
    slow.push_back(std::make_unique<TlsClient>(port(), Verified()));
    ASSERT_TRUE(slow.back()->connected()) << "the handshake done means a worker holds it";
    ASSERT_TRUE(slow.back()->Write(kSlowBodyStart));
  }
  auto trickler = std::make_unique<Trickler>(&slow);

  const Clock::time_point start = Clock::now();
  ClientTls probe_tls = Verified();
  probe_tls.receive_timeout = std::chrono::seconds(8);
  TlsClient probe(port(), probe_tls);
  EXPECT_EQ(probe.Send("GET", "/healthz").status, 200);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(ShedWithin("read_timeout", 4, std::chrono::seconds(5)), 4) << Metrics();
  trickler.reset();
  for (auto& client : slow) EXPECT_EQ(client->Read().status, 0) << "closed unanswered";
  EXPECT_EQ(handler_calls_.load(), 0);
}

// Headers trickled on an otherwise quiet server (no one waits for a worker, so only the deadline
// can end it), as the second request of a kept-alive connection: the deadline starts with the
// request's first byte, not with the connection.
TEST_F(WebhookHardening, SlowHeadersOnAKeptAliveConnectionAreCut) {
  options_.request_read_timeout = std::chrono::milliseconds(500);
  Start();
  ClientTls tls = Verified();
  tls.receive_timeout = std::chrono::seconds(8);
  std::vector<std::unique_ptr<TlsClient>> slow;
  slow.push_back(std::make_unique<TlsClient>(port(), tls));
  ASSERT_EQ(slow.back()->Send("GET", "/healthz").status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // idle longer than the deadline
  EXPECT_EQ(Shed("read_timeout"), 0) << "idle between requests is not a slow request";
  ASSERT_TRUE(slow.back()->Write("POST /validate HTTP/1.1\r\nHost: webhook\r\nX-Slow: "));
  {
    Trickler trickler(&slow);
    EXPECT_EQ(ShedWithin("read_timeout", 1, std::chrono::seconds(5)), 1) << Metrics();
  }
  EXPECT_EQ(slow.back()->Read().status, 0) << "closed unanswered";
}

TEST_F(WebhookHardening, PromptRequestsAreNotCut) {
  options_.request_read_timeout = std::chrono::milliseconds(300);
  options_.keep_alive_timeout = std::chrono::seconds(30);
  Start();
  TlsClient client(port(), Verified());
  ASSERT_EQ(client.Send("POST", "/validate", "{}").status, 200);
  // Idle between requests for longer than the read deadline: keep-alive, not a slow request.
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_EQ(client.Send("POST", "/validate", "{}").status, 200);
  EXPECT_EQ(Shed("read_timeout"), 0) << Metrics();
}

TEST_F(WebhookHardening, ConnectionsBeyondTheLimitGet503) {
  options_.threads = 3;
  options_.max_connections = 3;
  Start();
  std::vector<std::unique_ptr<TlsClient>> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(std::make_unique<TlsClient>(port(), Verified()));
    ASSERT_EQ(open.back()->Send("GET", "/healthz").status, 200);  // kept alive, still open
  }
  ClientTls tls = Verified();
  tls.receive_timeout = std::chrono::seconds(8);
  TlsClient over(port(), tls);
  HttpAnswer answer = over.Send("POST", "/validate", "{}");
  EXPECT_EQ(answer.status, 503);
  EXPECT_NE(answer.body.find("too many open connections (limit 3)"), std::string::npos)
      << answer.body;
  EXPECT_NE(answer.headers.find("Retry-After: 1"), std::string::npos) << answer.headers;
  EXPECT_NE(answer.headers.find("Connection: close"), std::string::npos) << answer.headers;
  // Closed after the answer: a kept-alive refused connection would hold the refusal thread.
  const Clock::time_point answered = Clock::now();
  EXPECT_EQ(over.Read().status, 0);
  EXPECT_LT(Clock::now() - answered, std::chrono::seconds(3));
  EXPECT_EQ(handler_calls_.load(), 0);
  EXPECT_EQ(Shed("over_limit"), 1) << Metrics();

  // Once one closes there is room again (its worker notices the close, then the count drops).
  open.pop_back();
  int status = 0;
  for (int attempt = 0; attempt < 50 && status != 200; ++attempt) {
    TlsClient again(port(), Verified());
    status = again.Send("GET", "/healthz").status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 200);
}

TEST_F(WebhookHardening, SilentClientBeyondTheLimitDoesNotHoldUpRefusals) {
  options_.threads = 1;
  options_.max_connections = 1;
  options_.refusal_read_timeout = std::chrono::milliseconds(500);
  Start();
  TlsClient holder(port(), Verified());
  ASSERT_EQ(holder.Send("GET", "/healthz").status, 200);
  int silent = ConnectTcp(port());  // refused, but never says a word: no TLS hello
  ASSERT_GE(silent, 0);
  ClientTls tls = Verified();
  tls.receive_timeout = std::chrono::seconds(8);
  const Clock::time_point start = Clock::now();
  TlsClient refused(port(), tls);
  EXPECT_EQ(refused.Send("GET", "/healthz").status, 503);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
  close(silent);
}

TEST_F(WebhookHardening, RefusalBacklogIsBoundedByClosingUnanswered) {
  options_.threads = 1;
  options_.max_connections = 1;
  options_.refusal_backlog = 1;
  options_.refusal_read_timeout = std::chrono::seconds(30);  // the refusal thread stays stuck
  Start();
  TlsClient holder(port(), Verified());
  ASSERT_EQ(holder.Send("GET", "/healthz").status, 200);
  // One silent client holds the refusal thread, one waits in its backlog; the rest are closed
  // at once rather than piling up. (Four are, if all arrive before the refusal thread takes one.)
  std::vector<int> silent;
  for (int i = 0; i < 5; ++i) {
    silent.push_back(ConnectTcp(port(), std::chrono::milliseconds(500)));
    ASSERT_GE(silent.back(), 0);
  }
  EXPECT_GE(ShedWithin("refusal_backlog", 3, std::chrono::seconds(5)), 3) << Metrics();
  int closed = 0;
  for (int fd : silent) {
    char byte;
    if (recv(fd, &byte, 1, 0) == 0) ++closed;  // EOF; a timeout (-1) means still held
  }
  EXPECT_GE(closed, 3);
  EXPECT_EQ(Shed("refusal_backlog"), closed) << Metrics();
  for (int fd : silent) close(fd);
}

// kube-apiserver always sends application/json; anything else is not an AdmissionReview.
TEST_F(WebhookHardening, AdmissionEndpointsTakeOnlyJson) {
  Start();
  for (const char* type : {"application/json", "application/json; charset=utf-8",
                           "Application/JSON;charset=UTF-8", " application/json "}) {
    TlsClient client(port(), Verified());
    EXPECT_EQ(client.Send("POST", "/validate", "{}", type).status, 200) << type;
  }
  for (const char* type : {"", "text/plain", "application/jsonp", "application/json-patch+json",
                           "application/x-www-form-urlencoded", "application/yaml"}) {
    for (const char* path : {"/validate", "/mutate"}) {
      TlsClient client(port(), Verified());
      HttpAnswer answer = client.Send("POST", path, "{}", type);
      EXPECT_EQ(answer.status, 415) << path << " " << type;
      EXPECT_NE(answer.body.find("application/json"), std::string::npos) << answer.body;
    }
  }
  EXPECT_EQ(handler_calls_.load(), 4);
  TlsClient client(port(), Verified());
  EXPECT_EQ(client.Send("GET", "/healthz").status, 200);
}

// ---- Flags of the binary ----

TEST(WebhookBinaryFlags, AcceptsFlagEqualsValueAsTheDeploymentWritesThem) {
  std::string output;
  const std::string binary = testing::BinDir() + "/mlgitops-webhook";
  // Flags parse, then the missing certificate fails the start (exit 1, not usage's 2).
  int status = testing::RunCommand(binary +
                                       " --port=0 --bind=127.0.0.1 --tls-cert=/nonexistent/tls.crt"
                                       " --tls-key=/nonexistent/tls.key --request-read-timeout=5"
                                       " --max-connections 50",
                                   &output, /*merge_stderr=*/true);
  EXPECT_EQ(status, 1) << output;
  EXPECT_NE(output.find("/nonexistent/tls.crt"), std::string::npos) << output;
  for (const char* bad : {"--request-read-timeout=0", "--request-read-timeout 1s",
                          "--max-connections=0", "--max-connections many"}) {
    status = testing::RunCommand(binary + " --port 1 --tls-cert a --tls-key b " + bad, &output,
                                 /*merge_stderr=*/true);
    EXPECT_EQ(status, 2) << bad << ": " << output;
    const std::string flag = std::string(bad).substr(0, std::string(bad).find_first_of("= "));
    EXPECT_NE(output.find(flag + " takes"), std::string::npos) << output;
  }
}

}  // namespace
}  // namespace mlgitops
