// Cluster Secrets (Argo CD's format, §6 of argocd-semantics.md), the registry built from them and
// destination resolution (§1.3).
#include <gtest/gtest.h>

#include "cluster/cluster_admin.h"
#include "cluster/registry.h"
#include "kube/fake_client.h"
#include "object/base64.h"
#include "sys/redact.h"
#include "test_util.h"

namespace mlgitops {
namespace {

// Distinctive, so a leak in any message is caught by a plain substring search.
constexpr char kToken[] = "tok-Zq8XvN3pL0wK7mYt";
constexpr char kCaPem[] = "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n";
constexpr char kCertPem[] = "-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n";
constexpr char kKeyPem[] =
    "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIkey\n-----END EC PRIVATE KEY-----\n";

/// A cluster Secret as the API returns it: every data value base64-encoded.
Object ClusterSecret(const std::string& secret_name, const std::map<std::string, std::string>& data,
                     const std::string& ns = "mlgitops",
                     const std::string& type_label = kArgoSecretTypeLabel,
                     const std::string& extra_metadata = "") {
  std::string yaml = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + secret_name +
                     "\n  namespace: " + ns + "\n  labels:\n    " + type_label + ": cluster\n" +
                     extra_metadata + "type: Opaque\ndata:\n";
  for (const auto& [key, value] : data) yaml += "  " + key + ": " + Base64Encode(value) + "\n";
  return testing::ParseOne(yaml);
}

std::string TlsConfig() {
  return std::string(R"({"bearerToken":")") + kToken +
         R"(","tlsClientConfig":{"insecure":false,"serverName":"api.gpu.internal","caData":")" +
         Base64Encode(kCaPem) + R"(","certData":")" + Base64Encode(kCertPem) + R"(","keyData":")" +
         Base64Encode(kKeyPem) + R"("}})";
}

TEST(ClusterSecretTest, BearerTokenAndTlsDataAreDecoded) {
  Object secret = ClusterSecret(
      "gpu",
      {{"name", "gpu-east"}, {"server", "https://gpu.example.com:6443/"}, {"config", TlsConfig()}},
      "mlgitops", kArgoSecretTypeLabel, "  annotations:\n    team: vision\n");
  auto cluster = ParseClusterSecret(secret);
  ASSERT_TRUE(cluster.ok()) << cluster.status().message();
  EXPECT_EQ(cluster->name, "gpu-east");
  EXPECT_EQ(cluster->server, "https://gpu.example.com:6443") << "trailing slash trimmed";
  EXPECT_FALSE(cluster->in_cluster);
  EXPECT_EQ(cluster->config.bearer_token, kToken);
  EXPECT_EQ(cluster->config.ca_pem, kCaPem);
  EXPECT_EQ(cluster->config.cert_pem, kCertPem);
  EXPECT_EQ(cluster->config.key_pem, kKeyPem);
  EXPECT_EQ(cluster->config.server_name, "api.gpu.internal");
  EXPECT_FALSE(cluster->config.insecure);
  EXPECT_EQ(cluster->labels.at(kArgoSecretTypeLabel), "cluster");
  EXPECT_EQ(cluster->annotations.at("team"), "vision");
  EXPECT_EQ(cluster->secret_namespace + "/" + cluster->secret_name, "mlgitops/gpu");

  auto config = RestConfigForCluster(*cluster);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->server, "https://gpu.example.com:6443");
  EXPECT_EQ(config->token, kToken);
  EXPECT_EQ(config->ca_pem, kCaPem);
  EXPECT_EQ(config->client_key_pem, kKeyPem);
  EXPECT_EQ(config->tls_server_name, "api.gpu.internal");
  EXPECT_EQ(config->credentials, nullptr) << "a static token needs no provider";
  // The token was registered for redaction when the Secret was read.
  EXPECT_EQ(SecretRegistry::Global().Scrub(std::string("sent ") + kToken).find(kToken),
            std::string::npos);
}

