// kubesim's admission webhooks end to end: a real HTTPS webhook in the test process (its own CA,
// certificate for hook.webhooks.svc and 127.0.0.1), kubesim started as a process for each test,
// webhook configurations created over HTTP, and writes made with the real kubectl.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "kubesim/encoding.h"
#include "kubesim/json_util.h"
#include "kubesim/launcher.h"
#include "kubesim_test_util.h"
#include "test_tls.h"
#include "test_util.h"

namespace mlgitops::kubesim {
namespace {

using mlgitops::testing::RunCommand;
using mlgitops::testing::TempDir;
using mlgitops::testing::TestCa;
using mlgitops::testing::TestHttpsServer;
using testing::ParseOrFail;

constexpr char kAdmittedBy[] = "kubesim.test/admitted-by";

// ---------- the webhook under the test's control ----------

std::string Answer(const std::string& uid, const std::string& fields) {
  return R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":)" +
         Quote(uid) + "," + fields + "}}";
}

std::string Patched(const std::string& operations) {
  if (operations.empty()) return R"("allowed":true)";
  return R"("allowed":true,"patchType":"JSONPatch","patch":)" + Quote(Base64Encode(operations));
}

std::string Denied(const std::string& message) {
  return R"("allowed":false,"status":{"code":403,"reason":"Forbidden","message":)" +
         Quote(message) + "}";
}

/// metadata.annotations[kAdmittedBy] of `object` ("" when absent; the key holds dots, so no
/// dotted-path lookup).
std::string AdmittedBy(const JsonValue* object) {
  const JsonValue* annotations = object ? Find(*object, "metadata.annotations") : nullptr;
  const JsonValue* value = annotations ? FindMember(*annotations, kAdmittedBy) : nullptr;
  return value ? std::string(View(*value)) : "";
}

// A patch setting metadata.<map>[key] = value the way careful webhooks write it: into the map
// when there is one, as a new map otherwise; "" when the entry is already there.
std::string SetEntryPatch(const JsonValue* object, const std::string& map, const std::string& key,
                          const std::string& value) {
  if (!object) return "";
  const JsonValue* entries = Find(*object, "metadata." + map);
  const JsonValue* current = entries && entries->IsObject() ? FindMember(*entries, key) : nullptr;
  if (current && View(*current) == value) return "";
  if (entries && entries->IsObject()) {
    std::string escaped;
    for (char c : key) escaped += c == '/' ? std::string("~1") : std::string(1, c);
    return R"([{"op":"add","path":"/metadata/)" + map + "/" + escaped + R"(","value":)" +
           Quote(value) + "}]";
  }
  return R"([{"op":"add","path":"/metadata/)" + map + R"(","value":{)" + Quote(key) + ":" +
         Quote(value) + "}}]";
}

// The answer for one path. Paths name behaviours so that each configuration picks its own.
std::string Behave(const std::string& path, const JsonValue& request, const JsonValue* object) {
  std::string name = GetString(request, "name");
  if (path == "/annotate")
    return Patched(SetEntryPatch(object, "annotations", kAdmittedBy, "hook"));
  if (path == "/label") return Patched(SetEntryPatch(object, "labels", "tier", "ml"));
  if (path == "/annotate-naive") {
    return Patched(R"([{"op":"add","path":"/metadata/annotations/kubesim.test~1admitted-by",
                       "value":"hook"}])");
  }
  if (path == "/deny-forbidden") {
    if (name.rfind("forbidden-", 0) == 0) {
      return Denied("configmaps named forbidden-* are not allowed");
    }
    return R"("allowed":true)";
  }
  if (path == "/deny-plain") return R"("allowed":false)";
  if (path == "/rename") {
    return Patched(R"([{"op":"replace","path":"/metadata/name","value":"renamed"},
                       {"op":"add","path":"/metadata/uid","value":"forged"},
                       {"op":"add","path":"/metadata/namespace","value":"elsewhere"},
                       {"op":"add","path":"/metadata/labels","value":{"renamed":"tried"}}])");
  }
  if (path == "/require-annotation") {
    return !AdmittedBy(object).empty() ? R"("allowed":true)"
                                       : Denied("missing annotation kubesim.test/admitted-by");
  }
  if (path == "/warn") {
    return R"("allowed":true,"warnings":["configmap has no owner label","second warning"])";
  }
  if (path == "/drop-bad-key") {
    const JsonValue* data = object ? Find(*object, "data") : nullptr;
    if (data && data->IsObject() && FindMember(*data, "bad key")) {
      return Patched(R"([{"op":"remove","path":"/data/bad key"}])");
    }
  }
  if (path == "/add-bad-key" && name.rfind("broken", 0) == 0) {
    return Patched(R"([{"op":"add","path":"/data/also bad","value":"x"}])");
  }
  if (path == "/model-extra") {
    if (name.rfind("badtype", 0) == 0) {
      return Patched(R"([{"op":"replace","path":"/spec/replicas","value":"three"}])");
    }
    return Patched(R"([{"op":"add","path":"/spec/extra","value":"x"}])");
  }
  if (path == "/cap-replicas") {
    auto replicas = object ? GetInt(*object, "spec.replicas") : std::nullopt;
    if (replicas && *replicas > 3) {
      return Patched(R"([{"op":"replace","path":"/spec/replicas","value":3}])");
    }
  }
  return R"("allowed":true)";  // /allow, /slow, /bad-uid and anything else
}

/// An HTTPS admission webhook on 127.0.0.1 that records every AdmissionReview it receives.
class RecordingWebhook {
 public:
  explicit RecordingWebhook(const TestCa& ca)
      : server_(
            {ca.IssueServer({"hook.webhooks.svc", "annotated.webhooks.svc"}, {"127.0.0.1"}), ""},
            [this](const httplib::Request& req, httplib::Response& res) { Serve(req, res); }) {}

  int port() const { return server_.port(); }
  std::string url(const std::string& path) const { return server_.url() + path; }

