// Host key checks (known_hosts, hashed names, @revoked) and the credential callback that refuses
// to answer a server other than the one the credentials were chosen for.
#include "source/git_remote_auth.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <sstream>

#include "object/base64.h"
#include "source/git_url.h"

namespace mlgitops {

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

namespace {

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

}  // namespace

git_remote_callbacks RemoteCallbacks(RemoteContext* ctx) {
  git_remote_callbacks callbacks;
  git_remote_init_callbacks(&callbacks, GIT_REMOTE_CALLBACKS_VERSION);
  callbacks.credentials = OnCredentials;
  callbacks.certificate_check = OnCertificate;
  callbacks.payload = ctx;
  return callbacks;
}

}  // namespace mlgitops
