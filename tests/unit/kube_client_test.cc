// Tests of HttpKubeClient against a scripted HTTPS API server: request shapes (server-side apply,
// patches, delete options, dry runs, paging, selectors), error messages per status code,
// retries (Retry-After, backoff, bounds, what is never repeated, 401 refresh), watches, WaitFor.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "kube/client.h"
#include "object/yaml_loader.h"
#include "test_tls.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using testing::TestCa;
using testing::TestHttpsServer;

constexpr char kToken[] = "tok-5b2e8c1d9f00aa";

// Aggregated discovery: the core group and apps, enough for these tests.
constexpr char kCoreDiscovery[] = R"({"kind":"APIGroupDiscoveryList",
  "apiVersion":"apidiscovery.k8s.io/v2","items":[{"metadata":{"name":""},"versions":[
  {"version":"v1","resources":[
    {"resource":"configmaps","responseKind":{"kind":"ConfigMap"},"scope":"Namespaced",
     "singularResource":"configmap","verbs":["get","list","watch","create","patch","delete"],
     "shortNames":["cm"]},
    {"resource":"secrets","responseKind":{"kind":"Secret"},"scope":"Namespaced",
     "singularResource":"secret","verbs":["get","list","create","patch","delete"]},
    {"resource":"namespaces","responseKind":{"kind":"Namespace"},"scope":"Cluster",
     "singularResource":"namespace","verbs":["get","list","create","patch","delete"],
     "shortNames":["ns"],"subresources":[{"subresource":"status"}]}]}]}]})";
constexpr char kAppsDiscovery[] = R"({"kind":"APIGroupDiscoveryList",
  "apiVersion":"apidiscovery.k8s.io/v2","items":[{"metadata":{"name":"apps"},"versions":[
  {"version":"v1","resources":[
    {"resource":"deployments","responseKind":{"group":"apps","version":"v1","kind":"Deployment"},
     "scope":"Namespaced","singularResource":"deployment","shortNames":["deploy"],
     "verbs":["get","list","watch","create","patch","delete"],
     "subresources":[{"subresource":"status"},{"subresource":"scale"}]}]}]}]})";

constexpr char kDeployment[] = R"({"apiVersion":"apps/v1","kind":"Deployment",
  "metadata":{"name":"ranker","namespace":"ml","resourceVersion":"7","uid":"u-1"},
  "spec":{"replicas":2},"status":{"readyReplicas":1}})";

std::string Quoted(const std::string& text) {
  return ToJson(rapidjson::Value(rapidjson::StringRef(text.data(), text.size())));
}

std::string StatusBody(int code, const std::string& reason, const std::string& message,
                       const std::string& details = "{}") {
  return "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":" +
         std::to_string(code) + ",\"reason\":\"" + reason + "\",\"message\":" + Quoted(message) +
         ",\"details\":" + details + "}";
}

void Reply(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

/// What the API server saw of one request.
struct Seen {
  std::string method;
  std::string path;
  std::string content_type;
  std::string body;
  std::string authorization;
  std::map<std::string, std::string> params;
  std::string Param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? "" : it->second;
  }
};

/// Retries without sleeping: time moves only when the client "sleeps".
class FakeRetryClock : public RetryClock {
 public:
  std::chrono::steady_clock::time_point Now() override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  void Sleep(std::chrono::milliseconds duration) override {
    std::lock_guard<std::mutex> lock(mu_);
    sleeps_.push_back(duration.count());
    now_ += duration;
  }
  double Random() override { return 0.5; }  // no jitter: waits are exact
  std::vector<int64_t> sleeps() {
    std::lock_guard<std::mutex> lock(mu_);
    return sleeps_;
  }

 private:
  std::mutex mu_;
  std::chrono::steady_clock::time_point now_{};
  std::vector<int64_t> sleeps_;
};

class KubeClientTest : public ::testing::Test {
 protected:
  using Script = std::function<void(const Seen&, const httplib::Request&, httplib::Response&)>;

