// Reading cluster Secrets and resolving destinations against them.
#include "cluster/registry.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <set>

#include "kube/errors.h"
#include "kube/exec_credentials.h"
#include "object/base64.h"
#include "sys/redact.h"

namespace mlgitops {

namespace {

constexpr const char* kSecretTypeLabels[] = {kArgoSecretTypeLabel, kOurSecretTypeLabel};

std::string SecretDisplay(const Object& secret) {
  return "cluster Secret " + secret.namespace_() + "/" + secret.name();
}

/// A data key (base64) or stringData key of a Secret; nullopt when absent.
Result<std::optional<std::string>> SecretValue(const Object& secret, const char* key) {
  const JsonValue* data = Find(secret.json(), "data");
  if (data && data->IsObject()) {
    auto member = data->FindMember(key);
    if (member != data->MemberEnd() && member->value.IsString()) {
      auto decoded = Base64Decode(member->value.GetString());
      if (!decoded) {
        return Status::InvalidArgument(SecretDisplay(secret) + ": data." + key +
                                       " is not valid base64");
      }
      return std::optional<std::string>(std::move(*decoded));
    }
  }
  const JsonValue* string_data = Find(secret.json(), "stringData");
  if (string_data && string_data->IsObject()) {
    auto member = string_data->FindMember(key);
    if (member != string_data->MemberEnd() && member->value.IsString()) {
      return std::optional<std::string>(member->value.GetString());
    }
  }
  return std::optional<std::string>();
}

std::map<std::string, std::string> StringMap(const JsonValue* map) {
  std::map<std::string, std::string> out;
  if (!map || !map->IsObject()) return out;
  for (const auto& m : map->GetObject()) {
    if (m.value.IsString()) out[m.name.GetString()] = m.value.GetString();
  }
  return out;
}

std::vector<std::string> SplitCommaList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = TrimSpace(text.substr(start, comma - start));
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
}

/// Reads config fields by name with type checks; errors name the field, never its value.
class ConfigReader {
 public:
  ConfigReader(const rapidjson::Value& object, std::string where)
      : object_(object), where_(std::move(where)) {}

  Status String(const char* key, std::string* out) const {
    const rapidjson::Value* v = Member(key);
    if (!v || v->IsNull()) return Status::OK();
    if (!v->IsString()) return Wrong(key, "a string");
    *out = v->GetString();
    return Status::OK();
  }
  Status Bool(const char* key, bool* out) const {
    const rapidjson::Value* v = Member(key);
    if (!v || v->IsNull()) return Status::OK();
    if (!v->IsBool()) return Wrong(key, "true or false");
    *out = v->GetBool();
    return Status::OK();
  }
  /// base64 PEM data (caData, certData, keyData).
  Status Pem(const char* key, std::string* out) const {
    std::string encoded;
    Status s = String(key, &encoded);
    if (!s.ok() || encoded.empty()) return s;
    auto decoded = Base64Decode(encoded);
    if (!decoded) return Status::InvalidArgument(where_ + "." + key + " is not valid base64");
    *out = std::move(*decoded);
    return Status::OK();
  }
  const rapidjson::Value* Object(const char* key, Status* status) const {
    const rapidjson::Value* v = Member(key);
    if (!v || v->IsNull()) return nullptr;
    if (!v->IsObject()) {
      *status = Wrong(key, "an object");
      return nullptr;
    }
    return v;
  }
  const rapidjson::Value* Member(const char* key) const {
    auto it = object_.FindMember(key);
    return it == object_.MemberEnd() ? nullptr : &it->value;
  }
  Status Wrong(const char* key, const char* expected) const {
    return Status::InvalidArgument(where_ + "." + key + " must be " + expected);
  }
  const std::string& where() const { return where_; }

