// kubeconfig loading: find the files, merge them by kubectl's first-wins rule, pick the
// context, then turn its cluster and user into a RestConfig.
#include "kube/kubeconfig.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "object/base64.h"
#include "object/object.h"
#include "object/yaml_loader.h"
#include "sys/redact.h"

namespace mlgitops {

namespace {

constexpr size_t kMaxKubeconfigBytes = size_t{16} << 20;
constexpr size_t kMaxPemFileBytes = size_t{4} << 20;
constexpr char kExecExtensionName[] = "client.authentication.k8s.io/exec";

// ---- Files and merging ----

struct SourceFile {
  std::string path;
  std::string display;  // the path with $HOME shown as ~
  std::string dir;      // relative paths inside the file resolve here
  std::optional<Object> doc;
};

/// One named element of clusters[], users[] or contexts[].
struct Entry {
  const SourceFile* file = nullptr;
  std::string list;
  size_t index = 0;
  std::string name;
  const JsonValue* body = nullptr;  // the cluster/user/context map; null when empty

  std::string Where() const {
    return file->display + ": " + list + "[" + std::to_string(index) + "] \"" + name + "\"";
  }
};

struct MergedKubeconfig {
  std::vector<std::unique_ptr<SourceFile>> files;
  std::map<std::string, Entry> clusters, users, contexts;
  std::string current_context;

