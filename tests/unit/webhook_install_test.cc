// `kubectl mlgitops webhook install|uninstall`: the certificates (checked with OpenSSL), the
// rendered manifests, and the commands in-process against kubesim (audit log for write order),
// plus the manifests through the real kubectl.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "admission/webhook_config.h"
#include "cli/cli.h"
#include "cli/memory_terminal.h"
#include "kubesim/launcher.h"
#include "kubesim_test_util.h"
#include "object/base64.h"
#include "object/timeutil.h"
#include "object/yaml_loader.h"
#include "test_util.h"
#include "webhook_install/certs.h"
#include "webhook_install/install.h"
#include "webhook_install/manifests.h"

namespace mlgitops {
namespace {

constexpr int64_t kDay = 24 * 3600;
const int64_t kNow = *ParseRfc3339("2026-11-26T12:00:00Z");

PemKeyPair NewCa(int64_t now = kNow, int days = kWebhookCaValidDays) {
  auto ca = GenerateWebhookCa(now, days);
  EXPECT_TRUE(ca.ok()) << ca.status().ToString();
  return ca.ok() ? *ca : PemKeyPair();
}

CertificateFacts Facts(const std::string& pem) {
  auto facts = ReadCertificate(pem);
  EXPECT_TRUE(facts.ok()) << facts.status().ToString();
  return facts.ok() ? *facts : CertificateFacts();
}

// ---- Certificates ----

TEST(WebhookCerts, CaIsATenYearP256Authority) {
  CertificateFacts ca = Facts(NewCa().cert_pem);
  EXPECT_TRUE(ca.is_ca);
  EXPECT_TRUE(ca.p256_key);
  EXPECT_FALSE(ca.server_auth);
  EXPECT_LE(ca.not_before, kNow);
  EXPECT_EQ(ca.not_after, kNow + kWebhookCaValidDays * kDay);
}

TEST(WebhookCerts, ServingCertificateNamesTheServiceAndVerifiesAgainstItsCa) {
  PemKeyPair ca = NewCa();
  auto names = WebhookDnsNames("mlgitops-webhook", "hooks");
  ASSERT_EQ(names, (std::vector<std::string>{"mlgitops-webhook.hooks.svc",
                                             "mlgitops-webhook.hooks.svc.cluster.local"}));
  auto serving = IssueServingCertificate(ca, names, kNow);
  ASSERT_TRUE(serving.ok()) << serving.status().ToString();
  CertificateFacts facts = Facts(serving->cert_pem);
  EXPECT_EQ(facts.dns_names, names);
  EXPECT_TRUE(facts.server_auth);
  EXPECT_FALSE(facts.is_ca);
  EXPECT_TRUE(facts.p256_key);
  EXPECT_EQ(facts.not_after, kNow + kWebhookServingValidDays * kDay);

  for (const std::string& name : names) {
    EXPECT_TRUE(VerifyServingCertificate(serving->cert_pem, ca.cert_pem, name, kNow).ok());
  }
  EXPECT_FALSE(
      VerifyServingCertificate(serving->cert_pem, ca.cert_pem, "other.hooks.svc", kNow).ok());
  EXPECT_FALSE(VerifyServingCertificate(serving->cert_pem, ca.cert_pem, names[0],
                                        kNow + (kWebhookServingValidDays + 1) * kDay)
                   .ok());
  PemKeyPair stranger = NewCa();
  EXPECT_FALSE(VerifyServingCertificate(serving->cert_pem, stranger.cert_pem, names[0], kNow).ok());
  // A bundle holding the stranger and the real CA still verifies (rotation).
  EXPECT_TRUE(
      VerifyServingCertificate(serving->cert_pem, stranger.cert_pem + ca.cert_pem, names[0], kNow)
          .ok());
}

TEST(WebhookCerts, CaKeyPairChecksAndBundleSplitting) {
  PemKeyPair a = NewCa(), b = NewCa();
  EXPECT_TRUE(CheckCaKeyPair(a).ok());
  EXPECT_FALSE(CheckCaKeyPair({a.cert_pem, b.key_pem}).ok());
  auto serving = IssueServingCertificate(a, {"x.y.svc"}, kNow);
  ASSERT_TRUE(serving.ok());
  EXPECT_FALSE(CheckCaKeyPair(*serving).ok()) << "a leaf is not a CA";
  EXPECT_FALSE(CheckCaKeyPair({"not pem", a.key_pem}).ok());
  EXPECT_FALSE(IssueServingCertificate({"garbage", "garbage"}, {"x.y.svc"}, kNow).ok());
  EXPECT_FALSE(IssueServingCertificate(a, {}, kNow).ok());
  auto parts = SplitPemCertificates(a.cert_pem + b.cert_pem);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], a.cert_pem);
  EXPECT_EQ(parts[1], b.cert_pem);
}

