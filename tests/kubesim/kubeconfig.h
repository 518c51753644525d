// The kubeconfig kubesim writes for its clients: server URL, CA data, bearer token, context
// "kubesim" with namespace default. Written atomically so readers never see half a file.
#pragma once

#include <string>

#include "object/status.h"

namespace mlgitops::kubesim {

/// The kubeconfig text for `server` ("https://127.0.0.1:PORT").
std::string KubeconfigText(const std::string& server, const std::string& ca_pem,
                           const std::string& token);
/// Writes `text` to `path` through a temporary file and rename(2), mode 0600.
Status WriteFileAtomically(const std::string& path, const std::string& text);
/// A random bearer token (hex, 32 bytes of entropy).
std::string NewBearerToken();

}  // namespace mlgitops::kubesim
