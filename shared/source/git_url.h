// Git remote URLs taken apart (scheme, decoded userinfo, host, port, path), so credentials are
// matched to the scheme, host, port and path they were given for, and never sent elsewhere.
#pragma once

#include <string>
#include <string_view>

#include "object/status.h"

namespace mlgitops {

struct GitUrl {
  std::string scheme;    // lower case; "ssh" for scp-like user@host:path and git+ssh; "file"
  std::string username;  // percent-decoded
  std::string password;  // percent-decoded
  std::string password_as_written;
  std::string host;  // lower case, IPv6 without brackets; "" for file
  std::string port;  // as written, else the scheme's default (443, 80, 22, 9418); "" for file
  std::string path;  // from the first '/' after the authority, as written

  bool IsRemote() const { return scheme != "file"; }
  /// "scheme://host:port": where a connection goes, and so what credentials are bound to.
  std::string Origin() const;
};

/// Parses https://, http://, ssh://, git://, scp-like user@host:path, file:// and local paths.
/// Errors name the URL without its userinfo: a user or password holding a raw '/', '?' or '#'
/// (which must be percent-encoded, as git requires), a bad percent-escape, a bad port or no host.
Result<GitUrl> ParseGitUrl(std::string_view url);

/// Whether `url` is the repository `scope` names (prefix = false: Argo CD `repository` Secrets)
/// or lies below it (prefix = true: `repo-creds` Secrets and explicit credentials). Scheme,
/// host and port must be equal; paths compare whole segments ("/team" covers "/team/x.git",
/// not "/teamevil/x.git"), ignoring a trailing "/" or ".git". Unlike Argo CD's plain string
/// prefix, a path with "." or ".." segments (decoded) matches nothing: a server would resolve it
/// to a repository outside the scope. Local repositories never match.
bool UrlInScope(const GitUrl& url, const GitUrl& scope, bool prefix);

}  // namespace mlgitops