// ---- Which CA ----

TEST(WebhookPlanCa, KeepsAValidCaRotatesOnRequestAndReplacesAnExpiringOne) {
  PemKeyPair ca = NewCa();
  auto kept = PlanCa(ca, false, kNow + 100 * kDay);
  ASSERT_TRUE(kept.ok());
  EXPECT_FALSE(kept->generated);
  EXPECT_EQ(kept->ca.cert_pem, ca.cert_pem);
  EXPECT_EQ(kept->bundle_pem, ca.cert_pem);

  auto rotated = PlanCa(ca, true, kNow);
  ASSERT_TRUE(rotated.ok());
  EXPECT_TRUE(rotated->generated);
  EXPECT_NE(rotated->ca.cert_pem, ca.cert_pem);
  EXPECT_EQ(SplitPemCertificates(rotated->bundle_pem),
            (std::vector<std::string>{rotated->ca.cert_pem, ca.cert_pem}));

  PemKeyPair short_lived = NewCa(kNow, 200);  // would expire before a 1-year serving cert
  auto renewed = PlanCa(short_lived, false, kNow);
  ASSERT_TRUE(renewed.ok());
  EXPECT_TRUE(renewed->generated);
  EXPECT_EQ(SplitPemCertificates(renewed->bundle_pem).size(), 2u);
  auto after_expiry = PlanCa(short_lived, false, kNow + 201 * kDay);
  ASSERT_TRUE(after_expiry.ok());
  EXPECT_EQ(after_expiry->bundle_pem, after_expiry->ca.cert_pem) << "expired CAs are dropped";

  auto broken = PlanCa(PemKeyPair{"junk", "junk"}, false, kNow);
  ASSERT_TRUE(broken.ok());
  EXPECT_TRUE(broken->generated);
  EXPECT_EQ(broken->bundle_pem, broken->ca.cert_pem);
  auto first = PlanCa(std::nullopt, false, kNow);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->generated);
  EXPECT_TRUE(CheckCaKeyPair(first->ca).ok());
}

// ---- Manifests ----

TEST(WebhookManifests, EmbeddedCopyMatchesFiles) {
  const std::string base = testing::SourceDir() + "/manifests/webhook/base/";
  std::string kustomization = testing::ReadFile(base + "kustomization.yaml");
  ASSERT_FALSE(EmbeddedWebhookManifests().empty());
  for (const EmbeddedManifest& m : EmbeddedWebhookManifests()) {
    EXPECT_EQ(m.text, testing::ReadFile(base + m.file))
        << m.file << " changed: run manifests/webhook/embed.sh";
    EXPECT_NE(kustomization.find(std::string("- ") + m.file), std::string::npos) << m.file;
  }
}

