// The API client end to end: kubeconfig written by kubesim -> LoadRestConfig -> HttpKubeClient
// over real TLS, against kubesim with and without injected faults; and the plugin binary's live
// commands through the same kubeconfig.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "kubesim/launcher.h"
#include "object/yaml_loader.h"
#include "test_util.h"

namespace mlgitops {
namespace {

class KubeClientOnKubesim : public ::testing::Test {
 protected:
  void Start(const std::string& faults = "", const std::string& audit = "") {
    kubesim::LaunchOptions options;
    options.binary = testing::BinDir() + "/kubesim";
    options.work_dir = dir_.path();
    options.faults = faults;
    options.audit_log = audit;
    auto started = kubesim::KubesimProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    sim_ = std::move(*started);
  }
  std::unique_ptr<KubeClient> Client(KubeClientOptions options = {}) {
    auto client = sim_->Connect(std::move(options));
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    if (!client.ok()) return nullptr;
    return std::move(*client);
  }
  static Object Manifest(const std::string& yaml) {
    auto docs = ParseManifests(yaml, "test");
    EXPECT_TRUE(docs.ok()) << docs.status().ToString();
    return docs.ok() ? std::move((*docs)[0]) : Object();
  }
  testing::TempDir dir_;
  std::unique_ptr<kubesim::KubesimProcess> sim_;
};

TEST_F(KubeClientOnKubesim, ApplyGetListPatchDeleteThroughTheKubeconfig) {
  Start();
  auto client = Client();
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->default_namespace(), "default");
  auto ns = client->Apply(Manifest("apiVersion: v1\nkind: Namespace\nmetadata: {name: ml}\n"),
                          ApplyOptions());
  ASSERT_TRUE(ns.ok()) << ns.status().ToString();
  Object cm = Manifest(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: features, namespace: ml, labels: "
      "{team: risk}}\ndata: {a: '1'}\n");
  auto applied = client->Apply(cm, ApplyOptions());
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  std::string rv = GetString(applied->json(), "metadata.resourceVersion");
  // Re-applying the same manifest is a no-op on the server.
  auto again = client->Apply(cm, ApplyOptions());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(GetString(again->json(), "metadata.resourceVersion"), rv);
  auto got = client->Get(ObjectKey::Of(cm));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(GetString(got->json(), "data.a"), "1");
  ListOptions selector;
  selector.label_selector = "team=risk";
  auto list = client->List(GroupVersionKind{"", "v1", "ConfigMap"}, "ml", selector);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->items.size(), 1u);
  auto patched =
      client->Patch(ObjectKey::Of(cm), PatchType::kMerge, R"({"data":{"b":"2"}})", WriteOptions());
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  EXPECT_EQ(GetString(patched->json(), "data.b"), "2");
  // A server-side dry run changes nothing.
  WriteOptions dry;
  dry.dry_run = true;
  ASSERT_TRUE(
      client->Patch(ObjectKey::Of(cm), PatchType::kMerge, R"({"data":{"c":"3"}})", dry).ok());
  EXPECT_EQ(GetString(client->Get(ObjectKey::Of(cm))->json(), "data.c", "absent"), "absent");
  ASSERT_TRUE(client->Delete(ObjectKey::Of(cm), DeleteOptions()).ok());
  auto gone = client->Get(ObjectKey::Of(cm));
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), Status::Code::kNotFound);
  EXPECT_NE(gone.status().message().find("features"), std::string::npos) << gone.status().message();
}

