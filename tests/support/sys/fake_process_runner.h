// FakeProcessRunner: an in-memory ProcessRunner for tests, so command and renderer tests run
// without the programs they would start (kubectl, helm, git helpers).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sys/fake_process_runner.h"
#include "sys/process.h"

namespace mlgitops {

/// In-memory runner for tests: programs are handlers keyed by argv[0]; every request is recorded.
class FakeProcessRunner : public ProcessRunner {
 public:
  using Handler = std::function<Result<ProcessResult>(const ProcessRequest&)>;

  void On(const std::string& program, Handler handler);
  /// A program that exits with `exit_code` after printing the given text.
  void OnOutput(const std::string& program, int exit_code, std::string stdout_text,
                std::string stderr_text = "");
  /// Unknown programs fail as a missing executable does.
  Result<ProcessResult> Run(const ProcessRequest& request) override;

  std::vector<ProcessRequest> calls() const;
  size_t call_count() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Handler> handlers_;
  std::vector<ProcessRequest> calls_;
};

}  // namespace mlgitops
