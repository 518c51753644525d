// libgit2-built test repositories.
#include "git_test_repo.h"

#include <git2.h>
#include <gtest/gtest.h>

namespace mlgitops::testing {

struct TestGitRepo::Impl {
  git_repository* repo = nullptr;
};

namespace {
std::string Hex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}
void Check(int rc, const char* what) {
  if (rc != 0) {
    const git_error* e = git_error_last();
    ADD_FAILURE() << what << ": " << (e ? e->message : "?");
  }
}
/// Blob content and its mode (a file or a symbolic link).
using Entries = std::map<std::string, std::pair<std::string, git_filemode_t>>;

/// A tree holding `files` (paths with '/' become subtrees).
git_oid WriteTree(git_repository* repo, const Entries& files) {
  std::map<std::string, Entries> subdirs;
  git_treebuilder* builder = nullptr;
  Check(git_treebuilder_new(&builder, repo, nullptr), "treebuilder");
  for (const auto& [path, entry] : files) {
    size_t slash = path.find('/');
    if (slash != std::string::npos) {
      subdirs[path.substr(0, slash)][path.substr(slash + 1)] = entry;
      continue;
    }
    const std::string& content = entry.first;
    git_oid blob;
    Check(git_blob_create_from_buffer(&blob, repo, content.data(), content.size()), "blob");
    Check(git_treebuilder_insert(nullptr, builder, path.c_str(), &blob, entry.second), "insert");
  }
  for (const auto& [name, children] : subdirs) {
    git_oid sub = WriteTree(repo, children);
    Check(git_treebuilder_insert(nullptr, builder, name.c_str(), &sub, GIT_FILEMODE_TREE),
          "insert tree");
  }
  git_oid out;
  Check(git_treebuilder_write(&out, builder), "write tree");
  git_treebuilder_free(builder);
  return out;
}
}  // namespace

TestGitRepo::TestGitRepo(const std::string& path) : impl_(new Impl), path_(path) {
  git_libgit2_init();
  Check(git_repository_init(&impl_->repo, path.c_str(), 1), "init");
}

TestGitRepo::~TestGitRepo() {
  git_repository_free(impl_->repo);
  delete impl_;
  git_libgit2_shutdown();
}

std::string TestGitRepo::Commit(const std::map<std::string, std::string>& files,
                                const std::string& branch) {
  return CommitWithLinks(files, {}, branch);
}

std::string TestGitRepo::CommitWithLinks(const std::map<std::string, std::string>& files,
                                         const std::map<std::string, std::string>& links,
                                         const std::string& branch) {
  Entries entries;
  for (const auto& [path, content] : files) entries[path] = {content, GIT_FILEMODE_BLOB};
  for (const auto& [path, text] : links) entries[path] = {text, GIT_FILEMODE_LINK};
  git_oid tree_id, commit_id;
  tree_id = WriteTree(impl_->repo, entries);
  git_tree* tree = nullptr;
  Check(git_tree_lookup(&tree, impl_->repo, &tree_id), "tree");
  std::string ref = "refs/heads/" + branch;
  git_commit* parent = nullptr;
  git_oid parent_id;
  if (git_reference_name_to_id(&parent_id, impl_->repo, ref.c_str()) == 0) {
    Check(git_commit_lookup(&parent, impl_->repo, &parent_id), "parent");
  }
  git_signature* sig = nullptr;
  Check(git_signature_new(&sig, "Test", "test@example.com", 1700000000, 0), "sig");
  const git_commit* parents[] = {parent};
  Check(git_commit_create(&commit_id, impl_->repo, ref.c_str(), sig, sig, nullptr, "commit", tree,
                          parent ? 1 : 0, parents),
        "commit");
  if (git_repository_head_unborn(impl_->repo) == 1) SetHead(branch);
  git_signature_free(sig);
  git_commit_free(parent);
  git_tree_free(tree);
  return Hex(commit_id);
}

void TestGitRepo::LightweightTag(const std::string& name, const std::string& sha) {
  git_oid oid, out;
  git_oid_fromstr(&oid, sha.c_str());
  git_object* target = nullptr;
  Check(git_object_lookup(&target, impl_->repo, &oid, GIT_OBJECT_COMMIT), "target");
  Check(git_tag_create_lightweight(&out, impl_->repo, name.c_str(), target, 1), "tag");
  git_object_free(target);
}

std::string TestGitRepo::AnnotatedTag(const std::string& name, const std::string& sha) {
  git_oid oid, out;
  git_oid_fromstr(&oid, sha.c_str());
  git_object* target = nullptr;
  Check(git_object_lookup(&target, impl_->repo, &oid, GIT_OBJECT_COMMIT), "target");
  git_signature* sig = nullptr;
  Check(git_signature_new(&sig, "Test", "test@example.com", 1700000000, 0), "sig");
  Check(git_tag_create(&out, impl_->repo, name.c_str(), target, sig, "release", 1), "tag");
  git_signature_free(sig);
  git_object_free(target);
  return Hex(out);
}

void TestGitRepo::SetHead(const std::string& branch) {
  Check(git_repository_set_head(impl_->repo, ("refs/heads/" + branch).c_str()), "head");
}

}  // namespace mlgitops::testing