 private:
  const rapidjson::Value& object_;
  std::string where_;
};

Result<ExecConfig> ParseExecProvider(const ConfigReader& r) {
  ExecConfig exec;
  Status s = r.String("command", &exec.command);
  if (s.ok()) s = r.String("apiVersion", &exec.api_version);
  if (s.ok()) s = r.String("installHint", &exec.install_hint);
  if (!s.ok()) return s;
  if (exec.command.empty()) return Status::InvalidArgument(r.where() + ".command is required");
  if (exec.api_version.empty()) exec.api_version = std::string(kExecApiV1beta1);
  if (const rapidjson::Value* args = r.Member("args"); args && !args->IsNull()) {
    if (!args->IsArray()) return r.Wrong("args", "a list of strings");
    for (const auto& a : args->GetArray()) {
      if (!a.IsString()) return r.Wrong("args", "a list of strings");
      exec.args.push_back(a.GetString());
    }
  }
  if (const rapidjson::Value* env = r.Member("env"); env && !env->IsNull()) {
    if (!env->IsObject()) return r.Wrong("env", "a map of strings");
    for (const auto& e : env->GetObject()) {
      if (!e.value.IsString()) return r.Wrong("env", "a map of strings");
      exec.env.emplace_back(e.name.GetString(), e.value.GetString());
    }
  }
  // Nobody is at a terminal when a controller syncs: the plugin must not prompt.
  exec.interactive_mode = "Never";
  return exec;
}

/// Argo CD runs `argocd-k8s-auth aws`; the AWS CLI prints the same ExecCredential.
Result<ExecConfig> ParseAwsAuth(const ConfigReader& r) {
  std::string cluster_name, role_arn, profile;
  Status s = r.String("clusterName", &cluster_name);
  if (s.ok()) s = r.String("roleARN", &role_arn);
  if (s.ok()) s = r.String("profile", &profile);
  if (!s.ok()) return s;
  if (cluster_name.empty()) return Status::InvalidArgument(r.where() + ".clusterName is required");
  ExecConfig exec;
  exec.api_version = std::string(kExecApiV1beta1);
  exec.command = "aws";
  exec.args = {"eks", "get-token", "--cluster-name", cluster_name, "--output", "json"};
  if (!role_arn.empty()) exec.args.insert(exec.args.end(), {"--role-arn", role_arn});
  if (!profile.empty()) exec.args.insert(exec.args.end(), {"--profile", profile});
  exec.interactive_mode = "Never";
  exec.install_hint = "the AWS CLI (aws) is needed for awsAuthConfig clusters";
  return exec;
}

Result<ClusterConfig> ParseClusterConfig(const std::string& json, const std::string& where) {
  ClusterConfig config;
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  // The text may hold a token: the message gives the position, never the text.
  if (doc.HasParseError()) {
    return Status::InvalidArgument(where + " is not valid JSON (error at byte " +
                                   std::to_string(doc.GetErrorOffset()) + ")");
  }
  if (!doc.IsObject()) return Status::InvalidArgument(where + " must be a JSON object");
  ConfigReader r(doc, where);
  Status s = r.String("bearerToken", &config.bearer_token);
  if (s.ok()) s = r.String("username", &config.username);
  if (s.ok()) s = r.String("password", &config.password);
  if (s.ok()) s = r.String("proxyUrl", &config.proxy_url);
  if (!s.ok()) return s;
  if (const rapidjson::Value* tls = r.Object("tlsClientConfig", &s)) {
    ConfigReader t(*tls, where + ".tlsClientConfig");
    s = t.Pem("caData", &config.ca_pem);
    if (s.ok()) s = t.Pem("certData", &config.cert_pem);
    if (s.ok()) s = t.Pem("keyData", &config.key_pem);
    if (s.ok()) s = t.Bool("insecure", &config.insecure);
    if (s.ok()) s = t.String("serverName", &config.server_name);
  }
  if (!s.ok()) return s;
  if (const rapidjson::Value* exec = r.Object("execProviderConfig", &s)) {
    auto parsed = ParseExecProvider(ConfigReader(*exec, where + ".execProviderConfig"));
    if (!parsed.ok()) return parsed.status();
    config.exec = std::move(*parsed);
  } else if (const rapidjson::Value* aws = r.Object("awsAuthConfig", &s)) {
    auto parsed = ParseAwsAuth(ConfigReader(*aws, where + ".awsAuthConfig"));
    if (!parsed.ok()) return parsed.status();
    config.exec = std::move(*parsed);
  }
  if (!s.ok()) return s;
  if (config.cert_pem.empty() != config.key_pem.empty()) {
    return Status::InvalidArgument(where +
                                   ".tlsClientConfig needs both certData and keyData, or neither");
  }
  return config;
}

void RegisterSecrets(const ClusterConfig& config) {
  SecretRegistry& registry = SecretRegistry::Global();
  for (const std::string* secret : {&config.bearer_token, &config.password, &config.key_pem}) {
    if (!secret->empty()) registry.Add(*secret);
  }
}

}  // namespace

std::string NormalizeServer(std::string server) {
  while (!server.empty() && server.back() == '/') server.pop_back();
  return server;
}

ClusterInfo InClusterInfo() {
  ClusterInfo info;
  info.name = kInClusterName;
  info.server = kInClusterServer;
  info.in_cluster = true;
  return info;
}