  KubeClientTest() : ca_("api-ca") {
    TestHttpsServer::Options options;
    options.identity = ca_.IssueServer({"localhost"}, {"127.0.0.1"});
    server_ = std::make_unique<TestHttpsServer>(
        options, [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    policy_.max_attempts = 4;
    policy_.initial_backoff = std::chrono::milliseconds(250);
    policy_.max_backoff = std::chrono::milliseconds(4000);
    policy_.max_total = std::chrono::seconds(60);
  }

  /// Answers every non-discovery request from now on.
  void Answer(Script script) {
    std::lock_guard<std::mutex> lock(mu_);
    script_ = std::move(script);
  }
  /// Answers requests in turn with `answers` (status, body); the last one repeats.
  void AnswerInTurn(std::vector<std::pair<int, std::string>> answers,
                    std::vector<std::string> retry_after = {}) {
    auto count = std::make_shared<std::atomic<size_t>>(0);
    Answer([answers, retry_after, count](const Seen&, const httplib::Request&,
                                         httplib::Response& res) {
      size_t i = std::min(count->fetch_add(1), answers.size() - 1);
      if (i < retry_after.size() && !retry_after[i].empty()) {
        res.set_header("Retry-After", retry_after[i]);
      }
      Reply(res, answers[i].first, answers[i].second);
    });
  }

  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

  HttpKubeClient& Client(std::shared_ptr<CredentialProvider> provider = nullptr) {
    RestConfig config;
    config.cluster_name = "test";
    config.server = server_->url();
    config.ca_pem = ca_.cert_pem();
    config.token = kToken;
    config.namespace_ = "ml";
    config.credentials = std::move(provider);
    KubeClientOptions options;
    options.retry = policy_;
    options.retry_clock = &clock_;
    auto client = HttpKubeClient::Create(config, options);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(client).value();
    return *client_;
  }

  static Object Parse(const std::string& yaml) { return testing::ParseOne(yaml); }
  static ObjectKey RankerKey() { return ObjectKey{{"apps", "v1", "Deployment"}, "ml", "ranker"}; }

  TestCa ca_;
  RetryPolicy policy_;
  FakeRetryClock clock_;
  std::unique_ptr<TestHttpsServer> server_;
  std::unique_ptr<HttpKubeClient> client_;  // after the server: destroyed first

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    if (req.path == "/api" || req.path == "/apis") {
      Reply(res, 200, req.path == "/api" ? kCoreDiscovery : kAppsDiscovery);
      return;
    }
    Seen s{req.method,
           req.path,
           req.get_header_value("Content-Type"),
           req.body,
           req.get_header_value("Authorization"),
           {}};
    for (const auto& [name, value] : req.params) s.params[name] = value;
    Script script;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(s);
      script = script_;
    }
    if (script) {
      script(s, req, res);
    } else {
      Reply(res, 404, StatusBody(404, "NotFound", "not found"));
    }
  }

  std::mutex mu_;
  Script script_;
  std::vector<Seen> seen_;
};

// ---- Request shapes. ----

TEST_F(KubeClientTest, GetReadsTheObjectWithTheToken) {
  AnswerInTurn({{200, kDeployment}});
  auto object = Client().Get(RankerKey());
  ASSERT_TRUE(object.ok()) << object.status().ToString();
  EXPECT_EQ(object->name(), "ranker");
  ASSERT_EQ(seen().size(), 1u);
  EXPECT_EQ(seen()[0].method, "GET");
  EXPECT_EQ(seen()[0].path, "/apis/apps/v1/namespaces/ml/deployments/ranker");
  EXPECT_EQ(seen()[0].authorization, std::string("Bearer ") + kToken);
}

TEST_F(KubeClientTest, StatusReadUsesTheSubresource) {
  AnswerInTurn({{200, kDeployment}});
  ObjectKey key = RankerKey();
  key.namespace_.clear();  // the context's namespace, "ml"
  ASSERT_TRUE(Client().GetStatus(key).ok());
  EXPECT_EQ(seen()[0].path, "/apis/apps/v1/namespaces/ml/deployments/ranker/status");
}

TEST_F(KubeClientTest, ClusterScopedObjectsHaveNoNamespaceInTheirPath) {
  AnswerInTurn({{200, R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ml"}})"}});
  ASSERT_TRUE(Client().Get(ObjectKey{{"", "v1", "Namespace"}, "ignored", "ml"}).ok());
  EXPECT_EQ(seen()[0].path, "/api/v1/namespaces/ml");
}

TEST_F(KubeClientTest, ServerSideApplyRequestShape) {
  Answer([](const Seen& s, const httplib::Request&, httplib::Response& res) {
    Reply(res, 200, s.body);
  });
  Object desired = Parse(R"(
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ranker
  managedFields: [{manager: kubectl}]
spec: {replicas: 3}
)");
  auto applied = Client().Apply(desired, ApplyOptions());
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  ASSERT_EQ(seen().size(), 1u);
  const Seen s = seen().at(0);
  EXPECT_EQ(s.method, "PATCH");
  EXPECT_EQ(s.path, "/apis/apps/v1/namespaces/ml/deployments/ranker");
  EXPECT_EQ(s.content_type, "application/apply-patch+yaml");
  EXPECT_EQ(s.Param("fieldManager"), "mlgitops");
  EXPECT_EQ(s.Param("force"), "true");
  EXPECT_EQ(s.Param("dryRun"), "");
  auto body = ParseJsonObject(s.body, "body");
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(Find(body->json(), "metadata.managedFields"), nullptr);
  EXPECT_EQ(body->namespace_(), "ml");
  EXPECT_EQ(GetInt(body->json(), "spec.replicas"), 3);
  EXPECT_EQ(applied->namespace_(), "ml");
}

