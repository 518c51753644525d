// The libgit2 side of the clone cache: resolving revisions against the remote's advertised refs,
// fetching only what is missing, checking ssh host keys, and exporting commits as snapshots.
#include "source/git_repo.h"

#include <git2.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>

#include "source/confine.h"
#include "source/git_remote_auth.h"
#include "source/repo_cache.h"
#include "sys/redact.h"

namespace mlgitops {

std::string DefaultCacheDir(const GetEnvFn& getenv) {
  std::string xdg = EnvValue(getenv, "XDG_CACHE_HOME");
  if (!xdg.empty()) return xdg + "/mlgitops";
  std::string home = EnvValue(getenv, "HOME");
  if (!home.empty()) return home + "/.cache/mlgitops";
  return "/tmp/mlgitops-cache";
}

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::string GitRepoCache::RepoDir(const std::string& repo_url) const {
  return root_ + "/repos/" + Sha256Hex(NormalizeRepoUrl(repo_url)).substr(0, 32);
}

namespace {

// Whether `path`, resolved as far as it exists, lies in the clone cache `root`.
bool InsideCache(const std::string& path, const std::string& root) {
  std::error_code ec;
  std::string real_root = std::filesystem::weakly_canonical(root, ec).string();
  if (ec) return false;
  std::string real = std::filesystem::weakly_canonical(path, ec).string();
  return !ec && IsWithin(real_root, real);
}

void InitLibgit2() {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

template <typename T, void (*Free)(T*)>
struct GitDeleter {
  void operator()(T* p) const {
    if (p) Free(p);
  }
};
using RepoPtr = std::unique_ptr<git_repository, GitDeleter<git_repository, git_repository_free>>;
using RemotePtr = std::unique_ptr<git_remote, GitDeleter<git_remote, git_remote_free>>;
using ObjectPtr = std::unique_ptr<git_object, GitDeleter<git_object, git_object_free>>;
using TreePtr = std::unique_ptr<git_tree, GitDeleter<git_tree, git_tree_free>>;
using BlobPtr = std::unique_ptr<git_blob, GitDeleter<git_blob, git_blob_free>>;
using OdbPtr = std::unique_ptr<git_odb, GitDeleter<git_odb, git_odb_free>>;

bool IsHex(const std::string& s) {
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

std::string OidHex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

/// What libgit2 is given: https userinfo moves to the credential callback (so it never shows up
/// in libgit2's messages); local paths become absolute.
std::string TransportUrl(const std::string& url) {
  if (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) return StripUrlUserinfo(url);
  if (url.find("://") == std::string::npos && !ParseSshEndpoint(url).host.empty()) return url;
  if (url.find("://") == std::string::npos && !url.empty() && url[0] != '/') {
    std::error_code ec;
    return std::filesystem::absolute(url, ec).string();
  }
  return url;
}

// ---- errors ----

/// Failures of the local copy (damaged objects, refs, files) as opposed to the remote.
bool IsLocalDamage(int error_class) {
  switch (error_class) {
    case GIT_ERROR_ODB:
    case GIT_ERROR_ZLIB:
    case GIT_ERROR_OBJECT:
    case GIT_ERROR_REPOSITORY:
    case GIT_ERROR_REFERENCE:
    case GIT_ERROR_INDEX:
    case GIT_ERROR_TREE:
    case GIT_ERROR_FILESYSTEM:
      return true;
    default:
      return false;
  }
}

struct Failure {
  Status status;
  bool local_damage = false;
};

const std::vector<std::string> kNoSecrets;

/// libgit2's last error, scrubbed: no URL userinfo, no credential values.
Failure GitFailure(const std::string& what, const RemoteContext* ctx, int code) {
  const git_error* e = git_error_last();
  std::string message = e && e->message ? e->message : "error " + std::to_string(code);
  int klass = e ? e->klass : GIT_ERROR_NONE;
  message = StripUserinfoInText(RedactMessage(message, ctx ? ctx->secrets : kNoSecrets));
  message = SecretRegistry::Global().Scrub(message);
  if (ctx && !ctx->credentials_refused.ok()) {
    return {ctx->credentials_refused.Prefixed(what), false};
  }
  if (ctx && !ctx->host_key_error.ok()) {
    return {Status::FailedPrecondition(what + ": " + ctx->host_key_error.message()), false};
  }
  if (ctx && (ctx->auth_failed || code == GIT_EAUTH)) {
    std::string hint = ctx->options->credentials.HasAny()
                           ? "check the repository credentials"
                           : "no credentials are given for it: see MLGITOPS_GIT_URL / --git-url, "
                             "or a repository or repo-creds Secret whose url covers it";
    return {Status::FailedPrecondition(what + ": authentication failed for " + ctx->display_url +
                                       " (" + hint + "): " + message),
            false};
  }
  return {Status::IOError(what + ": " + message), IsLocalDamage(klass)};
}

// ---- the cache entry ----

struct CacheEntry {
  std::string dir;      // root/repos/<hash>
  std::string git_dir;  // dir/git
  std::string url;      // as written (may hold userinfo: never shown)
  std::string display;  // userinfo stripped
  std::string origin;   // scheme://host:port of url
  std::vector<std::string> secrets;
  const GitFetchOptions* options;
  RepoPtr repo;
  bool contacted_remote = false;
};

/// The last `n` bytes of a file ("" when it is shorter or unreadable).
std::string FileTail(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  std::streamoff size = in.tellg();
  if (size < static_cast<std::streamoff>(n)) return "";
  std::string out(n, '\0');
  in.seekg(size - static_cast<std::streamoff>(n));
  in.read(out.data(), static_cast<std::streamsize>(n));
  return in ? out : "";
}

/// Cheap pack-file check (no object walk): every pack has its index, and the pack's trailing
/// checksum is the one its index records, so a truncated or half-written pack is caught before
/// libgit2 silently skips it (and a fetch then refuses to replace it).
bool PacksLookSane(const std::string& git_dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(git_dir + "/objects/pack", ec)) {
    std::string path = e.path().string();
    if (e.path().extension() != ".pack") continue;
    std::string idx = path.substr(0, path.size() - 5) + ".idx";
    std::string pack_sum = FileTail(path, 20);
    std::string idx_tail = FileTail(idx, 40);  // pack checksum, then the index's own
    if (pack_sum.empty() || idx_tail.empty() || idx_tail.substr(0, 20) != pack_sum) return false;
  }
  return true;
}

Failure OpenOrInit(CacheEntry* entry) {
  git_repository* repo = nullptr;
  if (PathExists(entry->git_dir) && !PacksLookSane(entry->git_dir)) {
    return {Status::IOError("damaged pack files in the clone cache"), true};
  }
  if (git_repository_open_bare(&repo, entry->git_dir.c_str()) == 0) {
    entry->repo.reset(repo);
    return {};
  }
  if (PathExists(entry->git_dir)) return {Status::IOError("damaged clone"), true};
  Status made = MakeDirs(entry->dir);
  if (!made.ok()) return {made};
  if (git_repository_init(&repo, entry->git_dir.c_str(), /*is_bare=*/1) != 0) {
    return GitFailure("cannot create the clone cache for " + entry->display, nullptr, -1);
  }
  entry->repo.reset(repo);
  return {};
}

RemoteContext MakeContext(const CacheEntry& entry) {
  RemoteContext ctx;
  ctx.options = entry.options;
  ctx.display_url = entry.display;
  ctx.origin = entry.origin;
  ctx.secrets = entry.secrets;
  ctx.ssh = ParseSshEndpoint(entry.url);
  ctx.known_hosts = entry.options->credentials.ssh_known_hosts;
  if (ctx.known_hosts.empty() && !entry.options->default_known_hosts_file.empty()) {
    auto text = ReadWholeFile(entry.options->default_known_hosts_file);
    if (text.ok()) ctx.known_hosts = *text;
  }
  return ctx;
}

/// The remote's refs: name -> commit-ish SHA (peeled tags as "refs/tags/x^{}").
Result<std::vector<std::pair<std::string, std::string>>> ListRemote(CacheEntry* entry,
                                                                    Failure* failure) {
  RemoteContext ctx = MakeContext(*entry);
  git_remote* raw = nullptr;
  std::string what = "cannot list the refs of " + entry->display;
  if (git_remote_create_anonymous(&raw, entry->repo.get(), TransportUrl(entry->url).c_str()) != 0) {
    *failure = GitFailure(what, &ctx, -1);
    return failure->status;
  }
  RemotePtr remote(raw);
  git_remote_callbacks callbacks = RemoteCallbacks(&ctx);
  entry->contacted_remote = true;
  int rc = git_remote_connect(remote.get(), GIT_DIRECTION_FETCH, &callbacks, nullptr, nullptr);
  if (rc != 0) {
    *failure = GitFailure(what, &ctx, rc);
    failure->local_damage = false;
    return failure->status;
  }
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  std::vector<std::pair<std::string, std::string>> refs;
  if (git_remote_ls(&heads, &count, remote.get()) == 0) {
    for (size_t i = 0; i < count; ++i) refs.emplace_back(heads[i]->name, OidHex(heads[i]->oid));
  }
  git_remote_disconnect(remote.get());
  return refs;
}

Failure Fetch(CacheEntry* entry) {
  RemoteContext ctx = MakeContext(*entry);
  git_remote* raw = nullptr;
  std::string what = "cannot fetch " + entry->display;
  if (git_remote_create_anonymous(&raw, entry->repo.get(), TransportUrl(entry->url).c_str()) != 0) {
    return GitFailure(what, &ctx, -1);
  }
  RemotePtr remote(raw);
  git_fetch_options options;
  git_fetch_options_init(&options, GIT_FETCH_OPTIONS_VERSION);
  options.callbacks = RemoteCallbacks(&ctx);
  options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
  const char* specs[] = {"+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"};
  git_strarray refspecs = {const_cast<char**>(specs), 2};
  entry->contacted_remote = true;
  int rc = git_remote_fetch(remote.get(), &refspecs, &options, nullptr);
  if (rc != 0) {
    Failure f = GitFailure(what, &ctx, rc);
    // Network, auth and protocol trouble must not wipe a good cache; object store errors may.
    const git_error* e = git_error_last();
    f.local_damage = e && (e->klass == GIT_ERROR_ODB || e->klass == GIT_ERROR_ZLIB);
    return f;
  }
  return {};
}

/// The commit `oid_hex` (a commit or a tag pointing at one) when present locally.
/// Absent -> empty string; present but unreadable -> local damage.
Result<std::string> PeelLocal(CacheEntry* entry, const std::string& hex, Failure* failure) {
  git_oid oid;
  git_object* raw = nullptr;
  int rc;
  if (hex.size() == GIT_OID_HEXSZ) {
    if (git_oid_fromstr(&oid, hex.c_str()) != 0) return std::string();
    git_odb* odb_raw = nullptr;
    if (git_repository_odb(&odb_raw, entry->repo.get()) != 0) {
      *failure = GitFailure("cannot open the object store of " + entry->display, nullptr, -1);
      failure->local_damage = true;
      return failure->status;
    }
    OdbPtr odb(odb_raw);
    if (!git_odb_exists(odb.get(), &oid)) return std::string();
    rc = git_object_lookup(&raw, entry->repo.get(), &oid, GIT_OBJECT_ANY);
  } else {
    if (git_oid_fromstrn(&oid, hex.c_str(), hex.size()) != 0) return std::string();
    rc = git_object_lookup_prefix(&raw, entry->repo.get(), &oid, hex.size(), GIT_OBJECT_ANY);
    if (rc == GIT_ENOTFOUND) return std::string();
    if (rc == GIT_EAMBIGUOUS) {
      *failure = {Status::InvalidArgument("revision " + hex + " of " + entry->display +
                                          " is ambiguous: give more digits")};
      return failure->status;
    }
  }
  if (rc != 0) {
    *failure = GitFailure("cannot read object " + hex + " of " + entry->display, nullptr, rc);
    failure->local_damage = true;
    return failure->status;
  }
  ObjectPtr object(raw);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, object.get(), GIT_OBJECT_COMMIT) != 0) {
    *failure = {Status::InvalidArgument(hex + " in " + entry->display + " is not a commit")};
    return failure->status;
  }
  ObjectPtr commit(peeled);
  return OidHex(*git_object_id(commit.get()));
}

std::string ResolvedFile(const CacheEntry& entry, const std::string& revision) {
  return entry.dir + "/resolved/" + Sha256Hex(revision).substr(0, 32);
}

/// The advertised SHA for a branch, tag, full ref name or HEAD; "" when none matches.
std::string MatchRef(const std::vector<std::pair<std::string, std::string>>& refs,
                     const std::string& revision) {
  std::vector<std::string> candidates;
  if (revision.empty() || revision == "HEAD") {
    candidates = {"HEAD"};
  } else {
    candidates = {revision + "^{}", revision, "refs/heads/" + revision,
                  "refs/tags/" + revision + "^{}", "refs/tags/" + revision};
  }
  for (const std::string& want : candidates) {
    if (want.rfind("refs/", 0) != 0 && want != "HEAD") continue;
    for (const auto& [name, sha] : refs) {
      if (name == want) return sha;
    }
  }
  return "";
}

/// A present commit for `hex`, fetching once when it is missing (and allowed).
Result<std::string> CommitFetchingIfMissing(CacheEntry* entry, const std::string& hex,
                                            Failure* failure) {
  auto commit = PeelLocal(entry, hex, failure);
  if (!commit.ok() || !commit->empty()) return commit;
  if (entry->options->offline) {
    *failure = {Status::NotFound("revision " + hex + " of " + entry->display +
                                 " is not in the cache and offline mode forbids fetching")};
    return failure->status;
  }
  Failure fetched = Fetch(entry);
  if (!fetched.status.ok()) {
    *failure = fetched;
    return fetched.status;
  }
  commit = PeelLocal(entry, hex, failure);
  if (commit.ok() && commit->empty()) {
    *failure = {Status::NotFound("revision " + hex + " not found in " + entry->display)};
    return failure->status;
  }
  return commit;
}

Result<std::string> Resolve(CacheEntry* entry, const std::string& revision, Failure* failure) {
  bool hex = IsHex(revision);
  if (hex && revision.size() == GIT_OID_HEXSZ) {
    return CommitFetchingIfMissing(entry, revision, failure);
  }
  std::string resolved_file = ResolvedFile(*entry, revision);
  if (entry->options->offline) {
    auto remembered = ReadWholeFile(resolved_file);
    if (remembered.ok()) {
      std::string sha = remembered->substr(0, GIT_OID_HEXSZ);
      return CommitFetchingIfMissing(entry, sha, failure);
    }
    if (hex && revision.size() >= 4) return CommitFetchingIfMissing(entry, revision, failure);
    *failure = {Status::NotFound("revision \"" + revision + "\" of " + entry->display +
                                 " has never been resolved online, and offline mode is on")};
    return failure->status;
  }
  auto refs = ListRemote(entry, failure);
  if (!refs.ok()) return refs.status();
  std::string sha = MatchRef(*refs, revision);
  if (sha.empty()) {
    if (hex && revision.size() >= 4) return CommitFetchingIfMissing(entry, revision, failure);
    *failure = {Status::NotFound("revision \"" + revision + "\" not found in " + entry->display +
                                 ": no such branch or tag")};
    return failure->status;
  }
  auto commit = CommitFetchingIfMissing(entry, sha, failure);
  if (!commit.ok()) return commit;
  Status made = MakeDirs(entry->dir + "/resolved");
  if (made.ok()) (void)WriteFileAtomic(resolved_file, *commit + "\n");
  return commit;
}

// ---- export ----

Status ExportTree(git_repository* repo, const git_tree* tree, const std::string& dir,
                  Failure* failure) {
  for (size_t i = 0; i < git_tree_entrycount(tree); ++i) {
    const git_tree_entry* entry = git_tree_entry_byindex(tree, i);
    std::string name = git_tree_entry_name(entry);
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
      return Status::InvalidArgument("refusing tree entry \"" + name + "\"");
    }
    std::string path = dir + "/" + name;
    git_filemode_t mode = git_tree_entry_filemode(entry);
    if (mode == GIT_FILEMODE_TREE) {
      git_tree* sub = nullptr;
      if (git_tree_lookup(&sub, repo, git_tree_entry_id(entry)) != 0) {
        *failure = GitFailure("cannot read tree " + path, nullptr, -1);
        failure->local_damage = true;
        return failure->status;
      }
      TreePtr subtree(sub);
      if (::mkdir(path.c_str(), 0755) != 0) return Status::IOError(path + ": cannot create");
      Status s = ExportTree(repo, subtree.get(), path, failure);
      if (!s.ok()) return s;
      continue;
    }
    if (mode == GIT_FILEMODE_COMMIT) {  // submodules are not fetched
      ::mkdir(path.c_str(), 0755);
      continue;
    }
    git_blob* raw = nullptr;
    if (git_blob_lookup(&raw, repo, git_tree_entry_id(entry)) != 0) {
      *failure = GitFailure("cannot read blob " + path, nullptr, -1);
      failure->local_damage = true;
      return failure->status;
    }
    BlobPtr blob(raw);
    std::string content(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                        static_cast<size_t>(git_blob_rawsize(blob.get())));
    if (mode == GIT_FILEMODE_LINK) {
      if (::symlink(content.c_str(), path.c_str()) != 0) {
        return Status::IOError(path + ": cannot create symlink");
      }
      continue;
    }
    std::ofstream out(path, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) return Status::IOError(path + ": cannot write");
    ::chmod(path.c_str(), mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0555 : 0444);
  }
  return Status::OK();
}