// The shipped config must be one the webhook starts with: a field it does not know fails the
// config load, and the pods would crash-loop.
TEST(WebhookManifests, ShippedConfigIsAcceptedByTheWebhook) {
  auto objects = RenderWebhookObjects(WebhookValues());
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  const Object* config_map = nullptr;
  for (const Object& o : *objects) {
    if (o.kind() == "ConfigMap") config_map = &o;
  }
  ASSERT_NE(config_map, nullptr);
  const JsonValue* data = Find(config_map->json(), "data");
  ASSERT_TRUE(data != nullptr && data->IsObject() && data->HasMember("config.yaml"));
  const JsonValue& text = (*data)["config.yaml"];
  ASSERT_TRUE(text.IsString());
  auto config =
      ParseWebhookConfig(std::string(text.GetString(), text.GetStringLength()), "configmap.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_TRUE(config->IsExemptNamespace("kube-node-lease"));
  EXPECT_TRUE(config->exempt_label_namespaces.empty()) << "the label exempts nothing unless asked";
}

const JsonValue& Webhook(const Object& config) { return config.json()["webhooks"][0]; }

std::vector<std::string> ExcludedNamespaces(const JsonValue& hook) {
  std::vector<std::string> out;
  for (const JsonValue& e : hook["namespaceSelector"]["matchExpressions"].GetArray()) {
    if (GetString(e, "key") != "kubernetes.io/metadata.name") continue;
    EXPECT_EQ(GetString(e, "operator"), "NotIn");
    for (const JsonValue& v : e["values"].GetArray()) out.push_back(v.GetString());
  }
  return out;
}

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

TEST(WebhookManifests, RenderFillsNamespaceImagePolicyAndBundle) {
  WebhookValues values;
  values.namespace_ = "admission";
  values.image = "registry.local/hook:1";
  values.ca_bundle_pem = NewCa().cert_pem;
  auto objects = RenderWebhookObjects(values);
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  std::map<std::string, const Object*> by_kind;
  for (const Object& o : *objects) by_kind[o.kind()] = &o;
  for (const char* kind :
       {"Namespace", "ServiceAccount", "ConfigMap", "Deployment", "PodDisruptionBudget", "Service",
        "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}) {
    ASSERT_TRUE(by_kind.count(kind)) << kind;
  }
  EXPECT_EQ(by_kind["Namespace"]->name(), "admission");
  for (const Object& o : *objects) {
    bool cluster_scoped = o.kind() == "Namespace" || o.kind().find("Webhook") != std::string::npos;
    EXPECT_EQ(o.namespace_(), cluster_scoped ? "" : "admission") << o.ref().ToString();
  }
  EXPECT_EQ(GetString(by_kind["Deployment"]->json()["spec"]["template"]["spec"]["containers"][0],
                      "image"),
            "registry.local/hook:1");
  const JsonValue& mutate = Webhook(*by_kind["MutatingWebhookConfiguration"]);
  const JsonValue& validate = Webhook(*by_kind["ValidatingWebhookConfiguration"]);
  EXPECT_EQ(GetString(mutate, "failurePolicy"), "Ignore");
  EXPECT_EQ(GetString(validate, "failurePolicy"), "Fail");
  EXPECT_EQ(GetString(mutate, "reinvocationPolicy"), "IfNeeded");
  for (const JsonValue* hook : {&mutate, &validate}) {
    EXPECT_EQ(GetString(*hook, "clientConfig.service.namespace"), "admission");
    EXPECT_EQ(Base64Decode(GetString(*hook, "clientConfig.caBundle")), values.ca_bundle_pem);
    EXPECT_EQ(GetInt(*hook, "timeoutSeconds"), 5);
    EXPECT_EQ(GetString(*hook, "sideEffects"), "None");
    auto excluded = ExcludedNamespaces(*hook);
    EXPECT_TRUE(Contains(excluded, "admission"));
    EXPECT_TRUE(Contains(excluded, "kube-system"));
    EXPECT_FALSE(Contains(excluded, "mlgitops-webhook"));
  }

  values.failure_policy = "Ignore";
  auto ignoring = RenderWebhookObjects(values);
  ASSERT_TRUE(ignoring.ok());
  for (const Object& o : *ignoring) {
    if (o.kind() == "ValidatingWebhookConfiguration") {
      EXPECT_EQ(GetString(Webhook(o), "failurePolicy"), "Ignore");
    }
  }
  values.failure_policy = "Sometimes";
  EXPECT_FALSE(RenderWebhookObjects(values).ok());
  values.failure_policy.reset();
  values.namespace_ = "Bad_Name";
  EXPECT_FALSE(RenderWebhookObjects(values).ok());
}

// ---- The commands against kubesim ----

struct CliRun {
  int exit_code;
  std::string out;
  std::string err;
};

class WebhookInstallOnKubesim : public ::testing::Test {
 protected:
  void SetUp() override {
    kubesim::LaunchOptions options;
    options.binary = testing::BinDir() + "/kubesim";
    options.work_dir = dir_.path();
    options.audit_log = "audit.log";
    auto started = kubesim::KubesimProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    sim_ = std::move(*started);
    auto client = sim_->Connect();
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(*client);
  }
  void TearDown() override {
    if (sim_) {
      EXPECT_EQ(sim_->Stop(), 0);
    }
  }

  CliRun Run(std::vector<std::string> args) {
    MemoryTerminal out(false), err(false);
    FixedClock clock(kNow);
    CliEnv env{out, err, clock, [](const char*) -> const char* { return nullptr; }};
    KubeClient* client = client_.get();
    env.connect = [client](const KubeconfigOptions&) -> Result<std::unique_ptr<KubeClient>> {
      return std::unique_ptr<KubeClient>(new BorrowedKubeClient(*client));
    };
    int code = RunCli(args, env);
    return {code, out.text(), err.text()};
  }

  Result<Object> Get(const std::string& api_version, const std::string& kind, const std::string& ns,
                     const std::string& name) {
    return client_->Get(ObjectKey{GroupVersionKind::FromApiVersion(api_version, kind), ns, name});
  }
  std::string SecretValue(const std::string& name, const std::string& key) {
    auto secret = Get("v1", "Secret", "mlgitops-webhook", name);
    if (!secret.ok()) return "<" + secret.status().message() + ">";
    const JsonValue* data = Find(secret->json(), "data");
    if (!data || !data->HasMember(key.c_str())) return "<no " + key + ">";
    return Base64Decode((*data)[key.c_str()].GetString()).value_or("<not base64>");
  }
  std::string CaBundle(const std::string& kind, const std::string& name) {
    auto config = Get("admissionregistration.k8s.io/v1", kind, "", name);
    if (!config.ok()) return "<" + config.status().message() + ">";
    return Base64Decode(GetString(Webhook(*config), "clientConfig.caBundle")).value_or("");
  }

  testing::TempDir dir_;
  std::unique_ptr<kubesim::KubesimProcess> sim_;
  std::unique_ptr<KubeClient> client_;
};

TEST_F(WebhookInstallOnKubesim, InstallCreatesEverythingAndPublishesTheSecretsCa) {
  auto r = Run({"webhook", "install"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.out << r.err;
  const std::string ns = "mlgitops-webhook";
  for (auto [api, kind, name] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"v1", "ServiceAccount", "mlgitops-webhook"},
           {"v1", "ConfigMap", "mlgitops-webhook-config"},
           {"v1", "Service", "mlgitops-webhook"},
           {"apps/v1", "Deployment", "mlgitops-webhook"},
           {"policy/v1", "PodDisruptionBudget", "mlgitops-webhook"}}) {
    EXPECT_TRUE(Get(api, kind, ns, name).ok()) << kind;
  }
  EXPECT_TRUE(Get("v1", "Namespace", "", ns).ok());
  std::string ca = SecretValue("mlgitops-webhook-tls", "ca.crt");
  std::string serving = SecretValue("mlgitops-webhook-tls", "tls.crt");
  EXPECT_TRUE(
      VerifyServingCertificate(serving, ca, "mlgitops-webhook.mlgitops-webhook.svc", kNow).ok());
  EXPECT_EQ(CaBundle("MutatingWebhookConfiguration", "mlgitops-mutate"), ca);
  EXPECT_EQ(CaBundle("ValidatingWebhookConfiguration", "mlgitops-validate"), ca);
  EXPECT_EQ(SecretValue("mlgitops-webhook-ca", "tls.crt"), ca);
  auto deployment = Get("apps/v1", "Deployment", ns, "mlgitops-webhook");
  ASSERT_TRUE(deployment.ok());
  EXPECT_EQ(GetString(deployment->json()["spec"]["template"]["spec"]["containers"][0], "image"),
            DefaultWebhookImage());
  for (const char* kind : {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}) {
    auto config = Get("admissionregistration.k8s.io/v1", kind, "",
                      kind[0] == 'M' ? "mlgitops-mutate" : "mlgitops-validate");
    ASSERT_TRUE(config.ok());
    auto excluded = ExcludedNamespaces(Webhook(*config));
    EXPECT_TRUE(Contains(excluded, ns)) << kind;
    EXPECT_TRUE(Contains(excluded, "kube-system")) << kind;
  }
  // The configurations come last on a first install: after what they point at.
  EXPECT_NE(r.out.find("mutatingwebhookconfiguration.admissionregistration.k8s.io/mlgitops-mutate"),
            std::string::npos);
  EXPECT_GT(r.out.find("mlgitops-mutate"), r.out.find("deployment.apps/mlgitops-webhook"));
  EXPECT_EQ(r.out.find("BEGIN"), std::string::npos) << "no key material on stdout";
}

TEST_F(WebhookInstallOnKubesim, RerunKeepsTheCaAndRenewsTheServingCertificate) {
  ASSERT_EQ(Run({"webhook", "install"}).exit_code, kExitOk);
  std::string ca = SecretValue("mlgitops-webhook-tls", "ca.crt");
  std::string serving = SecretValue("mlgitops-webhook-tls", "tls.crt");
  std::string key = SecretValue("mlgitops-webhook-tls", "tls.key");
  auto again = Run({"webhook", "install", "--failure-policy", "Ignore"});
  ASSERT_EQ(again.exit_code, kExitOk) << again.out << again.err;
  EXPECT_EQ(SecretValue("mlgitops-webhook-tls", "ca.crt"), ca);
  EXPECT_NE(SecretValue("mlgitops-webhook-tls", "tls.crt"), serving);
  EXPECT_NE(SecretValue("mlgitops-webhook-tls", "tls.key"), key);
  EXPECT_EQ(CaBundle("ValidatingWebhookConfiguration", "mlgitops-validate"), ca);
  auto validate = Get("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "",
                      "mlgitops-validate");
  ASSERT_TRUE(validate.ok());
  EXPECT_EQ(GetString(Webhook(*validate), "failurePolicy"), "Ignore");
  // On a rerun the configurations go first: a new trust anchor precedes any new certificate.
  EXPECT_LT(again.out.find("mlgitops-validate"), again.out.find("secret/mlgitops-webhook-tls"));
  EXPECT_NE(again.out.find("configmap/mlgitops-webhook-config kept"), std::string::npos);
}

TEST_F(WebhookInstallOnKubesim, RotateCaTrustsBothCasUntilTheNextInstall) {
  ASSERT_EQ(Run({"webhook", "install"}).exit_code, kExitOk);
  std::string old_ca = SecretValue("mlgitops-webhook-tls", "ca.crt");
  auto rotated = Run({"webhook", "install", "--rotate-ca"});
  ASSERT_EQ(rotated.exit_code, kExitOk) << rotated.out << rotated.err;
  std::string new_ca = SecretValue("mlgitops-webhook-tls", "ca.crt");
  EXPECT_NE(new_ca, old_ca);
  std::string serving = SecretValue("mlgitops-webhook-tls", "tls.crt");
  const std::string host = "mlgitops-webhook.mlgitops-webhook.svc";
  EXPECT_TRUE(VerifyServingCertificate(serving, new_ca, host, kNow).ok());
  EXPECT_FALSE(VerifyServingCertificate(serving, old_ca, host, kNow).ok());
  for (auto [kind, name] : {std::pair{"MutatingWebhookConfiguration", "mlgitops-mutate"},
                            std::pair{"ValidatingWebhookConfiguration", "mlgitops-validate"}}) {
    EXPECT_EQ(SplitPemCertificates(CaBundle(kind, name)),
              (std::vector<std::string>{new_ca, old_ca}))
        << kind;
  }
  ASSERT_EQ(Run({"webhook", "install"}).exit_code, kExitOk);
  EXPECT_EQ(CaBundle("ValidatingWebhookConfiguration", "mlgitops-validate"), new_ca);
  EXPECT_EQ(SecretValue("mlgitops-webhook-tls", "ca.crt"), new_ca);
}

std::vector<Object> AuditWrites(const std::string& path) {
  std::vector<Object> out;
  for (Object& line : kubesim::testing::JsonLines(testing::ReadFile(path))) {
    std::string verb = GetString(line.json(), "verb");
    if (verb != "get" && verb != "list" && verb != "watch") out.push_back(std::move(line));
  }
  return out;
}

TEST_F(WebhookInstallOnKubesim, UninstallRemovesTheConfigurationsFirstThenEverythingElse) {
  ASSERT_EQ(Run({"webhook", "install"}).exit_code, kExitOk);
  size_t writes_before = AuditWrites(dir_.path() + "/audit.log").size();
  auto r = Run({"webhook", "uninstall"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.out << r.err;
  auto writes = AuditWrites(dir_.path() + "/audit.log");
  ASSERT_GT(writes.size(), writes_before + 2);
  std::vector<std::string> deleted;
  for (size_t i = writes_before; i < writes.size(); ++i) {
    EXPECT_EQ(GetString(writes[i].json(), "verb"), "delete");
    deleted.push_back(GetString(writes[i].json(), "resource"));
  }
  EXPECT_EQ(std::vector<std::string>(deleted.begin(), deleted.begin() + 2),
            (std::vector<std::string>{"mutatingwebhookconfigurations",
                                      "validatingwebhookconfigurations"}));
  EXPECT_EQ(deleted.back(), "namespaces");
  for (const char* resource : {"deployments", "services", "secrets", "configmaps",
                               "poddisruptionbudgets", "serviceaccounts"}) {
    EXPECT_TRUE(Contains(deleted, resource)) << resource;
  }
  EXPECT_FALSE(Get("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "",
                   "mlgitops-validate")
                   .ok());
  auto again = Run({"webhook", "uninstall"});
  EXPECT_EQ(again.exit_code, kExitOk) << again.err;
  EXPECT_NE(again.out.find("not found"), std::string::npos);
}

TEST_F(WebhookInstallOnKubesim, UninstallKeepsANamespaceInstallDidNotCreate) {
  Object ns = testing::ParseOne("apiVersion: v1\nkind: Namespace\nmetadata: {name: platform}\n");
  ASSERT_TRUE(client_->Apply(ns, ApplyOptions()).ok());
  ASSERT_EQ(Run({"webhook", "install", "-n", "platform"}).exit_code, kExitOk);
  auto r = Run({"webhook", "uninstall", "-n", "platform"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_TRUE(Get("v1", "Namespace", "", "platform").ok());
  EXPECT_FALSE(Get("v1", "Secret", "platform", "mlgitops-webhook-tls").ok());
}

TEST_F(WebhookInstallOnKubesim, DryRunChangesNothingAndBadFlagsAreUsageErrors) {
  auto r = Run({"webhook", "install", "--dry-run"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.out << r.err;
  EXPECT_NE(r.out.find("(server dry run)"), std::string::npos);
  EXPECT_FALSE(Get("v1", "Namespace", "", "mlgitops-webhook").ok());
  EXPECT_FALSE(
      Get("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", "", "mlgitops-mutate")
          .ok());
  EXPECT_EQ(Run({"webhook", "install", "--failure-policy", "Never"}).exit_code, kExitUsage);
  EXPECT_EQ(Run({"webhook", "install", "-n", "Not_A_Name"}).exit_code, kExitUsage);
  auto bare = Run({"webhook"});
  EXPECT_EQ(bare.exit_code, kExitUsage);
  EXPECT_NE(bare.err.find("install, uninstall"), std::string::npos);
}

TEST_F(WebhookInstallOnKubesim, KubectlRendersAndServerDryRunsTheManifests) {
  ASSERT_EQ(testing::RunCommand("command -v kubectl", nullptr), 0) << "kubectl is not on PATH";
  const std::string dir = testing::SourceDir() + "/manifests/webhook";
  std::string rendered;
  ASSERT_EQ(testing::RunCommand("kubectl kustomize " + dir, &rendered, true), 0) << rendered;
  auto objects = ParseManifests(rendered, "kustomize");
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  EXPECT_EQ(objects->size(), 8u);
  std::string overlay;
  ASSERT_EQ(testing::RunCommand("kubectl kustomize " + dir + "/cert-manager", &overlay, true), 0)
      << overlay;
  EXPECT_NE(overlay.find("cert-manager.io/inject-ca-from: mlgitops-webhook/mlgitops-webhook"),
            std::string::npos);
  // A server dry run checks namespaced objects against a namespace that must exist.
  Object ns =
      testing::ParseOne("apiVersion: v1\nkind: Namespace\nmetadata: {name: mlgitops-webhook}\n");
  ASSERT_TRUE(client_->Apply(ns, ApplyOptions()).ok());
  std::string out;
  int code =
      testing::RunCommand("kubectl --kubeconfig " + sim_->kubeconfig_path() + " --cache-dir " +
                              dir_.path() + "/cache apply --server-side --dry-run=server -k " + dir,
                          &out, true);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("validatingwebhookconfiguration.admissionregistration.k8s.io/"
                     "mlgitops-validate serverside-applied (server dry run)"),
            std::string::npos)
      << out;
  EXPECT_FALSE(Get("apps/v1", "Deployment", "mlgitops-webhook", "mlgitops-webhook").ok());
}

}  // namespace
}  // namespace mlgitops