TEST_F(KubeClientTest, ApplyOptionsChangeTheQuery) {
  Answer([](const Seen& s, const httplib::Request&, httplib::Response& res) {
    Reply(res, 200, s.body);
  });
  ApplyOptions options;
  options.field_manager = "ci-bot";
  options.force = false;
  options.dry_run = true;
  ASSERT_TRUE(Client()
                  .Apply(Parse("{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}"), options)
                  .ok());
  EXPECT_EQ(seen()[0].path, "/api/v1/namespaces/ml/configmaps/c");
  EXPECT_EQ(seen()[0].Param("fieldManager"), "ci-bot");
  EXPECT_EQ(seen()[0].params.count("force"), 0u);
  EXPECT_EQ(seen()[0].Param("dryRun"), "All");
}

TEST_F(KubeClientTest, ApplyNeedsAName) {
  auto applied = Client().Apply(
      Parse("{apiVersion: v1, kind: ConfigMap, metadata: {generateName: c-}}"), ApplyOptions());
  EXPECT_EQ(applied.status().code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(seen().empty());
}

TEST_F(KubeClientTest, PatchContentTypesAndDryRun) {
  Answer([](const Seen&, const httplib::Request&, httplib::Response& res) {
    Reply(res, 200, kDeployment);
  });
  HttpKubeClient& client = Client();
  WriteOptions dry;
  dry.dry_run = true;
  ASSERT_TRUE(client.Patch(RankerKey(), PatchType::kMerge, R"({"spec":{"replicas":4}})", dry).ok());
  ASSERT_TRUE(client.Patch(RankerKey(), PatchType::kStrategicMerge, "{}", WriteOptions()).ok());
  ASSERT_TRUE(client.Patch(RankerKey(), PatchType::kJson, "[]", WriteOptions()).ok());
  std::vector<Seen> s = seen();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].content_type, "application/merge-patch+json");
  EXPECT_EQ(s[0].Param("dryRun"), "All");
  EXPECT_EQ(s[0].body, R"({"spec":{"replicas":4}})");
  EXPECT_EQ(s[1].content_type, "application/strategic-merge-patch+json");
  EXPECT_EQ(s[1].Param("dryRun"), "");
  EXPECT_EQ(s[2].content_type, "application/json-patch+json");
}

TEST_F(KubeClientTest, CreatePostsToTheCollection) {
  Answer([](const Seen& s, const httplib::Request&, httplib::Response& res) {
    Reply(res, 201, s.body);
  });
  WriteOptions dry;
  dry.dry_run = true;
  auto created = Client().Create(
      Parse("{apiVersion: v1, kind: ConfigMap, metadata: {generateName: job-}}"), dry);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(seen()[0].method, "POST");
  EXPECT_EQ(seen()[0].path, "/api/v1/namespaces/ml/configmaps");
  EXPECT_EQ(seen()[0].Param("dryRun"), "All");
}

TEST_F(KubeClientTest, DeleteSendsPropagationAndPreconditions) {
  AnswerInTurn({{200, StatusBody(200, "", "")}});
  DeleteOptions options;
  options.propagation = Propagation::kForeground;
  options.precondition_uid = "u-1";
  options.dry_run = true;
  ASSERT_TRUE(Client().Delete(RankerKey(), options).ok());
  const Seen s = seen().at(0);
  EXPECT_EQ(s.method, "DELETE");
  EXPECT_EQ(s.Param("dryRun"), "All");
  auto body = ParseJsonObject(s.body, "body");
  ASSERT_TRUE(body.ok()) << s.body;
  EXPECT_EQ(body->kind(), "DeleteOptions");
  EXPECT_EQ(GetString(body->json(), "propagationPolicy"), "Foreground");
  EXPECT_EQ(GetString(body->json(), "preconditions.uid"), "u-1");
}

TEST_F(KubeClientTest, DeletedObjectIsNotFound) {
  AnswerInTurn({{404, StatusBody(404, "NotFound", "deployments.apps \"ranker\" not found")}});
  Status status = Client().Delete(RankerKey(), DeleteOptions());
  EXPECT_EQ(status.code(), Status::Code::kNotFound);
}

TEST_F(KubeClientTest, ListSendsSelectorsAndFillsKinds) {
  AnswerInTurn({{200, R"({"kind":"ConfigMapList","apiVersion":"v1",
    "metadata":{"resourceVersion":"55"},"items":[{"metadata":{"name":"a","namespace":"x"}}]})"}});
  ListOptions options;
  options.label_selector = "app in (ranker,scorer),tier!=cache";
  options.field_selector = "metadata.name=a";
  auto list = Client().List({"", "v1", "ConfigMap"}, "", options);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(seen()[0].path, "/api/v1/configmaps") << "all namespaces";
  EXPECT_EQ(seen()[0].Param("labelSelector"), "app in (ranker,scorer),tier!=cache");
  EXPECT_EQ(seen()[0].Param("fieldSelector"), "metadata.name=a");
  EXPECT_EQ(list->resource_version, "55");
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0].api_version(), "v1");
  EXPECT_EQ(list->items[0].kind(), "ConfigMap");
}

