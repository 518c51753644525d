// Tests of the HTTPS transport against a local TLS server: certificate checks, SNI, credentials,
// keep-alive reuse, the bounded pool under parallel use, the CONNECT proxy, timeouts, streams,
// and that no secret reaches a log line or an error.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kube/transport.h"
#include "test_tls.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using testing::KeyPair;
using testing::TestCa;
using testing::TestConnectProxy;
using testing::TestHttpsServer;

constexpr char kToken[] = "tok-4f1c9e7a2b8d";
constexpr char kPassword[] = "pw-7e2a9c41";
constexpr char kProxyPassword[] = "proxy-pw-91c3";

HttpRequest Get(std::string path) {
  HttpRequest request;
  request.method = "GET";
  request.path = std::move(path);
  return request;
}

/// Answers every request with a JSON echo of what it saw.
void Echo(const httplib::Request& req, httplib::Response& res) {
  std::string body = "{\"path\":\"" + req.path + "\",\"authorization\":\"" +
                     req.get_header_value("Authorization") + "\",\"user\":\"" +
                     TestHttpsServer::PeerCommonName(req) + "\"}";
  res.set_content(body, "application/json");
}

class KubeTransportTest : public ::testing::Test {
 protected:
  KubeTransportTest()
      : ca_("test-ca"),
        other_ca_("other-ca"),
        serving_(ca_.IssueServer({"localhost"}, {"127.0.0.1"})) {}

  /// A server with the CA-issued certificate; requests go to `handler` (Echo by default).
  TestHttpsServer& StartServer(TestHttpsServer::Handler handler = Echo,
                               const std::string& client_ca = "",
                               const KeyPair* identity = nullptr) {
    TestHttpsServer::Options options;
    options.identity = identity ? *identity : serving_;
    options.client_ca_pem = client_ca;
    server_ = std::make_unique<TestHttpsServer>(options, std::move(handler));
    return *server_;
  }

  RestConfig Config() const {
    RestConfig config;
    config.cluster_name = "test";
    config.user_name = "tester";
    config.server = server_->url();
    config.ca_pem = ca_.cert_pem();
    return config;
  }

  std::unique_ptr<HttpsTransport> Connect(const RestConfig& config, TransportOptions options = {}) {
    auto transport = HttpsTransport::Create(config, std::move(options));
    EXPECT_TRUE(transport.ok()) << transport.status().ToString();
    return transport.ok() ? std::move(transport).value() : nullptr;
  }

  TestCa ca_;
  TestCa other_ca_;
  KeyPair serving_;
  std::unique_ptr<TestHttpsServer> server_;  // declared before clients: outlives them
};

TEST_F(KubeTransportTest, ServerSignedByTheConfiguredCaIsAccepted) {
  StartServer();
  auto transport = Connect(Config());
  HttpOutcome outcome = transport->Send(Get("/version"));
  ASSERT_TRUE(outcome.ok()) << outcome.detail;
  EXPECT_EQ(outcome.response.status, 200);
  EXPECT_NE(outcome.response.body.find("\"path\":\"/version\""), std::string::npos);
}

TEST_F(KubeTransportTest, WrongCaIsRefusedWithAClearError) {
  StartServer();
  RestConfig config = Config();
  config.ca_pem = other_ca_.cert_pem();
  auto transport = Connect(config);
  HttpOutcome outcome = transport->Send(Get("/version"));
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.failure, TransportFailure::kTlsVerify);
  EXPECT_FALSE(outcome.maybe_sent);
  EXPECT_NE(outcome.detail.find("not signed by a trusted certificate authority"), std::string::npos)
      << outcome.detail;
  EXPECT_NE(outcome.detail.find("certificate-authority"), std::string::npos) << outcome.detail;
  EXPECT_NE(outcome.detail.find("test-ca"), std::string::npos) << "names the issuer";
  EXPECT_EQ(server_->requests(), 0);
}

