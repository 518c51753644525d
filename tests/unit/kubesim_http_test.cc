// kubesim over HTTPS, below kubectl: authentication, optimistic concurrency, paging, dry run,
// finalizers, status subresource, watch, error bodies, aggregated discovery, server-side apply
// and the audit log. One kubesim process serves the suite; each test uses its own namespace.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "kubesim/json_util.h"
#include "kubesim/launcher.h"
#include "kubesim_test_util.h"
#include "test_util.h"

namespace mlgitops::kubesim {
namespace {

using mlgitops::testing::TempDir;
using testing::JsonLines;

Object Json(const HttpResult& r) { return testing::ParseOrFail(r.body); }

class KubesimHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    LaunchOptions options;
    options.binary = mlgitops::testing::BinDir() + "/kubesim";
    options.work_dir = dir_->path();
    options.audit_log = "audit.log";
    auto started = KubesimProcess::Start(options);
    if (started.ok()) process_ = started->release();
  }
  static void TearDownTestSuite() {
    if (process_) {
      EXPECT_EQ(process_->Stop(), 0);
    }
    delete process_;
    process_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(process_, nullptr) << "kubesim did not start"; }

  HttpResult Call(const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& type = "application/json",
                  const std::map<std::string, std::string>& headers = {}) {
    return process_->Request(method, path, body, type, headers);
  }

  void MakeNamespace(const std::string& name) {
    HttpResult r =
        Call("POST", "/api/v1/namespaces",
             R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" + name + R"("}})");
    ASSERT_EQ(r.status, 201) << r.body;
  }

  HttpResult CreateConfigMap(const std::string& ns, const std::string& name,
                             const std::string& extra_metadata = "") {
    std::string meta = "\"name\":\"" + name + "\"" + extra_metadata;
    return Call(
        "POST", "/api/v1/namespaces/" + ns + "/configmaps",
        R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{)" + meta + R"(},"data":{"k":"v"}})");
  }

  static TempDir* dir_;
  static KubesimProcess* process_;
};

TempDir* KubesimHttpTest::dir_ = nullptr;
KubesimProcess* KubesimHttpTest::process_ = nullptr;

// kube-apiserver's --anonymous-auth defaults to true, with the anonymous authenticator after the
// others and FailOnError: no credential makes the request system:anonymous (then RBAC says 403,
// while system:public-info-viewer still lets it read /version); a wrong token is a 401.
TEST_F(KubesimHttpTest, NoCredentialIsSystemAnonymousAndAWrongTokenIsUnauthorized) {
  HttpResult anonymous = process_->Request("GET", "/api/v1/namespaces", "", "", {}, false);
  EXPECT_EQ(anonymous.status, 403);
  EXPECT_EQ(GetString(Json(anonymous).json(), "reason"), "Forbidden");
  EXPECT_EQ(GetString(Json(anonymous).json(), "message"),
            "namespaces is forbidden: User \"system:anonymous\" cannot list resource "
            "\"namespaces\" in API group \"\" at the cluster scope");
  EXPECT_EQ(process_->Request("GET", "/version", "", "", {}, false).status, 200);
  HttpResult wrong = process_->Request("GET", "/api/v1/namespaces", "", "",
                                       {{"Authorization", "Bearer not-the-token"}}, false);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(GetString(Json(wrong).json(), "reason"), "Unauthorized");
  HttpResult health = process_->Request("GET", "/readyz", "", "", {}, false);
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok");
}

// --anonymous-auth=false: the request without credentials is a 401 too.
TEST(KubesimAnonymousAuthTest, OffAnswersUnauthorized) {
  TempDir dir;
  LaunchOptions options;
  options.binary = mlgitops::testing::BinDir() + "/kubesim";
  options.work_dir = dir.path();
  options.extra_args = {"--anonymous-auth=false"};
  auto process = KubesimProcess::Start(options);
  ASSERT_TRUE(process.ok()) << process.status().message();
  HttpResult anonymous = (*process)->Request("GET", "/api/v1/namespaces", "", "", {}, false);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(GetString(Json(anonymous).json(), "reason"), "Unauthorized");
  EXPECT_EQ((*process)->Stop(), 0);
}