  /// The `request` of every review sent to `path`, in arrival order.
  std::vector<Object> Requests(const std::string& path) const {
    std::vector<Object> out;
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [p, body] : calls_) {
      if (p != path) continue;
      Object review = ParseOrFail(body);
      const JsonValue* request = Find(review.json(), "request");
      out.push_back(request ? CopyToObject(*request) : Object());
    }
    return out;
  }
  size_t Count(const std::string& path) const { return Requests(path).size(); }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.clear();
  }

 private:
  void Serve(const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.emplace_back(req.path, req.body);
    }
    auto review = ParseJson(req.body, "review");
    const JsonValue* request = review.ok() ? Find(review->json(), "request") : nullptr;
    if (!request || !request->IsObject()) {
      res.status = 400;
      return;
    }
    const JsonValue* object = FindMember(*request, "object");
    if (object && !object->IsObject()) object = nullptr;
    std::string uid = GetString(*request, "uid");
    if (req.path == "/slow") std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    if (req.path == "/bad-uid") uid = "00000000-0000-4000-8000-000000000000";
    res.set_content(Answer(uid, Behave(req.path, *request, object)), "application/json");
  }

  // Declared before the server: requests in flight while it stops still find them alive.
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> calls_;
  TestHttpsServer server_;
};

// ---------- configurations ----------

struct HookSpec {
  std::string name;  // webhook name; the configuration is named after it
  bool mutating = false;
  std::string path = "/allow";  // on Service webhooks/<service>, unless `url` is set
  std::string url;
  std::string service = "hook";
  std::string ca_pem;  // the test CA unless set
  std::string rules =
      R"([{operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["configmaps"]}])";
  std::string namespace_selector = "{matchLabels: {admission: enabled}}";  // namespace "ml"
  std::string object_selector;
  std::string failure_policy = "Fail";
  std::string side_effects = "None";
  std::string match_policy;
  std::string reinvocation;
  int timeout_seconds = 0;

  HookSpec& Mutating() { return mutating = true, *this; }
  HookSpec& Path(std::string v) { return path = std::move(v), *this; }
  HookSpec& Url(std::string v) { return url = std::move(v), *this; }
  HookSpec& Service(std::string v) { return service = std::move(v), *this; }
  HookSpec& Ca(std::string v) { return ca_pem = std::move(v), *this; }
  HookSpec& Rules(std::string v) { return rules = std::move(v), *this; }
  HookSpec& NamespaceSelector(std::string v) { return namespace_selector = std::move(v), *this; }
  /// Only the namespace called `ns`.
  HookSpec& OnlyNamespace(const std::string& ns) {
    return NamespaceSelector("{matchLabels: {kubernetes.io/metadata.name: " + ns + "}}");
  }
  HookSpec& ObjectSelector(std::string v) { return object_selector = std::move(v), *this; }
  HookSpec& FailOpen() { return failure_policy = "Ignore", *this; }
  HookSpec& SideEffects(std::string v) { return side_effects = std::move(v), *this; }
  HookSpec& MatchPolicy(std::string v) { return match_policy = std::move(v), *this; }
  HookSpec& Reinvocation(std::string v) { return reinvocation = std::move(v), *this; }
  HookSpec& TimeoutSeconds(int v) { return timeout_seconds = v, *this; }
};

HookSpec Hook(std::string name) {
  HookSpec spec;
  spec.name = std::move(name);
  return spec;
}

std::string ConfigurationYaml(const HookSpec& spec, const std::string& default_ca) {
  std::string ca = Base64Encode(spec.ca_pem.empty() ? default_ca : spec.ca_pem);
  std::string yaml = "apiVersion: admissionregistration.k8s.io/v1\nkind: ";
  yaml += spec.mutating ? "MutatingWebhookConfiguration" : "ValidatingWebhookConfiguration";
  yaml += "\nmetadata:\n  name: " + spec.name + "\nwebhooks:\n- name: " + spec.name + "\n";
  yaml += "  admissionReviewVersions: [\"v1\"]\n";
  yaml += "  sideEffects: " + spec.side_effects + "\n";
  yaml += "  failurePolicy: " + spec.failure_policy + "\n";
  if (spec.timeout_seconds > 0)
    yaml += "  timeoutSeconds: " + std::to_string(spec.timeout_seconds) + "\n";
  if (!spec.match_policy.empty()) yaml += "  matchPolicy: " + spec.match_policy + "\n";
  if (!spec.reinvocation.empty()) yaml += "  reinvocationPolicy: " + spec.reinvocation + "\n";
  yaml += "  clientConfig:\n    caBundle: " + ca + "\n";
  if (!spec.url.empty()) {
    yaml += "    url: " + spec.url + "\n";
  } else {
    yaml +=
        "    service: {namespace: webhooks, name: " + spec.service + ", path: " + spec.path + "}\n";
  }
  yaml += "  rules: " + spec.rules + "\n";
  if (!spec.namespace_selector.empty())
    yaml += "  namespaceSelector: " + spec.namespace_selector + "\n";
  if (!spec.object_selector.empty()) yaml += "  objectSelector: " + spec.object_selector + "\n";
  return yaml;
}

// ---------- the fixture ----------

class KubesimAdmissionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ca_ = new TestCa("kubesim admission test CA");
    webhook_ = new RecordingWebhook(*ca_);
  }

  static void TearDownTestSuite() {
    delete webhook_;
    webhook_ = nullptr;
    delete ca_;
    ca_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(RunCommand("command -v kubectl", nullptr), 0) << "kubectl is not on PATH";
    webhook_->Clear();
    LaunchOptions options;
    options.binary = mlgitops::testing::BinDir() + "/kubesim";
    options.work_dir = dir_.path();
    std::string address = "127.0.0.1:" + std::to_string(webhook_->port());
    // "misnamed" reaches the same server, whose certificate does not name misnamed.webhooks.svc.
    options.extra_args = {"--service-endpoint", "webhooks/hook=" + address, "--service-endpoint",
                          "webhooks/misnamed:443=" + address};
    Configure(&options);
    auto started = KubesimProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.status().message();
    kubesim_ = std::move(started).value();
    Create("/api/v1/namespaces",
           "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ml\n  labels:\n"
           "    admission: enabled\n");
    Create("/api/v1/namespaces", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: plain\n");
  }

  /// Lets a derived fixture change how kubesim is started.
  virtual void Configure(LaunchOptions* /*options*/) {}

  void TearDown() override {
    if (kubesim_) {
      EXPECT_EQ(kubesim_->Stop(), 0);
    }
  }

  /// POSTs a YAML object to `path` and expects it created.
  void Create(const std::string& path, const std::string& yaml) {
    HttpResult r = kubesim_->Request("POST", path, yaml, "application/yaml");
    EXPECT_EQ(r.status, 201) << path << ": " << r.body << r.error;
  }

  void AddWebhook(const HookSpec& spec) {
    std::string plural =
        spec.mutating ? "mutatingwebhookconfigurations" : "validatingwebhookconfigurations";
    Create("/apis/admissionregistration.k8s.io/v1/" + plural,
           ConfigurationYaml(spec, ca_->cert_pem()));
  }

  /// `kubectl ARGS` against this test's kubesim; stdout and stderr merged into *out.
  int Kubectl(const std::string& args, std::string* out = nullptr) {
    std::string sink;
    return RunCommand(KubectlPrefix() + args, out ? out : &sink, true);
  }

  std::string KubectlPrefix() const {
    return "kubectl --kubeconfig " + kubesim_->kubeconfig_path() + " --cache-dir " + dir_.path() +
           "/cache ";
  }

  /// `kubectl create configmap NAME -n NS` (a create kubectl sends as protobuf).
  int CreateConfigMap(const std::string& ns, const std::string& name, std::string* out = nullptr) {
    return Kubectl("create configmap " + name + " -n " + ns + " --from-literal=k=v", out);
  }

  std::string ConfigMapField(const std::string& ns, const std::string& name,
                             const std::string& jsonpath) {
    std::string out;
    int code =
        Kubectl("get configmap " + name + " -n " + ns + " -o jsonpath='" + jsonpath + "'", &out);
    return code == 0 ? out : "<kubectl failed: " + out + ">";
  }

  bool ConfigMapExists(const std::string& ns, const std::string& name) {
    return kubesim_->Request("GET", "/api/v1/namespaces/" + ns + "/configmaps/" + name).status ==
           200;
  }

  static TestCa* ca_;
  static RecordingWebhook* webhook_;
  TempDir dir_;
  std::unique_ptr<KubesimProcess> kubesim_;
};

TestCa* KubesimAdmissionTest::ca_ = nullptr;
RecordingWebhook* KubesimAdmissionTest::webhook_ = nullptr;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---------- mutation ----------

TEST_F(KubesimAdmissionTest, MutatingPatchAddsAnAnnotationOnConfigMapCreate) {
  AddWebhook(Hook("annotate.kubesim.test").Mutating().Path("/annotate"));
  ASSERT_EQ(CreateConfigMap("ml", "settings"), 0);
  EXPECT_EQ(ConfigMapField("ml", "settings", "{.metadata.annotations.kubesim\\.test/admitted-by}"),
            "hook");

  std::vector<Object> requests = webhook_->Requests("/annotate");
  ASSERT_EQ(requests.size(), 1u);
  const JsonValue& r = requests[0].json();
  EXPECT_TRUE(testing::FitsShape(GetString(r, "uid"), "hhhhhhhh-hhhh-4hhh-hhhh-hhhhhhhhhhhh"))
      << GetString(r, "uid");
  EXPECT_EQ(ToJson(*Find(r, "kind")), R"({"group":"","version":"v1","kind":"ConfigMap"})");
  EXPECT_EQ(ToJson(*Find(r, "resource")), R"({"group":"","version":"v1","resource":"configmaps"})");
  EXPECT_EQ(ToJson(*Find(r, "requestKind")), ToJson(*Find(r, "kind")));
  EXPECT_EQ(Find(r, "subResource"), nullptr);
  EXPECT_EQ(GetString(r, "name"), "settings");
  EXPECT_EQ(GetString(r, "namespace"), "ml");
  EXPECT_EQ(GetString(r, "operation"), "CREATE");
  EXPECT_EQ(GetString(r, "userInfo.username"), "kubesim-admin");
  EXPECT_EQ(GetString(r, "object.data.k"), "v");
  EXPECT_TRUE(Find(r, "oldObject")->IsNull());
  EXPECT_EQ(GetBool(r, "dryRun"), false);
  EXPECT_EQ(GetString(r, "options.kind"), "CreateOptions");
  EXPECT_EQ(GetString(r, "options.fieldManager"), "kubectl-create");

  // The webhook is idempotent: an update whose object already carries the annotation is left
  // alone, and a create elsewhere (namespace not selected) is not sent at all.
  ASSERT_EQ(CreateConfigMap("plain", "settings"), 0);
  EXPECT_EQ(ConfigMapField("plain", "settings", "{.metadata.annotations}"), "");
  EXPECT_EQ(webhook_->Count("/annotate"), 1u);
}

TEST_F(KubesimAdmissionTest, PatchIntoAMissingAnnotationsMapFailsWhateverTheFailurePolicy) {
  // add /metadata/annotations/x needs the map to exist: kube-apiserver answers 500 even for a
  // webhook that fails open, because the webhook answered and its answer cannot be applied.
  AddWebhook(Hook("naive.kubesim.test").Mutating().Path("/annotate-naive").FailOpen());
  std::string out;
  EXPECT_NE(CreateConfigMap("ml", "bare", &out), 0);
  EXPECT_TRUE(Contains(out,
                       "Internal error occurred: add operation does not apply: doc is missing "
                       "path: \"/metadata/annotations/kubesim.test~1admitted-by\": missing "
                       "value"))
      << out;
  EXPECT_FALSE(ConfigMapExists("ml", "bare"));

  // With the map present the same patch applies (and ~1 decodes to the '/' in the key).
  std::string manifest =
      dir_.Write("annotated.yaml",
                 "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: annotated\n"
                 "  namespace: ml\n  annotations:\n    owner: ml-team\n");
  ASSERT_EQ(Kubectl("apply -f " + manifest, &out), 0) << out;
  EXPECT_EQ(ConfigMapField("ml", "annotated", "{.metadata.annotations.kubesim\\.test/admitted-by}"),
            "hook");
}