TEST_F(KubeTransportTest, SystemRootsDoNotTrustAPrivateCa) {
  StartServer();
  RestConfig config = Config();
  config.ca_pem.clear();
  HttpOutcome outcome = Connect(config)->Send(Get("/version"));
  EXPECT_EQ(outcome.failure, TransportFailure::kTlsVerify) << outcome.detail;
}

TEST_F(KubeTransportTest, InsecureSkipTlsVerifyAcceptsAnyCertificate) {
  StartServer();
  RestConfig config = Config();
  config.ca_pem = other_ca_.cert_pem();
  config.insecure_skip_tls_verify = true;
  HttpOutcome outcome = Connect(config)->Send(Get("/version"));
  ASSERT_TRUE(outcome.ok()) << outcome.detail;
  EXPECT_EQ(outcome.response.status, 200);
}

TEST_F(KubeTransportTest, TlsServerNameIsSentAsSniAndChecked) {
  KeyPair named = ca_.IssueServer({"api.cluster.internal"}, {});
  StartServer(Echo, "", &named);
  RestConfig config = Config();  // https://127.0.0.1:port, which the certificate does not list

  HttpOutcome refused = Connect(config)->Send(Get("/version"));
  EXPECT_EQ(refused.failure, TransportFailure::kTlsVerify);
  EXPECT_NE(refused.detail.find("tls-server-name"), std::string::npos) << refused.detail;

  config.tls_server_name = "api.cluster.internal";
  HttpOutcome accepted = Connect(config)->Send(Get("/version"));
  ASSERT_TRUE(accepted.ok()) << accepted.detail;
  EXPECT_EQ(accepted.response.status, 200);
  EXPECT_EQ(server_->last_sni(), "api.cluster.internal");
}

TEST_F(KubeTransportTest, BearerTokenIsSent) {
  StartServer();
  RestConfig config = Config();
  config.token = kToken;
  HttpOutcome outcome = Connect(config)->Send(Get("/api"));
  ASSERT_TRUE(outcome.ok()) << outcome.detail;
  EXPECT_NE(outcome.response.body.find(std::string("Bearer ") + kToken), std::string::npos);
}

TEST_F(KubeTransportTest, BasicAuthIsSentWhenThereIsNoToken) {
  StartServer();
  RestConfig config = Config();
  config.username = "admin";
  config.password = kPassword;
  HttpOutcome outcome = Connect(config)->Send(Get("/api"));
  ASSERT_TRUE(outcome.ok()) << outcome.detail;
  // base64("admin:pw-7e2a9c41")
  EXPECT_NE(outcome.response.body.find("Basic YWRtaW46cHctN2UyYTljNDE="), std::string::npos)
      << outcome.response.body;
}

TEST_F(KubeTransportTest, ClientCertificateAuthenticates) {
  StartServer(Echo, ca_.cert_pem());
  KeyPair alice = ca_.IssueClient("alice", {"ml-team"});
  RestConfig config = Config();
  config.client_cert_pem = alice.cert_pem;
  config.client_key_pem = alice.key_pem;
  HttpOutcome outcome = Connect(config)->Send(Get("/api"));
  ASSERT_TRUE(outcome.ok()) << outcome.detail;
  EXPECT_NE(outcome.response.body.find("\"user\":\"alice\""), std::string::npos);
}

TEST_F(KubeTransportTest, MissingClientCertificateIsRefused) {
  StartServer(Echo, ca_.cert_pem());
  HttpOutcome outcome = Connect(Config())->Send(Get("/api"));
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(server_->requests(), 0);
}

TEST_F(KubeTransportTest, ClientKeyMustMatchTheCertificate) {
  StartServer();
  KeyPair alice = ca_.IssueClient("alice", {});
  KeyPair bob = ca_.IssueClient("bob", {});
  RestConfig config = Config();
  config.client_cert_pem = alice.cert_pem;
  config.client_key_pem = bob.key_pem;
  auto transport = HttpsTransport::Create(config);
  ASSERT_FALSE(transport.ok());
  EXPECT_NE(transport.status().message().find("does not match"), std::string::npos);
  EXPECT_EQ(transport.status().message().find("PRIVATE KEY"), std::string::npos);
}

