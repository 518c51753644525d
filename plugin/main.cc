// kubectl-mlgitops: GitOps delivery for ML platforms, as a kubectl plugin.
// main() only wires the real terminal, clock, environment and signals into the library's RunCli.
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/cli.h"

namespace {
std::atomic<bool> g_interrupted{false};

// The first Ctrl-C asks long commands to stop between steps; a second one ends the process.
void OnInterrupt(int signal_number) {
  if (g_interrupted.exchange(true)) {
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
  }
}
}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  mlgitops::StdTerminal out(stdout);
  mlgitops::StdTerminal err(stderr);
  mlgitops::SystemClock clock;
  mlgitops::CliEnv env{out, err, clock, [](const char* name) { return std::getenv(name); }};
  env.interrupted = &g_interrupted;
  return mlgitops::RunCli(std::vector<std::string>(argv + 1, argv + argc), env);
}
