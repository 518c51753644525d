// The process seam: SystemProcessRunner against real programs (separate streams, environment,
// stdin, caps, timeouts that kill the whole process group, no zombies) and the fake.
#include "sys/process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "sys/fake_process_runner.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using testing::ReadFile;
using testing::TempDir;

ProcessRequest Argv(std::vector<std::string> argv) {
  ProcessRequest request;
  request.argv = std::move(argv);
  return request;
}

ProcessRequest Shell(const std::string& script) { return Argv({"/bin/sh", "-c", script}); }

bool Exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

/// A zombie: dead, waiting for its parent to reap it.
bool IsZombie(pid_t pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

/// True once `pid` is dead. An orphaned grandchild is reaped by init whenever init gets to it,
/// so a zombie counts as dead here; our own children must be gone entirely (see below).
bool KilledWithinTwoSeconds(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    if (!Exists(pid) || IsZombie(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

class SystemProcessRunnerTest : public ::testing::Test {
 protected:
  Result<ProcessResult> Run(ProcessRequest request) { return runner_.Run(request); }
  SystemProcessRunner runner_;
  TempDir dir_;
};

TEST_F(SystemProcessRunnerTest, CapturesStdoutAndStderrSeparatelyWithExitCode) {
  auto result = Run(Shell("echo to-out; echo to-err >&2; exit 3"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->stdout_text, "to-out\n");
  EXPECT_EQ(result->stderr_text, "to-err\n");
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_EQ(result->term_signal, 0);
  EXPECT_FALSE(result->timed_out);
  EXPECT_FALSE(result->succeeded());
}

TEST_F(SystemProcessRunnerTest, ArgumentsAreNotInterpretedByAShell) {
  auto result = Run(Argv({"/bin/echo", "$HOME", "a b", "*", ";", "`id`"}));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->stdout_text, "$HOME a b * ; `id`\n");
  EXPECT_TRUE(result->succeeded());
}

TEST_F(SystemProcessRunnerTest, ProgramIsLookedUpInPath) {
  auto result = Run(Argv({"echo", "found"}));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->stdout_text, "found\n");
}

TEST_F(SystemProcessRunnerTest, EnvironmentIsInheritedWithOverridesOnTop) {
  ::setenv("MLGITOPS_PROCESS_TEST_INHERITED", "from-parent", 1);
  ::setenv("MLGITOPS_PROCESS_TEST_REPLACED", "old", 1);
  ProcessRequest request =
      Shell("echo \"$MLGITOPS_PROCESS_TEST_INHERITED|$MLGITOPS_PROCESS_TEST_REPLACED|$EXTRA\"");
  request.env = {{"MLGITOPS_PROCESS_TEST_REPLACED", "first"},
                 {"EXTRA", "x=y"},
                 {"MLGITOPS_PROCESS_TEST_REPLACED", "new"}};
  auto result = Run(request);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->stdout_text, "from-parent|new|x=y\n");
}

TEST_F(SystemProcessRunnerTest, EnvironmentCanBeEmptiedOfInheritedVariables) {
  ::setenv("MLGITOPS_PROCESS_TEST_INHERITED", "from-parent", 1);
  ProcessRequest request = Argv({"/usr/bin/env"});
  request.inherit_env = false;
  request.env = {{"ONLY", "this"}};
  auto result = Run(request);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->stdout_text, "ONLY=this\n");
}

TEST_F(SystemProcessRunnerTest, StdinTextReachesTheChild) {
  ProcessRequest request = Argv({"/bin/cat"});
  request.stdin_text = "line one\nline two\n";
  auto result = Run(request);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->stdout_text, "line one\nline two\n");
}

TEST_F(SystemProcessRunnerTest, WithoutStdinTextTheChildReadsEndOfFile) {
  auto result = Run(Shell("cat; echo done"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->stdout_text, "done\n");
}

TEST_F(SystemProcessRunnerTest, LargeStdinAndOutputDoNotDeadlockAndOutputIsCapped) {
  ProcessRequest request = Argv({"/bin/cat"});
  request.stdin_text = std::string(4 << 20, 'x');  // far more than a pipe buffer each way
  request.max_output_bytes = 1000;
  request.timeout_ms = 20000;
  auto result = Run(request);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->succeeded());
  EXPECT_EQ(result->stdout_text, std::string(1000, 'x'));
  EXPECT_TRUE(result->stdout_truncated);
  EXPECT_FALSE(result->stderr_truncated);
}

TEST_F(SystemProcessRunnerTest, ChildThatClosesStdinEarlyDoesNotKillUs) {
  ProcessRequest request = Shell("exec 0<&-; echo closed");
  request.stdin_text = std::string(4 << 20, 'y');
  auto result = Run(request);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->stdout_text, "closed\n");
  EXPECT_TRUE(result->succeeded());
}