Result<std::string> ExportCommit(CacheEntry* entry, const std::string& commit, Failure* failure) {
  std::string checkouts = entry->dir + "/checkouts";
  std::string target = checkouts + "/" + commit;
  std::string marker = target + ".complete";
  if (PathExists(marker) && PathExists(target)) return target;
  // A snapshot without its marker was interrupted: never trust it.
  Status s = RemoveTree(target);
  if (s.ok()) s = MakeDirs(checkouts);
  if (!s.ok()) return s;
  git_oid oid;
  git_oid_fromstr(&oid, commit.c_str());
  git_object* raw = nullptr;
  if (git_object_lookup(&raw, entry->repo.get(), &oid, GIT_OBJECT_COMMIT) != 0) {
    *failure = GitFailure("cannot read commit " + commit, nullptr, -1);
    failure->local_damage = true;
    return failure->status;
  }
  ObjectPtr object(raw);
  git_tree* tree_raw = nullptr;
  if (git_commit_tree(&tree_raw, reinterpret_cast<git_commit*>(object.get())) != 0) {
    *failure = GitFailure("cannot read the tree of " + commit, nullptr, -1);
    failure->local_damage = true;
    return failure->status;
  }
  TreePtr tree(tree_raw);
  std::string staging = StagingPath(target);
  s = MakeDirs(staging);
  if (s.ok()) s = ExportTree(entry->repo.get(), tree.get(), staging, failure);
  if (s.ok() && ::rename(staging.c_str(), target.c_str()) != 0) {
    s = Status::IOError(target + ": cannot move the snapshot into place");
  }
  if (!s.ok()) {
    (void)RemoveTree(staging);
    return s;
  }
  s = WriteFileAtomic(marker, commit + "\n");
  if (!s.ok()) return s;
  return target;
}