TEST_F(KubesimAdmissionTest, WebhooksCannotChangeIdentityOrSystemFields) {
  // A webhook rewriting the name, uid and namespace: kubesim keeps what the request named
  // and the system fields it set, and takes the rest of the patch (the labels).
  AddWebhook(Hook("identity.kubesim.test").Mutating().Path("/rename"));
  std::string out;
  ASSERT_EQ(CreateConfigMap("ml", "named", &out), 0) << out;
  std::string uid = ConfigMapField("ml", "named", "{.metadata.uid}");
  EXPECT_TRUE(testing::FitsShape(uid, "hhhhhhhh-hhhh-4hhh-hhhh-hhhhhhhhhhhh")) << uid;
  EXPECT_EQ(ConfigMapField("ml", "named", "{.metadata.name}/{.metadata.namespace}"), "named/ml");
  EXPECT_EQ(ConfigMapField("ml", "named", "{.metadata.labels.renamed}"), "tried");
  EXPECT_FALSE(ConfigMapExists("ml", "renamed"));
}

// ---------- denial and failure ----------

TEST_F(KubesimAdmissionTest, ValidatingDenialMessageIsShownByKubectl) {
  AddWebhook(Hook("deny.kubesim.test").Path("/deny-forbidden"));
  std::string out;
  std::string manifest =
      dir_.Write("forbidden.yaml",
                 "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: forbidden-cache\n"
                 "  namespace: ml\n");
  EXPECT_NE(Kubectl("create -f " + manifest, &out), 0);
  EXPECT_TRUE(Contains(out, "Error from server (Forbidden): error when creating \"" + manifest +
                                "\": admission webhook \"deny.kubesim.test\" denied the request: "
                                "configmaps named forbidden-* are not allowed"))
      << out;
  EXPECT_FALSE(ConfigMapExists("ml", "forbidden-cache"));
  EXPECT_NE(CreateConfigMap("ml", "forbidden-too", &out), 0);
  EXPECT_TRUE(Contains(out,
                       "error: failed to create configmap: admission webhook "
                       "\"deny.kubesim.test\" denied the request"))
      << out;
  EXPECT_EQ(CreateConfigMap("ml", "allowed-cache"), 0);
  EXPECT_EQ(webhook_->Count("/deny-forbidden"), 3u);
}

TEST_F(KubesimAdmissionTest, DenialWithoutStatusIsA400WithoutExplanation) {
  AddWebhook(Hook("silent.kubesim.test").Path("/deny-plain"));
  HttpResult r =
      kubesim_->Request("POST", "/api/v1/namespaces/ml/configmaps",
                        R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}})");
  EXPECT_EQ(r.status, 400) << r.body;
  Object status = ParseOrFail(r.body);
  EXPECT_EQ(GetString(status.json(), "message"),
            "admission webhook \"silent.kubesim.test\" denied the request without explanation");
  EXPECT_EQ(GetString(status.json(), "status"), "Failure");
}

TEST_F(KubesimAdmissionTest, StoppedWebhookRefusesUnderFailAndIsSkippedUnderIgnore) {
  auto transient = std::make_unique<RecordingWebhook>(*ca_);
  std::string url = transient->url("/allow");
  AddWebhook(Hook("closed.kubesim.test").Url(url));
  AddWebhook(Hook("open.kubesim.test").Url(url).OnlyNamespace("plain").FailOpen());
  ASSERT_EQ(CreateConfigMap("ml", "while-up"), 0);
  ASSERT_EQ(CreateConfigMap("plain", "while-up"), 0);
  EXPECT_EQ(transient->Count("/allow"), 2u);
  int port = transient->port();
  transient.reset();  // the webhook goes away

  std::string out;
  EXPECT_NE(CreateConfigMap("ml", "while-down", &out), 0);
  EXPECT_TRUE(Contains(out,
                       "Internal error occurred: failed calling webhook \"closed.kubesim.test\": "
                       "failed to call webhook: "
                       "Post \"" +
                           url + "?timeout=10s\": dial tcp 127.0.0.1:" + std::to_string(port) +
                           ": connect: connection refused"))
      << out;
  EXPECT_FALSE(ConfigMapExists("ml", "while-down"));
  EXPECT_EQ(CreateConfigMap("plain", "while-down", &out), 0) << out;
}

TEST_F(KubesimAdmissionTest, TimeoutSecondsBoundsTheCall) {
  AddWebhook(Hook("slow.kubesim.test").Path("/slow").TimeoutSeconds(1));
  AddWebhook(Hook("slow-open.kubesim.test")
                 .Path("/slow")
                 .OnlyNamespace("plain")
                 .FailOpen()
                 .TimeoutSeconds(1));
  std::string body = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"late"}})";
  auto start = std::chrono::steady_clock::now();
  HttpResult refused = kubesim_->Request("POST", "/api/v1/namespaces/ml/configmaps", body);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(refused.status, 500) << refused.body;
  EXPECT_TRUE(Contains(refused.body, "failed calling webhook \\\"slow.kubesim.test\\\""))
      << refused.body;
  EXPECT_TRUE(Contains(refused.body, "/slow?timeout=1s\\\": context deadline exceeded"))
      << refused.body;
  EXPECT_GE(seconds, 0.9);
  EXPECT_LT(seconds, 2.3) << "the call must not wait for the webhook's 2.5 s answer";

  HttpResult admitted = kubesim_->Request("POST", "/api/v1/namespaces/plain/configmaps", body);
  EXPECT_EQ(admitted.status, 201) << admitted.body;
}

TEST_F(KubesimAdmissionTest, WrongCaBundleOrServerNameFailsTheCall) {
  TestCa stranger("a CA the webhook's certificate does not come from");
  AddWebhook(Hook("strange-ca.kubesim.test").Ca(stranger.cert_pem()));
  std::string out;
  EXPECT_NE(CreateConfigMap("ml", "untrusted", &out), 0);
  EXPECT_TRUE(Contains(out,
                       "failed calling webhook \"strange-ca.kubesim.test\": failed to call "
                       "webhook: Post \"https://hook.webhooks.svc:443/allow?timeout=10s\": "
                       "tls: failed to verify certificate: x509: certificate signed by "
                       "unknown authority"))
      << out;
  EXPECT_EQ(webhook_->Count("/allow"), 0u) << "no request may reach an unverified server";

  Kubectl("delete validatingwebhookconfiguration strange-ca.kubesim.test");
  AddWebhook(Hook("misnamed.kubesim.test").Service("misnamed"));
  EXPECT_NE(CreateConfigMap("ml", "misnamed", &out), 0);
  EXPECT_TRUE(Contains(out, "x509: certificate is not valid for misnamed.webhooks.svc")) << out;

  Kubectl("delete validatingwebhookconfiguration misnamed.kubesim.test");
  EXPECT_EQ(CreateConfigMap("ml", "trusted", &out), 0) << out;
}

