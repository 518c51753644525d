// SpawnedProcess: a real program started in the background for tests that signal it while it
// runs (posix_spawn, output to files), always reaped, and killed if the test leaves it running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace mlgitops::testing {

class SpawnedProcess {
 public:
  /// Starts argv[0] (a path) with `argv`, stdout and stderr going to the files named; running()
  /// is false when it could not be started.
  SpawnedProcess(const std::vector<std::string>& argv, const std::string& stdout_path,
                 const std::string& stderr_path);
  /// SIGKILL and reap, if the test did not wait for it.
  ~SpawnedProcess();
  SpawnedProcess(const SpawnedProcess&) = delete;
  SpawnedProcess& operator=(const SpawnedProcess&) = delete;

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  /// Whether the process has a handler for `signal` installed (Linux: SigCgt in
  /// /proc/PID/status), polled until `timeout`: the moment a signal is handled, not fatal.
  bool WaitUntilCatching(int signal, std::chrono::milliseconds timeout) const;
  void Signal(int signal) const;
  /// The wait status once it has ended, or nullopt when it still runs at `timeout`.
  std::optional<int> Wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
};

}  // namespace mlgitops::testing
