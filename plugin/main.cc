// kubectl-mlgitops: GitOps delivery for ML platforms, as a kubectl plugin.
// main() only wires the real terminal, clock and environment into the library's RunCli.
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/cli.h"

int main(int argc, char** argv) {
  mlgitops::StdTerminal out(stdout);
  mlgitops::StdTerminal err(stderr);
  mlgitops::SystemClock clock;
  mlgitops::CliEnv env{out, err, clock, [](const char* name) { return std::getenv(name); }};
  return mlgitops::RunCli(std::vector<std::string>(argv + 1, argv + argc), env);
}