TEST_F(KubesimAdmissionTest, ResponseUidMismatchIsAFailedCall) {
  AddWebhook(Hook("uid.kubesim.test").Path("/bad-uid"));
  std::string out;
  EXPECT_NE(CreateConfigMap("ml", "mismatched", &out), 0);
  EXPECT_TRUE(Contains(out,
                       "Internal error occurred: failed calling webhook \"uid.kubesim.test\": "
                       "received invalid webhook response: expected response.uid=\""))
      << out;
  EXPECT_TRUE(Contains(out, "got \"00000000-0000-4000-8000-000000000000\"")) << out;
  EXPECT_FALSE(ConfigMapExists("ml", "mismatched"));
}

TEST_F(KubesimAdmissionTest, ServiceResolvesThroughTheEndpointAnnotation) {
  Create("/api/v1/namespaces", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: webhooks\n");
  Create("/api/v1/namespaces/webhooks/services",
         "apiVersion: v1\nkind: Service\nmetadata:\n  name: annotated\n  annotations:\n"
         "    kubesim.mlgitops.io/endpoint: 127.0.0.1:" +
             std::to_string(webhook_->port()) + "\nspec:\n  ports:\n  - port: 443\n");
  AddWebhook(Hook("annotated.kubesim.test").Path("/warn").Service("annotated"));
  AddWebhook(Hook("absent.kubesim.test").Service("absent").OnlyNamespace("plain"));
  EXPECT_EQ(CreateConfigMap("ml", "found"), 0);
  EXPECT_EQ(webhook_->Count("/warn"), 1u);
  std::string out;
  EXPECT_NE(CreateConfigMap("plain", "lost", &out), 0);
  EXPECT_TRUE(Contains(out,
                       "Post \"https://absent.webhooks.svc:443/allow?timeout=10s\": service "
                       "\"absent\" not found"))
      << out;
}

// ---------- warnings and dry run ----------

TEST_F(KubesimAdmissionTest, WarningsReachKubectlStderr) {
  AddWebhook(Hook("warn.kubesim.test").Path("/warn"));
  std::string stderr_only;
  int code =
      RunCommand(KubectlPrefix() + "create configmap warned -n ml 2>&1 >/dev/null", &stderr_only);
  EXPECT_EQ(code, 0) << stderr_only;
  EXPECT_TRUE(Contains(stderr_only, "Warning: configmap has no owner label")) << stderr_only;
  EXPECT_TRUE(Contains(stderr_only, "Warning: second warning")) << stderr_only;
}

TEST_F(KubesimAdmissionTest, WebhooksWithSideEffectsCannotBeConfiguredInV1) {
  // ValidateValidatingWebhookConfiguration (v1): sideEffects must be None or NoneOnDryRun, so
  // no v1 webhook can have side effects that would make a dry run refuse it.
  HttpResult r = kubesim_->Request(
      "POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
      ConfigurationYaml(Hook("effects.kubesim.test").Path("/allow").SideEffects("Some"),
                        ca_->cert_pem()),
      "application/yaml");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(GetString(ParseOrFail(r.body).json(), "message"),
            "ValidatingWebhookConfiguration.admissionregistration.k8s.io \"effects.kubesim.test\" "
            "is invalid: webhooks[0].sideEffects: Unsupported value: \"Some\": supported values: "
            "\"None\", \"NoneOnDryRun\"");
}

TEST_F(KubesimAdmissionTest, DryRunReachesWebhooksWithoutSideEffects) {
  AddWebhook(Hook("careful.kubesim.test").Path("/warn").SideEffects("NoneOnDryRun"));
  std::string out;
  ASSERT_EQ(Kubectl("create configmap rehearsal -n ml --dry-run=server", &out), 0) << out;
  EXPECT_FALSE(ConfigMapExists("ml", "rehearsal"));
  std::vector<Object> requests = webhook_->Requests("/warn");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(GetBool(requests[0].json(), "dryRun"), true);
  EXPECT_EQ(ToJson(*Find(requests[0].json(), "options.dryRun")), R"(["All"])");
}

// ---------- ordering ----------

// kube-apiserver validates after mutating admission (handlers/create.go calls the admission
// chain's Admit before the registry's BeforeCreate validation): a webhook may remove what would
// not validate, and what a webhook adds is validated like the user's own fields.
TEST_F(KubesimAdmissionTest, BuiltinValidationJudgesTheMutatedObject) {
  AddWebhook(Hook("drop.kubesim.test").Mutating().Path("/drop-bad-key"));
  AddWebhook(Hook("break.kubesim.test").Mutating().Path("/add-bad-key"));
  std::string fixable =
      dir_.Write("fixable.yaml",
                 "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fixable, namespace: ml}\n"
                 "data: {k: v, bad key: v}\n");
  std::string out;
  ASSERT_EQ(Kubectl("create -f " + fixable, &out), 0) << out;
  EXPECT_EQ(ConfigMapField("ml", "fixable", "{.data.k}"), "v");
  EXPECT_EQ(ConfigMapField("ml", "fixable", "{.data}"), R"({"k":"v"})");

  std::string broken = dir_.Write(
      "broken.yaml",
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken, namespace: ml}\ndata: {k: v}\n");
  EXPECT_EQ(Kubectl("create -f " + broken, &out), 1) << out;
  EXPECT_NE(out.find("The ConfigMap \"broken\" is invalid"), std::string::npos) << out;
  EXPECT_NE(out.find("a valid config key must consist of alphanumeric characters"),
            std::string::npos)
      << out;
  EXPECT_FALSE(ConfigMapExists("ml", "broken"));
}

// AdmissionRequest.userInfo is the user the request acts as (after impersonation), with the
// groups the authenticator added (system:authenticated), not the server's own identity.
TEST_F(KubesimAdmissionTest, ReviewsCarryTheActingUsersInfo) {
  AddWebhook(Hook("record.kubesim.test").Path("/allow"));
  std::string out;
  ASSERT_EQ(Kubectl("create rolebinding alice-edit --clusterrole=edit --user=alice -n ml", &out), 0)
      << out;
  ASSERT_EQ(Kubectl("create configmap by-alice -n ml --from-literal=k=v --as alice --as-group "
                    "data-science",
                    &out),
            0)
      << out;
  std::vector<Object> requests = webhook_->Requests("/allow");
  ASSERT_EQ(requests.size(), 1u);
  const JsonValue& r = requests[0].json();
  EXPECT_EQ(GetString(r, "name"), "by-alice");
  EXPECT_EQ(GetString(r, "userInfo.username"), "alice");
  const JsonValue* groups = Find(r, "userInfo.groups");
  ASSERT_TRUE(groups && groups->IsArray()) << ToJson(r);
  std::vector<std::string> names;
  for (const JsonValue& g : groups->GetArray()) names.push_back(std::string(View(g)));
  EXPECT_EQ(names, (std::vector<std::string>{"data-science", "system:authenticated"}));
}

// Structural schemas: a mutating webhook's output is pruned (an unknown field it adds is dropped
// silently, whatever the request's fieldValidation) and validated against the CRD's schema.
TEST_F(KubesimAdmissionTest, CustomResourceWebhookOutputIsPrunedAndValidated) {
  std::string out;
  ASSERT_EQ(
      Kubectl("apply -f " + dir_.Write("model-crd.yaml", R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: models.hooks.kubesim.test}
spec:
  group: hooks.kubesim.test
  scope: Namespaced
  names: {plural: models, singular: model, kind: Model}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              replicas: {type: integer}
              image: {type: string}
)"),
              &out),
      0)
      << out;
  ASSERT_EQ(
      Kubectl("wait --for=condition=Established crd/models.hooks.kubesim.test --timeout=10s", &out),
      0)
      << out;
  AddWebhook(Hook("model.kubesim.test")
                 .Mutating()
                 .Path("/model-extra")
                 .Rules(R"([{operations: ["CREATE"], apiGroups: ["hooks.kubesim.test"],
                             apiVersions: ["v1"], resources: ["models"]}])"));
  auto model = [&](const std::string& name) {
    return dir_.Write(name + ".yaml",
                      "apiVersion: hooks.kubesim.test/v1\nkind: Model\nmetadata: "
                      "{name: " +
                          name +
                          ", namespace: ml}\nspec: {replicas: 1, "
                          "image: 'm:1'}\n");
  };
  ASSERT_EQ(Kubectl("create -f " + model("pruned"), &out), 0) << out;
  ASSERT_EQ(Kubectl("get model pruned -n ml -o jsonpath={.spec}", &out), 0) << out;
  EXPECT_EQ(out, R"({"image":"m:1","replicas":1})");
  EXPECT_EQ(webhook_->Count("/model-extra"), 1u);

  EXPECT_EQ(Kubectl("create -f " + model("badtype"), &out), 1) << out;
  EXPECT_NE(out.find("The Model \"badtype\" is invalid"), std::string::npos) << out;
  EXPECT_NE(out.find("spec.replicas in body must be of type integer"), std::string::npos) << out;
  EXPECT_EQ(Kubectl("delete crd models.hooks.kubesim.test", &out), 0) << out;
}

