// kubesim's API logic in process (no sockets): selectors, tables, protobuf bodies, request
// routing, namespace finalization and watch streams, with a fixed clock.
#include <gtest/gtest.h>

#include <chrono>

#include "kubesim/api_server.h"
#include "kubesim/json_util.h"
#include "kubesim/protobuf.h"
#include "kubesim/request_info.h"
#include "kubesim/selectors.h"
#include "kubesim/table.h"
#include "kubesim_test_util.h"
#include "object/clock.h"

namespace mlgitops::kubesim {
namespace {

constexpr auto Parse = testing::ParseOrFail;

struct SelectorCase {
  const char* selector;
  bool matches;
};

class LabelSelectorTest : public ::testing::TestWithParam<SelectorCase> {};

TEST_P(LabelSelectorTest, MatchesLabelsOfAnObject) {
  Object o = Parse(R"({"metadata":{"labels":{"app":"web","tier":"front","env":"prod"}}})");
  auto selector = LabelSelector::Parse(GetParam().selector);
  ASSERT_TRUE(selector.ok()) << selector.status().message();
  EXPECT_EQ(selector->Matches(o.json()), GetParam().matches) << GetParam().selector;
}

INSTANTIATE_TEST_SUITE_P(EqualityAndSets, LabelSelectorTest,
                         ::testing::Values(SelectorCase{"", true}, SelectorCase{"app=web", true},
                                           SelectorCase{"app==web", true},
                                           SelectorCase{"app!=web", false},
                                           SelectorCase{"app=web,tier=back", false},
                                           SelectorCase{"tier in (front, back)", true},
                                           SelectorCase{"tier notin (front)", false},
                                           SelectorCase{"missing notin (x)", true},
                                           SelectorCase{"env", true}, SelectorCase{"!env", false},
                                           SelectorCase{"!missing,app in (web)", true},
                                           SelectorCase{"missing!=x", true}));

TEST(SelectorParseTest, RejectsMalformedSelectorsWithTheServersWording) {
  for (const char* bad : {"a in b", "a=b,,c", "bad key=1", "a=has space"}) {
    auto parsed = LabelSelector::Parse(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_NE(parsed.status().message().find("unable to parse requirement"), std::string::npos);
    }
  }
  auto field = FieldSelector::Parse("metadata.name=web,status.phase!=Running", "pods");
  ASSERT_TRUE(field.ok());
  EXPECT_EQ(field->PinnedName(), "web");
  EXPECT_TRUE(
      field->Matches(Parse(R"({"metadata":{"name":"web"},"status":{"phase":"Pending"}})").json()));
  EXPECT_FALSE(FieldSelector::Parse("status.phase=Running", "configmaps").ok());
}

TEST(HumanDurationTest, FollowsKubernetesShortDurations) {
  EXPECT_EQ(HumanDuration(5), "5s");
  EXPECT_EQ(HumanDuration(119), "119s");
  EXPECT_EQ(HumanDuration(125), "2m5s");
  EXPECT_EQ(HumanDuration(600), "10m");
  EXPECT_EQ(HumanDuration(3 * 3600 + 120), "3h2m");
  EXPECT_EQ(HumanDuration(20 * 3600), "20h");
  EXPECT_EQ(HumanDuration(3 * 86400 + 4 * 3600), "3d4h");
  EXPECT_EQ(HumanDuration(40 * 86400), "40d");
  EXPECT_EQ(HumanDuration(3 * 365 * 86400 + 20 * 86400), "3y20d");
  EXPECT_EQ(HumanDuration(-5), "<invalid>");
}

// Minimal protobuf writer for test inputs.
std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
  return out;
}
std::string Field(int number, const std::string& bytes) {
  return Varint(static_cast<uint64_t>(number) << 3 | 2) + Varint(bytes.size()) + bytes;
}
std::string IntField(int number, int64_t value) {
  return Varint(static_cast<uint64_t>(number) << 3) + Varint(static_cast<uint64_t>(value));
}

TEST(ProtobufTest, DecodesTheEnvelopeOfATypedClientsSecret) {
  std::string meta = Field(1, "creds") + Field(2, "") + IntField(7, 0) +
                     Field(11, Field(1, "team") + Field(2, "ml"));
  std::string secret = Field(1, meta) + Field(2, Field(1, "user") + Field(2, "v")) + Field(3, "");
  std::string body = std::string("k8s\0", 4) + Field(1, Field(1, "v1") + Field(2, "Secret")) +
                     Field(2, secret) + Field(3, "") + Field(4, "");
  auto decoded = DecodeKubernetesProtobuf(body);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(decoded->json(), Parse(R"({"apiVersion":"v1","kind":"Secret",
    "metadata":{"name":"creds","labels":{"team":"ml"}},"data":{"user":"dg=="}})")
                                 .json())
      << ToJson(decoded->json());
}

