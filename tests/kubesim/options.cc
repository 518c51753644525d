// kubesim flag parsing.
#include "kubesim/options.h"

#include <cstdlib>
#include <vector>

namespace mlgitops::kubesim {

std::string UsageText() {
  return R"(kubesim: a local Kubernetes API server for tests and demos, good enough for kubectl.

usage: kubesim --port N --kubeconfig PATH [--audit-log PATH] [--faults SPEC]
               [--service-endpoint NS/NAME[:PORT]=HOST:PORT ...]
               [--no-controllers] [--step-delay DURATION]
               [--token-auth-file PATH] [--client-ca-file PATH]
               [--authorization-mode RBAC|AlwaysAllow] [--anonymous-auth true|false]

  --port N           listen on https://127.0.0.1:N (0 picks a free port; the kubeconfig says which)
  --kubeconfig PATH  written (atomically, mode 0600) once the server accepts connections: the CA,
                     the server URL and a bearer token generated for this run; context "kubesim",
                     namespace "default"
  --audit-log PATH   append one JSON line per request: time, verb, method, uri, group, version,
                     resource, subresource, namespace, name, code, latencyMicros, userAgent, user,
                     impersonatedUser, fault
  --faults SPEC      inject failures into API requests (never /healthz, /readyz, /livez);
                     SPEC is comma-separated key=value:
                       latency=50ms        delay each affected request (ms or s)
                       429=0.1             fraction answered 429 TooManyRequests + Retry-After
                       500=0.05            fraction answered 500 InternalError
                       drop=0.02           fraction whose connection is cut mid-response
                       retry-after=1       seconds for Retry-After (default 1)
                       seed=42             repeatable choices
                       verbs=create+patch  only these verbs (get list watch create update patch
                                           delete deletecollection); default all
                     e.g. --faults latency=50ms,429=0.1,500=0.05,drop=0.02,retry-after=1
  --service-endpoint NS/NAME[:PORT]=HOST:PORT
                     admission webhooks whose clientConfig names Service NS/NAME (on service
                     port PORT, or any) are called at HOST:PORT, verifying the certificate for
                     NAME.NS.svc; repeatable. Without a mapping kubesim looks for the annotation
                     kubesim.mlgitops.io/endpoint: HOST:PORT on the Service object itself
  --no-controllers   no simulated controllers: objects keep the status clients write
  --step-delay D     how long one simulated controller step takes (Pod start, container exit,
                     model load), e.g. 200ms (the default) or 1s; the annotation
                     kubesim.mlgitops.io/outcome: crashloop|fail|slow|failed-to-load on an
                     object makes it fail (slow: ten times longer steps)
  --token-auth-file PATH
                     static bearer tokens, kube-apiserver's CSV: token,user,uid,"group1,group2"
  --client-ca-file PATH
                     PEM CA(s) for client certificates: CN is the user, O the groups
  --authorization-mode MODE
                     RBAC (the default: the kubeconfig's user is in system:masters, everyone
                     else gets what Roles and bindings grant) or AlwaysAllow
  --anonymous-auth B true (the default, as kube-apiserver): a request without credentials is
                     user system:anonymous, group system:unauthenticated; false: it gets 401
  --help             this text

Serves until SIGTERM or SIGINT, then stops cleanly (open watches end).
)";
}

Result<Options> ParseOptions(int argc, char** argv) {
  Options options;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool has_value = false;
    size_t eq = flag.find('=');
    if (flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_value = true;
    }
    if (flag == "--help" || flag == "-h") {
      options.show_help = true;
      continue;
    }
    if (flag == "--no-controllers" && !has_value) {
      options.controllers.enabled = false;
      continue;
    }
    if (flag != "--port" && flag != "--kubeconfig" && flag != "--audit-log" && flag != "--faults" &&
        flag != "--service-endpoint" && flag != "--step-delay" && flag != "--token-auth-file" &&
        flag != "--client-ca-file" && flag != "--authorization-mode" &&
        flag != "--anonymous-auth") {
      return Status::InvalidArgument("unknown flag " + flag + " (see --help)");
    }
    if (!has_value) {
      if (i + 1 >= args.size()) return Status::InvalidArgument(flag + " needs a value");
      value = args[++i];
    }
    if (flag == "--port") {
      char* end = nullptr;
      long port = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || port < 0 || port > 65535) {
        return Status::InvalidArgument("--port " + value + ": expected 0-65535");
      }
      options.port = static_cast<int>(port);
    } else if (flag == "--kubeconfig") {
      options.kubeconfig_path = value;
    } else if (flag == "--token-auth-file") {
      options.token_auth_file = value;
    } else if (flag == "--client-ca-file") {
      options.client_ca_file = value;
    } else if (flag == "--authorization-mode") {
      if (value != "RBAC" && value != "AlwaysAllow") {
        return Status::InvalidArgument("--authorization-mode " + value +
                                       ": kubesim supports RBAC or AlwaysAllow");
      }
      options.authorization_always_allow = value == "AlwaysAllow";
    } else if (flag == "--anonymous-auth") {
      if (value != "true" && value != "false") {
        return Status::InvalidArgument("--anonymous-auth " + value + ": expected true or false");
      }
      options.anonymous_auth = value == "true";
    } else if (flag == "--audit-log") {
      options.audit_log_path = value;
    } else if (flag == "--service-endpoint") {
      auto endpoint = ParseServiceEndpoint(value);
      if (!endpoint.ok()) return endpoint.status();
      options.service_endpoints.push_back(*endpoint);
    } else if (flag == "--step-delay") {
      auto step = ParseStepDelay(value);
      if (!step.ok()) return step.status();
      options.controllers.step = *step;
    } else {
      auto faults = FaultSpec::Parse(value);
      if (!faults.ok()) return faults.status();
      options.faults = *faults;
    }
  }
  if (!options.show_help && options.kubeconfig_path.empty()) {
    return Status::InvalidArgument("--kubeconfig PATH is required (see --help)");
  }
  return options;
}

}  // namespace mlgitops::kubesim