std::string ConfigMapPage(std::vector<std::string> names, const std::string& next) {
  std::string items;
  for (const std::string& name : names) {
    if (!items.empty()) items += ",";
    items += R"({"metadata":{"name":")" + name + R"(","namespace":"ml"}})";
  }
  return R"({"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"100",)"
         R"("continue":")" +
         next + R"("},"items":[)" + items + "]}";
}

TEST_F(KubeClientTest, ListAllFollowsContinueTokens) {
  Answer([](const Seen& s, const httplib::Request&, httplib::Response& res) {
    std::string token = s.Param("continue");
    if (token.empty()) Reply(res, 200, ConfigMapPage({"c1", "c2"}, "t1"));
    if (token == "t1") Reply(res, 200, ConfigMapPage({"c3", "c4"}, "t2"));
    if (token == "t2") Reply(res, 200, ConfigMapPage({"c5"}, ""));
  });
  ListOptions options;
  options.limit = 2;
  auto all = ListAll(Client(), {"", "v1", "ConfigMap"}, "ml", options);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->items.size(), 5u);
  EXPECT_EQ(all->items[4].name(), "c5");
  EXPECT_EQ(all->resource_version, "100");
  std::vector<Seen> s = seen();
  ASSERT_EQ(s.size(), 3u);
  for (const Seen& page : s) EXPECT_EQ(page.Param("limit"), "2");
  EXPECT_EQ(s[1].Param("continue"), "t1");
  EXPECT_EQ(s[2].Param("continue"), "t2");
}

TEST_F(KubeClientTest, ListAllStartsOverWhenATokenExpires) {
  auto expired_once = std::make_shared<std::atomic<bool>>(false);
  Answer([expired_once](const Seen& s, const httplib::Request&, httplib::Response& res) {
    std::string token = s.Param("continue");
    if (token == "t1" && !expired_once->exchange(true)) {
      Reply(res, 410, StatusBody(410, "Expired", "The provided continue parameter is too old"));
    } else if (token.empty()) {
      Reply(res, 200, ConfigMapPage({"c1"}, "t1"));
    } else {
      Reply(res, 200, ConfigMapPage({"c2"}, ""));
    }
  });
  auto all = ListAll(Client(), {"", "v1", "ConfigMap"}, "ml", ListOptions());
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->items.size(), 2u) << "no duplicates from the abandoned pass";
  EXPECT_EQ(seen().size(), 4u);
}

// ---- Errors: one message per status code. ----

struct ErrorCase {
  const char* name;
  const char* op;  // get, apply, create
  int code;
  std::string body;
  Status::Code expected_code;
  std::vector<std::string> expected_text;
};

class KubeClientErrorTest : public KubeClientTest,
                            public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(KubeClientErrorTest, MessageNamesTheObjectAndSaysWhatToDo) {
  const ErrorCase& c = GetParam();
  AnswerInTurn({{c.code, c.body}});
  policy_.max_attempts = 2;
  HttpKubeClient& client = Client();
  Object deployment = Parse("{apiVersion: apps/v1, kind: Deployment, metadata: {name: ranker}}");
  Status status;
  if (std::string(c.op) == "apply") {
    status = client.Apply(deployment, ApplyOptions()).status();
  } else if (std::string(c.op) == "create") {
    status = client.Create(deployment, WriteOptions()).status();
  } else {
    status = client.Get(RankerKey()).status();
  }
  EXPECT_EQ(status.code(), c.expected_code) << status.ToString();
  EXPECT_EQ(status.message().rfind("apps/Deployment ml/ranker: ", 0), 0u) << status.message();
  for (const std::string& text : c.expected_text) {
    EXPECT_NE(status.message().find(text), std::string::npos)
        << "missing \"" << text << "\" in: " << status.message();
  }
}

