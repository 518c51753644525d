// Running a child process with posix_spawn: pipes for the three streams, one poll loop with a
// deadline, a process-group kill on timeout, and a blocking reap so no zombie is left behind.
#include "sys/process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>

extern "C" char** environ;

namespace mlgitops {

namespace {

using SteadyClock = std::chrono::steady_clock;

/// Owns one file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

/// A close-on-exec pipe whose ends are above the standard descriptors, so the child's dup2
/// onto 0/1/2 always produces a fresh, inheritable descriptor (and no concurrent spawn in
/// another thread inherits our ends).
Status MakePipe(Pipe* pipe) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::IOError(std::string("pipe: ") + strerror(errno));
  Fd ends[2] = {Fd(fds[0]), Fd(fds[1])};
  for (Fd& end : ends) {
    if (end.get() > STDERR_FILENO) continue;
    int moved = ::fcntl(end.get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    if (moved < 0) return Status::IOError(std::string("fcntl: ") + strerror(errno));
    end.reset(moved);
  }
  pipe->read = std::move(ends[0]);
  pipe->write = std::move(ends[1]);
  return Status::OK();
}

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

std::vector<std::string> BuildEnvironment(const ProcessRequest& request) {
  std::map<std::string, std::string> overrides;
  for (const auto& [name, value] : request.env) overrides[name] = value;
  std::vector<std::string> entries;
  if (request.inherit_env) {
    for (char** entry = environ; entry && *entry; ++entry) {
      std::string_view text(*entry);
      std::string name(text.substr(0, text.find('=')));
      if (overrides.count(name) == 0) entries.emplace_back(text);
    }
  }
  for (const auto& [name, value] : overrides) entries.push_back(name + "=" + value);
  return entries;
}

std::vector<char*> CStringArray(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

/// Attributes for the child: default signal dispositions (we may ignore SIGPIPE; it must not),
/// an empty signal mask, and its own process group.
class SpawnAttributes {
 public:
  SpawnAttributes() {
    posix_spawnattr_init(&attr_);
    sigset_t empty, defaults;
    sigemptyset(&empty);
    sigemptyset(&defaults);
    for (int sig :
         {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2}) {
      sigaddset(&defaults, sig);
    }
    posix_spawnattr_setsigmask(&attr_, &empty);
    posix_spawnattr_setsigdefault(&attr_, &defaults);
    posix_spawnattr_setpgroup(&attr_, 0);
    posix_spawnattr_setflags(
        &attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  }
  ~SpawnAttributes() { posix_spawnattr_destroy(&attr_); }
  const posix_spawnattr_t* get() const { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  void Dup(int from, int to) { posix_spawn_file_actions_adddup2(&actions_, from, to); }
  void OpenDevNull(int to) {
    posix_spawn_file_actions_addopen(&actions_, to, "/dev/null", O_RDONLY, 0);
  }
  const posix_spawn_file_actions_t* get() const { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

/// Blocks SIGPIPE in the calling thread while it writes to the child's stdin, so a child that
/// exits early produces EPIPE instead of killing us; a SIGPIPE raised meanwhile is consumed.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &previous_);
  }
  ~ScopedSigpipeBlock() {
    if (raised_) {
      sigset_t pipe_only;
      sigemptyset(&pipe_only);
      sigaddset(&pipe_only, SIGPIPE);
      struct timespec zero = {0, 0};
      while (sigtimedwait(&pipe_only, nullptr, &zero) > 0) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  void NoteRaised() { raised_ = true; }

 private:
  sigset_t previous_;
  bool raised_ = false;
};

/// One captured output stream.
struct Capture {
  Fd fd;
  std::string* text;
  bool* truncated;
};

/// Reads what is available; returns false at end of stream (or on a read error).
bool Drain(Capture& capture, size_t cap) {
  char buffer[16384];
  while (true) {
    ssize_t n = ::read(capture.fd.get(), buffer, sizeof buffer);
    if (n > 0) {
      size_t room = cap > capture.text->size() ? cap - capture.text->size() : 0;
      size_t keep = std::min(room, static_cast<size_t>(n));
      capture.text->append(buffer, keep);
      if (keep < static_cast<size_t>(n)) *capture.truncated = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
}

/// Feeds stdin; returns false once everything is written or the child closed its end.
bool Feed(Fd& fd, std::string_view text, size_t* written, ScopedSigpipeBlock& sigpipe) {
  while (*written < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + *written, text.size() - *written);
    if (n > 0) {
      *written += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n < 0 && errno == EPIPE) sigpipe.NoteRaised();
    return false;
  }
  return false;
}

int RemainingMs(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 1 << 30));
}

/// Pumps the streams until all are closed or the deadline passes; false on timeout.
bool PumpStreams(Fd& stdin_fd, std::string_view stdin_text, Capture (&outputs)[2], size_t cap,
                 SteadyClock::time_point deadline) {
  ScopedSigpipeBlock sigpipe;
  size_t written = 0;
  if (stdin_fd.valid() && !Feed(stdin_fd, stdin_text, &written, sigpipe)) stdin_fd.reset();
  while (stdin_fd.valid() || outputs[0].fd.valid() || outputs[1].fd.valid()) {
    int wait_ms = RemainingMs(deadline);
    if (wait_ms == 0) return false;
    pollfd fds[3];
    nfds_t count = 0;
    Capture* polled[3] = {nullptr, nullptr, nullptr};
    for (Capture& output : outputs) {
      if (!output.fd.valid()) continue;
      polled[count] = &output;
      fds[count++] = {output.fd.get(), POLLIN, 0};
    }
    if (stdin_fd.valid()) fds[count++] = {stdin_fd.get(), POLLOUT, 0};
    int ready = ::poll(fds, count, wait_ms);
    if (ready < 0 && errno != EINTR) return false;
    if (ready <= 0) continue;
    for (nfds_t i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      if (polled[i] != nullptr) {
        if (!Drain(*polled[i], cap)) polled[i]->fd.reset();
      } else if (!Feed(stdin_fd, stdin_text, &written, sigpipe)) {
        stdin_fd.reset();
      }
    }
  }
  return true;
}

/// Waits for the child to exit until the deadline; false when it is still running.
/// `wait_status` stays -1 when the child cannot be waited for (reaped elsewhere).
bool WaitUntil(pid_t pid, SteadyClock::time_point deadline, int* wait_status) {
  auto pause = std::chrono::milliseconds(1);
  while (true) {
    pid_t done = ::waitpid(pid, wait_status, WNOHANG);
    if (done == pid) return true;
    if (done < 0 && errno != EINTR) return true;
    if (SteadyClock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

void KillAndReap(pid_t pid, int* wait_status) {
  ::kill(-pid, SIGKILL);  // the plugin's whole process group
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, wait_status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

Status SpawnFailure(const std::string& program, int error) {
  std::string what = "cannot run \"" + program + "\": " + strerror(error);
  if (error == ENOENT) return Status::NotFound(what);
  return Status::IOError(what);
}

GetEnvFn ProcessGetEnv() {
  return [](const char* name) -> const char* { return std::getenv(name); };
}

std::string EnvValue(const GetEnvFn& getenv, const char* name) {
  const char* value = getenv ? getenv(name) : nullptr;
  return value ? value : "";
}

Result<ProcessResult> SystemProcessRunner::Run(const ProcessRequest& request) {
  if (request.argv.empty() || request.argv[0].empty()) {
    return Status::InvalidArgument("no program to run");
  }
  Pipe in, out, err;
  for (Pipe* pipe : {&out, &err}) {
    Status made = MakePipe(pipe);
    if (!made.ok()) return made;
  }
  FileActions actions;
  if (request.stdin_text) {
    Status made = MakePipe(&in);
    if (!made.ok()) return made;
    actions.Dup(in.read.get(), STDIN_FILENO);
  } else {
    actions.OpenDevNull(STDIN_FILENO);
  }
  actions.Dup(out.write.get(), STDOUT_FILENO);
  actions.Dup(err.write.get(), STDERR_FILENO);

  std::vector<std::string> argv_strings = request.argv;
  std::vector<std::string> env_strings = BuildEnvironment(request);
  std::vector<char*> argv = CStringArray(argv_strings);
  std::vector<char*> envp = CStringArray(env_strings);
  SpawnAttributes attributes;
  const auto deadline = SteadyClock::now() + std::chrono::milliseconds(request.timeout_ms);

  pid_t pid = -1;
  int spawned =
      ::posix_spawnp(&pid, argv[0], actions.get(), attributes.get(), argv.data(), envp.data());
  if (spawned != 0) return SpawnFailure(request.argv[0], spawned);
  // Only the child keeps these ends, so end-of-file arrives when it (and its children) exit.
  in.read.reset();
  out.write.reset();
  err.write.reset();

  ProcessResult result;
  Capture outputs[2] = {{std::move(out.read), &result.stdout_text, &result.stdout_truncated},
                        {std::move(err.read), &result.stderr_text, &result.stderr_truncated}};
  for (Capture& output : outputs) SetNonBlocking(output.fd.get());
  if (in.write.valid()) SetNonBlocking(in.write.get());

  int wait_status = -1;
  bool finished = PumpStreams(in.write, request.stdin_text.value_or(""), outputs,
                              request.max_output_bytes, deadline) &&
                  WaitUntil(pid, deadline, &wait_status);
  if (!finished) {
    result.timed_out = true;
    KillAndReap(pid, &wait_status);
    return result;
  }
  if (wait_status == -1) return result;  // lost to another waiter: neither exit nor signal known
  if (WIFEXITED(wait_status)) result.exit_code = WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) result.term_signal = WTERMSIG(wait_status);
  return result;
}

}  // namespace mlgitops