TEST_F(KubeClientOnKubesim, MissingNamespaceIsRefusedWithTheServersMessage) {
  Start();
  auto client = Client();
  ASSERT_NE(client, nullptr);
  auto r = client->Apply(
      Manifest("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: nowhere}\n"),
      ApplyOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("namespaces \"nowhere\" not found"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(r.status().message().find(sim_->token()), std::string::npos);
}

TEST_F(KubeClientOnKubesim, CrdCreatedDuringARunBecomesUsableAtOnce) {
  Start();
  auto client = Client();
  ASSERT_NE(client, nullptr);
  GroupVersionKind widget{"example.com", "v1", "Widget"};
  EXPECT_FALSE(client->Resource(widget).ok());  // discovery is cached now, without Widget
  auto crd = client->Apply(
      Manifest("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: "
               "{name: widgets.example.com}\nspec:\n  group: example.com\n  scope: Namespaced\n"
               "  names: {plural: widgets, singular: widget, kind: Widget}\n  versions:\n"
               "  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: "
               "object, x-kubernetes-preserve-unknown-fields: true}}}\n"),
      ApplyOptions());
  ASSERT_TRUE(crd.ok()) << crd.status().ToString();
  auto w = client->Apply(
      Manifest("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, namespace: "
               "default}\nspec: {size: 3}\n"),
      ApplyOptions());
  ASSERT_TRUE(w.ok()) << w.status().ToString();  // the miss refreshed discovery
}

TEST_F(KubeClientOnKubesim, SurvivesInjectedFaults) {
  // Every fifth request a 500, every tenth a 429 with Retry-After 0, some dropped connections.
  Start("500=0.2,429=0.1,retry-after=0,drop=0.05,seed=7", "audit.log");
  KubeClientOptions options;
  options.retry.max_attempts = 10;
  options.retry.initial_backoff = std::chrono::milliseconds(20);
  options.retry.max_backoff = std::chrono::milliseconds(200);
  auto client = Client(options);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client
                  ->Apply(Manifest("apiVersion: v1\nkind: Namespace\nmetadata: {name: faulty}\n"),
                          ApplyOptions())
                  .ok());
  std::atomic<int> failures{0};
  std::mutex first_error_mu;
  std::string first_error;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string name = "cm-" + std::to_string(t) + "-" + std::to_string(i);
        auto r =
            client->Apply(Manifest("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name +
                                   ", namespace: faulty}\ndata: {k: v}\n"),
                          ApplyOptions());
        if (!r.ok() && failures++ == 0) {
          std::lock_guard<std::mutex> lock(first_error_mu);
          first_error = r.status().ToString();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0) << first_error;
  auto all = ListAll(*client, GroupVersionKind{"", "v1", "ConfigMap"}, "faulty", ListOptions());
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->items.size(), 40u);
  // The faults really happened: the audit log recorded refused requests.
  std::string audit = testing::ReadFile(dir_.path() + "/audit.log");
  EXPECT_NE(audit.find("\"code\":500"), std::string::npos);
  EXPECT_NE(audit.find("\"code\":429"), std::string::npos);
}

TEST_F(KubeClientOnKubesim, PluginLiveCommandsUseTheKubeconfig) {
  Start();
  auto client = Client();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client
                  ->Apply(Manifest("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: "
                                   "{name: data, namespace: default}\nspec: {accessModes: "
                                   "[ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n"),
                          ApplyOptions())
                  .ok());
  std::string out;
  std::string plugin = testing::BinDir() + "/kubectl-mlgitops";
  int code = testing::RunCommand(
      plugin + " get pvc --kubeconfig '" + sim_->kubeconfig_path() + "' -n default", &out, true);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("data"), std::string::npos) << out;
  code = testing::RunCommand(plugin + " health pvc/data deploy/absent --kubeconfig '" +
                                 sim_->kubeconfig_path() + "' -o json",
                             &out, false);
  EXPECT_EQ(code, 1) << out;  // the Deployment is Missing
  EXPECT_NE(out.find("\"Missing\""), std::string::npos) << out;
  code = testing::RunCommand(plugin + " get pvc --kubeconfig /nonexistent/kubeconfig", &out, true);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("/nonexistent/kubeconfig"), std::string::npos) << out;
}

}  // namespace
}  // namespace mlgitops
