// FakeProcessRunner: handlers keyed by argv[0], every request recorded.
#include "sys/fake_process_runner.h"

#include <cerrno>

namespace mlgitops {

void FakeProcessRunner::On(const std::string& program, Handler handler) {
  std::lock_guard<std::mutex> lock(mutex_);
  handlers_[program] = std::move(handler);
}

void FakeProcessRunner::OnOutput(const std::string& program, int exit_code, std::string stdout_text,
                                 std::string stderr_text) {
  On(program, [=](const ProcessRequest&) -> Result<ProcessResult> {
    ProcessResult result;
    result.exit_code = exit_code;
    result.stdout_text = stdout_text;
    result.stderr_text = stderr_text;
    return result;
  });
}

Result<ProcessResult> FakeProcessRunner::Run(const ProcessRequest& request) {
  Handler handler;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    calls_.push_back(request);
    std::string program = request.argv.empty() ? "" : request.argv[0];
    auto it = handlers_.find(program);
    if (it == handlers_.end()) return SpawnFailure(program, ENOENT);
    handler = it->second;
  }
  return handler(request);
}

std::vector<ProcessRequest> FakeProcessRunner::calls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return calls_;
}

size_t FakeProcessRunner::call_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return calls_.size();
}

}  // namespace mlgitops
