// Credentials for Git remotes: explicit ones (flags, MLGITOPS_GIT_* environment) and Argo CD
// style repository Secrets, chosen per repository URL; plus URL helpers that keep them out of text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "object/object.h"
#include "object/status.h"
#include "sys/process.h"

namespace mlgitops {

struct GitCredentials {
  std::string username;
  std::string password;         // password or access token (https)
  std::string ssh_private_key;  // PEM / OpenSSH private key data
  std::string ssh_key_passphrase;
  std::string ssh_known_hosts;  // known_hosts text; "" = the user's ~/.ssh/known_hosts
  bool insecure_ignore_host_key = false;

  bool HasAny() const { return !username.empty() || !password.empty() || !ssh_private_key.empty(); }
  /// The values that must never be shown (password, key, passphrase).
  std::vector<std::string> Secrets() const;
};

/// "https://user:pw@host/x.git" -> "https://host/x.git"; other text is returned unchanged.
std::string StripUrlUserinfo(std::string_view url);
/// Every "scheme://user:pw@" in free text (an error message) loses its userinfo.
std::string StripUserinfoInText(std::string_view text);
/// The form two spellings of one repository share: no userinfo, lower-case scheme and host, no
/// trailing "/" or ".git". Used to match Secrets and to name cache directories.
std::string NormalizeRepoUrl(std::string_view url);

/// The user and password written in the URL itself ("https://user:pw@host/..."), if any.
GitCredentials CredentialsFromUrl(const std::string& url);

/// Picks the credentials for a repository URL.
/// Order: explicit credentials (when any are set), then a `repository` Secret whose url matches
/// exactly (normalised), then the `repo-creds` Secret with the longest url prefix, then the
/// userinfo written in the URL itself.
class CredentialStore {
 public:
  void SetExplicit(GitCredentials credentials) { explicit_ = std::move(credentials); }
  /// Reads Secrets labelled argocd.argoproj.io/secret-type or mlgitops.io/secret-type with the
  /// value `repository` or `repo-creds`; others are ignored. A labelled Secret without `url` or
  /// with undecodable data is an error naming it (never its values).
  Status AddSecrets(const std::vector<Object>& secrets);
  GitCredentials For(const std::string& url) const;
  /// Every secret value the store holds, for redaction.
  std::vector<std::string> AllSecrets() const;

 private:
  struct Entry {
    std::string url;
    bool prefix = false;  // repo-creds
    GitCredentials credentials;
  };
  GitCredentials explicit_;
  std::vector<Entry> entries_;
};

/// Explicit credentials from MLGITOPS_GIT_USERNAME, MLGITOPS_GIT_PASSWORD (or
/// MLGITOPS_GIT_TOKEN), MLGITOPS_GIT_SSH_KEY (a key file), MLGITOPS_GIT_SSH_KEY_PASSPHRASE,
/// MLGITOPS_GIT_SSH_KNOWN_HOSTS (a file) and MLGITOPS_GIT_INSECURE_IGNORE_HOST_KEY=true.
Result<GitCredentials> CredentialsFromEnv(const GetEnvFn& getenv);

}  // namespace mlgitops
