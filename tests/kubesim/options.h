// Command-line options of the kubesim binary (--port, --kubeconfig, --audit-log, --faults,
// --service-endpoint, --no-controllers, --step-delay, --token-auth-file, --client-ca-file,
// --authorization-mode, --anonymous-auth) and the --help text that documents them.
#pragma once

#include <string>
#include <vector>

#include "kubesim/admission_client.h"
#include "kubesim/controllers.h"
#include "kubesim/faults.h"
#include "object/status.h"

namespace mlgitops::kubesim {

struct Options {
  int port = 0;  // 0: pick a free port
  std::string kubeconfig_path;
  std::string audit_log_path;
  FaultSpec faults;
  std::vector<ServiceEndpoint> service_endpoints;  // --service-endpoint, repeatable
  ControllerOptions controllers;
  std::string token_auth_file;              // --token-auth-file: static tokens (authn.h)
  std::string client_ca_file;               // --client-ca-file: client certificates' CA
  bool authorization_always_allow = false;  // --authorization-mode=AlwaysAllow (default RBAC)
  bool anonymous_auth = true;               // --anonymous-auth (kube-apiserver's default: true)
  bool show_help = false;
};

/// Parses argv (flags as --name VALUE or --name=VALUE).
Result<Options> ParseOptions(int argc, char** argv);
/// The --help text, including the --faults format.
std::string UsageText();

}  // namespace mlgitops::kubesim