TEST(ProtobufTest, KeepsExplicitZeroesOfPointerFieldsAndNegativeNumbers) {
  std::string spec = IntField(1, 0) + IntField(5, -1);  // replicas: 0, minReadySeconds: -1
  std::string body = std::string("k8s\0", 4) +
                     Field(1, Field(1, "apps/v1") + Field(2, "Deployment")) +
                     Field(2, Field(1, Field(1, "d")) + Field(2, spec));
  auto decoded = DecodeKubernetesProtobuf(body);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(GetInt(decoded->json(), "spec.replicas").value_or(-9), 0);
  EXPECT_EQ(GetInt(decoded->json(), "spec.minReadySeconds").value_or(0), -1);
}

TEST(ProtobufTest, RefusesUnknownKindsAndGarbage) {
  std::string unknown =
      std::string("k8s\0", 4) + Field(1, Field(1, "v1") + Field(2, "Pod")) + Field(2, "");
  EXPECT_EQ(DecodeKubernetesProtobuf(unknown).status().code(), Status::Code::kUnsupported);
  EXPECT_FALSE(DecodeKubernetesProtobuf("not protobuf").ok());
  std::string truncated =
      std::string("k8s\0", 4) + Field(1, Field(1, "v1") + Field(2, "ConfigMap")) + "\x12\x7f\x0a";
  EXPECT_EQ(DecodeKubernetesProtobuf(truncated).status().code(), Status::Code::kInvalidArgument);
}

TEST(RequestInfoTest, SplitsPathsTheWayTheApiServerDoes) {
  RequestInfo pod = ParseRequestInfo("GET", "/api/v1/namespaces/ml/pods/web/status", false);
  EXPECT_EQ(pod.verb, "get");
  EXPECT_EQ(pod.namespace_, "ml");
  EXPECT_EQ(pod.resource, "pods");
  EXPECT_EQ(pod.name, "web");
  EXPECT_EQ(pod.subresource, "status");
  RequestInfo ns = ParseRequestInfo("PUT", "/api/v1/namespaces/ml/finalize", false);
  EXPECT_EQ(ns.resource, "namespaces");
  EXPECT_EQ(ns.name, "ml");
  EXPECT_EQ(ns.subresource, "finalize");
  RequestInfo watch = ParseRequestInfo("GET", "/apis/apps/v1/deployments", true);
  EXPECT_EQ(watch.verb, "watch");
  EXPECT_EQ(watch.group, "apps");
  EXPECT_EQ(ParseRequestInfo("DELETE", "/apis/apps/v1/namespaces/x/deployments", false).verb,
            "deletecollection");
  EXPECT_FALSE(ParseRequestInfo("GET", "/version", false).is_resource_request);
}

class ApiServerTest : public ::testing::Test {
 protected:
  HttpResponse Call(const std::string& method, const std::string& path,
                    const std::string& body = "", const std::string& accept = "",
                    const std::string& content_type = "application/json") {
    return testing::CallInProcess(server_, method, path, body, content_type, accept);
  }

  FixedClock clock_{1700000000};
  ApiServer server_{&clock_};
};