TEST_F(KubeTransportTest, ConfigErrorsAreRefusedUpFront) {
  StartServer();
  RestConfig no_ca = Config();
  no_ca.ca_pem = "not a certificate";
  EXPECT_EQ(HttpsTransport::Create(no_ca).status().code(), Status::Code::kInvalidArgument);
  RestConfig no_server = Config();
  no_server.server = "";
  EXPECT_EQ(HttpsTransport::Create(no_server).status().code(), Status::Code::kInvalidArgument);
  RestConfig bad_port = Config();
  bad_port.server = "https://127.0.0.1:99999";
  EXPECT_EQ(HttpsTransport::Create(bad_port).status().code(), Status::Code::kInvalidArgument);
  for (const char* proxy : {"https://proxy:3128", "socks5://proxy:1080"}) {
    RestConfig config = Config();
    config.proxy_url = proxy;
    auto refused = HttpsTransport::Create(config);
    EXPECT_EQ(refused.status().code(), Status::Code::kUnsupported) << proxy;
    EXPECT_NE(refused.status().message().find("only http:// proxies"), std::string::npos);
  }
}

class CountingProvider : public CredentialProvider {
 public:
  explicit CountingProvider(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {}
  Result<Credentials> Get(int64_t) override {
    std::lock_guard<std::mutex> lock(mu_);
    Credentials creds;
    creds.token = tokens_[std::min(index_, tokens_.size() - 1)];
    return creds;
  }
  void Invalidate() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++index_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> tokens_;
  size_t index_ = 0;
};

TEST_F(KubeTransportTest, CredentialProviderTokensAreUsedAndRefreshed) {
  StartServer();
  RestConfig config = Config();
  config.token = "static-token-ignored";
  config.credentials = std::make_shared<CountingProvider>(
      std::vector<std::string>{"plugin-token-1", "plugin-token-2"});
  auto transport = Connect(config);
  EXPECT_NE(transport->Send(Get("/a")).response.body.find("Bearer plugin-token-1"),
            std::string::npos);
  EXPECT_TRUE(transport->RefreshCredentials());
  EXPECT_NE(transport->Send(Get("/b")).response.body.find("Bearer plugin-token-2"),
            std::string::npos);
  EXPECT_NE(transport->redactor().Redact("x plugin-token-2 y").find("[redacted]"),
            std::string::npos);
}

/// A plugin that hands out client certificates: the first until invalidated, then the second.
class CertificateProvider : public CredentialProvider {
 public:
  CertificateProvider(KeyPair first, KeyPair second)
      : pairs_{std::move(first), std::move(second)} {}
  Result<Credentials> Get(int64_t) override {
    const KeyPair& pair = pairs_[std::min(invalidations_.load(), 1)];
    Credentials creds;
    creds.client_cert_pem = pair.cert_pem;
    creds.client_key_pem = pair.key_pem;
    return creds;
  }
  void Invalidate() override { ++invalidations_; }