TEST_F(KubesimAdmissionTest, MutatingWebhooksRunBeforeValidatingOnes) {
  AddWebhook(Hook("stamp.kubesim.test").Mutating().Path("/annotate"));
  AddWebhook(Hook("require.kubesim.test")
                 .Path("/require-annotation")
                 .NamespaceSelector(""));  // both namespaces
  std::string out;
  EXPECT_EQ(CreateConfigMap("ml", "stamped", &out), 0) << out;
  std::vector<Object> seen = webhook_->Requests("/require-annotation");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(AdmittedBy(Find(seen[0].json(), "object")), "hook") << ToJson(seen[0].json());

  // Where no mutating webhook applies, the validating one refuses: it does check.
  EXPECT_NE(CreateConfigMap("plain", "unstamped", &out), 0);
  EXPECT_TRUE(Contains(out, "missing annotation kubesim.test/admitted-by")) << out;
}

TEST_F(KubesimAdmissionTest, ReinvocationIfNeededCallsAnEarlierWebhookOnceMore) {
  // Configurations run in name order: "a-label" first, then "b-annotate" changes the object,
  // so "a-label" (IfNeeded) sees the result once more; "c-never" (Never) does not.
  AddWebhook(Hook("a-label.kubesim.test").Mutating().Path("/label").Reinvocation("IfNeeded"));
  AddWebhook(Hook("b-annotate.kubesim.test").Mutating().Path("/annotate"));
  ASSERT_EQ(CreateConfigMap("ml", "twice"), 0);
  std::vector<Object> label_calls = webhook_->Requests("/label");
  ASSERT_EQ(label_calls.size(), 2u);
  EXPECT_EQ(Find(label_calls[0].json(), "object.metadata.annotations"), nullptr);
  EXPECT_EQ(GetString(label_calls[1].json(), "object.metadata.labels.tier"), "ml");
  EXPECT_EQ(AdmittedBy(Find(label_calls[1].json(), "object")), "hook");
  EXPECT_EQ(webhook_->Count("/annotate"), 1u);
  EXPECT_EQ(ConfigMapField("ml", "twice", "{.metadata.labels.tier}"), "ml");
}

// ---------- selection ----------

