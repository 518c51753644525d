// What the benchmark programs share: running a command as a child with its wall time and peak
// memory, keeping the best of several runs, and reading a size list from the command line.
#pragma once

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace mlgitops::bench {

struct RunResult {
  double seconds = 0;
  long peak_kb = 0;
  int exit_code = -1;
};

/// Runs argv with stdout to `stdout_path` (or /dev/null): wall time and the child's own peak RSS.
inline RunResult Run(const std::vector<std::string>& argv, const std::string& stdout_path = "") {
  RunResult r;
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    const char* target = stdout_path.empty() ? "/dev/null" : stdout_path.c_str();
    int fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) dup2(fd, 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  struct rusage ru;
  if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) return r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.peak_kb = ru.ru_maxrss;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

/// The fastest of `repeat` runs.
inline RunResult Best(const std::vector<std::string>& argv, int repeat) {
  RunResult best;
  for (int i = 0; i < repeat; ++i) {
    RunResult r = Run(argv);
    if (i == 0 || r.seconds < best.seconds) best = r;
  }
  return best;
}

/// "1000,3000" -> {1000, 3000}.
inline std::vector<int> ParseSizes(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::atoi(item.c_str()));
  return out;
}

}  // namespace mlgitops::bench
