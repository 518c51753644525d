// Helpers shared by the tests: temporary directories, fixture paths, parsing shortcuts.
// Each helper fails the calling test (ADD_FAILURE) rather than throwing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "object/object.h"

namespace mlgitops::testing {

/// The shared corpus beside the repo (MLGITOPS_CORPUS env var overrides).
std::string CorpusDir();
/// The repo's source root.
std::string SourceDir();
/// Where built executables are (build/bin).
std::string BinDir();

/// A fresh directory under $TMPDIR, removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  /// Writes `content` to path()/relative, creating parent directories.
  std::string Write(const std::string& relative, std::string_view content) const;

 private:
  std::string path_;
};

/// Parses one YAML document into an Object; fails the test on error.
Object ParseOne(std::string_view yaml);
std::string ReadFile(const std::string& path);

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to 0, then released).
int FreePort();
/// Whether something accepts TCP connections on 127.0.0.1:`port`.
bool PortAccepts(int port);

/// Runs `command` through /bin/sh, capturing stdout (stderr too when merge_stderr);
/// returns the exit status (or -1).
int RunCommand(const std::string& command, std::string* output, bool merge_stderr = false);

}  // namespace mlgitops::testing
