// Tests of discovery against a local API server that serves aggregated discovery (v2 or
// v2beta1) or only the legacy per-group lists: kind to resource, scope, preferred versions,
// names as kubectl accepts them, caching, TTL, ETags and the refresh on a miss.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "kube/discovery.h"
#include "test_tls.h"

namespace mlgitops {
namespace {

using testing::TestCa;
using testing::TestHttpsServer;

struct Served {
  std::string group;
  std::string version;
  std::string kind;
  std::string plural;
  bool namespaced = true;
  std::vector<std::string> short_names;
  bool status = false;
};

std::string JsonList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ",\"" : "\"") + items[i] + "\"";
  return out + "]";
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

/// An API server's discovery endpoints, built from a list of served resources.
class DiscoveryServer {
 public:
  enum class Mode { kAggregatedV2, kAggregatedV2Beta1, kLegacy };

  explicit DiscoveryServer(const TestCa& ca) {
    TestHttpsServer::Options options;
    options.identity = ca.IssueServer({"localhost"}, {"127.0.0.1"});
    server_ = std::make_unique<TestHttpsServer>(
        options, [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
  }

  void Serve(Served served) {
    std::lock_guard<std::mutex> lock(mu_);
    served_.push_back(std::move(served));
    ++generation_;
  }
  void set_mode(Mode mode) { mode_ = mode; }
  int hits(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    return hits_[path];
  }
  int not_modified() { return not_modified_; }
  std::string url() const { return server_->url(); }

 private:
  /// Versions of `group` in preference order (the order they were first served).
  std::vector<std::string> VersionsOf(const std::string& group) const {
    std::vector<std::string> versions;
    for (const Served& s : served_) {
      if (s.group == group &&
          std::find(versions.begin(), versions.end(), s.version) == versions.end()) {
        versions.push_back(s.version);
      }
    }
    return versions;
  }
  std::vector<std::string> Groups(bool core) const {
    std::vector<std::string> groups;
    for (const Served& s : served_) {
      if (s.group.empty() == core &&
          std::find(groups.begin(), groups.end(), s.group) == groups.end()) {
        groups.push_back(s.group);
      }
    }
    return groups;
  }

  std::string AggregatedResource(const Served& s) const {
    std::string subresources = s.status ? R"([{"subresource":"status","verbs":["get"]}])" : "[]";
    return R"({"resource":")" + s.plural + R"(","responseKind":{"group":")" + s.group +
           R"(","version":")" + s.version + R"(","kind":")" + s.kind + R"("},"scope":")" +
           (s.namespaced ? "Namespaced" : "Cluster") + R"(","singularResource":")" + Lower(s.kind) +
           R"(","verbs":["get","list"],"shortNames":)" + JsonList(s.short_names) +
           R"(,"subresources":)" + subresources + "}";
  }

