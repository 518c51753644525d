// The process seam: running a program (exec credential plugins) and reading the environment,
// behind interfaces so the core is tested with in-memory fakes and never with a shell.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "object/status.h"

namespace mlgitops {

/// getenv as a seam: returns nullptr when the variable is unset. The pointer only has to stay
/// valid until the next call. CliEnv::getenv has this shape.
using GetEnvFn = std::function<const char*(const char*)>;
/// The real process environment.
GetEnvFn ProcessGetEnv();
/// The variable's value through `getenv` (which may be empty), "" when unset.
std::string EnvValue(const GetEnvFn& getenv, const char* name);

struct ProcessRequest {
  /// argv[0] is the program: a path when it contains a slash, else looked up in PATH.
  std::vector<std::string> argv;
  /// Set on top of the inherited environment (a later entry for the same name wins).
  std::vector<std::pair<std::string, std::string>> env;
  bool inherit_env = true;
  /// Written to the child's stdin, which is then closed; nullopt gives it /dev/null.
  std::optional<std::string> stdin_text;
  int64_t timeout_ms = 60000;
  /// Per stream; output beyond it is read and dropped so the child never blocks on a full pipe.
  size_t max_output_bytes = size_t{1} << 20;
};

struct ProcessResult {
  int exit_code = -1;      // -1 unless the child exited normally
  int term_signal = 0;     // the signal that ended it, 0 when it exited
  bool timed_out = false;  // killed (with its process group) at the deadline
  std::string stdout_text;
  std::string stderr_text;
  bool stdout_truncated = false;
  bool stderr_truncated = false;

  bool succeeded() const { return !timed_out && term_signal == 0 && exit_code == 0; }
};

/// Runs programs. Implementations are thread-safe; a run that fails to start returns a Status
/// (NotFound when the program does not exist), anything after that is a ProcessResult.
class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  virtual Result<ProcessResult> Run(const ProcessRequest& request) = 0;
};

/// The error a program that cannot be started gives: NotFound when it is missing (ENOENT), an
/// IOError otherwise; the message names the program.
Status SpawnFailure(const std::string& program, int error);

/// posix_spawn without a shell; the child gets its own process group so a timeout kills the
/// whole tree, and every child is reaped before Run returns.
class SystemProcessRunner : public ProcessRunner {
 public:
  Result<ProcessResult> Run(const ProcessRequest& request) override;
};

}  // namespace mlgitops