TEST_F(KubesimHttpTest, StaleResourceVersionIsAConflict) {
  MakeNamespace("http-conflict");
  HttpResult created = CreateConfigMap("http-conflict", "c");
  ASSERT_EQ(created.status, 201) << created.body;
  std::string rv = GetString(Json(created).json(), "metadata.resourceVersion");
  std::string body = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c",)"
                     R"("resourceVersion":")" +
                     rv + R"("},"data":{"k":"v2"}})";
  HttpResult first = Call("PUT", "/api/v1/namespaces/http-conflict/configmaps/c", body);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_NE(GetString(Json(first).json(), "metadata.resourceVersion"), rv);
  HttpResult second = Call("PUT", "/api/v1/namespaces/http-conflict/configmaps/c", body);
  EXPECT_EQ(second.status, 409);
  Object status = Json(second);
  EXPECT_EQ(GetString(status.json(), "kind"), "Status");
  EXPECT_EQ(GetString(status.json(), "reason"), "Conflict");
  EXPECT_EQ(GetString(status.json(), "message"),
            "Operation cannot be fulfilled on configmaps \"c\": the object has been modified; "
            "please apply your changes to the latest version and try again");
  EXPECT_EQ(GetString(status.json(), "details.kind"), "configmaps");
  EXPECT_EQ(GetInt(status.json(), "code").value_or(0), 409);
}

TEST_F(KubesimHttpTest, ErrorsAreStatusBodiesLikeTheRealServer) {
  HttpResult missing = Call("GET", "/apis/apps/v1/namespaces/default/deployments/nope");
  EXPECT_EQ(missing.status, 404);
  Object m = Json(missing);
  EXPECT_EQ(GetString(m.json(), "message"), "deployments.apps \"nope\" not found");
  EXPECT_EQ(GetString(m.json(), "details.group"), "apps");
  EXPECT_EQ(GetString(m.json(), "details.kind"), "deployments");
  EXPECT_EQ(GetString(m.json(), "status"), "Failure");

  HttpResult unknown = Call("GET", "/apis/example.com/v1/widgets");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(GetString(Json(unknown).json(), "message"),
            "the server could not find the requested resource");

  HttpResult invalid = CreateConfigMap("default", "Not_Valid");
  EXPECT_EQ(invalid.status, 422);
  Object i = Json(invalid);
  EXPECT_EQ(GetString(i.json(), "reason"), "Invalid");
  EXPECT_EQ(GetString(i.json(), "details.kind"), "ConfigMap");
  ASSERT_NE(Find(i.json(), "details.causes"), nullptr);
  EXPECT_EQ(GetString(i.json()["details"]["causes"][0], "field"), "metadata.name");
  EXPECT_EQ(GetString(i.json()["details"]["causes"][0], "reason"), "FieldValueInvalid");

  HttpResult selector = Call("GET", "/api/v1/configmaps?labelSelector=a%20in%20b");
  EXPECT_EQ(selector.status, 400);
  EXPECT_EQ(GetString(Json(selector).json(), "reason"), "BadRequest");
  HttpResult field = Call("GET", "/api/v1/configmaps?fieldSelector=spec.foo%3Dx");
  EXPECT_EQ(field.status, 400);
  EXPECT_EQ(GetString(Json(field).json(), "message"), "field label not supported: spec.foo");

  HttpResult wrong_kind = Call("POST", "/api/v1/namespaces/default/configmaps",
                               R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}})");
  EXPECT_EQ(wrong_kind.status, 400);
  HttpResult wrong_ns =
      Call("POST", "/api/v1/namespaces/default/configmaps",
           R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"other"}})");
  EXPECT_EQ(wrong_ns.status, 400);
  EXPECT_EQ(GetString(Json(wrong_ns).json(), "message"),
            "the namespace of the provided object does not match the namespace sent on the "
            "request");
  EXPECT_EQ(Call("DELETE", "/api/v1/namespaces").status, 405);
  HttpResult bad_json = Call("POST", "/api/v1/namespaces/default/configmaps", "{not json");
  EXPECT_EQ(bad_json.status, 400);
  std::string deep(5000, '[');
  EXPECT_EQ(Call("POST", "/api/v1/namespaces/default/configmaps", deep).status, 400);
}