TEST(ClusterSecretTest, ExecProviderBecomesAnExecCredentialProvider) {
  Object secret = ClusterSecret(
      "gke", {{"name", "gke-serving"},
              {"server", "https://34.1.2.3"},
              {"config", R"({"execProviderConfig":{"command":"gke-gcloud-auth-plugin",)"
                         R"("args":["--use_application_default_credentials"],)"
                         R"("env":{"CLOUDSDK_CORE_PROJECT":"ml"},)"
                         R"("apiVersion":"client.authentication.k8s.io/v1beta1",)"
                         R"("installHint":"install gke-gcloud-auth-plugin"},)"
                         R"("tlsClientConfig":{"insecure":true}})"}});
  auto cluster = ParseClusterSecret(secret);
  ASSERT_TRUE(cluster.ok()) << cluster.status().message();
  ASSERT_TRUE(cluster->config.exec.has_value());
  const ExecConfig& exec = *cluster->config.exec;
  EXPECT_EQ(exec.command, "gke-gcloud-auth-plugin");
  EXPECT_EQ(exec.args, std::vector<std::string>{"--use_application_default_credentials"});
  ASSERT_EQ(exec.env.size(), 1u);
  EXPECT_EQ(exec.env[0].first, "CLOUDSDK_CORE_PROJECT");
  EXPECT_EQ(exec.api_version, "client.authentication.k8s.io/v1beta1");
  EXPECT_EQ(exec.interactive_mode, "Never");
  EXPECT_TRUE(cluster->config.insecure);
  auto config = RestConfigForCluster(*cluster);
  ASSERT_TRUE(config.ok());
  EXPECT_NE(config->credentials, nullptr) << "the plugin runs per request, through a provider";
  EXPECT_TRUE(config->insecure_skip_tls_verify);
}

TEST(ClusterSecretTest, AwsAuthConfigRunsTheAwsCli) {
  Object secret = ClusterSecret(
      "eks", {{"name", "eks"},
              {"server", "https://ABC.gr7.us-east-1.eks.amazonaws.com"},
              {"config",
               R"({"awsAuthConfig":{"clusterName":"train","roleARN":"arn:aws:iam::1:role/x"}})"}});
  auto cluster = ParseClusterSecret(secret);
  ASSERT_TRUE(cluster.ok()) << cluster.status().message();
  ASSERT_TRUE(cluster->config.exec.has_value());
  EXPECT_EQ(cluster->config.exec->command, "aws");
  const auto& args = cluster->config.exec->args;
  auto after = [&](const std::string& flag) {
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == flag) return args[i + 1];
    }
    return std::string();
  };
  EXPECT_EQ(after("--cluster-name"), "train");
  EXPECT_EQ(after("--role-arn"), "arn:aws:iam::1:role/x");
}

TEST(ClusterSecretTest, NamespacesProjectAndClusterResources) {
  Object secret = ClusterSecret("ns", {{"name", "shared"},
                                       {"server", "https://shared:6443"},
                                       {"config", R"({"bearerToken":"abcdefgh"})"},
                                       {"namespaces", " team-a, team-b,,team-c "},
                                       {"clusterResources", "true"},
                                       {"project", "vision"}});
  auto cluster = ParseClusterSecret(secret);
  ASSERT_TRUE(cluster.ok()) << cluster.status().message();
  EXPECT_EQ(cluster->namespaces, (std::vector<std::string>{"team-a", "team-b", "team-c"}));
  EXPECT_TRUE(cluster->cluster_resources);
  EXPECT_EQ(cluster->project, "vision");
}

TEST(ClusterSecretTest, StringDataIsReadToo) {
  Object secret = testing::ParseOne(
      "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: argocd}\n"
      "stringData:\n  name: plain\n  server: https://plain:6443\n"
      "  config: '{\"bearerToken\": \"plain-token-1\"}'\n");
  auto cluster = ParseClusterSecret(secret);
  ASSERT_TRUE(cluster.ok()) << cluster.status().message();
  EXPECT_EQ(cluster->name, "plain");
  EXPECT_EQ(cluster->config.bearer_token, "plain-token-1");
}

struct BadSecretCase {
  const char* label;
  std::map<std::string, std::string> data;
  const char* expected;  // part of the message
};

class BadClusterSecretTest : public ::testing::TestWithParam<BadSecretCase> {};

TEST_P(BadClusterSecretTest, IsRefusedNamingTheKeyButNotTheToken) {
  const BadSecretCase& c = GetParam();
  auto cluster = ParseClusterSecret(ClusterSecret("bad", c.data));
  ASSERT_FALSE(cluster.ok()) << c.label;
  const std::string& message = cluster.status().message();
  EXPECT_NE(message.find("cluster Secret mlgitops/bad"), std::string::npos) << message;
  EXPECT_NE(message.find(c.expected), std::string::npos) << message;
  EXPECT_EQ(message.find(kToken), std::string::npos) << "token leaked: " << message;
}

const std::string kTokenJson = std::string(R"({"bearerToken":")") + kToken + "\"";