TEST_F(SystemProcessRunnerTest, ExitBySignalIsReported) {
  auto result = Run(Shell("kill -TERM $$"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->term_signal, SIGTERM);
  EXPECT_EQ(result->exit_code, -1);
  EXPECT_FALSE(result->succeeded());
}

TEST_F(SystemProcessRunnerTest, TimeoutKillsTheChildAndItsProcessGroupAndReapsIt) {
  std::string pids = dir_.path() + "/pids";
  ProcessRequest request = Shell("sleep 30 & echo $$ $! > " + pids + "; echo started; wait");
  request.timeout_ms = 300;
  auto start = std::chrono::steady_clock::now();
  auto result = Run(request);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->timed_out);
  EXPECT_FALSE(result->succeeded());
  EXPECT_EQ(result->stdout_text, "started\n");  // output before the deadline is kept
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  pid_t shell = 0, sleeper = 0;
  ASSERT_EQ(std::sscanf(ReadFile(pids).c_str(), "%d %d", &shell, &sleeper), 2);
  EXPECT_FALSE(Exists(shell)) << "the child is still there (alive or a zombie)";
  EXPECT_TRUE(KilledWithinTwoSeconds(sleeper)) << "the grandchild survived the timeout";
}

TEST_F(SystemProcessRunnerTest, ChildIsReapedAfterANormalExit) {
  std::string pid_file = dir_.path() + "/pid";
  auto result = Run(Shell("echo $$ > " + pid_file));
  ASSERT_TRUE(result.ok());
  pid_t pid = std::atoi(ReadFile(pid_file).c_str());
  ASSERT_GT(pid, 0);
  EXPECT_FALSE(Exists(pid)) << "exited child left as a zombie";
}

TEST_F(SystemProcessRunnerTest, MissingProgramIsNotFound) {
  auto result = Run(Argv({"mlgitops-no-such-program-x9"}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kNotFound);
  EXPECT_NE(result.status().message().find("mlgitops-no-such-program-x9"), std::string::npos);
  auto by_path = Run(Argv({dir_.path() + "/absent"}));
  ASSERT_FALSE(by_path.ok());
  EXPECT_EQ(by_path.status().code(), Status::Code::kNotFound);
}

TEST_F(SystemProcessRunnerTest, NonExecutableFileFailsToStart) {
  std::string path = dir_.Write("plain.txt", "not a program");
  auto result = Run(Argv({path}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kIOError);
}

TEST_F(SystemProcessRunnerTest, EmptyArgvIsRefused) {
  auto result = Run(ProcessRequest());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kInvalidArgument);
}

TEST_F(SystemProcessRunnerTest, ConcurrentRunsKeepTheirOwnStreams) {
  constexpr int kThreads = 6;
  std::vector<std::string> outputs(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([this, i, &outputs] {
      ProcessRequest request = Argv({"/bin/cat"});
      request.stdin_text = "thread-" + std::to_string(i) + std::string(100000, '.');
      auto result = runner_.Run(request);
      outputs[i] = result.ok() ? result->stdout_text.substr(0, 9) : "error";
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(outputs[i], "thread-" + std::to_string(i) + ".");
  }
}

TEST(FakeProcessRunnerTest, RunsHandlersAndRecordsRequests) {
  FakeProcessRunner fake;
  fake.OnOutput("plugin", 0, "out", "err");
  ProcessRequest request = Argv({"plugin", "--flag"});
  request.env = {{"A", "1"}};
  auto result = fake.Run(request);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->stdout_text, "out");
  EXPECT_EQ(result->stderr_text, "err");
  EXPECT_TRUE(result->succeeded());
  ASSERT_EQ(fake.call_count(), 1u);
  EXPECT_EQ(fake.calls()[0].argv[1], "--flag");
  EXPECT_EQ(fake.calls()[0].env[0].second, "1");
}

TEST(FakeProcessRunnerTest, UnknownProgramIsNotFoundButRecorded) {
  FakeProcessRunner fake;
  auto result = fake.Run(Argv({"missing"}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(fake.call_count(), 1u);
}

TEST(ProcessGetEnvTest, ReadsTheRealEnvironment) {
  ::setenv("MLGITOPS_GETENV_TEST", "value-1", 1);
  GetEnvFn getenv = ProcessGetEnv();
  ASSERT_NE(getenv("MLGITOPS_GETENV_TEST"), nullptr);
  EXPECT_STREQ(getenv("MLGITOPS_GETENV_TEST"), "value-1");
  EXPECT_EQ(getenv("MLGITOPS_GETENV_TEST_UNSET_VARIABLE"), nullptr);
}

}  // namespace
}  // namespace mlgitops