  bool empty() const {
    return clusters.empty() && users.empty() && contexts.empty() && current_context.empty();
  }
  std::string FileList() const {
    std::string out;
    for (const auto& file : files) out += (out.empty() ? "" : ", ") + file->display;
    return out.empty() ? "(no kubeconfig file)" : out;
  }
};

std::string DisplayPath(const std::string& path, const std::string& home) {
  if (!home.empty() && home != "/" && path.size() > home.size() &&
      path.compare(0, home.size(), home) == 0 && path[home.size()] == '/') {
    return "~" + path.substr(home.size());
  }
  return path;
}

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string ResolvePath(const SourceFile& file, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return file.dir + "/" + path;
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string Available(const std::map<std::string, Entry>& entries) {
  std::string names;
  for (const auto& entry : entries) names += (names.empty() ? "" : ", ") + entry.first;
  return names.empty() ? "none are defined" : "defined: " + names;
}

/// Adds the entries of one list (`clusters`, with inner key `cluster`) from `file`; names
/// already merged from an earlier file are left alone.
Status MergeList(const SourceFile& file, const char* list, const char* inner,
                 std::map<std::string, Entry>* merged) {
  const JsonValue* items = Find(file.doc->json(), list);
  if (items == nullptr || items->IsNull()) return Status::OK();
  if (!items->IsArray()) {
    return Status::InvalidArgument(file.display + ": " + list + " is not a list");
  }
  std::set<std::string> seen;
  for (rapidjson::SizeType i = 0; i < items->Size(); ++i) {
    const JsonValue& item = (*items)[i];
    std::string where = file.display + ": " + list + "[" + std::to_string(i) + "]";
    if (!item.IsObject()) return Status::InvalidArgument(where + " is not a map");
    std::string name = GetString(item, "name");
    if (name.empty()) return Status::InvalidArgument(where + " has no name");
    if (!seen.insert(name).second) {
      return Status::InvalidArgument(where + ": duplicate name \"" + name + "\" in " + list);
    }
    const JsonValue* body = Find(item, inner);
    if (body != nullptr && body->IsNull()) body = nullptr;
    if (body != nullptr && !body->IsObject()) {
      return Status::InvalidArgument(where + " \"" + name + "\": " + inner + " is not a map");
    }
    if (merged->count(name) == 0) (*merged)[name] = Entry{&file, list, i, name, body};
  }
  return Status::OK();
}

Status MergeFile(std::unique_ptr<SourceFile> file, MergedKubeconfig* merged) {
  Result<std::string> text = ReadFileLimited(file->path, kMaxKubeconfigBytes, file->display);
  if (!text.ok()) return text.status();
  Result<std::vector<Object>> docs = ParseYamlStream(*text, file->display);
  if (!docs.ok()) return docs.status();
  if (docs->size() > 1) {
    return Status::InvalidArgument(file->display + ": holds more than one YAML document");
  }
  if (docs->empty()) {  // an empty kubeconfig is valid and contributes nothing
    merged->files.push_back(std::move(file));
    return Status::OK();
  }
  if (!(*docs)[0].json().IsObject()) {
    return Status::InvalidArgument(file->display + ": is not a kubeconfig (expected a map)");
  }
  file->doc = std::move((*docs)[0]);
  const SourceFile& source = *file;
  merged->files.push_back(std::move(file));
  for (auto [list, inner, entries] : {std::make_tuple("clusters", "cluster", &merged->clusters),
                                      std::make_tuple("users", "user", &merged->users),
                                      std::make_tuple("contexts", "context", &merged->contexts)}) {
    Status status = MergeList(source, list, inner, entries);
    if (!status.ok()) return status;
  }
  const JsonValue* current = Find(source.doc->json(), "current-context");
  if (current != nullptr && !current->IsNull() && !current->IsString()) {
    return Status::InvalidArgument(source.display + ": current-context must be a string");
  }
  if (merged->current_context.empty()) {
    merged->current_context = GetString(source.doc->json(), "current-context");
  }
  return Status::OK();
}

Result<MergedKubeconfig> LoadMerged(const KubeconfigOptions& options, const GetEnvFn& getenv) {
  const std::string home = EnvValue(getenv, "HOME");
  MergedKubeconfig merged;
  for (const std::string& path : KubeconfigSearchPaths(options, getenv)) {
    const bool explicit_file = !options.kubeconfig_flag.empty();
    if (!FileExists(path)) {
      if (explicit_file) return Status::NotFound("--kubeconfig " + path + ": no such file");
      continue;
    }
    auto file = std::make_unique<SourceFile>();
    file->path = path;
    file->display = DisplayPath(path, home);
    file->dir = DirectoryOf(path);
    Status status = MergeFile(std::move(file), &merged);
    if (!status.ok()) return status;
  }
  return merged;
}

// ---- Reading one entry's fields ----

/// Typed access to the map of one entry (or a map nested in it, such as `exec`, whose keys are
/// then named "exec.command"); errors say where and which key, never the value.
class Fields {
 public:
  explicit Fields(const Entry& entry) : entry_(entry), body_(entry.body) {}
  Fields(const Entry& entry, const JsonValue* nested, std::string key_prefix)
      : entry_(entry), body_(nested), key_prefix_(std::move(key_prefix)) {}

  const Entry& entry() const { return entry_; }
  Status Error(const std::string& what) const {
    return Status::InvalidArgument(entry_.Where() + ": " + what);
  }
  const JsonValue* Get(const char* key) const {
    if (body_ == nullptr) return nullptr;
    const JsonValue* value = Find(*body_, key);
    return value == nullptr || value->IsNull() ? nullptr : value;
  }
  Status String(const char* key, std::string* out) const {
    const JsonValue* value = Get(key);
    if (value == nullptr) return Status::OK();
    if (!value->IsString()) return Error(key_prefix_ + key + " must be a string");
    out->assign(value->GetString(), value->GetStringLength());
    return Status::OK();
  }
  Status Bool(const char* key, bool* out) const {
    const JsonValue* value = Get(key);
    if (value == nullptr) return Status::OK();
    if (!value->IsBool()) return Error(key_prefix_ + key + " must be true or false");
    *out = value->GetBool();
    return Status::OK();
  }
  std::string Resolve(const std::string& path) const { return ResolvePath(*entry_.file, path); }

 private:
  const Entry& entry_;
  const JsonValue* body_;
  std::string key_prefix_;
};

/// Reads a string field; returns the first failure of a sequence of reads.
Status ReadStrings(const Fields& fields,
                   std::initializer_list<std::pair<const char*, std::string*>> keys) {
  for (const auto& [key, out] : keys) {
    Status status = fields.String(key, out);
    if (!status.ok()) return status;
  }
  return Status::OK();
}

/// A PEM value given inline (`data_key`, base64) or as a file (`file_key`); data wins.
/// Secret values (client keys) are registered and never quoted.
Status ReadPem(const Fields& fields, const char* data_key, const char* file_key, bool secret,
               std::string* pem, std::vector<std::string>* warnings) {
  std::string data, file;
  Status read = ReadStrings(fields, {{data_key, &data}, {file_key, &file}});
  if (!read.ok()) return read;
  if (secret) SecretRegistry::Global().Add(data);
  if (!data.empty()) {
    if (!file.empty()) {
      warnings->push_back(fields.entry().Where() + ": both " + data_key + " and " + file_key +
                          " are set; using " + data_key);
    }
    std::optional<std::string> decoded = Base64Decode(data);
    if (!decoded) {
      return fields.Error(std::string(data_key) +
                          " is not valid base64 (it holds the base64 of a PEM file; to give a "
                          "path, use " +
                          file_key + ")");
    }
    *pem = std::move(*decoded);
  } else if (!file.empty()) {
    std::string path = fields.Resolve(file);
    Result<std::string> contents = ReadFileLimited(path, kMaxPemFileBytes, path);
    if (!contents.ok()) return contents.status().Prefixed(fields.entry().Where() + ": " + file_key);
    *pem = std::move(*contents);
  } else {
    return Status::OK();
  }
  if (secret) SecretRegistry::Global().Add(*pem);
  if (pem->find("-----BEGIN ") == std::string::npos) {
    return fields.Error(std::string(data.empty() ? file_key : data_key) +
                        " does not hold PEM data (no -----BEGIN line)");
  }
  return Status::OK();
}

// ---- Clusters ----

std::string SchemeOf(const std::string& url) {
  size_t sep = url.find("://");
  if (sep == std::string::npos) return "";
  std::string scheme = url.substr(0, sep);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return scheme;
}

/// Registers the password of `url`'s userinfo, if any.
void RememberUrlPassword(const std::string& url) {
  size_t start = url.find("://");
  if (start == std::string::npos) return;
  start += 3;
  size_t authority_end = std::min(url.find_first_of("/?#", start), url.size());
  size_t at = url.rfind('@', authority_end - 1);
  if (at == std::string::npos || at < start) return;
  size_t colon = url.find(':', start);
  SecretRegistry::Global().Add(colon < at ? url.substr(colon + 1, at - colon - 1)
                                          : url.substr(start, at - start));
}

Status CheckProxyUrl(const Fields& fields, const std::string& proxy_url) {
  RememberUrlPassword(proxy_url);
  std::string scheme = SchemeOf(proxy_url);
  if (scheme == "http" || scheme == "https") return Status::OK();
  std::string shown = RedactUrlUserinfo(proxy_url);
  if (scheme == "socks5" || scheme == "socks5h") {
    return Status::Unsupported(fields.entry().Where() + ": proxy-url " + shown +
                               " is a SOCKS proxy, which mlgitops does not support; use an "
                               "http:// or https:// proxy");
  }
  return fields.Error("proxy-url " + shown + " must start with http:// or https://");
}

/// The exec extension (`extensions[] {name: client.authentication.k8s.io/exec, extension}`)
/// as JSON, passed to plugins as spec.cluster.config.
Result<std::string> ExecExtensionJson(const Fields& fields) {
  const JsonValue* extensions = fields.Get("extensions");
  if (extensions == nullptr) return std::string();
  if (!extensions->IsArray()) return fields.Error("extensions must be a list");
  for (const JsonValue& extension : extensions->GetArray()) {
    if (!extension.IsObject() || GetString(extension, "name") != kExecExtensionName) continue;
    const JsonValue* value = Find(extension, "extension");
    if (value == nullptr || value->IsNull()) return std::string();
    if (!value->IsObject()) {
      return fields.Error(std::string("extensions \"") + kExecExtensionName +
                          "\": extension must be a map");
    }
    return ToJson(*value);
  }
  return std::string();
}

Status ApplyCluster(const Entry& entry, RestConfig* config, ExecClusterInfo* exec_info) {
  Fields fields(entry);
  Status status = ReadStrings(fields, {{"server", &config->server},
                                       {"tls-server-name", &config->tls_server_name},
                                       {"proxy-url", &config->proxy_url}});
  if (!status.ok()) return status;
  status = fields.Bool("insecure-skip-tls-verify", &config->insecure_skip_tls_verify);
  if (!status.ok()) return status;
  if (config->server.empty()) return fields.Error("server is not set");
  RememberUrlPassword(config->server);
  std::string scheme = SchemeOf(config->server);
  if (!scheme.empty() && scheme != "https" && scheme != "http") {
    return fields.Error("server " + RedactUrlUserinfo(config->server) +
                        " must be an https:// (or http://) URL");
  }
  while (config->server.size() > 1 && config->server.back() == '/') config->server.pop_back();
  status = ReadPem(fields, "certificate-authority-data", "certificate-authority", false,
                   &config->ca_pem, &config->warnings);
  if (!status.ok()) return status;
  if (config->insecure_skip_tls_verify && !config->ca_pem.empty()) {
    return fields.Error(
        "insecure-skip-tls-verify cannot be combined with certificate-authority(-data); "
        "remove one of them");
  }
  if (!config->proxy_url.empty()) {
    status = CheckProxyUrl(fields, config->proxy_url);
    if (!status.ok()) return status;
  }
  Result<std::string> extension = ExecExtensionJson(fields);
  if (!extension.ok()) return extension.status();
  exec_info->config_json = *extension;
  return Status::OK();
}

// ---- Users ----

Status ReadExecEnv(const Fields& fields, const JsonValue& env, ExecConfig* exec) {
  if (!env.IsArray()) return fields.Error("exec.env must be a list of {name, value}");
  for (rapidjson::SizeType i = 0; i < env.Size(); ++i) {
    const JsonValue& item = env[i];
    const JsonValue* name = item.IsObject() ? Find(item, "name") : nullptr;
    const JsonValue* value = item.IsObject() ? Find(item, "value") : nullptr;
    if (name == nullptr || !name->IsString() ||
        (value != nullptr && !value->IsNull() && !value->IsString())) {
      return fields.Error("exec.env[" + std::to_string(i) + "] must be {name, value} strings");
    }
    exec->env.emplace_back(name->GetString(), value && value->IsString() ? value->GetString() : "");
  }
  return Status::OK();
}

Result<ExecConfig> ReadExec(const Fields& fields, const JsonValue& body) {
  if (!body.IsObject()) return fields.Error("exec must be a map");
  Fields exec_fields(fields.entry(), &body, "exec.");
  ExecConfig exec;
  Status status = ReadStrings(exec_fields, {{"apiVersion", &exec.api_version},
                                            {"command", &exec.command},
                                            {"installHint", &exec.install_hint},
                                            {"interactiveMode", &exec.interactive_mode}});
  if (status.ok()) status = exec_fields.Bool("provideClusterInfo", &exec.provide_cluster_info);
  if (!status.ok()) return status;
  if (const JsonValue* args = exec_fields.Get("args")) {
    if (!args->IsArray()) return fields.Error("exec.args must be a list of strings");
    for (const JsonValue& arg : args->GetArray()) {
      if (!arg.IsString()) return fields.Error("exec.args must be a list of strings");
      exec.args.emplace_back(arg.GetString(), arg.GetStringLength());
    }
  }
  if (const JsonValue* env = exec_fields.Get("env")) {
    status = ReadExecEnv(fields, *env, &exec);
    if (!status.ok()) return status;
  }
  if (exec.interactive_mode.empty() && exec.api_version == kExecApiV1beta1) {
    exec.interactive_mode = "IfAvailable";  // the v1beta1 default; v1 requires the field
  }
  status = ValidateExecConfig(exec);
  if (!status.ok()) return status.Prefixed(fields.entry().Where());
  if (exec.command.find('/') != std::string::npos) exec.command = fields.Resolve(exec.command);
  return exec;
}

Status RefuseAuthProvider(const Fields& fields) {
  const JsonValue* provider = fields.Get("auth-provider");
  if (provider == nullptr) return Status::OK();
  std::string name = provider->IsObject() ? GetString(*provider, "name") : "";
  return Status::Unsupported(
      fields.entry().Where() + ": auth-provider" + (name.empty() ? "" : " \"" + name + "\"") +
      " is not supported; use an exec credential plugin instead (GKE: gke-gcloud-auth-plugin, "
      "AKS: kubelogin convert-kubeconfig, OIDC: an exec plugin such as kubectl oidc-login)");
}

struct UserResult {
  std::optional<ExecConfig> exec;
  std::string token_file;  // resolved; set only when it supplies the token
};

Status ApplyUser(const Entry& entry, RestConfig* config, UserResult* user) {
  Fields fields(entry);
  Status status = RefuseAuthProvider(fields);
  if (!status.ok()) return status;
  std::string token_file;
  status = ReadStrings(fields, {{"token", &config->token},
                                {"tokenFile", &token_file},
                                {"username", &config->username},
                                {"password", &config->password}});
  SecretRegistry::Global().Add(config->token);
  SecretRegistry::Global().Add(config->password);
  if (!status.ok()) return status;
  bool token_auth = !config->token.empty() || !token_file.empty();
  bool basic_auth = !config->username.empty() || !config->password.empty();
  if (token_auth && basic_auth) {
    return fields.Error(
        "more than one authentication method (token and username/password); "
        "keep one");
  }
  status = ReadPem(fields, "client-certificate-data", "client-certificate", false,
                   &config->client_cert_pem, &config->warnings);
  if (status.ok()) {
    status = ReadPem(fields, "client-key-data", "client-key", true, &config->client_key_pem,
                     &config->warnings);
  }
  if (!status.ok()) return status;
  if (config->client_cert_pem.empty() != config->client_key_pem.empty()) {
    return fields.Error(config->client_cert_pem.empty()
                            ? "client-key(-data) is set without client-certificate(-data)"
                            : "client-certificate(-data) is set without client-key(-data)");
  }
  if (config->token.empty() && !token_file.empty()) {
    user->token_file = fields.Resolve(token_file);
    Result<std::string> token = ReadTokenFile(user->token_file, user->token_file);
    if (!token.ok()) return token.status().Prefixed(entry.Where() + ": tokenFile");
    config->token = *token;
    config->token_file = user->token_file;
  }
  if (const JsonValue* exec = fields.Get("exec")) {
    Result<ExecConfig> parsed = ReadExec(fields, *exec);
    if (!parsed.ok()) return parsed.status();
    user->exec = std::move(*parsed);
  }
  return Status::OK();
}

// ---- Choosing the context ----

struct Selection {
  const Entry* context = nullptr;  // null when --cluster/--user stand in for a context
  const Entry* cluster = nullptr;
  const Entry* user = nullptr;  // null: anonymous
};

Result<const Entry*> FindReferenced(const std::map<std::string, Entry>& entries,
                                    const std::string& kind, const std::string& name,
                                    const std::string& referrer, const MergedKubeconfig& merged) {
  auto it = entries.find(name);
  if (it != entries.end()) return &it->second;
  return Status::NotFound(referrer + ": " + kind + " \"" + name + "\" is not defined in " +
                          merged.FileList() + " (" + Available(entries) + ")");
}

Result<Selection> Select(const KubeconfigOptions& options, const MergedKubeconfig& merged,
                         std::string* namespace_) {
  Selection selection;
  std::string context_name = options.context.empty() ? merged.current_context : options.context;
  std::string cluster_name = options.cluster, user_name = options.user;
  std::string referrer = "--cluster/--user";
  if (!context_name.empty()) {
    auto it = merged.contexts.find(context_name);
    if (it == merged.contexts.end()) {
      std::string how = options.context.empty() ? "current-context" : "--context";
      return Status::NotFound(how + " \"" + context_name + "\" is not defined in " +
                              merged.FileList() + " (contexts: " + Available(merged.contexts) +
                              ")");
    }
    selection.context = &it->second;
    Fields fields(it->second);
    std::string context_cluster, context_user;
    Status status = ReadStrings(
        fields,
        {{"cluster", &context_cluster}, {"user", &context_user}, {"namespace", namespace_}});
    if (!status.ok()) return status;
    if (cluster_name.empty()) cluster_name = context_cluster;
    if (user_name.empty()) user_name = context_user;
    referrer = it->second.Where();
  } else if (cluster_name.empty()) {
    return Status::FailedPrecondition("no current-context is set in " + merged.FileList() +
                                      "; pass --context (contexts: " + Available(merged.contexts) +
                                      ")");
  }
  if (cluster_name.empty()) return Status::InvalidArgument(referrer + ": names no cluster");
  Result<const Entry*> cluster =
      FindReferenced(merged.clusters, "cluster", cluster_name,
                     options.cluster.empty() ? referrer : "--cluster", merged);
  if (!cluster.ok()) return cluster.status();
  selection.cluster = *cluster;
  if (!user_name.empty()) {
    Result<const Entry*> user = FindReferenced(merged.users, "user", user_name,
                                               options.user.empty() ? referrer : "--user", merged);
    if (!user.ok()) return user.status();
    selection.user = *user;
  }
  return selection;
}

/// client-go's default for a server without a scheme: https when TLS is configured.
void DefaultServerScheme(RestConfig* config) {
  if (config->server.find("://") != std::string::npos) return;
  bool tls = !config->ca_pem.empty() || config->insecure_skip_tls_verify ||
             !config->tls_server_name.empty() || !config->client_cert_pem.empty();
  config->server = (tls ? "https://" : "http://") + config->server;
}

Result<RestConfig> BuildRestConfig(const KubeconfigOptions& options, const KubeconfigEnv& env,
                                   const MergedKubeconfig& merged) {
  RestConfig config;
  std::string context_namespace;
  Result<Selection> selection = Select(options, merged, &context_namespace);
  if (!selection.ok()) return selection.status();
  ExecClusterInfo exec_info;
  Status status = ApplyCluster(*selection->cluster, &config, &exec_info);
  if (!status.ok()) return status;
  UserResult user;
  if (selection->user != nullptr) {
    status = ApplyUser(*selection->user, &config, &user);
    if (!status.ok()) return status;
    config.user_name = selection->user->name;
  }
  DefaultServerScheme(&config);
  config.cluster_name = selection->cluster->name;
  if (selection->context != nullptr) config.context_name = selection->context->name;
  const Entry& origin = selection->context ? *selection->context : *selection->cluster;
  config.origin = origin.file->display;
  config.namespace_ = !options.namespace_.empty()  ? options.namespace_
                      : !context_namespace.empty() ? context_namespace
                                                   : "default";
  if (user.exec) {
    exec_info.server = config.server;
    exec_info.tls_server_name = config.tls_server_name;
    exec_info.insecure_skip_tls_verify = config.insecure_skip_tls_verify;
    exec_info.ca_pem = config.ca_pem;
    exec_info.proxy_url = config.proxy_url;
    std::shared_ptr<ProcessRunner> runner =
        env.runner ? env.runner : std::make_shared<SystemProcessRunner>();
    config.exec = *user.exec;
    config.credentials = std::make_shared<ExecCredentialProvider>(
        *user.exec, exec_info, runner, selection->user->Where(), env.exec_options);
  } else if (!user.token_file.empty()) {
    config.credentials = std::make_shared<TokenFileProvider>(user.token_file, user.token_file);
  }
  return config;
}

}  // namespace

std::vector<std::string> KubeconfigSearchPaths(const KubeconfigOptions& options,
                                               const GetEnvFn& getenv) {
  if (!options.kubeconfig_flag.empty()) return {options.kubeconfig_flag};
  std::vector<std::string> paths;
  std::string list = EnvValue(getenv, "KUBECONFIG");
  if (!list.empty()) {
    size_t start = 0;
    while (start <= list.size()) {
      size_t end = std::min(list.find(':', start), list.size());
      std::string path = list.substr(start, end - start);
      if (!path.empty() && std::find(paths.begin(), paths.end(), path) == paths.end()) {
        paths.push_back(path);
      }
      start = end + 1;
    }
    return paths;
  }
  std::string home = EnvValue(getenv, "HOME");
  if (!home.empty()) paths.push_back(home + "/.kube/config");
  return paths;
}

Result<RestConfig> LoadRestConfig(const KubeconfigOptions& options, const KubeconfigEnv& env) {
  Result<MergedKubeconfig> merged = LoadMerged(options, env.getenv);
  if (!merged.ok()) return merged.status();
  bool flags_name_something =
      !options.context.empty() || !options.cluster.empty() || !options.user.empty();
  if (merged->empty() && !flags_name_something) {
    if (InClusterPossible(env.getenv, env.service_account_dir)) {
      return LoadInClusterConfig(env.getenv, env.service_account_dir, options.namespace_);
    }
    std::vector<std::string> looked = KubeconfigSearchPaths(options, env.getenv);
    std::string where;
    for (const std::string& path : looked) {
      where += (where.empty() ? "" : ", ") + DisplayPath(path, EnvValue(env.getenv, "HOME"));
    }
    return Status::NotFound("no kubeconfig found (looked at " +
                            (where.empty() ? std::string("nothing: HOME is not set") : where) +
                            ") and not running in a cluster; pass --kubeconfig or set KUBECONFIG");
  }
  return BuildRestConfig(options, env, *merged);
}

}  // namespace mlgitops