INSTANTIATE_TEST_SUITE_P(
    StatusCodes, KubeClientErrorTest,
    ::testing::Values(
        ErrorCase{"NotFound",
                  "get",
                  404,
                  StatusBody(404, "NotFound", "deployments.apps \"ranker\" not found"),
                  Status::Code::kNotFound,
                  {"not found"}},
        ErrorCase{"ResourceNotServed",
                  "get",
                  404,
                  StatusBody(404, "NotFound", "the server could not find the requested resource"),
                  Status::Code::kNotFound,
                  {"does not serve deployments.apps v1", "CRD"}},
        ErrorCase{"Forbidden",
                  "apply",
                  403,
                  StatusBody(403, "Forbidden",
                             "deployments.apps \"ranker\" is forbidden: User \"dev\" cannot patch "
                             "resource \"deployments\" in API group \"apps\" in the namespace "
                             "\"ml\""),
                  Status::Code::kFailedPrecondition,
                  {"forbidden: User \"dev\" cannot patch", "check RBAC",
                   "\"patch\" on deployments.apps in namespace \"ml\""}},
        ErrorCase{"ApplyConflict",
                  "apply",
                  409,
                  StatusBody(409, "Conflict",
                             "Apply failed with 1 conflict: conflict with \"helm\": .spec.replicas",
                             R"({"causes":[{"reason":"FieldManagerConflict",
                                 "message":"conflict with \"helm\" using apps/v1",
                                 "field":".spec.replicas"}]})"),
                  Status::Code::kFailedPrecondition,
                  {"conflict: fields are owned by another field manager: .spec.replicas",
                   "conflict with \"helm\"", "force"}},
        ErrorCase{"AlreadyExists",
                  "create",
                  409,
                  StatusBody(409, "AlreadyExists", "deployments.apps \"ranker\" already exists"),
                  Status::Code::kFailedPrecondition,
                  {"already exists", "apply it instead"}},
        ErrorCase{"Modified",
                  "get",
                  409,
                  StatusBody(409, "Conflict",
                             "Operation cannot be fulfilled on deployments.apps \"ranker\": the "
                             "object has been modified"),
                  Status::Code::kFailedPrecondition,
                  {"conflict", "read it again and retry"}},
        ErrorCase{"Gone",
                  "get",
                  410,
                  StatusBody(410, "Expired", "too old resource version: 5 (900)"),
                  Status::Code::kFailedPrecondition,
                  {"expired", "list again"}},
        ErrorCase{"Invalid",
                  "apply",
                  422,
                  StatusBody(422, "Invalid", "Deployment.apps \"ranker\" is invalid",
                             R"({"causes":[{"reason":"FieldValueInvalid",
                                 "message":"Invalid value: -1: must be greater than or equal to 0",
                                 "field":"spec.replicas"}]})"),
                  Status::Code::kInvalidArgument,
                  {"invalid: spec.replicas: Invalid value: -1", "fix the manifest"}},
        ErrorCase{"Unauthorized",
                  "get",
                  401,
                  StatusBody(401, "Unauthorized", "Unauthorized"),
                  Status::Code::kFailedPrecondition,
                  {"unauthorized", "log in again"}},
        ErrorCase{"TooManyRequests",
                  "get",
                  429,
                  StatusBody(429, "TooManyRequests", "too many requests"),
                  Status::Code::kLimitExceeded,
                  {"too many requests", "gave up after 2 attempts"}},
        ErrorCase{"ServerError",
                  "get",
                  500,
                  StatusBody(500, "InternalError", "etcdserver: request timed out"),
                  Status::Code::kIOError,
                  {"server error 500 InternalError: etcdserver", "gave up after 2 attempts"}},
        ErrorCase{"PlainTextBody",
                  "get",
                  502,
                  "upstream connect error",
                  Status::Code::kIOError,
                  {"server error 502: upstream connect error"}}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) { return info.param.name; });

TEST_F(KubeClientTest, ErrorPredicatesReadTheMapping) {
  AnswerInTurn({{409, StatusBody(409, "AlreadyExists", "exists")}});
  Status exists =
      Client()
          .Create(Parse("{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}"), WriteOptions())
          .status();
  EXPECT_TRUE(IsAlreadyExists(exists));
  EXPECT_TRUE(IsConflict(exists));
  EXPECT_FALSE(IsForbidden(exists));
  EXPECT_FALSE(IsExpired(exists));
}

TEST_F(KubeClientTest, UnknownKindIsNotFoundWithAHint) {
  auto got = Client().Get(ObjectKey{{"kubeflow.org", "v1", "PyTorchJob"}, "ml", "train"});
  EXPECT_EQ(got.status().code(), Status::Code::kNotFound);
  EXPECT_NE(got.status().message().find("kubeflow.org/PyTorchJob ml/train"), std::string::npos)
      << got.status().message();
  EXPECT_NE(got.status().message().find("CRD installed"), std::string::npos);
  EXPECT_TRUE(seen().empty()) << "nothing sent for a kind the server does not serve";
}

// ---- Retries. ----

TEST_F(KubeClientTest, TooManyRequestsWaitsForRetryAfter) {
  AnswerInTurn({{429, StatusBody(429, "TooManyRequests", "slow down")}, {200, kDeployment}}, {"3"});
  ASSERT_TRUE(Client().Get(RankerKey()).ok());
  EXPECT_EQ(seen().size(), 2u);
  EXPECT_EQ(clock_.sleeps(), std::vector<int64_t>{3000});
}