  std::string Aggregated(bool core, const std::string& api_version) const {
    std::string items;
    for (const std::string& group : Groups(core)) {
      std::string versions;
      for (const std::string& version : VersionsOf(group)) {
        std::string resources;
        for (const Served& s : served_) {
          if (s.group != group || s.version != version) continue;
          resources += (resources.empty() ? "" : ",") + AggregatedResource(s);
        }
        versions += std::string(versions.empty() ? "" : ",") + R"({"version":")" + version +
                    R"(","resources":[)" + resources + R"(],"freshness":"Current"})";
      }
      items += std::string(items.empty() ? "" : ",") + R"({"metadata":{"name":")" + group +
               R"("},"versions":[)" + versions + "]}";
    }
    return R"({"kind":"APIGroupDiscoveryList","apiVersion":")" + api_version +
           R"(","metadata":{},"items":[)" + items + "]}";
  }

  std::string LegacyGroups() const {
    std::string groups;
    for (const std::string& group : Groups(false)) {
      std::string versions;
      for (const std::string& version : VersionsOf(group)) {
        versions += std::string(versions.empty() ? "" : ",") + R"({"groupVersion":")" + group +
                    "/" + version + R"(","version":")" + version + R"("})";
      }
      groups += std::string(groups.empty() ? "" : ",") + R"({"name":")" + group +
                R"(","versions":[)" + versions + R"(],"preferredVersion":{"groupVersion":")" +
                group + "/" + VersionsOf(group).front() + R"(","version":")" +
                VersionsOf(group).front() + R"("}})";
    }
    return R"({"kind":"APIGroupList","apiVersion":"v1","groups":[)" + groups + "]}";
  }

  std::string LegacyResources(const std::string& group, const std::string& version) const {
    std::string resources;
    for (const Served& s : served_) {
      if (s.group != group || s.version != version) continue;
      std::string entry = R"({"name":")" + s.plural + R"(","singularName":")" + Lower(s.kind) +
                          R"(","namespaced":)" + (s.namespaced ? "true" : "false") +
                          R"(,"kind":")" + s.kind + R"(","verbs":["get","list"],"shortNames":)" +
                          JsonList(s.short_names) + "}";
      if (s.status) {
        entry += R"(,{"name":")" + s.plural + R"(/status","singularName":"","namespaced":)" +
                 (s.namespaced ? "true" : "false") + R"(,"kind":")" + s.kind +
                 R"(","verbs":["get","patch"]})";
      }
      resources += (resources.empty() ? "" : ",") + entry;
    }
    std::string gv = group.empty() ? version : group + "/" + version;
    return R"({"kind":"APIResourceList","groupVersion":")" + gv + R"(","resources":[)" + resources +
           "]}";
  }

  void Handle(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu_);
    ++hits_[req.path];
    std::string accept = req.get_header_value("Accept");
    bool wants_v2 = accept.find("v=v2;as=APIGroupDiscoveryList") != std::string::npos;
    bool wants_beta = accept.find("v=v2beta1;as=APIGroupDiscoveryList") != std::string::npos;
    bool root = req.path == "/api" || req.path == "/apis";
    std::string etag = "\"gen-" + std::to_string(generation_) + "\"";
    if (root && mode_ != Mode::kLegacy) {
      bool v2 = mode_ == Mode::kAggregatedV2 && wants_v2;
      bool beta = mode_ == Mode::kAggregatedV2Beta1 && wants_beta;
      if (v2 || beta) {
        if (req.get_header_value("If-None-Match") == etag) {
          ++not_modified_;
          res.status = 304;
          return;
        }
        res.set_header("ETag", etag);
        res.set_content(
            Aggregated(req.path == "/api",
                       v2 ? "apidiscovery.k8s.io/v2" : "apidiscovery.k8s.io/v2beta1"),
            v2 ? "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
               : "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList");
        return;
      }
    }
    if (req.path == "/api") {
      res.set_content(R"({"kind":"APIVersions","versions":["v1"]})", "application/json");
    } else if (req.path == "/apis") {
      res.set_content(LegacyGroups(), "application/json");
    } else if (req.path.rfind("/api/", 0) == 0) {
      res.set_content(LegacyResources("", req.path.substr(5)), "application/json");
    } else if (req.path.rfind("/apis/", 0) == 0) {
      std::string gv = req.path.substr(6);
      size_t slash = gv.find('/');
      std::string body = LegacyResources(gv.substr(0, slash), gv.substr(slash + 1));
      if (body.find("\"resources\":[]") != std::string::npos) res.status = 404;
      res.set_content(body, "application/json");
    } else {
      res.status = 404;
    }
  }

  std::unique_ptr<TestHttpsServer> server_;
  std::mutex mu_;
  std::vector<Served> served_;
  std::map<std::string, int> hits_;
  int generation_ = 0;
  int not_modified_ = 0;
  Mode mode_ = Mode::kAggregatedV2;
};