TEST_F(KubesimHttpTest, CreateInAMissingNamespaceIsNotFound) {
  HttpResult r = CreateConfigMap("no-such-ns", "c");
  EXPECT_EQ(r.status, 404);
  Object s = Json(r);
  EXPECT_EQ(GetString(s.json(), "message"), "namespaces \"no-such-ns\" not found");
  EXPECT_EQ(GetString(s.json(), "details.kind"), "namespaces");
  EXPECT_EQ(GetString(s.json(), "details.name"), "no-such-ns");
}

TEST_F(KubesimHttpTest, GenerateNameAppendsARandomSuffix) {
  MakeNamespace("http-generate");
  HttpResult r =
      Call("POST", "/api/v1/namespaces/http-generate/configmaps",
           R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"run-"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  std::string name = GetString(Json(r).json(), "metadata.name");
  ASSERT_EQ(name.size(), 9u) << name;
  EXPECT_EQ(name.substr(0, 4), "run-");
  EXPECT_EQ(name.find_first_not_of("bcdfghjklmnpqrstvwxz2456789", 4), std::string::npos) << name;
}

TEST_F(KubesimHttpTest, ListPagesWithLimitAndContinue) {
  MakeNamespace("http-paging");
  std::vector<std::string> names = {"a", "b", "c", "d", "e", "f", "g"};
  for (const std::string& n : names) ASSERT_EQ(CreateConfigMap("http-paging", n).status, 201);
  std::vector<std::string> seen;
  std::string token;
  std::set<std::string> versions;
  int pages = 0;
  do {
    std::string path = "/api/v1/namespaces/http-paging/configmaps?limit=3";
    if (!token.empty()) path += "&continue=" + token;
    HttpResult r = Call("GET", path);
    ASSERT_EQ(r.status, 200) << r.body;
    Object list = Json(r);
    EXPECT_EQ(GetString(list.json(), "kind"), "ConfigMapList");
    for (const auto& item : list.json()["items"].GetArray()) {
      seen.push_back(GetString(item, "metadata.name"));
    }
    versions.insert(GetString(list.json(), "metadata.resourceVersion"));
    token = GetString(list.json(), "metadata.continue");
    if (pages == 0) {
      EXPECT_EQ(GetInt(list.json(), "metadata.remainingItemCount").value_or(0), 4);
    }
    // Tokens are opaque but must survive a query string: escape what base64 may contain.
    std::string escaped;
    for (char c : token) {
      if (c == '+')
        escaped += "%2B";
      else if (c == '/')
        escaped += "%2F";
      else if (c == '=')
        escaped += "%3D";
      else
        escaped += c;
    }
    token = escaped;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, names);
  EXPECT_EQ(versions.size(), 1u) << "every page reports the first page's resourceVersion";
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/http-paging/configmaps?limit=3&continue=%25%25").status,
            400);
}