TEST_F(ApiServerTest, TablesUseKindSpecificColumnsAndTheClockForAges) {
  ASSERT_EQ(Call("POST", "/apis/apps/v1/namespaces/default/deployments",
                 R"({"metadata":{"name":"web"},"spec":{"replicas":3,
                     "selector":{"matchLabels":{"app":"web"}},
                     "template":{"metadata":{"labels":{"app":"web"}},
                                 "spec":{"containers":[{"name":"c","image":"nginx"}]}}}})")
                .status,
            201);
  clock_.Set(1700000000 + 3 * 3600 + 120);
  HttpResponse table = Call("GET", "/apis/apps/v1/namespaces/default/deployments", "",
                            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
  Object t = Parse(table.body);
  EXPECT_EQ(GetString(t.json(), "kind"), "Table");
  std::vector<std::string> columns;
  for (const auto& c : t.json()["columnDefinitions"].GetArray()) {
    if (GetInt(c, "priority").value_or(0) == 0) columns.push_back(GetString(c, "name"));
  }
  EXPECT_EQ(columns, (std::vector<std::string>{"Name", "Ready", "Up-to-date", "Available", "Age"}));
  EXPECT_EQ(ToJson(t.json()["rows"][0]["cells"]),
            R"(["web","0/3",0,0,"3h2m","c","nginx","app=web"])");
  EXPECT_EQ(GetString(t.json()["rows"][0]["object"], "kind"), "PartialObjectMetadata");
}

TEST_F(ApiServerTest, CrdPrinterColumnsAndListTypesComeFromItsSchema) {
  HttpResponse crd = Call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", R"({
    "metadata":{"name":"trainings.ml.io"},
    "spec":{"group":"ml.io","scope":"Namespaced","names":{"plural":"trainings","kind":"Training"},
      "versions":[
        {"name":"v1beta1","served":true,"storage":false,
         "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}},
        {"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
         "additionalPrinterColumns":[{"name":"State","type":"string","jsonPath":".status.state"},
                                     {"name":"Workers","type":"integer","jsonPath":".spec.workers"}],
         "schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object",
           "properties":{"workers":{"type":"integer"},"hosts":{"type":"array",
             "x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
             "items":{"type":"object","properties":{"name":{"type":"string"},
                                                    "ip":{"type":"string"}}}}}}}}}}]}})");
  ASSERT_EQ(crd.status, 201) << crd.body;
  auto type = server_.catalog().Find("ml.io", "v1", "trainings");
  ASSERT_TRUE(type.has_value());
  EXPECT_TRUE(type->has_status);
  EXPECT_EQ(type->list_map_keys.at("spec.hosts"), (std::vector<std::string>{"name"}));
  EXPECT_EQ(server_.catalog().Groups().back().versions, (std::vector<std::string>{"v1", "v1beta1"}))
      << "GA versions are preferred over betas";
  ASSERT_EQ(
      Call("POST", "/apis/ml.io/v1/namespaces/default/trainings",
           R"({"metadata":{"name":"t"},"spec":{"workers":4,"hosts":[{"name":"a","ip":"1"}]}})")
          .status,
      201);
  // Strategic merge is not offered for custom resources; merge patch is.
  EXPECT_EQ(Call("PATCH", "/apis/ml.io/v1/namespaces/default/trainings/t", R"({"spec":{}})", "",
                 "application/strategic-merge-patch+json")
                .status,
            415);
  HttpResponse table = Call("GET", "/apis/ml.io/v1/namespaces/default/trainings/t", "",
                            "application/json;as=Table;v=v1;g=meta.k8s.io");
  Object t = Parse(table.body);
  EXPECT_EQ(ToJson(t.json()["rows"][0]["cells"]), R"(["t","",4])");
}

TEST_F(ApiServerTest, NamespaceDeletionFinishesOnTheControllerTick) {
  ASSERT_EQ(Call("POST", "/api/v1/namespaces", R"({"metadata":{"name":"tmp"}})").status, 201);
  ASSERT_EQ(
      Call("POST", "/api/v1/namespaces/tmp/configmaps", R"({"metadata":{"name":"a"}})").status,
      201);
  HttpResponse deleted = Call("DELETE", "/api/v1/namespaces/tmp");
  EXPECT_EQ(GetString(Parse(deleted.body).json(), "status.phase"), "Terminating");
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/tmp").status, 200);
  server_.Tick();
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/tmp").status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/tmp/configmaps/a").status, 404);
}