class KubeDiscoveryTest : public ::testing::Test {
 protected:
  KubeDiscoveryTest() : ca_("discovery-ca"), server_(ca_), clock_(1'700'000'000) {
    server_.Serve({"", "v1", "Pod", "pods", true, {"po"}, true});
    server_.Serve({"", "v1", "Namespace", "namespaces", false, {"ns"}, true});
    server_.Serve({"", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, {"pvc"}});
    server_.Serve({"apps", "v1", "Deployment", "deployments", true, {"deploy"}, true});
    server_.Serve({"batch", "v1", "Job", "jobs", true, {}, true});
    server_.Serve({"autoscaling",
                   "v2",
                   "HorizontalPodAutoscaler",
                   "horizontalpodautoscalers",
                   true,
                   {"hpa"}});
    server_.Serve({"autoscaling",
                   "v1",
                   "HorizontalPodAutoscaler",
                   "horizontalpodautoscalers",
                   true,
                   {"hpa"}});
  }

  Discovery& Start(DiscoveryServer::Mode mode) {
    server_.set_mode(mode);
    RestConfig config;
    config.cluster_name = "test";
    config.server = server_.url();
    config.ca_pem = ca_.cert_pem();
    auto transport = HttpsTransport::Create(config);
    EXPECT_TRUE(transport.ok()) << transport.status().ToString();
    transport_ = std::move(transport).value();
    sender_ =
        std::make_unique<RetryingSender>(transport_.get(), RetryPolicy(), &SystemRetryClock());
    DiscoveryOptions options;
    options.ttl = std::chrono::seconds(300);
    discovery_ = std::make_unique<Discovery>(sender_.get(), &clock_, options);
    return *discovery_;
  }

  TestCa ca_;
  DiscoveryServer server_;
  FixedClock clock_;
  std::unique_ptr<HttpsTransport> transport_;
  std::unique_ptr<RetryingSender> sender_;
  std::unique_ptr<Discovery> discovery_;
};

TEST_F(KubeDiscoveryTest, AggregatedDiscoveryAnswersInTwoRequests) {
  Discovery& discovery = Start(DiscoveryServer::Mode::kAggregatedV2);
  auto deployments = discovery.ForKind("apps", "", "Deployment");
  ASSERT_TRUE(deployments.ok()) << deployments.status().ToString();
  EXPECT_EQ(deployments->resource, "deployments");
  EXPECT_EQ(deployments->version, "v1");
  EXPECT_TRUE(deployments->namespaced);
  EXPECT_TRUE(deployments->HasSubresource("status"));
  auto namespaces = discovery.ForKind("", "v1", "Namespace");
  ASSERT_TRUE(namespaces.ok());
  EXPECT_FALSE(namespaces->namespaced);
  auto jobs = discovery.ForKind("batch", "v1", "Job");
  ASSERT_TRUE(jobs.ok());
  EXPECT_TRUE(discovery.aggregated());
  EXPECT_EQ(server_.hits("/api"), 1);
  EXPECT_EQ(server_.hits("/apis"), 1);
  EXPECT_EQ(server_.hits("/apis/apps/v1"), 0) << "no per-group requests";
}

TEST_F(KubeDiscoveryTest, AggregatedV2Beta1IsAccepted) {
  Discovery& discovery = Start(DiscoveryServer::Mode::kAggregatedV2Beta1);
  auto pods = discovery.ForKind("", "v1", "Pod");
  ASSERT_TRUE(pods.ok()) << pods.status().ToString();
  EXPECT_EQ(pods->resource, "pods");
  EXPECT_TRUE(discovery.aggregated());
}

