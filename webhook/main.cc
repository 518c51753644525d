// mlgitops-webhook: the validating + mutating admission webhook. Flags become server options;
// SIGTERM/SIGINT drain in-flight requests and exit 0.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "admission/server.h"
#include "project/project_store.h"

namespace {

constexpr char kUsage[] =
    "usage: mlgitops-webhook --port N --tls-cert FILE --tls-key FILE [--config FILE]\n"
    "                        [--client-ca FILE] [--threads N] [--bind ADDR]\n"
    "                        [--shutdown-delay SECONDS] [--request-read-timeout SECONDS]\n"
    "                        [--max-connections N]\n"
    "                        [--project-namespace NS [--kubeconfig FILE]]\n"
    "--project-namespace: also deny Applications their AppProject (read from NS) does not\n"
    "permit; the cluster is reached through --kubeconfig or the pod's service account.\n"
    "Each flag takes its value as the next argument or after '=' (--port=8443).\n";

bool ParseInt(const std::string& text, int low, int high, int* out) {
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < low || value > high) return false;
  *out = static_cast<int>(value);
  return true;
}

struct ProjectFlags {
  std::string project_namespace;
  std::string kubeconfig;
};

// Returns an error message, or "" when the flags are complete.
std::string ParseFlags(int argc, char** argv, mlgitops::WebhookServerOptions* options,
                       ProjectFlags* projects) {
  bool have_port = false;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") return "help";
    std::string value;
    // Kubernetes manifests usually write "--flag=value" in one argument.
    if (size_t equals = flag.find('='); flag.rfind("--", 0) == 0 && equals != std::string::npos) {
      value = flag.substr(equals + 1);
      flag.resize(equals);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return flag + " needs a value";
    }
    if (flag == "--port") {
      if (!ParseInt(value, 0, 65535, &options->port)) return "--port takes 0-65535";
      have_port = true;
    } else if (flag == "--threads") {
      if (!ParseInt(value, 1, 4096, &options->threads)) return "--threads takes 1-4096";
    } else if (flag == "--shutdown-delay") {
      int seconds = 0;
      if (!ParseInt(value, 0, 300, &seconds)) return "--shutdown-delay takes 0-300";
      options->shutdown_delay = std::chrono::seconds(seconds);
    } else if (flag == "--request-read-timeout") {
      int seconds = 0;
      if (!ParseInt(value, 1, 300, &seconds)) return "--request-read-timeout takes 1-300 seconds";
      options->request_read_timeout = std::chrono::seconds(seconds);
    } else if (flag == "--max-connections") {
      int count = 0;
      if (!ParseInt(value, 1, 100000, &count)) return "--max-connections takes 1-100000";
      options->max_connections = static_cast<size_t>(count);
    } else if (flag == "--tls-cert") {
      options->tls_cert_file = value;
    } else if (flag == "--tls-key") {
      options->tls_key_file = value;
    } else if (flag == "--config") {
      options->config_file = value;
    } else if (flag == "--client-ca") {
      options->client_ca_file = value;
    } else if (flag == "--bind") {
      options->bind_address = value;
    } else if (flag == "--project-namespace") {
      projects->project_namespace = value;
    } else if (flag == "--kubeconfig") {
      projects->kubeconfig = value;
    } else {
      return "unknown flag " + flag;
    }
  }
  if (!have_port) return "--port is required";
  if (options->tls_cert_file.empty() || options->tls_key_file.empty()) {
    return "--tls-cert and --tls-key are required (the webhook serves HTTPS only)";
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  mlgitops::WebhookServerOptions options;
  ProjectFlags projects;
  std::string flag_error = ParseFlags(argc, argv, &options, &projects);
  if (flag_error.empty() && !projects.kubeconfig.empty() && projects.project_namespace.empty()) {
    flag_error = "--kubeconfig is only used with --project-namespace";
  }
  if (flag_error == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!flag_error.empty()) {
    std::fprintf(stderr, "mlgitops-webhook: %s\n%s", flag_error.c_str(), kUsage);
    return 2;
  }
  // Blocked before any thread starts, so only the waiter below ever sees these signals.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  mlgitops::AdmissionHandlerFactory factory = &mlgitops::DefaultAdmissionHandler;
  if (!projects.project_namespace.empty()) {
    auto check = mlgitops::ClusterProjectCheck(projects.kubeconfig, projects.project_namespace,
                                               mlgitops::ProcessGetEnv());
    if (!check.ok()) {
      std::fprintf(stderr, "mlgitops-webhook: %s\n", check.status().ToString().c_str());
      return 1;
    }
    factory = mlgitops::ProjectCheckingHandlerFactory(std::move(*check));
  }
  auto server = mlgitops::WebhookServer::Create(options, factory);
  if (!server.ok()) {
    std::fprintf(stderr, "mlgitops-webhook: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::thread signal_waiter([&] {
    int received = 0;
    sigwait(&stop_signals, &received);
    (*server)->Shutdown();
  });
  mlgitops::Status served = (*server)->Serve();
  if (!served.ok()) {
    std::fprintf(stderr, "mlgitops-webhook: %s\n", served.ToString().c_str());
    std::_Exit(1);  // the signal waiter is still blocked in sigwait
  }
  signal_waiter.join();
  return 0;
}
