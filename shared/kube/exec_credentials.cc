// Exec credential plugins and token files: run or read, validate, cache, refresh; every message
// is scrubbed of the secrets involved.
#include "kube/exec_credentials.h"

#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "object/base64.h"
#include "object/object.h"
#include "object/timeutil.h"
#include "object/yaml_loader.h"
#include "sys/redact.h"

namespace mlgitops {

namespace {

constexpr size_t kMaxTokenFileBytes = size_t{1} << 20;

std::string_view TrimSpace(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

/// An apiVersion the plugin returned is quoted only when it looks like one, so a plugin that
/// prints its token in the wrong place cannot get it into a message.
bool LooksLikeApiVersion(std::string_view text) {
  if (text.empty() || text.size() > 80) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '/' || c == '-';
  });
}

bool SameCredentials(const Credentials& a, const Credentials& b) {
  return a.token == b.token && a.client_cert_pem == b.client_cert_pem &&
         a.client_key_pem == b.client_key_pem;
}

void RememberSecrets(const Credentials& credentials) {
  SecretRegistry& registry = SecretRegistry::Global();
  registry.Add(credentials.token);
  registry.Add(credentials.client_key_pem);
}

/// A string member of `status`; false (with `error` set) when present but not a string.
bool ReadStatusString(const rapidjson::Value& status, const char* name, std::string* out,
                      std::string* error) {
  auto it = status.FindMember(name);
  if (it == status.MemberEnd() || it->value.IsNull()) return true;
  if (!it->value.IsString()) {
    *error = std::string("status.") + name + " is not a string";
    return false;
  }
  out->assign(it->value.GetString(), it->value.GetStringLength());
  return true;
}

}  // namespace

Status ValidateExecConfig(const ExecConfig& config) {
  if (config.api_version.empty()) {
    return Status::InvalidArgument("exec: apiVersion must be set (" + std::string(kExecApiV1) +
                                   " or " + std::string(kExecApiV1beta1) + ")");
  }
  if (config.api_version == "client.authentication.k8s.io/v1alpha1") {
    return Status::Unsupported("exec: apiVersion " + config.api_version +
                               " was removed in Kubernetes 1.24; use " +
                               std::string(kExecApiV1beta1) + " or " + std::string(kExecApiV1));
  }
  if (config.api_version != kExecApiV1 && config.api_version != kExecApiV1beta1) {
    std::string shown = LooksLikeApiVersion(config.api_version) ? config.api_version : "(invalid)";
    return Status::InvalidArgument("exec: apiVersion " + shown + " is not supported; use " +
                                   std::string(kExecApiV1) + " or " + std::string(kExecApiV1beta1));
  }
  if (config.command.empty()) return Status::InvalidArgument("exec: command must be set");
  const std::string& mode = config.interactive_mode;
  if (mode.empty() && config.api_version == kExecApiV1) {
    return Status::InvalidArgument("exec: interactiveMode must be set for " + config.api_version +
                                   " (Never, IfAvailable or Always)");
  }
  if (!mode.empty() && mode != "Never" && mode != "IfAvailable" && mode != "Always") {
    return Status::InvalidArgument("exec: interactiveMode must be Never, IfAvailable or Always");
  }
  if (mode == "Always") {
    return Status::Unsupported(
        "exec: interactiveMode Always needs a terminal, and mlgitops runs credential plugins "
        "without one; log in with the plugin first or use IfAvailable");
  }
  for (size_t i = 0; i < config.env.size(); ++i) {
    if (config.env[i].first.empty()) {
      return Status::InvalidArgument("exec: env[" + std::to_string(i) + "] has no name");
    }
  }
  return Status::OK();
}