TEST_F(KubeDiscoveryTest, LegacyDiscoveryFetchesOnlyTheGroupsItNeeds) {
  Discovery& discovery = Start(DiscoveryServer::Mode::kLegacy);
  auto deployments = discovery.ForKind("apps", "v1", "Deployment");
  ASSERT_TRUE(deployments.ok()) << deployments.status().ToString();
  EXPECT_EQ(deployments->resource, "deployments");
  EXPECT_TRUE(deployments->HasSubresource("status")) << "from deployments/status";
  auto namespaces = discovery.ForKind("", "", "Namespace");
  ASSERT_TRUE(namespaces.ok()) << namespaces.status().ToString();
  EXPECT_FALSE(namespaces->namespaced);
  EXPECT_FALSE(discovery.aggregated());
  EXPECT_EQ(server_.hits("/apis/apps/v1"), 1);
  EXPECT_EQ(server_.hits("/api/v1"), 1);
  EXPECT_EQ(server_.hits("/apis/batch/v1"), 0);
}

TEST_F(KubeDiscoveryTest, PreferredVersionIsTheFirstServed) {
  for (auto mode : {DiscoveryServer::Mode::kAggregatedV2, DiscoveryServer::Mode::kLegacy}) {
    Discovery& discovery = Start(mode);
    auto preferred = discovery.ForKind("autoscaling", "", "HorizontalPodAutoscaler");
    ASSERT_TRUE(preferred.ok()) << preferred.status().ToString();
    EXPECT_EQ(preferred->version, "v2");
    auto older = discovery.ForKind("autoscaling", "v1", "HorizontalPodAutoscaler");
    ASSERT_TRUE(older.ok());
    EXPECT_EQ(older->version, "v1");
    EXPECT_EQ(older->api_version(), "autoscaling/v1");
  }
}

TEST_F(KubeDiscoveryTest, LookupsAreCached) {
  Discovery& discovery = Start(DiscoveryServer::Mode::kAggregatedV2);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(discovery.ForKind("apps", "v1", "Deployment").ok());
  EXPECT_EQ(discovery.loads(), 1);
  EXPECT_EQ(server_.hits("/apis"), 1);
}

TEST_F(KubeDiscoveryTest, CrdCreatedDuringASyncIsFoundOnTheNextLookup) {
  struct Case {
    DiscoveryServer::Mode mode;
    const char* kind;
    const char* plural;
  };
  for (const Case& c : {Case{DiscoveryServer::Mode::kAggregatedV2, "PyTorchJob", "pytorchjobs"},
                        Case{DiscoveryServer::Mode::kLegacy, "MPIJob", "mpijobs"}}) {
    Discovery& discovery = Start(c.mode);
    ASSERT_TRUE(discovery.ForKind("apps", "v1", "Deployment").ok());
    auto before = discovery.ForKind("kubeflow.org", "v1", c.kind);
    EXPECT_EQ(before.status().code(), Status::Code::kNotFound);
    EXPECT_NE(before.status().message().find("CRD installed"), std::string::npos);
    int loads = discovery.loads();
    server_.Serve({"kubeflow.org", "v1", c.kind, c.plural, true, {}, true});
    auto after = discovery.ForKind("kubeflow.org", "v1", c.kind);
    ASSERT_TRUE(after.ok()) << after.status().ToString();
    EXPECT_EQ(after->resource, c.plural);
    EXPECT_EQ(discovery.loads(), loads + 1) << "one refresh for the miss";
  }
}

TEST_F(KubeDiscoveryTest, NewKindInAnExistingLegacyGroupVersionIsFoundAfterTheRefresh) {
  Discovery& discovery = Start(DiscoveryServer::Mode::kLegacy);
  server_.Serve({"kubeflow.org", "v1", "TFJob", "tfjobs", true, {}, true});
  ASSERT_TRUE(discovery.ForKind("kubeflow.org", "v1", "TFJob").ok());
  server_.Serve({"kubeflow.org", "v1", "PyTorchJob", "pytorchjobs", true, {}, true});
  auto found = discovery.ForKind("kubeflow.org", "v1", "PyTorchJob");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(server_.hits("/apis/kubeflow.org/v1"), 2);
}