TEST_F(KubeClientTest, RetryAfterAlsoComesFromStatusDetails) {
  AnswerInTurn(
      {{429, StatusBody(429, "TooManyRequests", "slow down", R"({"retryAfterSeconds":2})")},
       {200, kDeployment}});
  ASSERT_TRUE(Client().Get(RankerKey()).ok());
  EXPECT_EQ(clock_.sleeps(), std::vector<int64_t>{2000});
}

TEST_F(KubeClientTest, ServerErrorsAreRetriedWithGrowingBackoff) {
  AnswerInTurn({{503, StatusBody(503, "ServiceUnavailable", "try later")},
                {503, StatusBody(503, "ServiceUnavailable", "try later")},
                {200, kDeployment}});
  ASSERT_TRUE(Client().Get(RankerKey()).ok());
  EXPECT_EQ(seen().size(), 3u);
  EXPECT_EQ(clock_.sleeps(), (std::vector<int64_t>{250, 500}));
}

TEST_F(KubeClientTest, RetriesStopAfterMaxAttempts) {
  AnswerInTurn({{503, StatusBody(503, "ServiceUnavailable", "down")}});
  Status status = Client().Get(RankerKey()).status();
  EXPECT_EQ(status.code(), Status::Code::kIOError);
  EXPECT_EQ(seen().size(), 4u);
  EXPECT_EQ(clock_.sleeps().size(), 3u);
  EXPECT_NE(status.message().find("gave up after 4 attempts"), std::string::npos)
      << status.message();
}

TEST_F(KubeClientTest, RetriesStopAtTheTimeBudget) {
  AnswerInTurn({{429, StatusBody(429, "TooManyRequests", "busy")}}, {"120"});
  Status status = Client().Get(RankerKey()).status();
  EXPECT_EQ(seen().size(), 1u);
  EXPECT_TRUE(clock_.sleeps().empty());
  EXPECT_NE(status.message().find("retry budget of 60.0s"), std::string::npos) << status.message();
}

TEST_F(KubeClientTest, CreateIsNotRepeatedAfterAServerError) {
  AnswerInTurn({{503, StatusBody(503, "ServiceUnavailable", "down")}, {201, "{}"}});
  Status status =
      Client()
          .Create(Parse("{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}"), WriteOptions())
          .status();
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(seen().size(), 1u);
  EXPECT_NE(status.message().find("may have taken effect"), std::string::npos) << status.message();
}

TEST_F(KubeClientTest, CreateIsRepeatedAfterTooManyRequests) {
  AnswerInTurn({{429, StatusBody(429, "TooManyRequests", "busy")},
                {201, R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}})"}},
               {"1"});
  auto created = Client().Create(Parse("{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}"),
                                 WriteOptions());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(seen().size(), 2u) << "429 means the server did nothing";
}

TEST_F(KubeClientTest, DroppedConnectionIsRetriedForReads) {
  auto dropped = std::make_shared<std::atomic<bool>>(false);
  Answer([dropped](const Seen&, const httplib::Request& req, httplib::Response& res) {
    if (!dropped->exchange(true)) {
      TestHttpsServer::DropConnection(req);
      return;
    }
    Reply(res, 200, kDeployment);
  });
  auto got = Client().Get(RankerKey());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(seen().size(), 2u);
}

TEST_F(KubeClientTest, DroppedConnectionIsNotRetriedForCreate) {
  Answer([](const Seen&, const httplib::Request& req, httplib::Response&) {
    TestHttpsServer::DropConnection(req);
  });
  Status status =
      Client()
          .Create(Parse("{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}"), WriteOptions())
          .status();
  EXPECT_EQ(status.code(), Status::Code::kIOError);
  EXPECT_EQ(seen().size(), 1u);
  EXPECT_NE(status.message().find("may have reached the server"), std::string::npos)
      << status.message();
}

TEST_F(KubeClientTest, GuardedDeleteIsRepeatedButAnUnguardedOneIsNot) {
  AnswerInTurn({{503, StatusBody(503, "ServiceUnavailable", "down")}, {200, "{}"}});
  DeleteOptions guarded;
  guarded.precondition_uid = "u-1";
  HttpKubeClient& client = Client();
  EXPECT_TRUE(client.Delete(RankerKey(), guarded).ok());
  EXPECT_EQ(seen().size(), 2u);
  Answer([](const Seen&, const httplib::Request& req, httplib::Response&) {
    TestHttpsServer::DropConnection(req);
  });
  EXPECT_FALSE(client.Delete(RankerKey(), DeleteOptions()).ok());
  EXPECT_EQ(seen().size(), 3u);
}

/// A credential plugin: "stale" until invalidated, then "fresh".
class RotatingProvider : public CredentialProvider {
 public:
  Result<Credentials> Get(int64_t) override {
    Credentials creds;
    creds.token = invalidations_ > 0 ? "fresh-token-123" : "stale-token-456";
    return creds;
  }
  void Invalidate() override { ++invalidations_; }
  int invalidations() const { return invalidations_; }