std::string ExecInfoJson(const ExecConfig& config, const ExecClusterInfo* cluster) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  auto key = [&writer](const char* name) { writer.Key(name); };
  auto string = [&writer](const std::string& value) {
    writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  writer.StartObject();
  key("apiVersion");
  string(config.api_version);
  key("kind");
  writer.String("ExecCredential");
  key("spec");
  writer.StartObject();
  if (cluster != nullptr) {
    key("cluster");
    writer.StartObject();
    key("server");
    string(cluster->server);
    if (!cluster->tls_server_name.empty()) {
      key("tls-server-name");
      string(cluster->tls_server_name);
    }
    if (cluster->insecure_skip_tls_verify) {
      key("insecure-skip-tls-verify");
      writer.Bool(true);
    }
    if (!cluster->ca_pem.empty()) {
      key("certificate-authority-data");
      string(Base64Encode(cluster->ca_pem));
    }
    if (!cluster->proxy_url.empty()) {
      key("proxy-url");
      string(cluster->proxy_url);
    }
    if (!cluster->config_json.empty()) {
      key("config");
      writer.RawValue(cluster->config_json.data(), cluster->config_json.size(),
                      rapidjson::kObjectType);
    }
    writer.EndObject();
  }
  key("interactive");
  writer.Bool(false);
  writer.EndObject();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

Result<Credentials> ParseExecCredential(std::string_view output, std::string_view api_version) {
  auto invalid = [](const std::string& why) {
    return Status::InvalidArgument("output is not a valid ExecCredential: " + why);
  };
  rapidjson::Document doc;
  // A plugin may print more after the credential; like client-go, only the first value counts.
  doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag>(output.data(),
                                                                                output.size());
  if (doc.HasParseError()) {
    return invalid(std::string("not JSON (") + rapidjson::GetParseError_En(doc.GetParseError()) +
                   " at offset " + std::to_string(doc.GetErrorOffset()) + ")");
  }
  if (!doc.IsObject()) return invalid("not a JSON object");
  std::string returned_version = GetString(doc, "apiVersion");
  if (returned_version != api_version) {
    std::string shown = LooksLikeApiVersion(returned_version) ? "\"" + returned_version + "\""
                        : returned_version.empty()            ? "none"
                                                              : "an invalid one";
    return Status::InvalidArgument("the plugin is configured for " + std::string(api_version) +
                                   " but returned apiVersion " + shown);
  }
  if (GetString(doc, "kind") != "ExecCredential") return invalid("kind is not ExecCredential");
  const JsonValue* status = Find(doc, "status");
  if (status == nullptr || !status->IsObject()) return invalid("no status");

  Credentials credentials;
  std::string expiration, error;
  if (!ReadStatusString(*status, "token", &credentials.token, &error) ||
      !ReadStatusString(*status, "clientCertificateData", &credentials.client_cert_pem, &error) ||
      !ReadStatusString(*status, "clientKeyData", &credentials.client_key_pem, &error) ||
      !ReadStatusString(*status, "expirationTimestamp", &expiration, &error)) {
    return invalid(error);
  }
  RememberSecrets(credentials);
  if (credentials.token.empty() && credentials.client_cert_pem.empty() &&
      credentials.client_key_pem.empty()) {
    return invalid("status has neither a token nor a client certificate and key");
  }
  if (credentials.client_cert_pem.empty() != credentials.client_key_pem.empty()) {
    return invalid("status has only one of clientCertificateData and clientKeyData");
  }
  if (!expiration.empty()) {
    credentials.expires_unix = ParseRfc3339(expiration);
    if (!credentials.expires_unix) {
      return invalid("status.expirationTimestamp is not an RFC 3339 time");
    }
  }
  return credentials;
}

// ---- ExecCredentialProvider ----

ExecCredentialProvider::ExecCredentialProvider(ExecConfig config, ExecClusterInfo cluster,
                                               std::shared_ptr<ProcessRunner> runner,
                                               std::string origin, ExecProviderOptions options)
    : config_(std::move(config)),
      cluster_(std::move(cluster)),
      runner_(std::move(runner)),
      origin_(std::move(origin)),
      options_(options),
      config_status_(ValidateExecConfig(config_)) {}

std::string ExecCredentialProvider::Describe() const {
  std::string plugin = "exec plugin \"" + config_.command + "\"";
  return origin_.empty() ? plugin : origin_ + ": " + plugin;
}

bool ExecCredentialProvider::FreshLocked(int64_t now_unix) const {
  return cached_ && (!cached_->expires_unix || now_unix < refresh_at_);
}

Result<Credentials> ExecCredentialProvider::Get(int64_t now_unix) {
  if (!config_status_.ok()) return config_status_.Prefixed(Describe());
  {
    std::lock_guard<std::mutex> state(state_mutex_);
    if (FreshLocked(now_unix)) return *cached_;
  }
  std::lock_guard<std::mutex> run(run_mutex_);
  {
    // Another caller may have refreshed while this one waited for the run lock.
    std::lock_guard<std::mutex> state(state_mutex_);
    if (FreshLocked(now_unix)) return *cached_;
  }
  Result<Credentials> fetched = RunPlugin();
  if (!fetched.ok()) return fetched;
  std::lock_guard<std::mutex> state(state_mutex_);
  cached_ = *fetched;
  if (cached_->expires_unix) {
    int64_t expires = *cached_->expires_unix;
    int64_t margin =
        std::min(options_.refresh_margin_seconds, std::max<int64_t>(0, (expires - now_unix) / 2));
    refresh_at_ = expires - margin;
  }
  return *cached_;
}

void ExecCredentialProvider::Invalidate() {
  std::lock_guard<std::mutex> state(state_mutex_);
  cached_.reset();
}

void ExecCredentialProvider::InvalidateIfCurrent(const Credentials& rejected) {
  std::lock_guard<std::mutex> state(state_mutex_);
  if (cached_ && SameCredentials(*cached_, rejected)) cached_.reset();
}

int ExecCredentialProvider::runs() const {
  std::lock_guard<std::mutex> state(state_mutex_);
  return runs_;
}

Result<Credentials> ExecCredentialProvider::RunPlugin() {
  ProcessRequest request;
  request.argv.push_back(config_.command);
  request.argv.insert(request.argv.end(), config_.args.begin(), config_.args.end());
  request.env = config_.env;
  request.env.emplace_back(
      "KUBERNETES_EXEC_INFO",
      ExecInfoJson(config_, config_.provide_cluster_info ? &cluster_ : nullptr));
  request.timeout_ms = options_.timeout_ms;
  request.max_output_bytes = options_.max_output_bytes;
  {
    std::lock_guard<std::mutex> state(state_mutex_);
    ++runs_;
  }
  if (!runner_) return Status::Internal(Describe() + ": no process runner configured");
  Result<ProcessResult> ran = runner_->Run(request);
  if (!ran.ok()) {
    if (ran.status().code() != Status::Code::kNotFound) return ran.status().Prefixed(Describe());
    std::string message = Describe() + " was not found; is it installed and on your PATH?";
    if (!config_.install_hint.empty()) message += "\n\n" + config_.install_hint;
    return Status::NotFound(message);
  }
  if (!ran->succeeded()) return PluginFailure(*ran);
  if (ran->stdout_truncated) {
    return Status::LimitExceeded(Describe() + " printed more than " +
                                 std::to_string(options_.max_output_bytes) + " bytes");
  }
  Result<Credentials> parsed = ParseExecCredential(ran->stdout_text, config_.api_version);
  if (!parsed.ok()) return parsed.status().Prefixed(Describe());
  return parsed;
}

Status ExecCredentialProvider::PluginFailure(const ProcessResult& result) const {
  if (result.timed_out) {
    int64_t ms = options_.timeout_ms;
    std::string limit =
        ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
    return Status::IOError(Describe() + " did not finish within " + limit + " and was stopped");
  }
  std::string message = Describe();
  message += result.term_signal != 0 ? " was killed by signal " + std::to_string(result.term_signal)
                                     : " failed with exit code " + std::to_string(result.exit_code);
  // stderr goes into the message (stdout never does: it is where the token would be).
  std::string_view stderr_text = TrimSpace(result.stderr_text);
  if (!stderr_text.empty()) {
    bool cut = stderr_text.size() > options_.max_stderr_in_error;
    if (cut) stderr_text = stderr_text.substr(stderr_text.size() - options_.max_stderr_in_error);
    message += ": " + std::string(cut ? "..." : "") + SecretRegistry::Global().Scrub(stderr_text);
  }
  return Status::FailedPrecondition(message);
}

// ---- Token files ----

Result<std::string> ReadTrimmedFile(const std::string& path, size_t max_bytes,
                                    const std::string& display) {
  Result<std::string> data = ReadFileLimited(path, max_bytes, display);
  if (!data.ok()) return data.status();
  return std::string(TrimSpace(*data));
}

Result<std::string> ReadTokenFile(const std::string& path, const std::string& display) {
  Result<std::string> read = ReadTrimmedFile(path, kMaxTokenFileBytes, display);
  if (!read.ok()) return read.status();
  std::string token = std::move(*read);
  if (token.empty()) return Status::InvalidArgument(display + ": token file is empty");
  SecretRegistry::Global().Add(token);
  return token;
}

TokenFileProvider::TokenFileProvider(std::string path, std::string display, int64_t reread_seconds)
    : path_(std::move(path)), display_(std::move(display)), reread_seconds_(reread_seconds) {}

Result<Credentials> TokenFileProvider::Get(int64_t now_unix) {
  std::lock_guard<std::mutex> lock(mutex_);
  bool due = !token_ || (reread_seconds_ > 0 && now_unix >= read_at_ + reread_seconds_);
  if (due) {
    Result<std::string> token = ReadTokenFile(path_, display_);
    if (token.ok()) {
      token_ = *token;
    } else if (!token_) {
      return token.status();
    }
    read_at_ = now_unix;
  }
  Credentials credentials;
  credentials.token = *token_;
  return credentials;
}

void TokenFileProvider::Invalidate() {
  std::lock_guard<std::mutex> lock(mutex_);
  token_.reset();
}

void TokenFileProvider::InvalidateIfCurrent(const Credentials& rejected) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (token_ && *token_ == rejected.token) token_.reset();
}

}  // namespace mlgitops