TEST_F(ApiServerTest, HostileBodiesGetClientErrorsNotCrashes) {
  ASSERT_EQ(
      Call("POST", "/api/v1/namespaces/default/configmaps", R"({"metadata":{"name":"t"}})").status,
      201);
  std::string deep;
  for (int i = 0; i < 600; ++i) deep += R"({"a":)";
  deep += "1" + std::string(600, '}');
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    bomb += std::string(1, c) + ": &" + std::string(1, c) + " [*" + prev + ", *" + prev + ", *" +
            prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + "]\n";
  }
  struct Case {
    const char* method;
    const char* path;
    std::string body;
    const char* type;
  };
  const std::string cm = "/api/v1/namespaces/default/configmaps";
  std::vector<Case> cases = {
      {"POST", cm.c_str(), "", "application/json"},
      {"POST", cm.c_str(), "null", "application/json"},
      {"POST", cm.c_str(), "[1,2]", "application/json"},
      {"POST", cm.c_str(), deep, "application/json"},
      {"POST", cm.c_str(), R"({"metadata":[]})", "application/json"},
      {"POST", cm.c_str(), "\xff\xfe{", "application/json"},
      {"POST", cm.c_str(), "k8s", "application/vnd.kubernetes.protobuf"},
      {"POST", cm.c_str(), std::string("k8s\0\x0a\xff\xff\xff\xff\x0f", 10),
       "application/vnd.kubernetes.protobuf"},
      {"POST", cm.c_str(), "{}", "text/plain"},
      {"PUT", "/api/v1/namespaces/default/configmaps/t", R"({"metadata":{"name":"other"}})",
       "application/json"},
      {"PATCH", "/api/v1/namespaces/default/configmaps/t", "[1]", "application/merge-patch+json"},
      {"PATCH", "/api/v1/namespaces/default/configmaps/t",
       R"([{"op":"move","from":"/x","path":"/y"}])", "application/json-patch+json"},
      {"PATCH", "/api/v1/namespaces/default/configmaps/t", R"({"op":"add"})",
       "application/json-patch+json"},
      {"PATCH", "/api/v1/namespaces/default/configmaps/t", "[]",
       "application/strategic-merge-patch+json"},
      {"PATCH", "/api/v1/namespaces/default/configmaps/t?fieldManager=x", bomb,
       "application/apply-patch+yaml"},
      {"PATCH", "/api/v1/namespaces/default/configmaps/t?fieldManager=x", "kind: [",
       "application/apply-patch+yaml"},
      {"PATCH", "/api/v1/namespaces/default/configmaps/t?fieldManager=x",
       "apiVersion: v1\nkind: Secret\nmetadata: {name: t}\n", "application/apply-patch+yaml"},
      {"DELETE", "/api/v1/namespaces/default/configmaps/t", "{not json", "application/json"},
      {"DELETE", "/api/v1/namespaces/default/configmaps/t", R"({"propagationPolicy":"Sideways"})",
       "application/json"},
      {"GET", "/api/v1/configmaps?labelSelector=a%20in%20(b&limit=-1", "", ""},
      {"GET", "/api/v1/configmaps?watch=1&resourceVersion=abc", "", ""},
  };
  for (const Case& c : cases) {
    HttpResponse r = Call(c.method, c.path, c.body, "", c.type);
    EXPECT_GE(r.status, 400) << c.method << " " << c.path << " " << c.body.substr(0, 40);
    EXPECT_LT(r.status, 500) << c.method << " " << c.path << " " << r.body;
    if (r.status >= 400) {
      EXPECT_EQ(GetString(Parse(r.body).json(), "kind"), "Status") << r.body;
    }
  }
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/default/configmaps/t").status, 200)
      << "nothing above was half-applied";
}

