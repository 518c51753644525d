// CheckKustomizePaths on its own: which kustomization fields are paths, remote and inline
// entries, and the local paths dressed up as URLs that must still be confined.
#include "source/kustomize_paths.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "test_util.h"

namespace mlgitops {
namespace {

using testing::TempDir;

class KustomizePaths : public ::testing::Test {
 protected:
  std::string Repo() const { return tmp_.path() + "/repo"; }
  // Writes app/kustomization.yaml and checks the app directory against the repository.
  Status Check(const std::string& kustomization) {
    tmp_.Write("repo/app/kustomization.yaml", kustomization);
    return CheckKustomizePaths(Repo(), Repo() + "/app", LoadLimits());
  }
  void ExpectRefused(const std::string& kustomization, const std::string& error) {
    Status s = Check(kustomization);
    ASSERT_FALSE(s.ok()) << kustomization;
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find(error), std::string::npos) << s.message();
  }
  TempDir tmp_;
};

TEST_F(KustomizePaths, EveryPathFieldIsConfined) {
  tmp_.Write("outside/x.env", "A=1\n");
  ExpectRefused("configMapGenerator: [{name: c, files: [key=../../outside/x.env]}]\n",
                "app/kustomization.yaml: configMapGenerator.files entry \"../../outside/x.env\": "
                "leaves the repository root");
  ExpectRefused("secretGenerator: [{name: s, envs: [/etc/shadow]}]\n",
                "secretGenerator.envs entry \"/etc/shadow\": leaves the repository root (an "
                "absolute path)");
  ExpectRefused("secretGenerator: [{name: s, env: ../../outside/x.env}]\n", "secretGenerator.env");
  ExpectRefused("patchesStrategicMerge: [../../outside/x.env]\n", "patchesStrategicMerge entry");
  ExpectRefused("patchesJson6902: [{path: ../../outside/x.env}]\n", "patchesJson6902.path entry");
  ExpectRefused("replacements: [{path: ../../outside/x.env}]\n", "replacements.path entry");
  ExpectRefused("components: [../../outside]\n", "components entry");
  ExpectRefused("crds: [../../outside/x.env]\n", "crds entry");
  ExpectRefused("configurations: [../../outside/x.env]\n", "configurations entry");
  ExpectRefused("openapi: {path: ../../outside/x.env}\n", "openapi.path entry");
  ExpectRefused("transformers: [../../outside]\n", "transformers entry");
  ExpectRefused("helmCharts: [{name: c, valuesFile: ../../outside/x.env}]\n",
                "helmCharts.valuesFile entry");
  ExpectRefused("helmGlobals: {chartHome: ../../outside}\n", "helmGlobals.chartHome entry");
}

TEST_F(KustomizePaths, LocalBasesAreWalkedAndLinksChecked) {
  tmp_.Write("outside/secret.yaml", "kind: Secret\n");
  tmp_.Write("repo/base/kustomization.yaml", "resources: [../leak]\n");
  std::filesystem::create_directory_symlink(tmp_.path() + "/outside", Repo() + "/leak");
  ExpectRefused("resources: [../base]\n",
                "base/kustomization.yaml: resources entry \"../leak\": resolves outside the "
                "repository root through a symbolic link");
  // A local directory named like a URL is a local path to kustomize, and confined as one.
  std::filesystem::create_directories(Repo() + "/app/sub:");
  ExpectRefused("resources: [\"sub://../../../outside\"]\n", "leaves the repository root");
  ExpectRefused("resources: [\"git::file:///srv/git/other.git\"]\n",
                "a Git URL on this host's file system is refused");
  ExpectRefused("resources: [\"git::/srv/git/other.git\"]\n", "a Git URL on this host's");
}

TEST_F(KustomizePaths, RemoteInlineAndMissingEntriesAreLeftToKustomize) {
  tmp_.Write("repo/app/cm.yaml", "kind: ConfigMap\n");
  tmp_.Write("repo/base/kustomization.yaml", "resources: []\n");
  Status s = Check(
      "resources:\n"
      "- cm.yaml\n"
      "- ../base\n"
      "- https://github.com/kubeflow/manifests//common/cert-manager?ref=v1.9.1\n"
      "- github.com/org/repo/deploy?ref=main\n"
      "- git@github.com:org/repo.git//deploy\n"
      "- missing.yaml\n"
      "patchesStrategicMerge:\n"
      "- |\n"
      "  apiVersion: v1\n"
      "  kind: ConfigMap\n"
      "  metadata: {name: cm}\n"
      "patches: [{patch: '[{op: remove, path: /x}]', target: {kind: ConfigMap}}]\n");
  EXPECT_TRUE(s.ok()) << s.ToString();
  // A kustomization directory that is itself outside the root.
  tmp_.Write("elsewhere/kustomization.yaml", "resources: []\n");
  Status outside = CheckKustomizePaths(Repo(), tmp_.path() + "/elsewhere", LoadLimits());
  EXPECT_EQ(outside.code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace mlgitops