/// Everything under the repository's cache directory except the lock file.
Status WipeEntry(const CacheEntry& entry) {
  std::error_code ec;
  std::vector<std::string> children;  // listed first: removing while iterating skips entries
  for (const auto& child : std::filesystem::directory_iterator(entry.dir, ec)) {
    if (child.path().filename() != "lock") children.push_back(child.path().string());
  }
  for (const std::string& child : children) {
    Status s = RemoveTree(child);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace

Result<GitSnapshot> GitRepoCache::Checkout(const std::string& repo_url, const std::string& revision,
                                           const GitFetchOptions& options) {
  InitLibgit2();
  if (repo_url.empty()) return Status::InvalidArgument("the source has no repoURL");
  auto parsed = ParseGitUrl(repo_url);
  if (!parsed.ok()) return parsed.status().Prefixed("repoURL");
  // The cache layout is predictable (a hash of the URL): a local repoURL into it would read
  // another repository's clone, fetched with that repository's credentials, with none of its own.
  if (!parsed->IsRemote() && InsideCache(TransportUrl(parsed->path), root_)) {
    return Status::InvalidArgument("repoURL " + StripUrlUserinfo(repo_url) +
                                   " lies inside the clone cache, whose clones belong to the "
                                   "repositories they were fetched from: it is no source");
  }
  CacheEntry entry;
  entry.dir = RepoDir(repo_url);
  entry.git_dir = entry.dir + "/git";
  entry.url = repo_url;
  entry.display = StripUrlUserinfo(repo_url);
  entry.origin = parsed->Origin();
  GitFetchOptions effective = options;
  if (!effective.credentials.HasAny()) {
    effective.credentials.username = parsed->username;
    effective.credentials.password = parsed->password;  // decoded: what the server checks
  }
  entry.secrets = effective.credentials.Secrets();
  if (!parsed->password_as_written.empty()) entry.secrets.push_back(parsed->password_as_written);
  for (const std::string& s : entry.secrets) SecretRegistry::Global().Add(s);
  if (parsed->scheme == "http" && !effective.credentials.password.empty()) {
    return Status::FailedPrecondition(entry.display +
                                      ": refusing to send Git credentials over plain http, where "
                                      "anyone on the way can read them; use https://");
  }
  entry.options = &effective;
  Status made = MakeDirs(entry.dir);
  if (!made.ok()) return made;
  auto lock = FileLock::Acquire(entry.dir + "/lock");
  if (!lock.ok()) return lock.status();
  std::string rev = revision == "HEAD" ? "" : revision;
  GitSnapshot snapshot;
  for (int attempt = 0;; ++attempt) {
    Failure failure = OpenOrInit(&entry);
    std::string dir;
    if (failure.status.ok()) {
      auto commit = Resolve(&entry, rev, &failure);
      if (commit.ok()) {
        auto exported = ExportCommit(&entry, *commit, &failure);
        if (exported.ok()) {
          snapshot.commit = *commit;
          snapshot.dir = *exported;
          snapshot.contacted_remote = entry.contacted_remote;
          return snapshot;
        }
        if (failure.status.ok()) failure.status = exported.status();
      }
    }
    if (!failure.local_damage || attempt > 0) {
      return failure.status.Prefixed(entry.display + " at \"" + revision + "\"");
    }
    entry.repo.reset();
    Status wiped = WipeEntry(entry);
    if (!wiped.ok()) return wiped;
    snapshot.rebuilt = true;
  }
}

}  // namespace mlgitops