INSTANTIATE_TEST_SUITE_P(
    Cases, BadClusterSecretTest,
    ::testing::Values(
        BadSecretCase{"no server", {{"name", "x"}, {"config", "{}"}}, "data.server is missing"},
        BadSecretCase{"no name", {{"server", "https://x"}, {"config", "{}"}}, "data.name"},
        BadSecretCase{"no config", {{"name", "x"}, {"server", "https://x"}}, "data.config"},
        BadSecretCase{"truncated JSON holding the token",
                      {{"name", "x"}, {"server", "https://x"}, {"config", kTokenJson}},
                      "not valid JSON"},
        BadSecretCase{"caData not base64",
                      {{"name", "x"},
                       {"server", "https://x"},
                       {"config", kTokenJson + R"(,"tlsClientConfig":{"caData":"%%%"}})"}},
                      "tlsClientConfig.caData is not valid base64"},
        BadSecretCase{"certData without keyData",
                      {{"name", "x"},
                       {"server", "https://x"},
                       {"config", kTokenJson + R"(,"tlsClientConfig":{"certData":")" +
                                      Base64Encode(kCertPem) + "\"}}"}},
                      "both certData and keyData"},
        BadSecretCase{"insecure not a bool",
                      {{"name", "x"},
                       {"server", "https://x"},
                       {"config", kTokenJson + R"(,"tlsClientConfig":{"insecure":"yes"}})"}},
                      "insecure must be true or false"},
        BadSecretCase{"exec without command",
                      {{"name", "x"},
                       {"server", "https://x"},
                       {"config", kTokenJson + R"(,"execProviderConfig":{"args":["a"]}})"}},
                      "execProviderConfig.command is required"}),
    [](const ::testing::TestParamInfo<BadSecretCase>& info) {
      std::string name;
      for (char ch : std::string(info.param.label)) name += std::isalnum(ch) ? ch : '_';
      return name;
    });

class ClusterRegistryTest : public ::testing::Test {
 protected:
  ClusterRegistry Registry() {
    std::vector<ClusterInfo> clusters;
    for (auto [name, server] :
         std::vector<std::pair<std::string, std::string>>{{"gpu-east", "https://gpu-east:6443"},
                                                          {"serving-eu", "https://serving-eu:6443"},
                                                          {"twin", "https://twin-a:6443"},
                                                          {"twin", "https://twin-b:6443/"}}) {
      ClusterInfo c;
      c.name = name;
      c.server = server;
      c.secret_name = "cluster-" + name;
      c.secret_namespace = "mlgitops";
      clusters.push_back(c);
    }
    return ClusterRegistry::FromClusters(clusters);
  }
  static ApplicationDestination Dest(std::string name, std::string server) {
    ApplicationDestination d;
    d.name = std::move(name);
    d.server = std::move(server);
    return d;
  }
};

TEST_F(ClusterRegistryTest, InClusterIsAlwaysPresentAndFirst) {
  ClusterRegistry empty = ClusterRegistry::FromClusters({});
  ASSERT_EQ(empty.clusters().size(), 1u);
  EXPECT_EQ(empty.clusters()[0].name, kInClusterName);
  EXPECT_TRUE(empty.clusters()[0].in_cluster);
  ClusterRegistry registry = Registry();
  EXPECT_EQ(registry.clusters().front().name, kInClusterName);
  auto by_server = registry.Resolve(Dest("", "https://kubernetes.default.svc/"));
  ASSERT_TRUE(by_server.ok());
  EXPECT_TRUE(by_server->in_cluster);
  auto by_name = registry.Resolve(Dest("in-cluster", ""));
  ASSERT_TRUE(by_name.ok());
  EXPECT_TRUE(by_name->in_cluster);
}

TEST_F(ClusterRegistryTest, ResolvesByNameOrServer) {
  ClusterRegistry registry = Registry();
  auto by_name = registry.Resolve(Dest("serving-eu", ""));
  ASSERT_TRUE(by_name.ok()) << by_name.status().message();
  EXPECT_EQ(by_name->server, "https://serving-eu:6443");
  auto by_server = registry.Resolve(Dest("", "https://gpu-east:6443/"));
  ASSERT_TRUE(by_server.ok()) << by_server.status().message();
  EXPECT_EQ(by_server->name, "gpu-east");
}

TEST_F(ClusterRegistryTest, BothNameAndServerIsArgoCdsError) {
  auto r = Registry().Resolve(Dest("gpu-east", "https://gpu-east:6443"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "application destination can't have both name and server defined");
}

TEST_F(ClusterRegistryTest, NeitherNameNorServerIsAnError) {
  auto r = Registry().Resolve(Dest("", ""));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("neither name nor server"), std::string::npos);
}

TEST_F(ClusterRegistryTest, UnknownNameListsTheKnownClusters) {
  auto r = Registry().Resolve(Dest("gpu-west", ""));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("no clusters with this name: \"gpu-west\""), std::string::npos) << m;
  EXPECT_NE(m.find("in-cluster, gpu-east, serving-eu, twin, twin"), std::string::npos) << m;
  auto unknown_server = Registry().Resolve(Dest("", "https://nowhere:6443"));
  ASSERT_FALSE(unknown_server.ok());
  EXPECT_NE(unknown_server.status().message().find("https://nowhere:6443"), std::string::npos);
}