TEST_F(KubesimHttpTest, DryRunValidatesButNeverStores) {
  MakeNamespace("http-dry");
  HttpResult created = Call("POST", "/api/v1/namespaces/http-dry/configmaps?dryRun=All",
                            R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"}})");
  EXPECT_EQ(created.status, 201);
  EXPECT_FALSE(GetString(Json(created).json(), "metadata.uid").empty());
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/http-dry/configmaps/d").status, 404);
  EXPECT_EQ(Call("POST", "/api/v1/namespaces/http-dry/configmaps?dryRun=All",
                 R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"BAD"}})")
                .status,
            422);

  ASSERT_EQ(CreateConfigMap("http-dry", "real").status, 201);
  HttpResult patched = Call("PATCH", "/api/v1/namespaces/http-dry/configmaps/real?dryRun=All",
                            R"({"data":{"k":"changed"}})", "application/merge-patch+json");
  EXPECT_EQ(GetString(Json(patched).json(), "data.k"), "changed");
  EXPECT_EQ(
      GetString(Json(Call("GET", "/api/v1/namespaces/http-dry/configmaps/real")).json(), "data.k"),
      "v");
  EXPECT_EQ(Call("DELETE", "/api/v1/namespaces/http-dry/configmaps/real?dryRun=All").status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/http-dry/configmaps/real").status, 200);
}

TEST_F(KubesimHttpTest, FinalizersMakeDeletionTwoPhase) {
  MakeNamespace("http-final");
  ASSERT_EQ(CreateConfigMap("http-final", "f", R"(,"finalizers":["example.com/a"])").status, 201);
  HttpResult deleted = Call("DELETE", "/api/v1/namespaces/http-final/configmaps/f");
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_FALSE(GetString(Json(deleted).json(), "metadata.deletionTimestamp").empty());
  HttpResult still = Call("GET", "/api/v1/namespaces/http-final/configmaps/f");
  ASSERT_EQ(still.status, 200);
  HttpResult add = Call("PATCH", "/api/v1/namespaces/http-final/configmaps/f",
                        R"({"metadata":{"finalizers":["example.com/a","example.com/b"]}})",
                        "application/merge-patch+json");
  EXPECT_EQ(add.status, 422);
  EXPECT_NE(GetString(Json(add).json(), "message").find("no new finalizers can be added"),
            std::string::npos);
  HttpResult release = Call("PATCH", "/api/v1/namespaces/http-final/configmaps/f",
                            R"({"metadata":{"finalizers":null}})", "application/merge-patch+json");
  EXPECT_EQ(release.status, 200) << release.body;
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/http-final/configmaps/f").status, 404);
}

TEST_F(KubesimHttpTest, DeletePreconditionsAndPropagation) {
  MakeNamespace("http-gc");
  HttpResult owner = CreateConfigMap("http-gc", "owner");
  std::string uid = GetString(Json(owner).json(), "metadata.uid");
  std::string ref = R"(,"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"owner",)"
                    R"("uid":")" +
                    uid + R"("}])";
  ASSERT_EQ(CreateConfigMap("http-gc", "child", ref).status, 201);
  HttpResult wrong = Call("DELETE", "/api/v1/namespaces/http-gc/configmaps/owner",
                          R"({"preconditions":{"uid":"not-it"}})");
  EXPECT_EQ(wrong.status, 409);
  // rest.BeforeDelete checks the preconditions first, naming the Kind.
  EXPECT_EQ(GetString(Json(wrong).json(), "message"),
            "Operation cannot be fulfilled on ConfigMap \"owner\": the UID in the precondition "
            "(not-it) does not match the UID in record (" +
                uid + "). The object might have been deleted and then recreated");
  HttpResult gone = Call("DELETE", "/api/v1/namespaces/http-gc/configmaps/owner",
                         R"({"propagationPolicy":"Background"})");
  ASSERT_EQ(gone.status, 200);
  EXPECT_EQ(GetString(Json(gone).json(), "status"), "Success");
  // Background: the garbage collector removes the dependent afterwards.
  auto eventually = [&](const std::function<bool()>& done) {
    for (int i = 0; i < 100 && !done(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return done();
  };
  EXPECT_TRUE(eventually(
      [&] { return Call("GET", "/api/v1/namespaces/http-gc/configmaps/child").status == 404; }));

  HttpResult owner2 = CreateConfigMap("http-gc", "owner2");
  std::string uid2 = GetString(Json(owner2).json(), "metadata.uid");
  std::string ref2 = R"(,"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap",)"
                     R"("name":"owner2","uid":")" +
                     uid2 + R"("}])";
  ASSERT_EQ(CreateConfigMap("http-gc", "kept", ref2).status, 201);
  ASSERT_EQ(Call("DELETE", "/api/v1/namespaces/http-gc/configmaps/owner2?propagationPolicy=Orphan")
                .status,
            200);
  // Orphan: the owner waits with the orphan finalizer until the references are stripped.
  EXPECT_TRUE(eventually(
      [&] { return Call("GET", "/api/v1/namespaces/http-gc/configmaps/owner2").status == 404; }));
  HttpResult kept = Call("GET", "/api/v1/namespaces/http-gc/configmaps/kept");
  ASSERT_EQ(kept.status, 200);
  EXPECT_EQ(Find(Json(kept).json(), "metadata.ownerReferences"), nullptr);
}