 private:
  std::atomic<int> invalidations_{0};
};

TEST_F(KubeClientTest, UnauthorizedRefreshesCredentialsAndRetriesOnce) {
  Answer([](const Seen& s, const httplib::Request&, httplib::Response& res) {
    if (s.authorization == "Bearer fresh-token-123") {
      Reply(res, 200, kDeployment);
    } else {
      Reply(res, 401, StatusBody(401, "Unauthorized", "Unauthorized"));
    }
  });
  auto provider = std::make_shared<RotatingProvider>();
  auto got = Client(provider).Get(RankerKey());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(provider->invalidations(), 1);
  EXPECT_EQ(seen().size(), 2u);
  EXPECT_TRUE(clock_.sleeps().empty()) << "no backoff for a refresh";
}

TEST_F(KubeClientTest, UnauthorizedTwiceIsReported) {
  AnswerInTurn({{401, StatusBody(401, "Unauthorized", "Unauthorized")}});
  auto provider = std::make_shared<RotatingProvider>();
  Status status = Client(provider).Get(RankerKey()).status();
  EXPECT_NE(status.message().find("unauthorized"), std::string::npos);
  EXPECT_EQ(provider->invalidations(), 1);
  EXPECT_EQ(seen().size(), 2u);
}

TEST_F(KubeClientTest, SecretsNeverAppearInErrors) {
  // A hostile or careless server echoes the credentials and the Secret's values.
  Answer([](const Seen& s, const httplib::Request&, httplib::Response& res) {
    Reply(res, 422,
          StatusBody(422, "Invalid",
                     "Secret \"db\" is invalid: header " + s.authorization + " body " + s.body,
                     R"({"causes":[{"field":"data.password","message":"Invalid value: )" +
                         std::string("\\\"s3cr3t-pa55\\\"") + R"("}]})"));
  });
  Object secret = Parse(R"(
apiVersion: v1
kind: Secret
metadata: {name: db}
data: {password: czNjcjN0LXBhNTU=}
stringData: {apiKey: key-0d9e8f7a6b}
)");
  Status status = Client().Apply(secret, ApplyOptions()).status();
  ASSERT_FALSE(status.ok());
  for (const char* secret_text : {kToken, "czNjcjN0LXBhNTU=", "s3cr3t-pa55", "key-0d9e8f7a6b"}) {
    EXPECT_EQ(status.message().find(secret_text), std::string::npos)
        << secret_text << " leaked: " << status.message();
  }
  EXPECT_NE(status.message().find("[redacted]"), std::string::npos);
}

// ---- Watch and WaitFor. ----

std::string Event(const std::string& type, const std::string& rv, int ready) {
  return R"({"type":")" + type + R"(","object":{"apiVersion":"apps/v1","kind":"Deployment",)" +
         R"("metadata":{"name":"ranker","namespace":"ml","resourceVersion":")" + rv +
         R"("},"status":{"readyReplicas":)" + std::to_string(ready) + "}}}\n";
}

void Stream(httplib::Response& res, std::vector<std::string> lines) {
  res.set_chunked_content_provider("application/json", [lines](size_t, httplib::DataSink& sink) {
    for (const std::string& line : lines) {
      sink.write(line.data(), line.size());
    }
    sink.done();
    return true;
  });
}

TEST_F(KubeClientTest, WatchStreamsEventsInOrder) {
  Answer([](const Seen&, const httplib::Request&, httplib::Response& res) {
    Stream(res, {Event("ADDED", "11", 0),
                 R"({"type":"BOOKMARK","object":{"kind":"Deployment","apiVersion":"apps/v1",)"
                 R"("metadata":{"resourceVersion":"12"}}})"
                 "\n",
                 Event("MODIFIED", "13", 1)});
  });
  std::vector<std::string> got;
  WatchOptions options;
  options.resource_version = "10";
  options.timeout = std::chrono::seconds(30);
  auto result =
      Client().Watch({"apps", "v1", "Deployment"}, "ml", options, [&](const WatchEvent& event) {
        got.push_back(std::to_string(static_cast<int>(event.type)) + ":" +
                      GetString(event.object.json(), "metadata.resourceVersion"));
        return true;
      });
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(got, (std::vector<std::string>{"0:11", "3:12", "1:13"}));
  EXPECT_EQ(result->end, WatchEnd::kTimedOut);
  EXPECT_EQ(result->resource_version, "13");
  const Seen s = seen().at(0);
  EXPECT_EQ(s.path, "/apis/apps/v1/namespaces/ml/deployments");
  EXPECT_EQ(s.Param("watch"), "1");
  EXPECT_EQ(s.Param("resourceVersion"), "10");
  EXPECT_EQ(s.Param("allowWatchBookmarks"), "true");
  EXPECT_EQ(s.Param("timeoutSeconds"), "30");
}

