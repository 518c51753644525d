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
    if (!s->empty()) out.push_back(*s);
  }
  return out;
}

namespace {

bool EndsAuthority(char c) {
  return c == '/' || c == '?' || c == '#' || std::isspace(static_cast<unsigned char>(c)) ||
         c == '"' || c == '\'' || c == '<' || c == '>';
}

/// [begin, end) of the userinfo (without '@') of the URL whose "://" is at `sep`, or npos.
std::pair<size_t, size_t> UserinfoAt(std::string_view text, size_t sep) {
  size_t start = sep + 3;
  size_t i = start;
  size_t at = std::string_view::npos;
  while (i < text.size() && !EndsAuthority(text[i])) {
    if (text[i] == '@') at = i;
    ++i;
  }
  if (at == std::string_view::npos) return {std::string_view::npos, std::string_view::npos};
  return {start, at};
}

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
    auto [begin, end] = UserinfoAt(text, sep);
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
    std::string insecure, known_hosts;
    struct Field {
      const char* key;
      std::string* target;
    };
    for (const Field& f :
         {Field{"url", &entry.url}, Field{"username", &c.username}, Field{"password", &c.password},
          Field{"sshPrivateKey", &c.ssh_private_key}, Field{"insecure", &insecure},
          Field{"sshKnownHosts", &c.ssh_known_hosts}}) {
      auto value = SecretField(secret, f.key);
      if (!value.ok()) return value.status();
      *f.target = std::move(*value);
    }
    c.insecure_ignore_host_key = insecure == "true";
    if (entry.url.empty()) {
      return Status::InvalidArgument("Secret " + secret.name() + " (" + type +
                                     "): has no url to match repositories against");
    }
    for (const std::string& s : c.Secrets()) SecretRegistry::Global().Add(s);
    entries_.push_back(std::move(entry));
  }
  return Status::OK();
}

GitCredentials CredentialsFromUrl(const std::string& url) {
  GitCredentials out;
  size_t sep = url.find("://");
  if (sep == std::string::npos) return out;
  auto [begin, end] = UserinfoAt(url, sep);
  if (begin == std::string::npos) return out;
  std::string info = url.substr(begin, end - begin);
  size_t colon = info.find(':');
  out.username = info.substr(0, colon);
  if (colon != std::string::npos) out.password = info.substr(colon + 1);
  return out;
}

GitCredentials CredentialStore::For(const std::string& url) const {
  if (explicit_.HasAny()) return explicit_;
  std::string normalized = NormalizeRepoUrl(url);
  for (const Entry& e : entries_) {
    if (!e.prefix && NormalizeRepoUrl(e.url) == normalized) return e.credentials;
  }
  const Entry* best = nullptr;
  std::string stripped = StripUrlUserinfo(url);
  for (const Entry& e : entries_) {
    if (!e.prefix || stripped.compare(0, e.url.size(), e.url) != 0) continue;
    if (!best || e.url.size() > best->url.size()) best = &e;
  }
  if (best) return best->credentials;
  GitCredentials from_url = CredentialsFromUrl(url);
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

Result<GitCredentials> CredentialsFromEnv(const GetEnvFn& getenv) {
  GitCredentials c;
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
  return c;
}

}  // namespace mlgitops
