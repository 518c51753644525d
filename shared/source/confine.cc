// Containment checks (lexical, then realpath against the canonical root) and the private
// per-render copy of a checkout, which checks every symbolic link as it recreates it.
#include "source/confine.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "source/repo_cache.h"

namespace mlgitops {

namespace fs = std::filesystem;

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  // An absolute name stays absolute, so containment checks still see it as one.
  if (dir.empty() || (!name.empty() && name[0] == '/')) return name;
  return name.empty() ? dir : dir + "/" + name;
}

std::optional<std::string> CanonicalPath(const std::string& path, int* error) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) {
    *error = errno;
    return std::nullopt;
  }
  return std::string(buf);
}

bool IsWithin(const std::string& root, const std::string& path) {
  std::vector<std::string> r = SplitPath(root), p = SplitPath(path);
  return p.size() >= r.size() && std::equal(r.begin(), r.end(), p.begin());
}

std::string RelativeTo(const std::string& root, const std::string& path) {
  std::vector<std::string> r = SplitPath(root), p = SplitPath(path);
  std::string out;
  for (size_t i = r.size(); i < p.size(); ++i) out = JoinPath(out, p[i]);
  return out;
}

std::optional<std::string> NormalizeInside(const std::string& path) {
  if (!path.empty() && path[0] == '/') return std::nullopt;
  std::vector<std::string> kept;
  for (const std::string& part : SplitPath(path)) {
    if (part == ".") continue;
    if (part != "..") {
      kept.push_back(part);
    } else if (kept.empty()) {
      return std::nullopt;
    } else {
      kept.pop_back();
    }
  }
  std::string out;
  for (const std::string& part : kept) out = JoinPath(out, part);
  return out;
}

bool LinkTextEscapes(const std::string& link_dir, const std::string& target) {
  if (!target.empty() && target[0] == '/') return true;
  return !NormalizeInside(JoinPath(link_dir, target)).has_value();
}

Result<std::string> ResolveInside(const std::string& root, const std::string& path,
                                  const std::string& subject) {
  int error = 0;
  auto real_root = CanonicalPath(root, &error);
  if (!real_root) {
    return Status::NotFound(root + ": repository root not found: " + std::strerror(error));
  }
  // Lexically first, as the tools join paths: "../x" is refused even when x does not exist.
  auto logical = NormalizeInside(path);
  if (!logical) {
    return Status::InvalidArgument(
        subject + ": leaves the repository root (" +
        (!path.empty() && path[0] == '/' ? "an absolute path" : "\"..\" climbs above it") + ")");
  }
  auto real = CanonicalPath(JoinPath(*real_root, *logical), &error);
  if (!real && (error == ENOENT || error == ENOTDIR)) {
    return Status::NotFound(subject + ": does not exist");
  }
  if (!real && error == ELOOP) return Status::InvalidArgument(subject + ": symbolic link loop");
  if (!real) return Status::IOError(subject + ": " + std::strerror(error));
  if (!IsWithin(*real_root, *real)) {
    return Status::InvalidArgument(subject +
                                   ": resolves outside the repository root through a symbolic "
                                   "link");
  }
  return *real;
}

// ---- PrivateCheckout ----

namespace {

// The text for a link at `link_dir` (relative to the root) that reaches `target` (relative to
// the root too), so the copy's links point into the copy.
std::string RelativeLinkText(const std::string& link_dir, const std::string& target) {
  std::string text;
  for (size_t i = 0; i < SplitPath(link_dir).size(); ++i) text = JoinPath(text, "..");
  text = JoinPath(text, target);
  return text.empty() ? "." : text;
}

Status CopyLink(const std::string& root, const fs::path& source, const std::string& rel,
                const std::string& destination) {
  std::string link_dir = rel.find('/') == std::string::npos ? "" : rel.substr(0, rel.rfind('/'));
  // Names the link only: its target path may itself be sensitive.
  auto outside =
      Status::InvalidArgument(rel + ": symbolic link points outside the repository root");
  int error = 0;
  auto target = CanonicalPath(source.string(), &error);
  std::string text;
  if (target) {
    if (!IsWithin(root, *target)) return outside;
    text = RelativeLinkText(link_dir, RelativeTo(root, *target));
  } else if (error == ENOENT) {
    char buf[PATH_MAX];
    ssize_t n = ::readlink(source.c_str(), buf, sizeof buf - 1);
    if (n < 0) return Status::IOError(rel + ": " + std::strerror(errno));
    text.assign(buf, static_cast<size_t>(n));
    if (LinkTextEscapes(link_dir, text)) return outside;  // dangling, and would lead out
  } else if (error == ELOOP) {
    return Status::InvalidArgument(rel + ": symbolic link loop");
  } else {
    return Status::IOError(rel + ": " + std::strerror(error));
  }
  if (::symlink(text.c_str(), destination.c_str()) != 0) {
    return Status::IOError(rel + ": cannot copy symbolic link: " + std::strerror(errno));
  }
  return Status::OK();
}

Status CopyFile(const fs::path& source, const std::string& rel, const std::string& destination) {
  // The snapshot is read-only, so a hard link shares nothing a render could change.
  if (::link(source.c_str(), destination.c_str()) == 0) return Status::OK();
  std::error_code ec;
  fs::copy_file(source, destination, ec);
  if (ec) return Status::IOError(rel + ": cannot copy: " + ec.message());
  return Status::OK();
}

Status CopyTree(const std::string& root, const std::string& destination) {
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  if (ec) return Status::IOError(root + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Status::IOError(root + ": " + ec.message());
    std::string rel = RelativeTo(root, it->path().string());
    std::string target = destination + "/" + rel;
    fs::file_status st = it->symlink_status(ec);
    if (ec) return Status::IOError(rel + ": " + ec.message());
    Status s;
    if (fs::is_symlink(st)) {
      s = CopyLink(root, it->path(), rel, target);
    } else if (fs::is_directory(st)) {
      if (::mkdir(target.c_str(), 0755) != 0) {
        s = Status::IOError(rel + ": cannot create: " + std::strerror(errno));
      }
    } else if (fs::is_regular_file(st)) {
      s = CopyFile(it->path(), rel, target);
    }  // sockets, FIFOs, devices: never in a Git tree, never copied
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace

Result<PrivateCheckout> PrivateCheckout::Make(const std::string& checkout,
                                              const std::string& parent) {
  int error = 0;
  auto root = CanonicalPath(checkout, &error);
  if (!root) return Status::NotFound(checkout + ": checkout not found: " + std::strerror(error));
  Status made = MakeDirs(parent);
  if (!made.ok()) return made;
  ScratchDir scratch(parent, "render-");
  if (scratch.path().empty()) {
    return Status::IOError(parent +
                           ": cannot make a private render directory: " + std::strerror(errno));
  }
  std::string copy = scratch.path() + "/repo";
  if (::mkdir(copy.c_str(), 0755) != 0) {
    return Status::IOError(copy + ": cannot create: " + std::strerror(errno));
  }
  Status copied = CopyTree(*root, copy);
  if (!copied.ok()) return copied;
  auto real_copy = CanonicalPath(copy, &error);
  if (!real_copy) return Status::IOError(copy + ": " + std::strerror(error));
  return PrivateCheckout(std::move(scratch), *real_copy);
}

}  // namespace mlgitops
