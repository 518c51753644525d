// The two gates a Git remote passes in the clone cache: its ssh host key checked against
// known_hosts, and credentials handed to libgit2 only for the scheme, host and port chosen.
#pragma once

#include <git2.h>

#include <string>
#include <vector>

#include "object/status.h"
#include "source/git_repo.h"

namespace mlgitops {

/// Where an ssh remote lives, for known_hosts ("" host for other schemes).
struct SshEndpoint {
  std::string host;
  int port = 22;
};

/// The host and port of ssh://, git+ssh:// and scp-like user@host:path URLs.
SshEndpoint ParseSshEndpoint(const std::string& url);

/// What the callbacks of one connection know and learn (their libgit2 payload).
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

/// libgit2 callbacks that answer credential requests and check certificates for `ctx`.
git_remote_callbacks RemoteCallbacks(RemoteContext* ctx);

}  // namespace mlgitops
