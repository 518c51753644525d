// Credential selection and URL scrubbing for Git remotes.
#include "source/git_credentials.h"

#include <algorithm>
#include <cctype>

#include "object/base64.h"
#include "object/yaml_loader.h"
#include "sys/redact.h"

namespace mlgitops {

std::vector<std::string> GitCredentials::Secrets() const {
  std::vector<std::string> out;
  for (const std::string* s : {&password, &ssh_private_key, &ssh_key_passphrase}) {
    if (s->empty()) continue;
    for (std::string& form : SecretForms(*s)) out.push_back(std::move(form));
  }
  return out;
}

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string StripUserinfoInText(std::string_view text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t sep = text.find("://", pos);
    if (sep == std::string_view::npos) break;
    auto [begin, end] = UrlUserinfoSpan(text, sep);
    if (begin == std::string_view::npos) {
      out.append(text.substr(pos, sep + 3 - pos));
      pos = sep + 3;
      continue;
    }
    out.append(text.substr(pos, begin - pos));
    pos = end + 1;  // past '@'
  }
  out.append(text.substr(pos));
  return out;
}

std::string StripUrlUserinfo(std::string_view url) { return StripUserinfoInText(url); }

std::string NormalizeRepoUrl(std::string_view url) {
  std::string out = StripUrlUserinfo(url);
  size_t sep = out.find("://");
  if (sep != std::string::npos) {
    size_t host_end = out.find('/', sep + 3);
    if (host_end == std::string::npos) host_end = out.size();
    out = Lower(out.substr(0, host_end)) + out.substr(host_end);
  }
  while (!out.empty() && out.back() == '/') out.pop_back();
  if (out.size() > 4 && out.compare(out.size() - 4, 4, ".git") == 0) out.resize(out.size() - 4);
  return out;
}

namespace {

/// A Secret field from `stringData` (wins, as the API server merges it) or base64 `data`.
Result<std::string> SecretField(const Object& secret, const char* key) {
  const JsonValue* string_data = Find(secret.json(), "stringData");
  if (string_data && string_data->IsObject()) {
    auto it = string_data->FindMember(key);
    if (it != string_data->MemberEnd() && it->value.IsString())
      return std::string(it->value.GetString());
  }
  const JsonValue* data = Find(secret.json(), "data");
  if (data && data->IsObject()) {
    auto it = data->FindMember(key);
    if (it != data->MemberEnd() && it->value.IsString()) {
      auto decoded = Base64Decode(it->value.GetString());
      if (!decoded) {
        return Status::InvalidArgument("Secret " + secret.name() + ": data." + key +
                                       " is not valid base64");
      }
      return *decoded;
    }
  }
  return std::string();
}

std::string SecretType(const Object& secret) {
  for (const char* label : {"argocd.argoproj.io/secret-type", "mlgitops.io/secret-type"}) {
    auto value = secret.label(label);
    if (value && (*value == "repository" || *value == "repo-creds")) return *value;
  }
  return "";
}

}  // namespace

Status CredentialStore::AddSecrets(const std::vector<Object>& secrets) {
  for (const Object& secret : secrets) {
    if (secret.kind() != "Secret") continue;
    std::string type = SecretType(secret);
    if (type.empty()) continue;
    Entry entry;
    entry.prefix = type == "repo-creds";
    GitCredentials& c = entry.credentials;
    std::string url, insecure, known_hosts;
    struct Field {
      const char* key;
      std::string* target;
    };
    for (const Field& f :
         {Field{"url", &url}, Field{"username", &c.username}, Field{"password", &c.password},
          Field{"sshPrivateKey", &c.ssh_private_key}, Field{"insecure", &insecure},
          Field{"sshKnownHosts", &c.ssh_known_hosts}}) {
      auto value = SecretField(secret, f.key);
      if (!value.ok()) return value.status();
      *f.target = std::move(*value);
    }
    c.insecure_ignore_host_key = insecure == "true";
    if (url.empty()) {
      return Status::InvalidArgument("Secret " + secret.name() + " (" + type +
                                     "): has no url to match repositories against");
    }
    auto parsed = ParseGitUrl(url);
    if (!parsed.ok())
      return parsed.status().Prefixed("Secret " + secret.name() + " (" + type + ")");
    entry.url = std::move(*parsed);
    for (const std::string& s : c.Secrets()) SecretRegistry::Global().Add(s);
    entries_.push_back(std::move(entry));
  }
  return Status::OK();
}

