// In-cluster configuration from the service-account mount and the injected service variables.
#include "kube/in_cluster.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>

#include "kube/exec_credentials.h"
#include "object/yaml_loader.h"

namespace mlgitops {

namespace {

constexpr size_t kMaxCaBytes = size_t{4} << 20;

bool IsPort(const std::string& text) {
  if (text.empty() || text.size() > 5) return false;
  if (!std::all_of(text.begin(), text.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return false;
  }
  int port = std::stoi(text);
  return port > 0 && port < 65536;
}

std::string PodNamespace(const GetEnvFn& getenv, const std::string& dir) {
  std::string from_env = EnvValue(getenv, "POD_NAMESPACE");
  if (!from_env.empty()) return from_env;
  Result<std::string> from_file = ReadTrimmedFile(dir + "/namespace", 4096, dir + "/namespace");
  return from_file.ok() && !from_file->empty() ? *from_file : "default";
}

}  // namespace

bool InClusterPossible(const GetEnvFn& getenv, const std::string& service_account_dir) {
  struct stat st;
  return !EnvValue(getenv, "KUBERNETES_SERVICE_HOST").empty() &&
         !EnvValue(getenv, "KUBERNETES_SERVICE_PORT").empty() &&
         ::stat((service_account_dir + "/token").c_str(), &st) == 0;
}

Result<RestConfig> LoadInClusterConfig(const GetEnvFn& getenv,
                                       const std::string& service_account_dir,
                                       const std::string& namespace_override) {
  std::string host = EnvValue(getenv, "KUBERNETES_SERVICE_HOST");
  std::string port = EnvValue(getenv, "KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return Status::FailedPrecondition(
        "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both "
        "be set");
  }
  if (!IsPort(port)) {
    return Status::InvalidArgument("KUBERNETES_SERVICE_PORT is not a port number: " + port);
  }
  RestConfig config;
  config.origin = "in-cluster";
  config.context_name = "in-cluster";
  bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  config.server = "https://" + (ipv6 ? "[" + host + "]" : host) + ":" + port;

  const std::string token_path = service_account_dir + "/token";
  Result<std::string> token = ReadTokenFile(token_path, token_path);
  if (!token.ok()) return token.status().Prefixed("in-cluster service account");
  config.token = *token;
  config.token_file = token_path;
  config.credentials = std::make_shared<TokenFileProvider>(token_path, token_path);

  const std::string ca_path = service_account_dir + "/ca.crt";
  Result<std::string> ca = ReadFileLimited(ca_path, kMaxCaBytes, ca_path);
  if (ca.ok()) {
    config.ca_pem = *ca;
  } else {
    config.warnings.push_back("cannot read the service account CA (" + ca.status().message() +
                              "); using the system roots");
  }
  config.namespace_ =
      namespace_override.empty() ? PodNamespace(getenv, service_account_dir) : namespace_override;
  return config;
}

}  // namespace mlgitops