 private:
  KeyPair pairs_[2];
  std::atomic<int> invalidations_{0};
};

TEST_F(KubeTransportTest, RotatedClientCertificateGetsFreshConnections) {
  StartServer(Echo, ca_.cert_pem());
  RestConfig config = Config();
  config.credentials = std::make_shared<CertificateProvider>(ca_.IssueClient("alice", {}),
                                                             ca_.IssueClient("bob", {}));
  auto transport = Connect(config);
  EXPECT_NE(transport->Send(Get("/a")).response.body.find("\"user\":\"alice\""), std::string::npos);
  EXPECT_NE(transport->Send(Get("/b")).response.body.find("\"user\":\"alice\""), std::string::npos);
  EXPECT_EQ(transport->connections_opened(), 1);
  ASSERT_TRUE(transport->RefreshCredentials());
  EXPECT_NE(transport->Send(Get("/c")).response.body.find("\"user\":\"bob\""), std::string::npos);
  EXPECT_EQ(transport->connections_opened(), 2) << "the old certificate's connection is dropped";
}

TEST_F(KubeTransportTest, StaticTokenCannotBeRefreshed) {
  StartServer();
  RestConfig config = Config();
  config.token = kToken;
  EXPECT_FALSE(Connect(config)->RefreshCredentials());
}

TEST_F(KubeTransportTest, TokenFileIsRereadAfterRefresh) {
  StartServer();
  testing::TempDir dir;
  std::string path = dir.Write("token", "first-file-token\n");
  RestConfig config = Config();
  config.token = "first-file-token";
  config.token_file = path;
  auto transport = Connect(config);
  EXPECT_NE(transport->Send(Get("/a")).response.body.find("Bearer first-file-token\""),
            std::string::npos);
  dir.Write("token", "rotated-file-token\n");
  EXPECT_TRUE(transport->RefreshCredentials());
  EXPECT_NE(transport->Send(Get("/b")).response.body.find("Bearer rotated-file-token\""),
            std::string::npos);
}

TEST_F(KubeTransportTest, KeepAliveReusesOneConnection) {
  StartServer();
  auto transport = Connect(Config());
  for (int i = 0; i < 20; ++i) {
    HttpOutcome outcome = transport->Send(Get("/api/v1/namespaces/ml/pods/p" + std::to_string(i)));
    ASSERT_TRUE(outcome.ok()) << outcome.detail;
  }
  EXPECT_EQ(server_->requests(), 20);
  EXPECT_EQ(server_->connections(), 1);
  EXPECT_EQ(transport->connections_opened(), 1);
}

TEST_F(KubeTransportTest, ParallelRequestsShareABoundedPool) {
  StartServer([](const httplib::Request& req, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // make requests overlap
    Echo(req, res);
  });
  TransportOptions options;
  options.max_connections = 4;
  auto transport = Connect(Config(), options);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string path = "/t" + std::to_string(t) + "/r" + std::to_string(i);
        HttpOutcome outcome = transport->Send(Get(path));
        // Each answer belongs to its own request: no crossed streams between threads.
        if (outcome.ok() && outcome.response.status == 200 &&
            outcome.response.body.find("\"path\":\"" + path + "\"") != std::string::npos) {
          good.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(good.load(), kThreads * kPerThread);
  EXPECT_LE(server_->connections(), 4);
  EXPECT_GE(server_->connections(), 2) << "requests ran in parallel";
  EXPECT_EQ(transport->connections_opened(), server_->connections());
}

TEST_F(KubeTransportTest, HttpProxyTunnelsWithConnect) {
  std::atomic<bool> proxy_header_leaked{false};
  StartServer([&](const httplib::Request& req, httplib::Response& res) {
    if (req.has_header("Proxy-Authorization") &&
        !req.get_header_value("Proxy-Authorization").empty()) {
      proxy_header_leaked = true;
    }
    Echo(req, res);
  });
  // base64("puser:proxy-pw-91c3")
  TestConnectProxy proxy("Basic cHVzZXI6cHJveHktcHctOTFjMw==");
  RestConfig config = Config();
  config.proxy_url =
      "http://puser:" + std::string(kProxyPassword) + "@127.0.0.1:" + std::to_string(proxy.port());
  auto transport = Connect(config);
  for (int i = 0; i < 3; ++i) {
    HttpOutcome outcome = transport->Send(Get("/version"));
    ASSERT_TRUE(outcome.ok()) << outcome.detail;
    EXPECT_EQ(outcome.response.status, 200);
  }
  EXPECT_EQ(proxy.tunnels(), 1) << "one tunnel, kept alive";
  EXPECT_EQ(proxy.last_target(), "127.0.0.1:" + std::to_string(server_->port()));
  EXPECT_FALSE(proxy_header_leaked) << "the proxy's credentials must not reach the API server";
}

TEST_F(KubeTransportTest, ProxyRefusalIsAConnectFailure) {
  StartServer();
  TestConnectProxy proxy("Basic something-else");
  RestConfig config = Config();
  config.proxy_url = "http://127.0.0.1:" + std::to_string(proxy.port());
  HttpOutcome outcome = Connect(config)->Send(Get("/version"));
  EXPECT_FALSE(outcome.ok() && outcome.response.status == 200);
  EXPECT_EQ(server_->requests(), 0);
}

TEST_F(KubeTransportTest, RefusedConnectionNeverLeft) {
  StartServer();
  RestConfig config = Config();
  int port = server_->port();
  server_.reset();  // nothing listens there now
  config.server = "https://127.0.0.1:" + std::to_string(port);
  HttpOutcome outcome = Connect(config)->Send(Get("/version"));
  EXPECT_EQ(outcome.failure, TransportFailure::kConnect);
  EXPECT_FALSE(outcome.maybe_sent);
  EXPECT_NE(outcome.detail.find("cannot connect"), std::string::npos);
}

TEST_F(KubeTransportTest, SlowAnswerTimesOut) {
  StartServer([](const httplib::Request& req, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    Echo(req, res);
  });
  TransportOptions options;
  options.request_timeout = std::chrono::milliseconds(150);
  HttpOutcome outcome = Connect(Config(), options)->Send(Get("/slow"));
  EXPECT_EQ(outcome.failure, TransportFailure::kLost);
  EXPECT_TRUE(outcome.maybe_sent);
  EXPECT_NE(outcome.detail.find("no answer"), std::string::npos) << outcome.detail;
}

TEST_F(KubeTransportTest, DroppedConnectionIsLost) {
  StartServer([](const httplib::Request& req, httplib::Response&) {
    TestHttpsServer::DropConnection(req);
  });
  HttpOutcome outcome = Connect(Config())->Send(Get("/drop"));
  EXPECT_EQ(outcome.failure, TransportFailure::kLost) << outcome.detail;
  EXPECT_TRUE(outcome.maybe_sent);
}

TEST_F(KubeTransportTest, OversizedAnswerIsCut) {
  StartServer([](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(5000, 'x'), "text/plain");
  });
  TransportOptions options;
  options.max_response_bytes = 1000;
  HttpOutcome outcome = Connect(Config(), options)->Send(Get("/big"));
  EXPECT_EQ(outcome.failure, TransportFailure::kTooLarge);
}

TEST_F(KubeTransportTest, MalformedRequestsAreRefusedBeforeSending) {
  StartServer();
  auto transport = Connect(Config());
  EXPECT_EQ(transport->Send(Get("/a b")).failure, TransportFailure::kConfig);
  EXPECT_EQ(transport->Send(Get("/a\r\nX-Injected: 1")).failure, TransportFailure::kConfig);
  HttpRequest header = Get("/ok");
  header.headers.emplace("X-Test", "a\r\nb");
  EXPECT_EQ(transport->Send(header).failure, TransportFailure::kConfig);
  EXPECT_EQ(server_->requests(), 0);
}

TEST_F(KubeTransportTest, StreamDeliversChunksAndStopsWhenAsked) {
  StartServer([](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/json",
                                     [](size_t offset, httplib::DataSink& sink) {
                                       for (int i = 0; i < 3; ++i) {
                                         std::string line = "{\"n\":" + std::to_string(i) + "}\n";
                                         sink.write(line.data(), line.size());
                                         std::this_thread::sleep_for(std::chrono::milliseconds(20));
                                       }
                                       sink.done();
                                       return true;
                                     });
  });
  auto transport = Connect(Config());
  std::string all;
  HttpOutcome full = transport->Stream(
      Get("/watch"),
      [&](std::string_view chunk) {
        all.append(chunk);
        return true;
      },
      std::chrono::seconds(5));
  ASSERT_TRUE(full.ok()) << full.detail;
  EXPECT_EQ(full.response.status, 200);
  EXPECT_EQ(all, "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n");

