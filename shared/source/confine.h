// Keeping every path read from a repository inside it: lexical and symlink-aware containment
// against a canonical root, and private per-render copies that carry no link leading out.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "object/status.h"
#include "source/repo_cache.h"

namespace mlgitops {

/// `path` split on '/', empty parts dropped.
std::vector<std::string> SplitPath(const std::string& path);
/// `dir/name`, either side possibly empty; an absolute `name` is returned as it is.
std::string JoinPath(const std::string& dir, const std::string& name);
/// realpath(3): the canonical path, or nullopt with `*error` set to errno.
std::optional<std::string> CanonicalPath(const std::string& path, int* error);
/// Whether canonical `path` is canonical `root` or below it, component-wise (so "/a/repo-x"
/// is not inside "/a/repo").
bool IsWithin(const std::string& root, const std::string& path);
/// The part of canonical `path` below canonical `root` ("" for the root itself).
std::string RelativeTo(const std::string& root, const std::string& path);
/// Normalizes a relative `path` lexically ("a/./b/../c" -> "a/c"); nullopt when it is absolute
/// or its `..` climb above its start.
std::optional<std::string> NormalizeInside(const std::string& path);
/// Whether a link's text could lead out of the root: absolute, or climbing above the root from
/// the link's own directory (`link_dir` relative to the root). For dangling links.
bool LinkTextEscapes(const std::string& link_dir, const std::string& target);

/// `path`, relative to canonical `root` ("" is the root), resolved as the file system does:
/// its canonical path when that stays inside `root`. Refusals are InvalidArgument naming
/// `subject` and the rule: absolute, climbing out with "..", or a symbolic link on the way
/// leading out (the link is never followed further, its target never named). A path that does
/// not exist (or runs through a dangling link) is NotFound.
Result<std::string> ResolveInside(const std::string& root, const std::string& path,
                                  const std::string& subject);

/// A private copy of a repository checkout for one render, so a tool run on it can name no
/// other checkout: a fresh mkdtemp directory (mode 0700, unguessable name) holding the tree,
/// removed on destruction. Files are hard links to the read-only snapshot where the file
/// system allows, copies otherwise. Every symbolic link is checked on the way: one whose target
/// (or, when dangling, whose text) leads out of the checkout fails the copy, naming the link;
/// the others are recreated as relative links inside the copy.
class PrivateCheckout {
 public:
  /// Copies `checkout` into a new directory under `parent` (created when missing).
  static Result<PrivateCheckout> Make(const std::string& checkout, const std::string& parent);
  /// The canonical root of the copy.
  const std::string& root() const { return root_; }

 private:
  PrivateCheckout(ScratchDir dir, std::string root)
      : dir_(std::move(dir)), root_(std::move(root)) {}
  ScratchDir dir_;    // the mkdtemp directory, removed with the copy
  std::string root_;  // dir_/repo, canonical
};

}  // namespace mlgitops