TEST_F(KubeClientTest, WatchReportsGoneAsExpired) {
  HttpKubeClient& client = Client();
  AnswerInTurn({{410, StatusBody(410, "Expired", "too old resource version")}});
  auto refused = client.Watch({"apps", "v1", "Deployment"}, "ml", WatchOptions(),
                              [](const WatchEvent&) { return true; });
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_EQ(refused->end, WatchEnd::kExpired);

  Answer([](const Seen&, const httplib::Request&, httplib::Response& res) {
    Stream(res, {R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}})"
                 "\n"});
  });
  auto in_stream = client.Watch({"apps", "v1", "Deployment"}, "ml", WatchOptions(),
                                [](const WatchEvent&) { return true; });
  ASSERT_TRUE(in_stream.ok());
  EXPECT_EQ(in_stream->end, WatchEnd::kExpired);
}

TEST_F(KubeClientTest, WaitForWatchesFromTheListedVersion) {
  Answer([](const Seen& s, const httplib::Request&, httplib::Response& res) {
    if (s.Param("watch").empty()) {
      Reply(res, 200,
            R"({"kind":"DeploymentList","metadata":{"resourceVersion":"20"},"items":[)"
            R"({"metadata":{"name":"ranker","namespace":"ml"},"status":{"readyReplicas":0}}]})");
    } else {
      Stream(res, {Event("MODIFIED", "21", 0), Event("MODIFIED", "22", 1)});
    }
  });
  auto outcome = WaitFor(Client(), RankerKey(), [](const Object* d) {
    return d && GetInt(d->json(), "status.readyReplicas").value_or(0) >= 1;
  });
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->satisfied);
  ASSERT_TRUE(outcome->object.has_value());
  EXPECT_EQ(GetString(outcome->object->json(), "metadata.resourceVersion"), "22");
  std::vector<Seen> s = seen();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].Param("fieldSelector"), "metadata.name=ranker");
  EXPECT_EQ(s[1].Param("resourceVersion"), "20");
}

TEST_F(KubeClientTest, WaitForRelistsAfterGone) {
  auto lists = std::make_shared<std::atomic<int>>(0);
  Answer([lists](const Seen& s, const httplib::Request&, httplib::Response& res) {
    if (!s.Param("watch").empty()) {
      Reply(res, 410, StatusBody(410, "Expired", "too old"));
      return;
    }
    int ready = lists->fetch_add(1) == 0 ? 0 : 1;
    Reply(res, 200,
          R"({"metadata":{"resourceVersion":"5"},"items":[{"metadata":{"name":"ranker"},)"
          R"("status":{"readyReplicas":)" +
              std::to_string(ready) + "}}]}");
  });
  auto outcome = WaitFor(Client(), RankerKey(), [](const Object* d) {
    return d && GetInt(d->json(), "status.readyReplicas").value_or(0) >= 1;
  });
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->satisfied);
  EXPECT_EQ(lists->load(), 2);
}

TEST_F(KubeClientTest, WaitForPollsWhenWatchingIsForbidden) {
  auto lists = std::make_shared<std::atomic<int>>(0);
  Answer([lists](const Seen& s, const httplib::Request&, httplib::Response& res) {
    if (!s.Param("watch").empty()) {
      Reply(res, 403, StatusBody(403, "Forbidden", "cannot watch"));
      return;
    }
    bool present = lists->fetch_add(1) < 2;  // deleted by the third look
    Reply(res, 200, present ? R"({"items":[{"metadata":{"name":"ranker"}}]})" : R"({"items":[]})");
  });
  WaitOptions options;
  options.poll_interval = std::chrono::milliseconds(10);
  auto outcome = WaitFor(
      Client(), RankerKey(), [](const Object* d) { return d == nullptr; }, options);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->satisfied);
  EXPECT_FALSE(outcome->object.has_value());
  EXPECT_EQ(lists->load(), 3);
}

TEST_F(KubeClientTest, WaitForTimesOutWithTheLastStateSeen) {
  Answer([](const Seen& s, const httplib::Request&, httplib::Response& res) {
    if (s.Param("watch").empty()) {
      Reply(res, 200,
            R"({"metadata":{"resourceVersion":"5"},"items":[{"metadata":{"name":"ranker"},)"
            R"("status":{"readyReplicas":0}}]})");
    } else {
      Stream(res, {});  // a stream that ends with nothing new
    }
  });
  WaitOptions options;
  options.timeout = std::chrono::milliseconds(300);
  auto outcome = WaitFor(
      Client(), RankerKey(), [](const Object* d) { return false; }, options);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_FALSE(outcome->satisfied);
  ASSERT_TRUE(outcome->object.has_value());
  EXPECT_EQ(outcome->object->name(), "ranker");
}

}  // namespace
}  // namespace mlgitops