TEST_F(KubesimHttpTest, StatusSubresourceAndGeneration) {
  MakeNamespace("http-status");
  std::string deployment = R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"d"},"spec":{"replicas":1,"selector":{"matchLabels":{"a":"b"}},
    "template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}},
    "status":{"readyReplicas":9}})";
  HttpResult created = Call("POST", "/apis/apps/v1/namespaces/http-status/deployments", deployment);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Find(Json(created).json(), "status.readyReplicas"), nullptr)
      << "status is not settable through the main resource";
  EXPECT_EQ(GetInt(Json(created).json(), "metadata.generation").value_or(0), 1);

  HttpResult status = Call("PATCH", "/apis/apps/v1/namespaces/http-status/deployments/d/status",
                           R"({"status":{"readyReplicas":1},"spec":{"replicas":5}})",
                           "application/merge-patch+json");
  ASSERT_EQ(status.status, 200) << status.body;
  Object s = Json(status);
  EXPECT_EQ(GetInt(s.json(), "status.readyReplicas").value_or(0), 1);
  EXPECT_EQ(GetInt(s.json(), "spec.replicas").value_or(0), 1) << "status writes ignore spec";
  EXPECT_EQ(GetInt(s.json(), "metadata.generation").value_or(0), 1);

  HttpResult labels = Call("PATCH", "/apis/apps/v1/namespaces/http-status/deployments/d",
                           R"({"metadata":{"labels":{"x":"y"}},"status":{"readyReplicas":0}})",
                           "application/merge-patch+json");
  ASSERT_EQ(labels.status, 200);
  EXPECT_EQ(GetInt(Json(labels).json(), "metadata.generation").value_or(0), 1);
  EXPECT_EQ(GetInt(Json(labels).json(), "status.readyReplicas").value_or(0), 1);
  HttpResult spec = Call("PATCH", "/apis/apps/v1/namespaces/http-status/deployments/d",
                         R"({"spec":{"replicas":3}})", "application/merge-patch+json");
  EXPECT_EQ(GetInt(Json(spec).json(), "metadata.generation").value_or(0), 2);
  HttpResult scale = Call("GET", "/apis/apps/v1/namespaces/http-status/deployments/d/scale");
  EXPECT_EQ(GetString(Json(scale).json(), "kind"), "Scale");
  EXPECT_EQ(GetInt(Json(scale).json(), "spec.replicas").value_or(0), 3);
  EXPECT_EQ(GetString(Json(scale).json(), "status.selector"), "a=b");
}