TEST_F(KubesimAdmissionTest, NamespaceSelectorExcludesTheWebhooksOwnNamespace) {
  Create("/api/v1/namespaces", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: webhooks\n");
  AddWebhook(Hook("not-self.kubesim.test")
                 .NamespaceSelector("{matchExpressions: [{key: kubernetes.io/metadata.name, "
                                    "operator: NotIn, values: [webhooks, kube-system]}]}"));
  ASSERT_EQ(CreateConfigMap("webhooks", "own"), 0);
  EXPECT_EQ(webhook_->Count("/allow"), 0u);
  ASSERT_EQ(CreateConfigMap("plain", "other"), 0);
  ASSERT_EQ(CreateConfigMap("ml", "other"), 0);
  std::vector<Object> requests = webhook_->Requests("/allow");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(GetString(requests[0].json(), "namespace"), "plain");
  EXPECT_EQ(GetString(requests[1].json(), "namespace"), "ml");
}

TEST_F(KubesimAdmissionTest, ObjectSelectorMatchesTheNewOrTheOldObject) {
  AddWebhook(Hook("opt-in.kubesim.test")
                 .Rules(R"([{operations: ["CREATE", "UPDATE"], apiGroups: [""], apiVersions: ["v1"],
                           resources: ["configmaps"]}])")
                 .ObjectSelector("{matchLabels: {validate: \"yes\"}}"));
  std::string manifest = dir_.Write("opted.yaml",
                                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: opted\n"
                                    "  namespace: ml\n  labels:\n    validate: \"yes\"\n");
  std::string out;
  ASSERT_EQ(Kubectl("apply -f " + manifest, &out), 0) << out;
  EXPECT_EQ(webhook_->Count("/allow"), 1u);
  ASSERT_EQ(CreateConfigMap("ml", "unlabelled"), 0);
  EXPECT_EQ(webhook_->Count("/allow"), 1u) << "unlabelled objects are not sent";

  // Removing the label: the old object still matches, so the webhook sees the update.
  ASSERT_EQ(Kubectl("label configmap opted -n ml validate-", &out), 0) << out;
  std::vector<Object> requests = webhook_->Requests("/allow");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(GetString(requests[1].json(), "operation"), "UPDATE");
  EXPECT_EQ(GetString(requests[1].json(), "oldObject.metadata.labels.validate"), "yes");
  EXPECT_EQ(Find(requests[1].json(), "object.metadata.labels.validate"), nullptr);
  // Now neither the old nor the new object carries it.
  ASSERT_EQ(Kubectl("label configmap opted -n ml other=1", &out), 0) << out;
  EXPECT_EQ(webhook_->Count("/allow"), 2u);
}

TEST_F(KubesimAdmissionTest, RulesThatDoNotMatchSkipTheCall) {
  AddWebhook(Hook("secrets.kubesim.test")
                 .Path("/allow")
                 .Rules(R"([{operations: ["*"], apiGroups: [""], apiVersions: ["v1"],
                           resources: ["secrets"]}])"));
  AddWebhook(Hook("updates.kubesim.test")
                 .Path("/warn")
                 .Rules(R"([{operations: ["UPDATE"], apiGroups: [""], apiVersions: ["v1"],
                           resources: ["configmaps"]}])"));
  ASSERT_EQ(CreateConfigMap("ml", "quiet"), 0);
  EXPECT_EQ(webhook_->Count("/allow"), 0u);
  EXPECT_EQ(webhook_->Count("/warn"), 0u);
  ASSERT_EQ(Kubectl("create secret generic token -n ml --from-literal=t=x"), 0);
  EXPECT_EQ(webhook_->Count("/allow"), 1u);
  ASSERT_EQ(Kubectl("annotate configmap quiet -n ml note=changed"), 0);
  std::vector<Object> updates = webhook_->Requests("/warn");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(GetString(updates[0].json(), "operation"), "UPDATE");
  EXPECT_EQ(GetString(updates[0].json(), "options.kind"), "UpdateOptions");
  EXPECT_EQ(GetString(updates[0].json(), "object.metadata.annotations.note"), "changed");
}

TEST_F(KubesimAdmissionTest, SubresourceRulesSeeOnlyTheirSubresource) {
  AddWebhook(Hook("status.kubesim.test")
                 .Path("/allow")
                 .Rules(R"([{operations: ["UPDATE"], apiGroups: ["apps"], apiVersions: ["v1"],
                           resources: ["deployments/status"]}])"));
  ASSERT_EQ(Kubectl("create deployment web -n ml --image=nginx"), 0);
  ASSERT_EQ(Kubectl("label deployment web -n ml tier=front"), 0);
  EXPECT_EQ(webhook_->Count("/allow"), 0u) << "main-resource writes are not status writes";
  std::string out;
  ASSERT_EQ(Kubectl("patch deployment web -n ml --subresource=status --type=merge "
                    "-p '{\"status\":{\"observedGeneration\":1}}'",
                    &out),
            0)
      << out;
  std::vector<Object> requests = webhook_->Requests("/allow");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(GetString(requests[0].json(), "subResource"), "status");
  EXPECT_EQ(GetString(requests[0].json(), "requestSubResource"), "status");
  EXPECT_EQ(GetString(requests[0].json(), "kind.kind"), "Deployment");
}

TEST_F(KubesimAdmissionTest, ScaleWritesAreReviewedAsScaleAndPatchable) {
  AddWebhook(Hook("cap.kubesim.test")
                 .Mutating()
                 .Path("/cap-replicas")
                 .Rules(R"([{operations: ["UPDATE"], apiGroups: ["apps"], apiVersions: ["v1"],
                           resources: ["deployments/scale"]}])"));
  ASSERT_EQ(Kubectl("create deployment web -n ml --image=nginx"), 0);
  std::string out;
  ASSERT_EQ(Kubectl("scale deployment web -n ml --replicas=7", &out), 0) << out;
  std::vector<Object> requests = webhook_->Requests("/cap-replicas");
  ASSERT_EQ(requests.size(), 1u);
  const JsonValue& r = requests[0].json();
  EXPECT_EQ(ToJson(*Find(r, "kind")), R"({"group":"autoscaling","version":"v1","kind":"Scale"})");
  EXPECT_EQ(GetString(r, "resource.resource"), "deployments");
  EXPECT_EQ(GetString(r, "subResource"), "scale");
  EXPECT_EQ(GetInt(r, "object.spec.replicas"), 7);
  EXPECT_EQ(GetInt(r, "oldObject.spec.replicas"), 1);
  std::string replicas;
  Kubectl("get deployment web -n ml -o jsonpath={.spec.replicas}", &replicas);
  EXPECT_EQ(replicas, "3") << "the webhook's cap applies to the deployment";
}