TEST_F(KubeDiscoveryTest, TtlExpiryReloads) {
  Discovery& discovery = Start(DiscoveryServer::Mode::kAggregatedV2);
  ASSERT_TRUE(discovery.ForKind("apps", "v1", "Deployment").ok());
  clock_.Set(clock_.NowUnix() + 299);
  ASSERT_TRUE(discovery.ForKind("apps", "v1", "Deployment").ok());
  EXPECT_EQ(discovery.loads(), 1);
  clock_.Set(clock_.NowUnix() + 2);
  ASSERT_TRUE(discovery.ForKind("apps", "v1", "Deployment").ok());
  EXPECT_EQ(discovery.loads(), 2);
}

TEST_F(KubeDiscoveryTest, UnchangedAggregatedDiscoveryIsRevalidatedByETag) {
  Discovery& discovery = Start(DiscoveryServer::Mode::kAggregatedV2);
  ASSERT_TRUE(discovery.ForKind("apps", "v1", "Deployment").ok());
  discovery.Invalidate();
  auto again = discovery.ForKind("apps", "v1", "Deployment");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->resource, "deployments");
  EXPECT_EQ(server_.not_modified(), 2) << "/api and /apis answered 304";
  EXPECT_EQ(discovery.loads(), 2);
}

TEST_F(KubeDiscoveryTest, ResolvesNamesAsKubectlDoes) {
  for (auto mode : {DiscoveryServer::Mode::kAggregatedV2, DiscoveryServer::Mode::kLegacy}) {
    Discovery& discovery = Start(mode);
    server_.Serve({"kubeflow.org", "v1", "PyTorchJob", "pytorchjobs", true, {}, true});
    struct Case {
      const char* name;
      const char* resource;
      const char* group;
    };
    for (const Case& c :
         {Case{"deploy", "deployments", "apps"}, Case{"deployments", "deployments", "apps"},
          Case{"Deployment", "deployments", "apps"}, Case{"deployment.apps", "deployments", "apps"},
          Case{"pvc", "persistentvolumeclaims", ""}, Case{"ns", "namespaces", ""},
          Case{"hpa", "horizontalpodautoscalers", "autoscaling"},
          Case{"pytorchjobs.kubeflow.org", "pytorchjobs", "kubeflow.org"},
          Case{"PyTorchJob", "pytorchjobs", "kubeflow.org"}}) {
      auto found = discovery.Resolve(c.name);
      ASSERT_TRUE(found.ok()) << c.name << ": " << found.status().ToString();
      EXPECT_EQ(found->resource, c.resource) << c.name;
      EXPECT_EQ(found->group, c.group) << c.name;
    }
    auto hpa = discovery.Resolve("hpa");
    EXPECT_EQ(hpa->version, "v2") << "the preferred version";
    EXPECT_EQ(discovery.Resolve("deployments.batch").status().code(), Status::Code::kNotFound);
    EXPECT_EQ(discovery.Resolve("gizmo").status().code(), Status::Code::kNotFound);
  }
}

TEST_F(KubeDiscoveryTest, UnreachableServerIsAnError) {
  Discovery& discovery = Start(DiscoveryServer::Mode::kAggregatedV2);
  RestConfig config;
  config.cluster_name = "test";
  config.server = "https://127.0.0.1:1";
  config.ca_pem = ca_.cert_pem();
  auto transport = HttpsTransport::Create(config);
  ASSERT_TRUE(transport.ok());
  RetryPolicy once;
  once.max_attempts = 1;
  RetryingSender sender(transport.value().get(), once, &SystemRetryClock());
  Discovery unreachable(&sender, &clock_);
  auto found = unreachable.ForKind("apps", "v1", "Deployment");
  EXPECT_EQ(found.status().code(), Status::Code::kIOError);
  EXPECT_NE(found.status().message().find("API discovery /api"), std::string::npos)
      << found.status().message();
  EXPECT_TRUE(discovery.ForKind("apps", "v1", "Deployment").ok());
}

}  // namespace
}  // namespace mlgitops