TEST_F(ClusterRegistryTest, DuplicateNamesAreAnError) {
  auto r = Registry().Resolve(Dest("twin", ""));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("there are 2 clusters with the same name: \"twin\""),
            std::string::npos)
      << r.status().message();
  // Each of the twins is still reachable by its server.
  auto b = Registry().Resolve(Dest("", "https://twin-b:6443"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->server, "https://twin-b:6443");
}

TEST(ClusterRegistryLoadTest, ReadsBothLabelsBothNamespacesAndSkipsBadSecrets) {
  FakeKubeClient client;
  std::string config = std::string(R"({"bearerToken":")") + kToken + "\"}";
  ASSERT_TRUE(client
                  .Seed(ClusterSecret(
                      "ours", {{"name", "ours"}, {"server", "https://ours"}, {"config", config}},
                      "mlgitops", kOurSecretTypeLabel))
                  .ok());
  // Argo CD's Secret, in Argo CD's namespace, read as it is.
  ASSERT_TRUE(
      client
          .Seed(ClusterSecret(
              "argo", {{"name", "argo"}, {"server", "https://argo"}, {"config", config}}, "argocd"))
          .ok());
  // Both labels: listed twice, read once.
  ASSERT_TRUE(client
                  .Seed(ClusterSecret(
                      "both", {{"name", "both"}, {"server", "https://both"}, {"config", config}},
                      "mlgitops", kArgoSecretTypeLabel,
                      std::string("    ") + kOurSecretTypeLabel + ": cluster\n"))
                  .ok());
  ASSERT_TRUE(
      client
          .Seed(ClusterSecret(
              "broken", {{"name", "broken"}, {"server", "https://b"}, {"config", kTokenJson}}))
          .ok());
  // Renames and labels the in-cluster entry, as Argo CD allows.
  ASSERT_TRUE(client
                  .Seed(ClusterSecret("local", {{"name", "control-plane"},
                                                {"server", "https://kubernetes.default.svc"},
                                                {"config", "{}"}}))
                  .ok());
  // Not a cluster Secret.
  ASSERT_TRUE(client
                  .Seed(testing::ParseOne("apiVersion: v1\nkind: Secret\nmetadata: {name: "
                                          "repo, namespace: mlgitops}\ndata: {}\n"))
                  .ok());

  auto registry = ClusterRegistry::Load(client);
  ASSERT_TRUE(registry.ok()) << registry.status().message();
  std::vector<std::string> names;
  for (const ClusterInfo& c : registry->clusters()) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"control-plane", "argo", "both", "ours"}));
  EXPECT_TRUE(registry->clusters()[0].in_cluster);
  ASSERT_EQ(registry->warnings().size(), 1u);
  EXPECT_NE(registry->warnings()[0].find("mlgitops/broken"), std::string::npos);
  EXPECT_EQ(registry->warnings()[0].find(kToken), std::string::npos);
}

TEST(ClusterRegistryLoadTest, NamespaceComesFromFlagThenEnvironment) {
  auto env = [](const char* name) -> const char* {
    return std::string(name) == kClusterEnvNamespace ? "platform" : nullptr;
  };
  auto no_env = [](const char*) -> const char* { return nullptr; };
  EXPECT_EQ(RegistryOptionsFor("flagged", env).namespaces,
            (std::vector<std::string>{"flagged", "argocd"}));
  EXPECT_EQ(RegistryOptionsFor("", env).namespaces,
            (std::vector<std::string>{"platform", "argocd"}));
  EXPECT_EQ(RegistryOptionsFor("", no_env).namespaces,
            (std::vector<std::string>{"mlgitops", "argocd"}));
  EXPECT_EQ(RegistryOptionsFor("argocd", no_env).namespaces, (std::vector<std::string>{"argocd"}));
}

TEST(ClusterSecretNameTest, IsAStableObjectNamePerServer) {
  std::string a = ClusterSecretName("https://API.gpu-east.example.com:6443");
  EXPECT_EQ(a, ClusterSecretName("https://API.gpu-east.example.com:6443"));
  EXPECT_NE(a, ClusterSecretName("https://api.gpu-west.example.com:6443"));
  EXPECT_EQ(a.rfind("cluster-api-gpu-east-example-com-6443-", 0), 0u) << a;
  EXPECT_LE(ClusterSecretName("https://" + std::string(300, 'a')).size(), 63u);
  for (char c : a) EXPECT_TRUE(std::islower(c) || std::isdigit(c) || c == '-') << a;
}

}  // namespace
}  // namespace mlgitops