TEST_F(KubesimHttpTest, WatchReplaysFromAResourceVersionAndEndsAtItsTimeout) {
  MakeNamespace("http-watch");
  std::string rv = GetString(Json(Call("GET", "/api/v1/namespaces/http-watch/configmaps")).json(),
                             "metadata.resourceVersion");
  ASSERT_EQ(CreateConfigMap("http-watch", "w", R"(,"labels":{"team":"a"})").status, 201);
  ASSERT_EQ(Call("PATCH", "/api/v1/namespaces/http-watch/configmaps/w", R"({"data":{"k":"2"}})",
                 "application/merge-patch+json")
                .status,
            200);
  ASSERT_EQ(Call("PATCH", "/api/v1/namespaces/http-watch/configmaps/w",
                 R"({"metadata":{"labels":{"team":"b"}}})", "application/merge-patch+json")
                .status,
            200);
  ASSERT_EQ(Call("DELETE", "/api/v1/namespaces/http-watch/configmaps/w").status, 200);

  auto started = std::chrono::steady_clock::now();
  HttpResult all = Call("GET",
                        "/api/v1/namespaces/http-watch/configmaps?watch=1&timeoutSeconds=1"
                        "&resourceVersion=" +
                            rv);
  auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(all.status, 200);
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
  std::vector<std::string> types;
  for (const Object& e : JsonLines(all.body)) types.push_back(GetString(e.json(), "type"));
  EXPECT_EQ(types, (std::vector<std::string>{"ADDED", "MODIFIED", "MODIFIED", "DELETED"}));

  HttpResult selected = Call("GET",
                             "/api/v1/namespaces/http-watch/configmaps?watch=true"
                             "&timeoutSeconds=1&labelSelector=team%3Da&resourceVersion=" +
                                 rv);
  types.clear();
  for (const Object& e : JsonLines(selected.body)) types.push_back(GetString(e.json(), "type"));
  EXPECT_EQ(types, (std::vector<std::string>{"ADDED", "MODIFIED", "DELETED"}))
      << "an object leaving the selection is reported deleted";

  HttpResult expired = Call("GET", "/api/v1/configmaps?watch=1&resourceVersion=3");
  EXPECT_EQ(expired.status, 410);
  EXPECT_EQ(GetString(Json(expired).json(), "reason"), "Expired");
}

TEST_F(KubesimHttpTest, ObjectsCannotBeCreatedInATerminatingNamespace) {
  MakeNamespace("http-term");
  ASSERT_EQ(CreateConfigMap("http-term", "hold", R"(,"finalizers":["example.com/x"])").status, 201);
  HttpResult deleted = Call("DELETE", "/api/v1/namespaces/http-term");
  ASSERT_EQ(deleted.status, 200);
  EXPECT_EQ(GetString(Json(deleted).json(), "status.phase"), "Terminating");
  HttpResult refused = CreateConfigMap("http-term", "late");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(GetString(Json(refused).json(), "message"),
            "configmaps \"late\" is forbidden: unable to create new content in namespace "
            "http-term because it is being terminated");
  ASSERT_EQ(Call("PATCH", "/api/v1/namespaces/http-term/configmaps/hold",
                 R"({"metadata":{"finalizers":null}})", "application/merge-patch+json")
                .status,
            200);
  int status = 200;
  for (int i = 0; i < 50 && status == 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = Call("GET", "/api/v1/namespaces/http-term").status;
  }
  EXPECT_EQ(status, 404) << "the namespace goes once its last object has";
}

TEST_F(KubesimHttpTest, AggregatedDiscoveryIsServedWhenAskedFor) {
  std::map<std::string, std::string> accept = {
      {"Accept",
       "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
       "application/json"}};
  HttpResult r = Call("GET", "/apis", "", "application/json", accept);
  ASSERT_EQ(r.status, 200);
  auto type = r.headers.find("Content-Type");
  ASSERT_NE(type, r.headers.end());
  EXPECT_NE(type->second.find("as=APIGroupDiscoveryList"), std::string::npos);
  Object list = Json(r);
  EXPECT_EQ(GetString(list.json(), "kind"), "APIGroupDiscoveryList");
  bool found = false;
  for (const auto& group : list.json()["items"].GetArray()) {
    if (GetString(group, "metadata.name") != "apps") continue;
    for (const auto& res : group["versions"][0]["resources"].GetArray()) {
      if (GetString(res, "resource") != "deployments") continue;
      found = true;
      EXPECT_EQ(GetString(res, "scope"), "Namespaced");
      EXPECT_EQ(GetString(res, "responseKind.kind"), "Deployment");
      EXPECT_EQ(ToJson(res["shortNames"]), R"(["deploy"])");
    }
  }
  EXPECT_TRUE(found);
  HttpResult legacy = Call("GET", "/apis");
  EXPECT_EQ(GetString(Json(legacy).json(), "kind"), "APIGroupList");
}

