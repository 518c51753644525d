// cluster add / rm / list: the manager account in the target, the Secret in the current cluster.
#include "cluster/cluster_admin.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <cstdio>
#include <future>

#include "kube/errors.h"
#include "kube/transport.h"
#include "object/base64.h"
#include "sys/redact.h"

namespace mlgitops {

namespace {

constexpr char kLegacyTokenSecret[] = "mlgitops-manager-token";
constexpr char kTokenPath[] =
    "/api/v1/namespaces/kube-system/serviceaccounts/mlgitops-manager/token";

void Progress(const AddClusterOptions& options, const std::string& line) {
  if (options.progress) options.progress(line);
}

std::string Quote(std::string_view text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return buffer.GetString();
}

Result<Object> ObjectFromJson(const std::string& json, const std::string& what) {
  auto object = ParseJsonObject(json, what);
  if (!object.ok()) return Status::Internal("building " + what + ": " + object.status().message());
  return object;
}

Status ApplyAll(KubeClient& client, const std::vector<std::string>& manifests,
                const AddClusterOptions& options, const std::string& where) {
  for (const std::string& json : manifests) {
    auto object = ObjectFromJson(json, "manifest");
    if (!object.ok()) return object.status();
    auto applied = client.Apply(*object, ApplyOptions());
    if (!applied.ok()) return applied.status().Prefixed(where);
    Progress(options, where + ": " + object->kind() + " " +
                          (object->namespace_().empty() ? "" : object->namespace_() + "/") +
                          object->name() + " applied");
  }
  return Status::OK();
}

std::vector<std::string> ManagerManifests(bool cluster_admin) {
  std::string sa = Quote(kManagerServiceAccount), ns = Quote(kManagerNamespace);
  std::string role = Quote(kManagerClusterRole), binding = Quote(kManagerClusterRoleBinding);
  // Least privilege: the manager only impersonates the ServiceAccounts AppProjects map for
  // their destinations (as the in-cluster controller). --cluster-admin (single tenant) adds
  // every resource; non-resource URLs stay limited to discovery and health, never `*`.
  std::string rules =
      R"([{"apiGroups":[""],"resources":["serviceaccounts"],"verbs":["impersonate"]})";
  if (cluster_admin) {
    rules += R"(,{"apiGroups":["*"],"resources":["*"],"verbs":["*"]},)"
             R"({"nonResourceURLs":["/api","/api/*","/apis","/apis/*","/version","/healthz",)"
             R"("/livez","/readyz","/openapi","/openapi/*"],"verbs":["get"]})";
  }
  rules += "]";
  return {
      R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":)" + sa +
          R"(,"namespace":)" + ns + "}}",
      R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":)" +
          role + R"(},"rules":)" + rules + "}",
      R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding",)"
      R"("metadata":{"name":)" +
          binding +
          R"(},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":)" +
          role + R"(},"subjects":[{"kind":"ServiceAccount","name":)" + sa + R"(,"namespace":)" +
          ns + "}]}",
  };
}

struct IssuedToken {
  std::string token;
  std::string source;
};

/// nullopt when the server does not serve TokenRequest (the legacy Secret is the way then).
Result<std::optional<IssuedToken>> RequestToken(const RestConfig& config, int64_t seconds) {
  auto transport = HttpsTransport::Create(config);
  if (!transport.ok()) return transport.status();
  HttpRequest request;
  request.method = "POST";
  request.path = kTokenPath;
  request.content_type = "application/json";
  request.body = R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest",)"
                 R"("spec":{"expirationSeconds":)" +
                 std::to_string(seconds) + "}}";
  HttpOutcome outcome = (*transport)->Send(request);
  if (!outcome.ok()) {
    return Status::IOError("TokenRequest to " + config.server + ": " + outcome.detail);
  }
  int code = outcome.response.status;
  if (code == 404 || code == 405) return std::optional<IssuedToken>();
  if (code != 200 && code != 201) {
    RequestSubject subject{"create",
                           "",
                           "v1",
                           "ServiceAccount",
                           "serviceaccounts",
                           kManagerNamespace,
                           std::string(kManagerServiceAccount) + "/token"};
    return ApiErrorToStatus(
        ParseApiError(code, outcome.response.body, outcome.response.Header("Retry-After")), subject,
        (*transport)->redactor());
  }
  auto answer = ParseJsonObject(outcome.response.body, "TokenRequest answer");
  std::string token = answer.ok() ? GetString(answer->json(), "status.token") : "";
  if (token.empty()) return Status::Internal("the TokenRequest answer holds no status.token");
  SecretRegistry::Global().Add(token);
  std::string expires = GetString(answer->json(), "status.expirationTimestamp");
  return std::optional<IssuedToken>(
      IssuedToken{token, "TokenRequest" + (expires.empty() ? "" : " (expires " + expires + ")")});
}

/// The pre-1.24 way: a service-account-token Secret the token controller fills in.
Result<IssuedToken> LegacyToken(KubeClient& target, const AddClusterOptions& options) {
  auto secret = ObjectFromJson(
      R"({"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/service-account-token",)"
      R"("metadata":{"name":)" +
          Quote(kLegacyTokenSecret) + R"(,"namespace":)" + Quote(kManagerNamespace) +
          R"(,"annotations":{"kubernetes.io/service-account.name":)" +
          Quote(kManagerServiceAccount) + "}}}",
      "token Secret");
  if (!secret.ok()) return secret.status();
  auto created = target.Create(*secret, WriteOptions());
  if (!created.ok() && !IsAlreadyExists(created.status())) return created.status();
  WaitOptions wait;
  wait.timeout = options.legacy_token_wait;
  ObjectKey key{{"", "v1", "Secret"}, kManagerNamespace, kLegacyTokenSecret};
  auto outcome = WaitFor(
      target, key, [](const Object* s) { return s && !GetString(s->json(), "data.token").empty(); },
      wait);
  if (!outcome.ok()) return outcome.status();
  std::string where = std::string("Secret ") + kManagerNamespace + "/" + kLegacyTokenSecret;
  if (!outcome->satisfied || !outcome->object) {
    return Status::FailedPrecondition(
        "the server refuses TokenRequest and its token controller did not fill " + where);
  }
  auto token = Base64Decode(GetString(outcome->object->json(), "data.token"));
  if (!token || token->empty()) return Status::Internal(where + ": data.token is not valid");
  SecretRegistry::Global().Add(*token);
  return IssuedToken{*token, where};
}

std::string ConfigJson(const std::string& token, const RestConfig& target) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("bearerToken");
  w.String(token.c_str());
  w.Key("tlsClientConfig");
  w.StartObject();
  w.Key("insecure");
  w.Bool(target.insecure_skip_tls_verify);
  if (!target.ca_pem.empty()) {
    w.Key("caData");
    w.String(Base64Encode(target.ca_pem).c_str());
  }
  if (!target.tls_server_name.empty()) {
    w.Key("serverName");
    w.String(target.tls_server_name.c_str());
  }
  w.EndObject();
  if (!target.proxy_url.empty()) {
    w.Key("proxyUrl");
    w.String(target.proxy_url.c_str());
  }
  w.EndObject();
  return buffer.GetString();
}

std::string ClusterSecretJson(const AddClusterOptions& options, const std::string& server,
                              const std::string& config_json) {
  std::string labels =
      Quote(kArgoSecretTypeLabel) + R"(:"cluster",)" + Quote(kOurSecretTypeLabel) + R"(:"cluster")";
  for (const auto& [key, value] : options.labels) {
    if (key == kArgoSecretTypeLabel || key == kOurSecretTypeLabel) continue;
    labels += "," + Quote(key) + ":" + Quote(value);
  }
  return R"({"apiVersion":"v1","kind":"Secret","type":"Opaque","metadata":{"name":)" +
         Quote(ClusterSecretName(server)) + R"(,"namespace":)" + Quote(options.cluster_namespace) +
         R"(,"labels":{)" + labels +
         R"(},"annotations":{"managed-by":"mlgitops"}},"data":{"name":)" +
         Quote(Base64Encode(options.name)) + R"(,"server":)" + Quote(Base64Encode(server)) +
         R"(,"config":)" + Quote(Base64Encode(config_json)) + "}}";
}

Status CheckRegistrable(const ClusterRegistry& registered, const std::string& server,
                        const AddClusterOptions& options) {
  if (options.name.empty()) return Status::InvalidArgument("the cluster needs a name");
  if (options.name == kInClusterName) {
    return Status::InvalidArgument(std::string("\"") + kInClusterName +
                                   "\" is the current cluster's name: choose another with --name");
  }
  for (const ClusterInfo& c : registered.clusters()) {
    if (c.server == server && !options.upsert) {
      return Status::FailedPrecondition(
          "cluster \"" + c.name + "\" already registers " + server +
          (c.secret_name.empty() ? std::string()
                                 : " (Secret " + c.secret_namespace + "/" + c.secret_name + ")") +
          ": use --upsert to replace it");
    }
    if (c.name == options.name && c.server != server) {
      return Status::FailedPrecondition("the name \"" + options.name + "\" is already used by " +
                                        c.server + ": choose another with --name");
    }
  }
  return Status::OK();
}

}  // namespace

std::string ClusterSecretName(const std::string& server) {
  std::string host = server;
  if (auto scheme = host.find("://"); scheme != std::string::npos) host = host.substr(scheme + 3);
  std::string safe;
  for (char c : host) {
    char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool ok = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9');
    if (ok) {
      safe += lower;
    } else if (!safe.empty() && safe.back() != '-') {
      safe += '-';
    }
  }
  while (!safe.empty() && safe.back() == '-') safe.pop_back();
  if (safe.size() > 40) safe.resize(40);
  while (!safe.empty() && safe.back() == '-') safe.pop_back();
  uint32_t hash = 2166136261u;  // FNV-1a: stable across runs, unlike std::hash
  for (unsigned char c : server) hash = (hash ^ c) * 16777619u;
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", hash);
  return "cluster-" + (safe.empty() ? std::string() : safe + "-") + hex;
}

Result<AddedCluster> AddCluster(KubeClient& current, const ClusterRegistry& registered,
                                KubeClient& target, const RestConfig& target_config,
                                const AddClusterOptions& options) {
  std::string server = NormalizeServer(target_config.server);
  Status ok = CheckRegistrable(registered, server, options);
  if (!ok.ok()) return ok;
  Status manager =
      ApplyAll(target, ManagerManifests(options.cluster_admin), options, "target " + server);
  if (!manager.ok()) return manager;

  auto requested = RequestToken(target_config, options.token_seconds);
  if (!requested.ok()) return requested.status().Prefixed("target " + server);
  IssuedToken issued;
  if (*requested) {
    issued = std::move(**requested);
  } else {
    Progress(options, "target " + server + ": TokenRequest not served, using a token Secret");
    auto legacy = LegacyToken(target, options);
    if (!legacy.ok()) return legacy.status().Prefixed("target " + server);
    issued = std::move(*legacy);
  }
  Progress(options, "target " + server + ": token issued by " + issued.source);

  std::string ns_json = R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":)" +
                        Quote(options.cluster_namespace) + "}}";
  std::string secret_json =
      ClusterSecretJson(options, server, ConfigJson(issued.token, target_config));
  Status stored = ApplyAll(current, {ns_json, secret_json}, options, "current cluster");
  if (!stored.ok()) return stored;

  auto secret = ObjectFromJson(secret_json, "cluster Secret");
  if (!secret.ok()) return secret.status();
  auto cluster = ParseClusterSecret(*secret);
  if (!cluster.ok()) return cluster.status();
  return AddedCluster{std::move(*cluster), issued.source};
}

Result<ClusterInfo> RemoveCluster(KubeClient& current, const ClusterRegistry& registered,
                                  const std::string& name) {
  auto cluster = registered.ByName(name);
  if (!cluster.ok()) return cluster.status();
  if (cluster->secret_name.empty()) {
    return Status::InvalidArgument(std::string("\"") + kInClusterName +
                                   "\" is the current cluster: it cannot be removed");
  }
  Status deleted = current.Delete(
      ObjectKey{{"", "v1", "Secret"}, cluster->secret_namespace, cluster->secret_name},
      DeleteOptions());
  if (!deleted.ok()) return deleted;
  return cluster;
}

Result<std::string> ServerVersion(const RestConfig& config, std::chrono::milliseconds timeout) {
  TransportOptions options;
  options.connect_timeout = timeout;
  options.request_timeout = timeout;
  options.max_connections = 1;
  auto transport = HttpsTransport::Create(config, options);
  if (!transport.ok()) return transport.status();
  HttpRequest request;
  request.method = "GET";
  request.path = "/version";
  HttpOutcome outcome = (*transport)->Send(request);
  if (!outcome.ok()) return Status::IOError(outcome.detail);
  if (outcome.response.status != 200) {
    ApiError error = ParseApiError(outcome.response.status, outcome.response.body, "");
    return Status::IOError(
        (*transport)
            ->redactor()
            .Redact("HTTP " + std::to_string(error.http_status) +
                    (error.reason.empty() ? std::string() : " " + error.reason) +
                    (error.message.empty() ? std::string() : ": " + error.message)));
  }
  auto answer = ParseJsonObject(outcome.response.body, "/version");
  if (!answer.ok()) return answer.status();
  std::string version = GetString(answer->json(), "gitVersion");
  if (version.empty()) return Status::Internal("/version has no gitVersion");
  return version;
}

std::vector<ClusterReachability> CheckClusters(const ClusterRegistry& registry,
                                               const Result<RestConfig>& current_config,
                                               std::chrono::milliseconds timeout) {
  std::vector<std::future<ClusterReachability>> checks;
  for (const ClusterInfo& cluster : registry.clusters()) {
    checks.push_back(std::async(std::launch::async, [&cluster, &current_config, timeout] {
      ClusterReachability row{cluster, false, "", ""};
      Result<RestConfig> config =
          cluster.in_cluster ? current_config : RestConfigForCluster(cluster);
      Result<std::string> version =
          config.ok() ? ServerVersion(*config, timeout) : Result<std::string>(config.status());
      if (version.ok()) {
        row.reachable = true;
        row.version = *version;
      } else {
        row.error = SecretRegistry::Global().Scrub(version.status().message());
      }
      return row;
    }));
  }
  std::vector<ClusterReachability> rows;
  for (auto& check : checks) rows.push_back(check.get());
  return rows;
}

Result<std::unique_ptr<KubeClient>> ConnectReachableCluster(const ClusterInfo& cluster,
                                                            KubeClient& current,
                                                            std::chrono::milliseconds timeout) {
  if (cluster.in_cluster) return ConnectCluster(cluster, current);
  std::string display = "destination cluster \"" + cluster.name + "\" (" + cluster.server + ")";
  auto config = RestConfigForCluster(cluster);
  if (!config.ok()) return config.status().Prefixed(display);
  auto version = ServerVersion(*config, timeout);
  if (!version.ok()) return version.status().Prefixed(display + " is unreachable");
  auto client = HttpKubeClient::Create(*config);
  if (!client.ok()) return client.status().Prefixed(display);
  return std::unique_ptr<KubeClient>(std::move(*client));
}

Result<KubeClient*> ClusterConnections::For(const Application& app) {
  const ApplicationDestination& d = app.destination;
  if (d.server.empty() && d.name.empty()) return &current_;
  auto cluster = registry_.Resolve(d);
  if (!cluster.ok()) return cluster.status().Prefixed(app.DisplayName());
  if (cluster->in_cluster) return &current_;
  std::lock_guard<std::mutex> lock(mu_);
  auto known = clients_.find(cluster->name);
  if (known != clients_.end()) return known->second.get();
  auto client = ConnectReachableCluster(*cluster, current_);
  if (!client.ok()) return client.status();
  KubeClient* raw = client->get();
  clients_.emplace(cluster->name, std::move(*client));
  return raw;
}

}  // namespace mlgitops
