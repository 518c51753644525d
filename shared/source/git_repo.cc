// The libgit2 side of the clone cache: resolving revisions against the remote's advertised refs,
// fetching only what is missing, checking ssh host keys, and exporting commits as snapshots.
#include "source/git_repo.h"

#include <git2.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

#include "object/base64.h"
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

/// Where an ssh remote lives, for known_hosts ("" host for other schemes).
struct SshEndpoint {
  std::string host;
  int port = 22;
};

SshEndpoint ParseSshEndpoint(const std::string& url) {
  SshEndpoint out;
  std::string rest;
  if (url.rfind("ssh://", 0) == 0 || url.rfind("git+ssh://", 0) == 0) {
    rest = url.substr(url.find("://") + 3);
    rest = rest.substr(0, rest.find('/'));
    size_t at = rest.rfind('@');
    if (at != std::string::npos) rest = rest.substr(at + 1);
    if (!rest.empty() && rest[0] == '[') {
      size_t close = rest.find(']');
      out.host = rest.substr(1, close - 1);
      if (close + 1 < rest.size() && rest[close + 1] == ':') {
        out.port = std::atoi(rest.c_str() + close + 2);
      }
      return out;
    }
    size_t colon = rest.find(':');
    out.host = rest.substr(0, colon);
    if (colon != std::string::npos) out.port = std::atoi(rest.c_str() + colon + 1);
    return out;
  }
  if (url.find("://") == std::string::npos && url.find(':') != std::string::npos && url[0] != '/' &&
      url[0] != '.') {
    rest = url.substr(0, url.find(':'));  // scp-like user@host:path
    size_t at = rest.rfind('@');
    out.host = at == std::string::npos ? rest : rest.substr(at + 1);
  }
  return out;
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

// ---- known_hosts ----

bool HashedHostMatches(const std::string& pattern, const std::string& host) {
  // |1|base64(salt)|base64(HMAC-SHA1(salt, host))
  size_t bar = pattern.find('|', 3);
  if (bar == std::string::npos) return false;
  auto salt = Base64Decode(pattern.substr(3, bar - 3));
  auto expected = Base64Decode(pattern.substr(bar + 1));
  if (!salt || !expected) return false;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  HMAC(EVP_sha1(), salt->data(), static_cast<int>(salt->size()),
       reinterpret_cast<const unsigned char*>(host.data()), host.size(), mac, &mac_length);
  return std::string(reinterpret_cast<char*>(mac), mac_length) == *expected;
}

bool HostListMatches(const std::string& list, const std::string& host) {
  if (list.rfind("|1|", 0) == 0) return HashedHostMatches(list, host);
  std::stringstream patterns(list);
  std::string pattern;
  bool matched = false;
  while (std::getline(patterns, pattern, ',')) {
    if (!pattern.empty() && pattern[0] == '!') {
      if (pattern.substr(1) == host) return false;
    } else if (pattern == host) {
      matched = true;
    }
  }
  return matched;
}

/// OK when known_hosts lists `raw_key` for the endpoint; otherwise why not.
Status CheckKnownHost(const std::string& known_hosts, const SshEndpoint& endpoint,
                      const std::string& raw_key) {
  std::string name = endpoint.port == 22
                         ? endpoint.host
                         : "[" + endpoint.host + "]:" + std::to_string(endpoint.port);
  std::stringstream lines(known_hosts);
  std::string line;
  bool host_known = false;
  while (std::getline(lines, line)) {
    std::stringstream fields(line);
    std::string hosts, type, key;
    fields >> hosts;
    if (hosts.empty() || hosts[0] == '#') continue;
    bool revoked = hosts == "@revoked";
    if (hosts[0] == '@') {
      if (!revoked) continue;  // @cert-authority lines are not supported
      fields >> hosts;
    }
    fields >> type >> key;
    if (!HostListMatches(hosts, name)) continue;
    auto blob = Base64Decode(key);
    bool same = blob && *blob == raw_key;
    if (revoked && same) {
      return Status::FailedPrecondition("ssh host key of " + name + " is marked @revoked");
    }
    if (revoked) continue;
    host_known = true;
    if (same) return Status::OK();
  }
  if (host_known) {
    return Status::FailedPrecondition(
        "ssh host key mismatch for " + name +
        ": the server's key is not the one in known_hosts (possible man-in-the-middle; refusing)");
  }
  return Status::FailedPrecondition(
      "unknown ssh host " + name +
      ": its key is not in known_hosts (add it, e.g. with ssh-keyscan, or set "
      "insecure_ignore_host_key)");
}

// ---- remote callbacks ----

struct RemoteContext {
  const GitFetchOptions* options = nullptr;
  std::string display_url;
  std::string origin;                // scheme://host:port the credentials were chosen for
  std::vector<std::string> secrets;  // every form of every credential value, for scrubbing
  SshEndpoint ssh;
  std::string known_hosts;
  Status host_key_error;
  Status credentials_refused;
  unsigned int last_credential_type = 0;
  int credential_calls = 0;
  bool auth_failed = false;
};

/// Why credentials chosen for `ctx->origin` must not answer a challenge from `url`, if so.
/// libgit2 follows redirects (to other hosts on the first request) and then asks for credentials
/// with the URL it was sent to: like git (credential.useHttpPath aside) and browsers, credentials
/// belong to one scheme, host and port, and never travel over plain http.
Status CheckCredentialTarget(const RemoteContext& ctx, const char* url) {
  auto target = ParseGitUrl(url ? url : "");
  std::string shown = target.ok() ? target->Origin() : "an unparsable URL";
  if (!target.ok() || target->Origin() != ctx.origin) {
    return Status::FailedPrecondition(ctx.display_url + " redirected to " + shown +
                                      ", which asks for credentials: those given for " +
                                      ctx.origin + " are sent to that scheme, host and port only");
  }
  if (target->scheme == "http") {
    return Status::FailedPrecondition(ctx.display_url +
                                      ": refusing to send credentials over plain http");
  }
  return Status::OK();
}

int OnCredentials(git_credential** out, const char* url, const char* username_from_url,
                  unsigned int allowed, void* payload) {
  auto* ctx = static_cast<RemoteContext*>(payload);
  const GitCredentials& c = ctx->options->credentials;
  if (c.HasAny()) {
    ctx->credentials_refused = CheckCredentialTarget(*ctx, url);
    if (!ctx->credentials_refused.ok()) {
      git_error_set_str(GIT_ERROR_NET, "credentials refused for another host");
      return GIT_EUSER;
    }
  }
  std::string url_user = username_from_url ? username_from_url : "";
  auto give = [&](unsigned int type) {
    // libgit2 asks again after a refusal; handing out the same thing twice would loop forever.
    if (++ctx->credential_calls > 4 ||
        (type == ctx->last_credential_type && type != GIT_CREDENTIAL_USERNAME)) {
      ctx->auth_failed = true;
      return false;
    }
    ctx->last_credential_type = type;
    return true;
  };
  if ((allowed & GIT_CREDENTIAL_SSH_MEMORY) && !c.ssh_private_key.empty()) {
    if (!give(GIT_CREDENTIAL_SSH_MEMORY)) return GIT_EAUTH;
    std::string user = !url_user.empty() ? url_user : !c.username.empty() ? c.username : "git";
    return git_credential_ssh_key_memory_new(out, user.c_str(), nullptr, c.ssh_private_key.c_str(),
                                             c.ssh_key_passphrase.c_str());
  }
  if (allowed & GIT_CREDENTIAL_USERNAME) {
    if (!give(GIT_CREDENTIAL_USERNAME)) return GIT_EAUTH;
    std::string user = !c.username.empty() ? c.username : "git";
    return git_credential_username_new(out, user.c_str());
  }
  if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && !c.password.empty()) {
    if (!give(GIT_CREDENTIAL_USERPASS_PLAINTEXT)) return GIT_EAUTH;
    std::string user = !c.username.empty() ? c.username : !url_user.empty() ? url_user : "git";
    return git_credential_userpass_plaintext_new(out, user.c_str(), c.password.c_str());
  }
  ctx->auth_failed = true;
  return GIT_PASSTHROUGH;
}

