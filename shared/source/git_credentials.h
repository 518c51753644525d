// Credentials for Git remotes: explicit ones (flags, MLGITOPS_GIT_* environment) and Argo CD
// style repository Secrets, each bound to the URLs it was given for; plus URL helpers that keep
// them out of text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "object/object.h"
#include "object/status.h"
#include "source/git_url.h"
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
  /// The values that must never be shown (password, key, passphrase), in every SecretForms.
  std::vector<std::string> Secrets() const;
};

/// Credentials given for one place: the repositories at or below the URL prefix `url`.
struct ScopedCredentials {
  std::string url;  // MLGITOPS_GIT_URL / --git-url
  GitCredentials credentials;
};

/// "https://user:pw@host/x.git" -> "https://host/x.git" (also when a raw '/' or '#' in the
/// password breaks the URL: see UrlUserinfoSpan); other text is returned unchanged.
std::string StripUrlUserinfo(std::string_view url);
/// Every "scheme://user:pw@" in free text (an error message) loses its userinfo.
std::string StripUserinfoInText(std::string_view text);
/// The form two spellings of one repository share: no userinfo, lower-case scheme and host, no
/// trailing "/" or ".git". Used to match Secrets and to name cache directories.
std::string NormalizeRepoUrl(std::string_view url);

/// The user and password written in the URL itself ("https://user:pw@host/..."), percent-decoded
/// (the decoded password is what the server gets); none when the URL does not parse.
GitCredentials CredentialsFromUrl(const std::string& url);

/// Picks the credentials for a repository URL; each set goes only where it was given for
/// (UrlInScope: scheme, host and port equal, path on "/" boundaries).
/// Order: explicit credentials when the URL is at or below their prefix, then a `repository`
/// Secret naming the URL, then the `repo-creds` Secret with the longest url prefix covering it
/// (Argo CD's order), then the userinfo written in the URL itself.
class CredentialStore {
 public:
  /// Explicit credentials (flags, environment) and the URL prefix they are for. A user, password
  /// or key without a prefix is refused, never sent to every repository; so is a plain http://
  /// prefix (credentials never travel unencrypted). Known hosts and insecure_ignore_host_key
  /// are host-key policy, not secrets, and apply to every ssh URL without credentials of its own.
  [[nodiscard]] Status SetExplicit(ScopedCredentials explicit_credentials);
  /// Reads Secrets labelled argocd.argoproj.io/secret-type or mlgitops.io/secret-type with the
  /// value `repository` or `repo-creds`; others are ignored. A labelled Secret without `url` or
  /// with undecodable data is an error naming it (never its values).
  Status AddSecrets(const std::vector<Object>& secrets);
  GitCredentials For(const std::string& url) const;
  /// Every secret value the store holds, for redaction.
  std::vector<std::string> AllSecrets() const;

 private:
  struct Entry {
    GitUrl url;
    bool prefix = false;  // repo-creds
    GitCredentials credentials;
  };
  GitCredentials explicit_;
  GitUrl explicit_scope_;
  std::vector<Entry> entries_;
};

/// Explicit credentials from MLGITOPS_GIT_USERNAME, MLGITOPS_GIT_PASSWORD (or
/// MLGITOPS_GIT_TOKEN), MLGITOPS_GIT_SSH_KEY (a key file), MLGITOPS_GIT_SSH_KEY_PASSPHRASE,
/// MLGITOPS_GIT_SSH_KNOWN_HOSTS (a file) and MLGITOPS_GIT_INSECURE_IGNORE_HOST_KEY=true, for the
/// repositories at or below MLGITOPS_GIT_URL (checked by CredentialStore::SetExplicit).
Result<ScopedCredentials> CredentialsFromEnv(const GetEnvFn& getenv);

}  // namespace mlgitops
