// File-system pieces of the source caches: an exclusive per-repository lock shared by threads
// and processes, atomic file writes, and tree removal that copes with read-only snapshots.
#pragma once

#include <string>
#include <utility>

#include "object/status.h"

namespace mlgitops {

/// An exclusive flock on `path` (created when missing), held until destruction. Each holder
/// opens its own descriptor, so threads of one process exclude each other as processes do.
class FileLock {
 public:
  static Result<FileLock> Acquire(const std::string& path);
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

/// mkdir -p.
Status MakeDirs(const std::string& path);
/// Writes `content` to a temporary file beside `path` and renames it over `path`, so readers
/// see the old file or the whole new one, never a half-written one.
Status WriteFileAtomic(const std::string& path, const std::string& content);
/// The whole file, or nullopt-like NotFound/IOError.
Result<std::string> ReadWholeFile(const std::string& path);
/// rm -rf, making read-only directories writable first; a missing path is fine.
Status RemoveTree(const std::string& path);
bool PathExists(const std::string& path);
/// A fresh unique name beside `path` for staging (".tmp-<pid>-<counter>-<name>").
std::string StagingPath(const std::string& path);

/// A fresh directory made by mkdtemp (mode 0700, unguessable name) under `parent` (the
/// system's temporary directory when ""), removed with everything in it on destruction.
/// path() is "" when it could not be made.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& parent = "", const std::string& prefix = "mlgitops-");
  ScratchDir(ScratchDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  ScratchDir& operator=(ScratchDir&&) = delete;
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace mlgitops