int OnCertificate(git_cert* cert, int valid, const char* /*host*/, void* payload) {
  auto* ctx = static_cast<RemoteContext*>(payload);
  if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) return valid ? 0 : GIT_PASSTHROUGH;
  if (ctx->options->credentials.insecure_ignore_host_key) return 0;
  auto* hostkey = reinterpret_cast<git_cert_hostkey*>(cert);
  if (!(hostkey->type & GIT_CERT_SSH_RAW)) {
    ctx->host_key_error = Status::Unsupported("the ssh library gave no raw host key to check");
    return -1;
  }
  std::string raw(hostkey->hostkey, hostkey->hostkey_len);
  ctx->host_key_error = CheckKnownHost(ctx->known_hosts, ctx->ssh, raw);
  return ctx->host_key_error.ok() ? 0 : -1;
}

git_remote_callbacks Callbacks(RemoteContext* ctx) {
  git_remote_callbacks callbacks;
  git_remote_init_callbacks(&callbacks, GIT_REMOTE_CALLBACKS_VERSION);
  callbacks.credentials = OnCredentials;
  callbacks.certificate_check = OnCertificate;
  callbacks.payload = ctx;
  return callbacks;
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
  git_remote_callbacks callbacks = Callbacks(&ctx);
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
  options.callbacks = Callbacks(&ctx);
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
  if (!parsed->IsRemote() && PathInside(TransportUrl(parsed->path), root_)) {
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