  int chunks = 0;
  HttpOutcome stopped = transport->Stream(
      Get("/watch"), [&](std::string_view) { return ++chunks < 1; }, std::chrono::seconds(5));
  EXPECT_TRUE(stopped.ok()) << "stopping is a clean end: " << stopped.detail;
  EXPECT_EQ(chunks, 1);
}

TEST_F(KubeTransportTest, StreamKeepsTheErrorBodyOfARefusal) {
  StartServer([](const httplib::Request&, httplib::Response& res) {
    res.status = 410;
    res.set_content("{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}",
                    "application/json");
  });
  bool called = false;
  HttpOutcome outcome = Connect(Config())->Stream(
      Get("/watch"), [&](std::string_view) { return called = true; }, std::chrono::seconds(5));
  ASSERT_TRUE(outcome.ok()) << outcome.detail;
  EXPECT_EQ(outcome.response.status, 410);
  EXPECT_NE(outcome.response.body.find("Expired"), std::string::npos);
  EXPECT_FALSE(called);
}

TEST_F(KubeTransportTest, SecretsNeverReachLogsOrErrors) {
  StartServer(Echo, ca_.cert_pem());                       // demands a client certificate
  KeyPair mallory = other_ca_.IssueClient("mallory", {});  // one the server will refuse
  TestConnectProxy proxy;
  RestConfig config = Config();
  config.token = kToken;
  config.password = kPassword;
  config.client_cert_pem = mallory.cert_pem;
  config.client_key_pem = mallory.key_pem;
  config.proxy_url =
      "http://puser:" + std::string(kProxyPassword) + "@127.0.0.1:" + std::to_string(proxy.port());
  std::vector<std::string> lines;
  std::mutex mu;
  TransportOptions options;
  options.log = [&](const std::string& line) {
    std::lock_guard<std::mutex> lock(mu);
    lines.push_back(line);
  };
  auto transport = Connect(config, options);
  std::vector<std::string> texts;
  texts.push_back(transport->Send(Get("/api?token=" + std::string(kToken))).detail);
  RestConfig wrong_ca = config;
  wrong_ca.ca_pem = other_ca_.cert_pem();
  texts.push_back(Connect(wrong_ca, options)->Send(Get("/api")).detail);
  RestConfig unreachable = config;
  unreachable.proxy_url.clear();
  unreachable.server = "https://admin:" + std::string(kPassword) + "@127.0.0.1:1";
  texts.push_back(Connect(unreachable, options)->Send(Get("/api")).detail);
  texts.insert(texts.end(), lines.begin(), lines.end());
  ASSERT_GE(lines.size(), 3u);
  for (const std::string& text : texts) {
    for (const std::string& secret :
         {std::string(kToken), std::string(kPassword), std::string(kProxyPassword),
          mallory.key_pem.substr(40, 30)}) {
      EXPECT_EQ(text.find(secret), std::string::npos) << "secret in: " << text;
    }
  }
}

TEST(KubeRedactorTest, ScrubsKnownSecretsAndCredentialShapes) {
  Redactor redactor;
  redactor.AddSecret("hunter2-long");
  redactor.AddSecret("ab");  // too short to scrub without garbling text
  std::string text = redactor.Redact(
      "pw hunter2-long; url https://bob:pa55@host:6443/x; Authorization: Bearer eyJabc.def; "
      "Basic Ym9iOnBhNTU=; ab\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE "
      "KEY-----\n");
  for (const char* secret : {"hunter2-long", "pa55", "eyJabc.def", "Ym9iOnBhNTU=", "MHcCAQEE"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << text;
  }
  EXPECT_NE(text.find("https://[redacted]@host:6443/x"), std::string::npos) << text;
  EXPECT_NE(text.find("; ab"), std::string::npos) << text;
}

}  // namespace
}  // namespace mlgitops