TEST_F(KubesimHttpTest, CrdRegistersItsResourcesAndTheirObjects) {
  EXPECT_EQ(Call("GET", "/apis/ml.http.io/v1/namespaces/default/jobs2").status, 404);
  HttpResult crd = Call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", R"({
    "apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"jobs2.ml.http.io"},
    "spec":{"group":"ml.http.io","scope":"Cluster",
      "names":{"plural":"jobs2","kind":"Job2"},
      "versions":[{"name":"v1","served":true,"storage":true,
                   "schema":{"openAPIV3Schema":{"type":"object"}}}]}})");
  ASSERT_EQ(crd.status, 201) << crd.body;
  Object c = Json(crd);
  const JsonValue* established = FindCondition(c.json(), "Established");
  ASSERT_NE(established, nullptr);
  EXPECT_EQ(MemberString(*established, "status"), "True");
  EXPECT_EQ(GetString(c.json(), "status.acceptedNames.listKind"), "Job2List");
  HttpResult resources = Call("GET", "/apis/ml.http.io/v1");
  EXPECT_NE(resources.body.find("\"name\":\"jobs2\""), std::string::npos) << resources.body;
  HttpResult object =
      Call("POST", "/apis/ml.http.io/v1/jobs2",
           R"({"apiVersion":"ml.http.io/v1","kind":"Job2","metadata":{"name":"j"}})");
  EXPECT_EQ(object.status, 201) << object.body;
  EXPECT_EQ(Call("GET", "/apis/ml.http.io/v1/jobs2/j").status, 200);

  HttpResult bad = Call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", R"({
    "apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"wrong.name.io"},
    "spec":{"group":"ml.http.io","scope":"Namespaced","names":{"plural":"things","kind":"Thing"},
      "versions":[{"name":"v1","served":true,"storage":true}]}})");
  EXPECT_EQ(bad.status, 422);
  EXPECT_NE(
      GetString(Json(bad).json(), "message").find("must be spec.names.plural+\".\"+spec.group"),
      std::string::npos);

  ASSERT_EQ(
      Call("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/jobs2.ml.http.io")
          .status,
      200);
  // The customresourcecleanup finalizer deletes the instances, then the CRD goes.
  for (int i = 0; i < 100 && Call("GET", "/apis/ml.http.io/v1").status != 404; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(Call("GET", "/apis/ml.http.io/v1/jobs2/j").status, 404);
  EXPECT_EQ(Call("GET", "/apis/ml.http.io/v1").status, 404);
}

TEST_F(KubesimHttpTest, ServerSideApplyNeedsAFieldManagerAndReportsConflicts) {
  MakeNamespace("http-apply");
  std::string config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: one\n";
  std::string path = "/api/v1/namespaces/http-apply/configmaps/a";
  EXPECT_EQ(Call("PATCH", path, config, "application/apply-patch+yaml").status, 422);
  HttpResult created =
      Call("PATCH", path + "?fieldManager=first", config, "application/apply-patch+yaml");
  ASSERT_EQ(created.status, 201) << created.body;
  HttpResult same =
      Call("PATCH", path + "?fieldManager=first", config, "application/apply-patch+yaml");
  EXPECT_EQ(GetString(Json(same).json(), "metadata.resourceVersion"),
            GetString(Json(created).json(), "metadata.resourceVersion"));
  std::string other = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: two\n";
  HttpResult conflict =
      Call("PATCH", path + "?fieldManager=second", other, "application/apply-patch+yaml");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(GetString(Json(conflict).json(), "message"),
            "Apply failed with 1 conflict: conflict with \"first\": .data.k");
  HttpResult forced = Call("PATCH", path + "?fieldManager=second&force=true", other,
                           "application/apply-patch+yaml");
  EXPECT_EQ(forced.status, 200);
  EXPECT_EQ(GetString(Json(forced).json(), "data.k"), "two");
  Object forced_object = Json(forced);
  const JsonValue* managers = Find(forced_object.json(), "metadata.managedFields");
  ASSERT_NE(managers, nullptr);
  EXPECT_EQ(managers->Size(), 1u) << "the forced manager took the only field";
}

TEST_F(KubesimHttpTest, AuditLogHasOneLinePerRequestInOrder) {
  MakeNamespace("http-audit");
  ASSERT_EQ(CreateConfigMap("http-audit", "x").status, 201);
  ASSERT_EQ(Call("PUT", "/api/v1/namespaces/http-audit/configmaps/x",
                 R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}})")
                .status,
            200);
  ASSERT_EQ(Call("PATCH", "/api/v1/namespaces/http-audit/configmaps/x", R"({"data":{"a":"b"}})",
                 "application/merge-patch+json")
                .status,
            200);
  ASSERT_EQ(Call("GET", "/api/v1/namespaces/http-audit/configmaps/x").status, 200);
  ASSERT_EQ(Call("DELETE", "/api/v1/namespaces/http-audit/configmaps/x").status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/http-audit/configmaps/x").status, 404);
  std::vector<std::string> verbs;
  std::vector<int64_t> codes;
  for (const Object& line : JsonLines(mlgitops::testing::ReadFile(dir_->path() + "/audit.log"))) {
    if (GetString(line.json(), "namespace") != "http-audit" ||
        GetString(line.json(), "resource") != "configmaps") {
      continue;
    }
    EXPECT_FALSE(GetString(line.json(), "time").empty());
    EXPECT_EQ(GetString(line.json(), "name"), "x");
    EXPECT_EQ(GetString(line.json(), "user"), "kubesim-admin");
    verbs.push_back(GetString(line.json(), "verb"));
    codes.push_back(GetInt(line.json(), "code").value_or(0));
  }
  EXPECT_EQ(verbs, (std::vector<std::string>{"create", "update", "patch", "get", "delete", "get"}));
  EXPECT_EQ(codes, (std::vector<int64_t>{201, 200, 200, 200, 200, 404}));
}