Result<ClusterInfo> ParseClusterSecret(const Object& secret) {
  ClusterInfo info;
  info.secret_name = secret.name();
  info.secret_namespace = secret.namespace_();
  info.labels = StringMap(Find(secret.json(), "metadata.labels"));
  info.annotations = StringMap(Find(secret.json(), "metadata.annotations"));
  auto value = [&](const char* key, std::string* out) -> Status {
    auto read = SecretValue(secret, key);
    if (!read.ok()) return read.status();
    if (*read) *out = std::move(**read);
    return Status::OK();
  };
  std::string config_json, namespaces, cluster_resources;
  Status s = value("name", &info.name);
  if (s.ok()) s = value("server", &info.server);
  if (s.ok()) s = value("config", &config_json);
  if (s.ok()) s = value("namespaces", &namespaces);
  if (s.ok()) s = value("clusterResources", &cluster_resources);
  if (s.ok()) s = value("project", &info.project);
  if (!s.ok()) return s;
  info.server = NormalizeServer(TrimSpace(info.server));
  if (info.server.empty()) {
    return Status::InvalidArgument(SecretDisplay(secret) + ": data.server is missing");
  }
  info.in_cluster = info.server == kInClusterServer;
  if (info.name.empty()) {
    if (!info.in_cluster) {
      return Status::InvalidArgument(SecretDisplay(secret) + ": data.name is missing");
    }
    info.name = kInClusterName;
  }
  info.namespaces = SplitCommaList(namespaces);
  info.cluster_resources = TrimSpace(cluster_resources) == "true";
  if (config_json.empty()) {
    if (!info.in_cluster) {
      return Status::InvalidArgument(SecretDisplay(secret) + ": data.config is missing");
    }
    return info;
  }
  auto config = ParseClusterConfig(config_json, SecretDisplay(secret) + ": config");
  if (!config.ok()) return config.status();
  info.config = std::move(*config);
  RegisterSecrets(info.config);
  return info;
}

ClusterRegistryOptions RegistryOptionsFor(const std::string& namespace_flag,
                                          const GetEnvFn& getenv) {
  std::string ours = namespace_flag;
  if (ours.empty() && getenv) ours = EnvValue(getenv, kClusterEnvNamespace);
  if (ours.empty()) ours = kDefaultClusterNamespace;
  ClusterRegistryOptions options;
  options.namespaces = {ours};
  if (ours != kArgoCdNamespace) options.namespaces.push_back(kArgoCdNamespace);
  return options;
}

Result<ClusterRegistry> ClusterRegistry::Load(KubeClient& current,
                                              const ClusterRegistryOptions& options) {
  ClusterRegistry registry;
  registry.clusters_.push_back(InClusterInfo());
  std::set<std::string> seen;  // namespace/name: a Secret with both labels is read once
  for (size_t i = 0; i < options.namespaces.size(); ++i) {
    const std::string& ns = options.namespaces[i];
    for (const char* label : kSecretTypeLabels) {
      ListOptions list_options;
      list_options.label_selector = std::string(label) + "=cluster";
      auto secrets = ListAll(current, {"", "v1", "Secret"}, ns, list_options);
      if (!secrets.ok()) {
        // Argo CD's namespace is read when it can be; ours must be readable.
        if (i > 0 && ns == kArgoCdNamespace) {
          registry.warnings_.push_back("cluster Secrets in namespace " + ns +
                                       " not read: " + secrets.status().message());
          break;
        }
        return secrets.status().Prefixed("reading cluster Secrets in namespace " + ns);
      }
      for (const Object& secret : secrets->items) {
        if (!seen.insert(secret.namespace_() + "/" + secret.name()).second) continue;
        auto cluster = ParseClusterSecret(secret);
        if (!cluster.ok()) {
          registry.warnings_.push_back(cluster.status().message() + " (cluster left out)");
          continue;
        }
        registry.Add(std::move(*cluster));
      }
    }
  }
  return registry;
}

ClusterRegistry ClusterRegistry::FromClusters(std::vector<ClusterInfo> clusters) {
  ClusterRegistry registry;
  registry.clusters_.push_back(InClusterInfo());
  for (ClusterInfo& c : clusters) {
    c.server = NormalizeServer(c.server);
    registry.Add(std::move(c));
  }
  return registry;
}

void ClusterRegistry::Add(ClusterInfo cluster) {
  // A Secret for kubernetes.default.svc names and labels the in-cluster entry (Argo CD's way
  // of renaming it); the first such Secret wins.
  if (cluster.in_cluster && clusters_.front().secret_name.empty()) {
    clusters_.front() = std::move(cluster);
    return;
  }
  auto at =
      std::upper_bound(clusters_.begin() + 1, clusters_.end(), cluster,
                       [](const ClusterInfo& a, const ClusterInfo& b) { return a.name < b.name; });
  clusters_.insert(at, std::move(cluster));
}