TEST_F(ApiServerTest, NamesFollowTheRuleOfTheirKind) {
  EXPECT_EQ(Call("POST", "/api/v1/namespaces/default/configmaps", R"({"metadata":{"name":"a.b"}})")
                .status,
            201);
  HttpResponse ns = Call("POST", "/api/v1/namespaces", R"({"metadata":{"name":"a.b"}})");
  EXPECT_EQ(ns.status, 422);
  EXPECT_NE(ns.body.find("a lowercase RFC 1123 label must consist of"), std::string::npos);
  HttpResponse svc =
      Call("POST", "/api/v1/namespaces/default/services", R"({"metadata":{"name":"1abc"}})");
  EXPECT_EQ(svc.status, 422);
  EXPECT_EQ(GetString(Parse(svc.body).json(), "message").substr(0, 75),
            "Service \"1abc\" is invalid: metadata.name: Invalid value: \"1abc\": a DNS-1035");
  EXPECT_EQ(Call("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles",
                 R"({"metadata":{"name":"system:viewer"}})")
                .status,
            201);
}

TEST_F(ApiServerTest, MetadataOnlyClientsGetPartialObjectMetadata) {
  ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/configmaps",
                 R"({"metadata":{"name":"m","labels":{"a":"b"}},"data":{"secret":"x"}})")
                .status,
            201);
  const std::string accept =
      "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
  Object list = Parse(Call("GET", "/api/v1/namespaces/default/configmaps", "", accept).body);
  EXPECT_EQ(GetString(list.json(), "kind"), "PartialObjectMetadataList");
  ASSERT_EQ(list.json()["items"].Size(), 1u);
  EXPECT_EQ(GetString(list.json()["items"][0], "metadata.labels.a"), "b");
  EXPECT_FALSE(list.json()["items"][0].HasMember("data"));
  Object one = Parse(Call("GET", "/api/v1/namespaces/default/configmaps/m", "",
                          "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1")
                         .body);
  EXPECT_EQ(GetString(one.json(), "kind"), "PartialObjectMetadata");
  EXPECT_EQ(GetString(one.json(), "metadata.name"), "m");
}

TEST_F(ApiServerTest, DeleteCollectionHonoursSelectors) {
  for (const char* name : {"a", "b", "c"}) {
    std::string labels = std::string(name) == "c" ? "" : R"(,"labels":{"batch":"1"})";
    ASSERT_EQ(Call("POST", "/api/v1/namespaces/default/configmaps",
                   std::string(R"({"metadata":{"name":")") + name + "\"" + labels + "}}")
                  .status,
              201);
  }
  HttpResponse deleted =
      Call("DELETE", "/api/v1/namespaces/default/configmaps?labelSelector=batch=1");
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(Parse(deleted.body).json()["items"].Size(), 2u);
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/default/configmaps/a").status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/default/configmaps/c").status, 200);
}

TEST_F(ApiServerTest, WatchStreamsStartWithCurrentObjectsAndEndAtTheDeadline) {
  ASSERT_EQ(
      Call("POST", "/api/v1/namespaces/default/configmaps", R"({"metadata":{"name":"a"}})").status,
      201);
  HttpResponse watch = Call("GET",
                            "/api/v1/namespaces/default/configmaps?watch=true"
                            "&timeoutSeconds=1&allowWatchBookmarks=true"
                            "&sendInitialEvents=true&resourceVersionMatch=NotOlderThan");
  ASSERT_NE(watch.stream, nullptr);
  EXPECT_EQ(watch.content_type, "application/json;stream=watch");
  std::string chunk;
  ASSERT_TRUE(watch.stream->Next(&chunk));
  EXPECT_NE(chunk.find(R"("type":"ADDED")"), std::string::npos);
  EXPECT_NE(chunk.find(R"("k8s.io/initial-events-end":"true")"), std::string::npos) << chunk;
  ASSERT_EQ(
      Call("POST", "/api/v1/namespaces/default/configmaps", R"({"metadata":{"name":"b"}})").status,
      201);
  chunk.clear();
  ASSERT_TRUE(watch.stream->Next(&chunk));
  EXPECT_NE(chunk.find(R"("name":"b")"), std::string::npos) << chunk;
  auto started = std::chrono::steady_clock::now();
  while (watch.stream->Next(&chunk)) {
    ASSERT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  }
  server_.Shutdown();
}

}  // namespace
}  // namespace mlgitops::kubesim