GitCredentials CredentialsFromUrl(const std::string& url) {
  GitCredentials out;
  auto parsed = ParseGitUrl(url);
  if (!parsed.ok() || !parsed->IsRemote()) return out;
  out.username = parsed->username;
  out.password = parsed->password;
  return out;
}

Status CredentialStore::SetExplicit(ScopedCredentials given) {
  GitCredentials& c = given.credentials;
  if (c.HasAny()) {
    const char* where = "MLGITOPS_GIT_URL (or --git-url)";
    if (given.url.empty()) {
      return Status::InvalidArgument(
          std::string("Git credentials given by MLGITOPS_GIT_* or --git-* need the repository "
                      "URL prefix they are for: set ") +
          where + ", e.g. https://git.example.com/team (they are never sent to every repository)");
    }
    auto scope = ParseGitUrl(given.url);
    if (!scope.ok()) return scope.status().Prefixed(where);
    std::string shown = StripUrlUserinfo(given.url);
    if (!scope->IsRemote()) {
      return Status::InvalidArgument(std::string(where) + " " + shown + " is no remote URL");
    }
    if (scope->scheme == "http") {
      return Status::InvalidArgument(std::string(where) + " " + shown +
                                     ": credentials are never sent over plain http; use https://");
    }
    if (!scope->password.empty()) {
      return Status::InvalidArgument(std::string(where) +
                                     " holds a password; give it in MLGITOPS_GIT_PASSWORD instead");
    }
    explicit_scope_ = std::move(*scope);
  }
  explicit_ = std::move(c);
  return Status::OK();
}

GitCredentials CredentialStore::For(const std::string& url) const {
  auto parsed = ParseGitUrl(url);
  if (!parsed.ok()) return GitCredentials();  // the fetch reports the bad URL
  if (explicit_.HasAny() && UrlInScope(*parsed, explicit_scope_, /*prefix=*/true)) {
    return explicit_;
  }
  for (const Entry& e : entries_) {
    if (!e.prefix && UrlInScope(*parsed, e.url, /*prefix=*/false)) return e.credentials;
  }
  const Entry* best = nullptr;
  for (const Entry& e : entries_) {
    if (!e.prefix || !UrlInScope(*parsed, e.url, /*prefix=*/true)) continue;
    if (!best || e.url.path.size() > best->url.path.size()) best = &e;
  }
  if (best) return best->credentials;
  GitCredentials from_url;
  from_url.username = parsed->username;
  from_url.password = parsed->password;
  from_url.ssh_known_hosts = explicit_.ssh_known_hosts;
  from_url.insecure_ignore_host_key = explicit_.insecure_ignore_host_key;
  return from_url;
}

std::vector<std::string> CredentialStore::AllSecrets() const {
  std::vector<std::string> out = explicit_.Secrets();
  for (const Entry& e : entries_) {
    for (std::string& s : e.credentials.Secrets()) out.push_back(std::move(s));
  }
  return out;
}

Result<ScopedCredentials> CredentialsFromEnv(const GetEnvFn& getenv) {
  ScopedCredentials out;
  out.url = EnvValue(getenv, "MLGITOPS_GIT_URL");
  GitCredentials& c = out.credentials;
  c.username = EnvValue(getenv, "MLGITOPS_GIT_USERNAME");
  c.password = EnvValue(getenv, "MLGITOPS_GIT_PASSWORD");
  if (c.password.empty()) c.password = EnvValue(getenv, "MLGITOPS_GIT_TOKEN");
  c.ssh_key_passphrase = EnvValue(getenv, "MLGITOPS_GIT_SSH_KEY_PASSPHRASE");
  c.insecure_ignore_host_key = EnvValue(getenv, "MLGITOPS_GIT_INSECURE_IGNORE_HOST_KEY") == "true";
  struct FileVar {
    const char* name;
    std::string* target;
  };
  for (const FileVar& f : {FileVar{"MLGITOPS_GIT_SSH_KEY", &c.ssh_private_key},
                           FileVar{"MLGITOPS_GIT_SSH_KNOWN_HOSTS", &c.ssh_known_hosts}}) {
    std::string path = EnvValue(getenv, f.name);
    if (path.empty()) continue;
    auto text = ReadFileLimited(path, size_t{1} << 20, std::string(f.name) + " file " + path);
    if (!text.ok()) return text.status();
    *f.target = std::move(*text);
  }
  for (const std::string& s : c.Secrets()) SecretRegistry::Global().Add(s);
  return out;
}

}  // namespace mlgitops
