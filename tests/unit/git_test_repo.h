// Test fixture for the Git source tests: bare repositories built with libgit2 (commits from
// in-memory file maps, branches, tags), and a throwaway cache directory.
#pragma once

#include <map>
#include <string>

namespace mlgitops::testing {

/// A bare repository at `path`; every commit holds exactly the files given.
class TestGitRepo {
 public:
  explicit TestGitRepo(const std::string& path);
  ~TestGitRepo();
  TestGitRepo(const TestGitRepo&) = delete;
  TestGitRepo& operator=(const TestGitRepo&) = delete;

  /// Commits `files` (path -> content) on `branch` (child of its tip); returns the SHA.
  /// The first commit also points HEAD at `branch`.
  std::string Commit(const std::map<std::string, std::string>& files,
                     const std::string& branch = "main");
  /// The same, with symbolic links too (path -> link text, stored as Git stores links).
  std::string CommitWithLinks(const std::map<std::string, std::string>& files,
                              const std::map<std::string, std::string>& links,
                              const std::string& branch = "main");
  void LightweightTag(const std::string& name, const std::string& sha);
  /// Returns the SHA of the tag object (not the commit).
  std::string AnnotatedTag(const std::string& name, const std::string& sha);
  void SetHead(const std::string& branch);
  const std::string& path() const { return path_; }
  std::string url() const { return "file://" + path_; }

 private:
  struct Impl;
  Impl* impl_;
  std::string path_;
};

}  // namespace mlgitops::testing
