// kubesim: a local Kubernetes API server for tests and the no-cluster demo (see --help).
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <thread>

#include "kubesim/api_server.h"
#include "kubesim/audit.h"
#include "kubesim/authn.h"
#include "kubesim/certs.h"
#include "kubesim/controllers.h"
#include "kubesim/faults.h"
#include "kubesim/kubeconfig.h"
#include "kubesim/options.h"
#include "kubesim/server.h"
#include "object/clock.h"

namespace {

using mlgitops::kubesim::Options;

int Run(const Options& options) {
  using namespace std::chrono_literals;  // NOLINT: local
  namespace ks = mlgitops::kubesim;

  // Signals are taken synchronously by this thread (sigwait); every other thread blocks them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto certs = ks::GenerateServingCertificates();
  if (!certs.ok()) {
    std::fprintf(stderr, "kubesim: %s\n", certs.status().message().c_str());
    return 1;
  }
  std::string token = ks::NewBearerToken();
  if (token.empty()) {
    std::fprintf(stderr, "kubesim: cannot generate a bearer token\n");
    return 1;
  }
  ks::AuditLog audit;
  if (!options.audit_log_path.empty()) {
    auto opened = audit.Open(options.audit_log_path);
    if (!opened.ok()) {
      std::fprintf(stderr, "kubesim: %s\n", opened.message().c_str());
      return 1;
    }
  }
  ks::FaultInjector faults(options.faults);
  mlgitops::SystemClock clock;
  ks::ApiServer api(&clock);
  for (const ks::ServiceEndpoint& endpoint : options.service_endpoints) {
    api.admission().AddServiceEndpoint(endpoint);
  }
  api.rbac().set_always_allow(options.authorization_always_allow);
  ks::Authenticator authenticator(token, &api);
  authenticator.set_anonymous(options.anonymous_auth);
  mlgitops::Status loaded = mlgitops::Status::OK();
  if (!options.token_auth_file.empty())
    loaded = authenticator.LoadTokenFile(options.token_auth_file);
  if (loaded.ok() && !options.client_ca_file.empty()) {
    loaded = authenticator.LoadClientCa(options.client_ca_file);
  }
  if (!loaded.ok()) {
    std::fprintf(stderr, "kubesim: %s\n", loaded.message().c_str());
    return 1;
  }
  api.set_authenticator(&authenticator);
  ks::HttpsServer server(&api, *certs, &authenticator, &audit, &faults);
  auto port = server.Bind(options.port);
  if (!port.ok()) {
    std::fprintf(stderr, "kubesim: %s\n", port.status().message().c_str());
    return 1;
  }
  std::string address = "127.0.0.1:" + std::to_string(*port);
  api.set_server_address(address);
  ks::Controllers controllers(&api, &clock, options.controllers);
  if (!controllers.Start()) return 1;

  std::promise<void> served;
  std::future<void> serving_done = served.get_future();
  std::thread serving([&] {
    server.Serve();
    served.set_value();
  });
  std::atomic<bool> stopping{false};
  std::thread ticking([&] {
    while (!stopping) {
      api.Tick();
      std::this_thread::sleep_for(200ms);
    }
  });

  auto written = ks::WriteFileAtomically(
      options.kubeconfig_path, ks::KubeconfigText("https://" + address, certs->ca_pem, token));
  int exit_code = 0;
  if (!written.ok()) {
    std::fprintf(stderr, "kubesim: %s\n", written.message().c_str());
    exit_code = 1;
  } else {
    std::fprintf(stderr, "kubesim: serving https://%s (kubeconfig %s)\n", address.c_str(),
                 options.kubeconfig_path.c_str());
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    std::fprintf(stderr, "kubesim: stopping on signal %d\n", signal_number);
  }
  stopping = true;
  api.Shutdown();
  controllers.Stop();
  std::this_thread::sleep_for(100ms);  // open watches send their last chunk
  server.Stop();
  ticking.join();
  // Workers finish their requests; an idle keep-alive connection would hold one until the
  // keep-alive timeout, so after a grace period the process ends without waiting for it (all
  // state is in memory and the audit log is flushed line by line).
  if (serving_done.wait_for(1s) != std::future_status::ready) {
    std::fprintf(stderr, "kubesim: stopped (idle connections closed)\n");
    std::_Exit(exit_code);
  }
  serving.join();
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = mlgitops::kubesim::ParseOptions(argc, argv);
  if (!options.ok()) {
    std::fprintf(stderr, "kubesim: %s\n", options.status().message().c_str());
    return 2;
  }
  if (options->show_help) {
    std::fputs(mlgitops::kubesim::UsageText().c_str(), stdout);
    return 0;
  }
  return Run(*options);
}