// Audit events name the authenticated user and, under Impersonate-User, the user acted as.
TEST_F(KubesimHttpTest, AuditLogNamesTheUserAndTheImpersonatedUser) {
  MakeNamespace("http-audit-as");
  HttpResult as_alice = process_->Request("GET", "/api/v1/namespaces/http-audit-as/secrets", "", "",
                                          {{"Impersonate-User", "alice"}});
  EXPECT_EQ(as_alice.status, 403) << as_alice.body;
  int lines = 0;
  for (const Object& line : JsonLines(mlgitops::testing::ReadFile(dir_->path() + "/audit.log"))) {
    if (GetString(line.json(), "namespace") != "http-audit-as" ||
        GetString(line.json(), "resource") != "secrets") {
      continue;
    }
    ++lines;
    EXPECT_EQ(GetString(line.json(), "user"), "kubesim-admin");
    EXPECT_EQ(GetString(line.json(), "impersonatedUser"), "alice");
    EXPECT_EQ(GetInt(line.json(), "code").value_or(0), 403);
  }
  EXPECT_EQ(lines, 1);
}

TEST_F(KubesimHttpTest, OversizedBodiesAreRefused) {
  std::string big =
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"k":")" +
      std::string(4 << 20, 'x') + "\"}}";
  HttpResult r = Call("POST", "/api/v1/namespaces/default/configmaps", big);
  EXPECT_TRUE(r.status == 413 || r.status == 0) << r.status;
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/default/configmaps/big").status, 404);
}

}  // namespace
}  // namespace mlgitops::kubesim
