// Fetching Application sources with libgit2 into a local clone cache: one bare repository per
// repository URL, and one read-only snapshot directory per commit, safe across processes.
#pragma once

#include <string>
#include <vector>

#include "object/status.h"
#include "source/git_credentials.h"
#include "sys/process.h"

namespace mlgitops {

/// $XDG_CACHE_HOME/mlgitops, else $HOME/.cache/mlgitops, else /tmp/mlgitops-cache.
std::string DefaultCacheDir(const GetEnvFn& getenv);

struct GitFetchOptions {
  GitCredentials credentials;
  /// Never contact the remote: branches and tags resolve to what the last online resolve saw.
  bool offline = false;
  /// Used when credentials.ssh_known_hosts is empty ("" = none: every ssh host is unknown).
  std::string default_known_hosts_file;
};

/// A commit exported from the cache.
struct GitSnapshot {
  std::string commit;  // full SHA
  std::string dir;     // the commit's tree, read-only; stays valid while the cache exists
  bool contacted_remote = false;
  bool rebuilt = false;  // the cached clone was damaged and made again
};

/// The clone cache under `root`:
///   root/repos/<sha256(normalised url)>/{git/, lock, resolved/, checkouts/<commit>/,
///   checkouts/<commit>.complete}
/// A repository's lock file is held (flock) for the whole fetch and export, so processes and
/// threads sharing the cache take turns per repository.
class GitRepoCache {
 public:
  explicit GitRepoCache(std::string root) : root_(std::move(root)) {}

  /// Resolves `revision` (branch, tag, full or short SHA, "HEAD" or "") of `repo_url`
  /// (https://, http://, ssh://, git@host:path, file:// or a local path) to a commit and exports
  /// its tree. A full SHA already cached needs no remote; a branch or tag is re-resolved against
  /// the remote unless offline. A damaged cache is rebuilt once. Errors never hold credentials.
  Result<GitSnapshot> Checkout(const std::string& repo_url, const std::string& revision,
                               const GitFetchOptions& options);

  /// Where `repo_url` is cached (whether it exists or not).
  std::string RepoDir(const std::string& repo_url) const;
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

/// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(const std::string& data);

}  // namespace mlgitops