std::string ClusterRegistry::KnownNames() const {
  std::string out;
  for (const ClusterInfo& c : clusters_) out += (out.empty() ? "" : ", ") + c.name;
  return out;
}

Result<ClusterInfo> ClusterRegistry::ByName(const std::string& name) const {
  std::vector<const ClusterInfo*> matches;
  for (const ClusterInfo& c : clusters_) {
    if (c.name == name) matches.push_back(&c);
  }
  if (matches.empty()) {
    return Status::NotFound("there are no clusters with this name: \"" + name +
                            "\" (known clusters: " + KnownNames() + ")");
  }
  if (matches.size() > 1) {
    std::string secrets;
    for (const ClusterInfo* c : matches) {
      secrets += (secrets.empty() ? "" : ", ") + (c->secret_name.empty()
                                                      ? std::string("built-in")
                                                      : c->secret_namespace + "/" + c->secret_name);
    }
    return Status::InvalidArgument("there are " + std::to_string(matches.size()) +
                                   " clusters with the same name: \"" + name + "\" (Secrets " +
                                   secrets + ")");
  }
  return *matches.front();
}

std::optional<ClusterInfo> ClusterRegistry::ByServer(const std::string& server) const {
  std::string wanted = NormalizeServer(server);
  for (const ClusterInfo& c : clusters_) {
    if (c.server == wanted) return c;
  }
  return std::nullopt;
}

Result<ClusterInfo> ClusterRegistry::Resolve(const ApplicationDestination& destination) const {
  if (!destination.name.empty() && !destination.server.empty()) {
    return Status::InvalidArgument(
        "application destination can't have both name and server defined");
  }
  if (!destination.name.empty()) return ByName(destination.name);
  if (destination.server.empty()) {
    return Status::InvalidArgument(
        "application destination has neither name nor server: set one of them");
  }
  if (auto found = ByServer(destination.server)) return *found;
  return Status::NotFound("no cluster is registered for server " +
                          NormalizeServer(destination.server) +
                          " (known clusters: " + KnownNames() + ")");
}

Result<RestConfig> RestConfigForCluster(const ClusterInfo& cluster,
                                        std::shared_ptr<ProcessRunner> runner) {
  if (cluster.secret_name.empty()) {
    return Status::InvalidArgument("cluster " + cluster.name +
                                   " has no Secret: it is reached through the current context");
  }
  const ClusterConfig& c = cluster.config;
  RestConfig config;
  config.context_name = cluster.name;
  config.cluster_name = cluster.name;
  config.server = cluster.server;
  config.namespace_ = "default";
  config.ca_pem = c.ca_pem;
  config.insecure_skip_tls_verify = c.insecure;
  config.tls_server_name = c.server_name;
  config.proxy_url = c.proxy_url;
  config.client_cert_pem = c.cert_pem;
  config.client_key_pem = c.key_pem;
  config.token = c.bearer_token;
  config.username = c.username;
  config.password = c.password;
  config.origin = "cluster Secret " + cluster.secret_namespace + "/" + cluster.secret_name;
  if (c.exec) {
    ExecClusterInfo info;
    info.server = config.server;
    info.tls_server_name = config.tls_server_name;
    info.insecure_skip_tls_verify = config.insecure_skip_tls_verify;
    info.ca_pem = config.ca_pem;
    info.proxy_url = config.proxy_url;
    if (!runner) runner = std::make_shared<SystemProcessRunner>();
    config.exec = *c.exec;
    config.credentials = std::make_shared<ExecCredentialProvider>(
        *c.exec, info, std::move(runner), config.origin + ": execProviderConfig");
  }
  return config;
}

Result<std::unique_ptr<KubeClient>> ConnectCluster(const ClusterInfo& cluster, KubeClient& current,
                                                   KubeClientOptions options) {
  // kubernetes.default.svc only resolves inside a pod: the current context is that cluster.
  if (cluster.in_cluster) {
    return std::unique_ptr<KubeClient>(std::make_unique<BorrowedKubeClient>(current));
  }
  auto config = RestConfigForCluster(cluster);
  if (!config.ok()) return config.status();
  auto client = HttpKubeClient::Create(*config, std::move(options));
  if (!client.ok()) return client.status().Prefixed("cluster " + cluster.name);
  return std::unique_ptr<KubeClient>(std::move(*client));
}

}  // namespace mlgitops