TEST_F(KubesimAdmissionTest, ClusterScopedNamespacesAreMatchedOnTheirOwnLabels) {
  AddWebhook(Hook("namespaces.kubesim.test")
                 .Rules(R"([{operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"],
                           resources: ["*"], scope: Cluster}])")
                 .NamespaceSelector("{matchLabels: {team: ml}}"));
  Create("/api/v1/namespaces",
         "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ml-two\n  labels:\n    team: ml\n");
  Create("/api/v1/namespaces", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n");
  ASSERT_EQ(CreateConfigMap("ml", "namespaced"), 0);
  std::vector<Object> requests = webhook_->Requests("/allow");
  ASSERT_EQ(requests.size(), 1u) << "only the labelled namespace; configmaps are not Cluster";
  EXPECT_EQ(GetString(requests[0].json(), "name"), "ml-two");
  EXPECT_EQ(GetString(requests[0].json(), "namespace"), "ml-two");
}

TEST_F(KubesimAdmissionTest, EquivalentMatchPolicyTakesOtherVersionsOfTheResource) {
  std::string v1_only = R"([{operations: ["CREATE"], apiGroups: ["autoscaling"],
                            apiVersions: ["v1"], resources: ["horizontalpodautoscalers"]}])";
  AddWebhook(Hook("equivalent.kubesim.test").Path("/allow").Rules(v1_only));
  AddWebhook(Hook("exact.kubesim.test").Path("/warn").Rules(v1_only).MatchPolicy("Exact"));
  Create("/apis/autoscaling/v2/namespaces/ml/horizontalpodautoscalers",
         "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: ranker\n"
         "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ranker}\n"
         "  maxReplicas: 4\n");
  EXPECT_EQ(webhook_->Count("/warn"), 0u) << "Exact: a v2 request is not a v1 request";
  std::vector<Object> requests = webhook_->Requests("/allow");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(GetString(requests[0].json(), "kind.version"), "v1");
  EXPECT_EQ(GetString(requests[0].json(), "requestKind.version"), "v2");
  EXPECT_EQ(GetString(requests[0].json(), "object.apiVersion"), "autoscaling/v1");
}

// ---------- delete and exemptions ----------

TEST_F(KubesimAdmissionTest, DeletesAreReviewedWithTheOldObject) {
  AddWebhook(Hook("keep.kubesim.test")
                 .Path("/deny-forbidden")
                 .Rules(R"([{operations: ["DELETE"], apiGroups: [""], apiVersions: ["v1"],
                           resources: ["configmaps"]}])"));
  ASSERT_EQ(CreateConfigMap("ml", "forbidden-to-delete"), 0);
  ASSERT_EQ(CreateConfigMap("ml", "disposable"), 0);
  std::string out;
  EXPECT_NE(Kubectl("delete configmap forbidden-to-delete -n ml", &out), 0);
  EXPECT_TRUE(Contains(out, "denied the request: configmaps named forbidden-* are not allowed"))
      << out;
  EXPECT_TRUE(ConfigMapExists("ml", "forbidden-to-delete"));
  ASSERT_EQ(Kubectl("delete configmap disposable -n ml --cascade=foreground", &out), 0) << out;
  EXPECT_FALSE(ConfigMapExists("ml", "disposable"));
  std::vector<Object> requests = webhook_->Requests("/deny-forbidden");
  ASSERT_EQ(requests.size(), 2u);
  const JsonValue& r = requests[1].json();
  EXPECT_EQ(GetString(r, "operation"), "DELETE");
  EXPECT_TRUE(Find(r, "object")->IsNull());
  EXPECT_EQ(GetString(r, "oldObject.metadata.name"), "disposable");
  EXPECT_EQ(GetString(r, "options.kind"), "DeleteOptions");
  EXPECT_EQ(GetString(r, "options.propagationPolicy"), "Foreground");

  // A deletecollection reviews each object: the protected one stops it.
  HttpResult collection = kubesim_->Request("DELETE", "/api/v1/namespaces/ml/configmaps");
  EXPECT_EQ(collection.status, 403) << collection.body;
  EXPECT_TRUE(ConfigMapExists("ml", "forbidden-to-delete"));
  EXPECT_EQ(webhook_->Count("/deny-forbidden"), 3u);
}

TEST_F(KubesimAdmissionTest, WebhookConfigurationsAreNeverSubjectToWebhooks) {
  AddWebhook(Hook("deny-all.kubesim.test")
                 .Path("/deny-plain")
                 .Rules(R"([{operations: ["*"], apiGroups: ["*"], apiVersions: ["*"],
                           resources: ["*/*"]}])")
                 .NamespaceSelector(""));
  std::string out;
  EXPECT_NE(CreateConfigMap("ml", "blocked", &out), 0);
  EXPECT_TRUE(Contains(out, "denied the request without explanation")) << out;
  size_t calls = webhook_->Count("/deny-plain");
  EXPECT_EQ(Kubectl("delete validatingwebhookconfiguration deny-all.kubesim.test", &out), 0) << out;
  EXPECT_EQ(webhook_->Count("/deny-plain"), calls);
  EXPECT_EQ(CreateConfigMap("ml", "unblocked", &out), 0) << out;
}

// ---------- kubesim's own controllers ----------

class KubesimAdmissionWithControllersTest : public KubesimAdmissionTest {
 protected:
  void Configure(LaunchOptions* options) override {
    options->controllers = true;
    options->step_delay = "50ms";
  }
};

TEST_F(KubesimAdmissionWithControllersTest, PodsTheControllersCreateAreReviewedAsTheirs) {
  AddWebhook(Hook("pods.kubesim.test").Rules(R"([{operations: ["CREATE"], apiGroups: [""],
                           apiVersions: ["v1"], resources: ["pods"]}])"));
  std::string out;
  ASSERT_EQ(Kubectl("create deployment ranker -n ml --image=ranker:1 --replicas=2", &out), 0)
      << out;
  ASSERT_EQ(Kubectl("wait deployment/ranker -n ml --for=condition=Available --timeout=20s", &out),
            0)
      << out;
  std::vector<Object> requests = webhook_->Requests("/allow");
  ASSERT_EQ(requests.size(), 2u);
  for (const Object& r : requests) {
    EXPECT_EQ(GetString(r.json(), "userInfo.username"), "system:kube-controller-manager");
    EXPECT_EQ(GetString(r.json(), "object.metadata.labels.app"), "ranker");
  }
}

}  // namespace
}  // namespace mlgitops::kubesim
