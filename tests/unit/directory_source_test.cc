// Tests of the directory source (Argo CD's directory rules, confinement to the repository root,
// budgets), local rendering with the destination namespace, duplicates and cluster scope.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "source/directory.h"
#include "source/render.h"
#include "source/scope.h"
#include "test_util.h"

namespace mlgitops {
namespace {

std::string ConfigMap(const std::string& name, const std::string& extra = "") {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n" + extra;
}

ApplicationSource Source(const std::string& path) {
  ApplicationSource s;
  s.repo_url = "https://example.com/ml.git";
  s.path = path;
  return s;
}

ApplicationSource DirSource(const std::string& path, bool recurse, const std::string& include = "",
                            const std::string& exclude = "") {
  ApplicationSource s = Source(path);
  s.directory = ApplicationSourceDirectory{};
  s.directory->recurse = recurse;
  s.directory->include = include;
  s.directory->exclude = exclude;
  return s;
}

std::vector<std::string> Names(const std::vector<Object>& objects) {
  std::vector<std::string> out;
  for (const Object& o : objects) out.push_back(o.name());
  return out;
}

class DirectorySource : public ::testing::Test {
 protected:
  std::string Repo() const { return tmp_.path() + "/repo"; }
  void Write(const std::string& rel, const std::string& content) const {
    tmp_.Write("repo/" + rel, content);
  }
  // A symlink at repo/<link> whose text is `target`.
  void Link(const std::string& target, const std::string& link) const {
    std::string path = Repo() + "/" + link;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    ASSERT_EQ(::symlink(target.c_str(), path.c_str()), 0) << link;
  }
  Result<std::vector<Object>> Render(const ApplicationSource& source,
                                     const DirectoryOptions& options = DirectoryOptions()) const {
    return RenderDirectory(Repo(), source, LoadLimits(), options);
  }
  // Renders and expects an error whose message contains `needle`; returns the message.
  std::string RenderError(const ApplicationSource& source, const std::string& needle,
                          const DirectoryOptions& options = DirectoryOptions()) const {
    auto result = Render(source, options);
    EXPECT_FALSE(result.ok()) << needle;
    if (result.ok()) return "";
    EXPECT_NE(result.status().message().find(needle), std::string::npos)
        << result.status().message();
    return result.status().message();
  }

  testing::TempDir tmp_;
};

TEST_F(DirectorySource, TopFolderOnlyAndOnlyManifestExtensions) {
  Write("app/a.yaml", ConfigMap("a"));
  Write("app/b.yml", ConfigMap("b"));
  Write("app/c.json", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}})");
  Write("app/notes.txt", ConfigMap("txt"));
  Write("app/secret.yaml.sealed", ConfigMap("sealed"));
  Write("app/sub/d.yaml", ConfigMap("d"));
  auto objects = Render(Source("app"));
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  EXPECT_EQ(Names(*objects), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ((*objects)[0].origin(), "app/a.yaml (document 1)");
  EXPECT_EQ((*objects)[2].origin(), "app/c.json");
}

TEST_F(DirectorySource, RecurseFollowsArgoWalkOrderThenDocumentOrder) {
  // Walk order sorts names per level: "a" < "a-b.yaml" < "b.yaml", so a/x.yaml comes before
  // a-b.yaml even though a flat sort of full paths would put "a-b.yaml" first.
  Write("app/b.yaml", ConfigMap("b1") + "---\n" + ConfigMap("b2"));
  Write("app/a-b.yaml", ConfigMap("ab"));
  Write("app/a/x.yaml", ConfigMap("ax"));
  Write("app/a/deeper/y.yaml", ConfigMap("ay"));
  auto objects = Render(DirSource("app", true));
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  EXPECT_EQ(Names(*objects), (std::vector<std::string>{"ay", "ax", "ab", "b1", "b2"}));
  EXPECT_EQ((*objects)[4].origin(), "app/b.yaml (document 2)");
}

TEST_F(DirectorySource, IncludeAndExcludeMatchPathsRelativeToTheApp) {
  // The example of Argo CD's directory documentation, one level down in the repository.
  Write("apps/web/config.json", R"({"replicas": 3})");
  Write("apps/web/deployment.yaml", ConfigMap("deployment"));
  Write("apps/web/env-use2/configmap.yaml", ConfigMap("use2"));
  Write("apps/web/env-usw2/configmap.yaml", ConfigMap("usw2"));
  struct Case {
    bool recurse;
    std::string include, exclude;
    std::vector<std::string> names;
  } cases[] = {
      {true, "*.yaml", "{config.json,env-usw2/*}", {"deployment", "use2"}},
      {true, "", "{config.json,env-usw2/*}", {"deployment", "use2"}},
      {true, "env-use2/*", "", {"use2"}},
      {true, "apps/web/*", "", {}},  // relative to the app, not to the repository
      {true, "*.yaml", "*", {}},     // exclude wins
      {true, "{deployment.yaml,env-usw2/configmap.yaml}", "", {"deployment", "usw2"}},
      {false, "*.yaml", "", {"deployment"}},
  };
  for (const Case& c : cases) {
    auto objects = Render(DirSource("apps/web", c.recurse, c.include, c.exclude));
    ASSERT_TRUE(objects.ok()) << c.include << " / " << c.exclude << ": "
                              << objects.status().ToString();
    EXPECT_EQ(Names(*objects), c.names) << c.include << " / " << c.exclude;
  }
}

TEST_F(DirectorySource, DisableExtensionFilterReadsEveryFile) {
  Write("app/a.txt", ConfigMap("txt"));
  Write("app/b.yaml", ConfigMap("yaml"));
  ApplicationSource source = DirSource("app", false);
  auto filtered = Render(source);
  ASSERT_TRUE(filtered.ok());
  EXPECT_EQ(Names(*filtered), (std::vector<std::string>{"yaml"}));
  source.directory->disable_extension_filter = true;
  auto all = Render(source);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(Names(*all), (std::vector<std::string>{"txt", "yaml"}));
}

TEST_F(DirectorySource, IncludeCannotAddAnUnknownExtension) {
  Write("app/secret.yaml.sealed", ConfigMap("sealed"));
  auto objects = Render(DirSource("app", false, "*.sealed"));
  ASSERT_TRUE(objects.ok());
  EXPECT_TRUE(objects->empty());
}

TEST_F(DirectorySource, DotFilesAndDotDirectoriesAreRendered) {
  Write("app/.hidden.yaml", ConfigMap("hidden"));
  Write("app/.config/x.yaml", ConfigMap("in-dot-dir"));
  auto objects = Render(DirSource("app", true));
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  EXPECT_EQ(Names(*objects), (std::vector<std::string>{"in-dot-dir", "hidden"}));
}

TEST_F(DirectorySource, EmptyDirectoryAndRootPath) {
  std::filesystem::create_directories(Repo() + "/empty");
  auto empty = Render(DirSource("empty", true));
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->empty());
  Write("top.yaml", ConfigMap("top"));
  for (const char* path : {"", ".", "./empty/..", "empty/../"}) {
    auto root = Render(Source(path));
    ASSERT_TRUE(root.ok()) << path << ": " << root.status().ToString();
    EXPECT_EQ(Names(*root), (std::vector<std::string>{"top"})) << path;
    EXPECT_EQ((*root)[0].origin(), "top.yaml (document 1)");
  }
}

TEST_F(DirectorySource, BadYamlFailsTheRenderNamingTheFile) {
  Write("app/a.yaml", ConfigMap("a"));
  Write("app/broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: [\n");
  std::string message = RenderError(Source("app"), "app/broken.yaml");
  EXPECT_NE(message.find("line"), std::string::npos) << message;
}

TEST_F(DirectorySource, ManifestLikeFileThatIsNotAnObjectFails) {
  Write("app/list.yaml", ConfigMap("ok") + "---\n- apiVersion\n- kind\n");
  RenderError(Source("app"), "app/list.yaml (document 2)");
}

TEST_F(DirectorySource, DataFilesAndSkipMarkedFilesAreIgnored) {
  Write("app/values.yaml", "replicas: 3\nimage: {tag: v1}\n");
  Write("app/.argocd-source.yaml", "helm:\n  parameters: []\n");
  Write("app/package.json", R"({"name": "ui", "version": "1.0.0"})");
  Write("app/not-really.yaml", "# +argocd:skip-file-rendering\n" + ConfigMap("skipped"));
  Write("app/real.yaml", ConfigMap("real"));
  auto objects = Render(Source("app"));
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  EXPECT_EQ(Names(*objects), (std::vector<std::string>{"real"}));
}

TEST_F(DirectorySource, PathsThatLeaveTheRootAreRefused) {
  Write("app/a.yaml", ConfigMap("a"));
  tmp_.Write("repo-evil/steal.yaml", ConfigMap("evil"));
  for (const char* path : {"../x", "../repo-evil", "app/../../repo-evil", "/etc", "/"}) {
    auto result = Render(Source(path));
    ASSERT_FALSE(result.ok()) << path;
    EXPECT_EQ(result.status().code(), Status::Code::kInvalidArgument) << path;
    EXPECT_NE(result.status().message().find("leaves the repository root"), std::string::npos)
        << result.status().message();
  }
  auto inside = Render(Source("app/../app"));
  ASSERT_TRUE(inside.ok()) << inside.status().ToString();
  EXPECT_EQ(inside->size(), 1u);
}

TEST_F(DirectorySource, SiblingPrefixThroughASymlinkIsRefused) {
  // "/tmp/x/repo-evil" starts with "/tmp/x/repo" as a string but is not inside it.
  tmp_.Write("repo-evil/steal.yaml", ConfigMap("evil"));
  std::filesystem::create_directories(Repo());
  Link("../repo-evil", "evil");
  std::string message = RenderError(Source("evil"), "resolves outside the repository root");
  EXPECT_EQ(message.find("repo-evil"), std::string::npos) << message;
}

TEST_F(DirectorySource, MissingOrNonDirectoryPath) {
  Write("file.yaml", ConfigMap("f"));
  auto missing = Render(Source("nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  RenderError(Source("file.yaml"), "not a directory");
  auto no_root = RenderDirectory(tmp_.path() + "/no-such-repo", Source(""), LoadLimits());
  EXPECT_EQ(no_root.status().code(), Status::Code::kNotFound);
}

constexpr char kSecret[] = "TOPSECRET-db-password-8f2c1e";

class SymlinkEscape : public DirectorySource {
 protected:
  void SetUp() override {
    outside_ = tmp_.Write("outside/secret.yaml",
                          ConfigMap("stolen", "data:\n  pw: " + std::string(kSecret) + "\n"));
    Write("app/a.yaml", ConfigMap("a"));
  }
  // The error names the link, and leaks neither the target's content nor its path.
  void ExpectRefused(const ApplicationSource& source, const std::string& link) {
    std::string message = RenderError(source, link + ": symbolic link points outside");
    EXPECT_EQ(message.find(kSecret), std::string::npos) << message;
    EXPECT_EQ(message.find("outside/secret"), std::string::npos) << message;
    EXPECT_EQ(message.find(tmp_.path()), std::string::npos) << message;
  }
  std::string outside_;
};

TEST_F(SymlinkEscape, FileLinkRelativeOrAbsolute) {
  Link("../../outside/secret.yaml", "app/leak.yaml");
  ExpectRefused(Source("app"), "app/leak.yaml");
}

TEST_F(SymlinkEscape, AbsoluteFileLink) {
  Link(outside_, "app/leak.yaml");
  ExpectRefused(Source("app"), "app/leak.yaml");
}

TEST_F(SymlinkEscape, LinkIsRefusedWhateverItsName) {
  Link(outside_, "app/leak.txt");
  ExpectRefused(Source("app"), "app/leak.txt");
}

TEST_F(SymlinkEscape, DirectoryLinkEvenWithoutRecurse) {
  Link(tmp_.path() + "/outside", "app/vendor");
  ExpectRefused(Source("app"), "app/vendor");
}

TEST_F(SymlinkEscape, DeepLinkWhenRecursing) {
  Link("../../../../../../outside/secret.yaml", "app/a/b/c/d/leak.yaml");
  ExpectRefused(DirSource("app", true), "app/a/b/c/d/leak.yaml");
}

TEST_F(SymlinkEscape, TheAppPathItself) {
  Link(tmp_.path() + "/outside", "linked-app");
  std::string message = RenderError(Source("linked-app"), "resolves outside the repository root");
  EXPECT_EQ(message.find(kSecret), std::string::npos);
  EXPECT_EQ(message.find(tmp_.path()), std::string::npos) << message;
}

TEST_F(SymlinkEscape, DanglingLinkPointingOutside) {
  Link("/nonexistent/secret.yaml", "app/gone.yaml");
  ExpectRefused(Source("app"), "app/gone.yaml");
}

TEST_F(DirectorySource, FileSymlinksInsideTheRootAreFollowed) {
  Write("shared/cm.yaml", ConfigMap("shared"));
  Link("../shared/cm.yaml", "app/linked.yaml");
  Link("missing.yaml", "app/dangling.yaml");  // inside the root: skipped, as Argo CD does
  auto objects = Render(Source("app"));
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  EXPECT_EQ(Names(*objects), (std::vector<std::string>{"shared"}));
  EXPECT_EQ((*objects)[0].origin(), "app/linked.yaml (document 1)");
}

TEST_F(DirectorySource, DirectorySymlinksAreFollowedOnlyWhenAsked) {
  Write("common/base.yaml", ConfigMap("base"));
  Write("app/own.yaml", ConfigMap("own"));
  Link("../common", "app/common");
  auto argo = Render(DirSource("app", true));
  ASSERT_TRUE(argo.ok()) << argo.status().ToString();
  EXPECT_EQ(Names(*argo), (std::vector<std::string>{"own"}));
  DirectoryOptions follow;
  follow.follow_directory_symlinks = true;
  auto followed = Render(DirSource("app", true), follow);
  ASSERT_TRUE(followed.ok()) << followed.status().ToString();
  EXPECT_EQ(Names(*followed), (std::vector<std::string>{"base", "own"}));
  EXPECT_EQ((*followed)[0].origin(), "app/common/base.yaml (document 1)");
  // Globs see the link's path, not the target's.
  auto filtered = Render(DirSource("app", true, "", "common/*"), follow);
  ASSERT_TRUE(filtered.ok());
  EXPECT_EQ(Names(*filtered), (std::vector<std::string>{"own"}));
}

TEST_F(DirectorySource, SymlinkLoopsEndWithAnError) {
  Link("b.yaml", "app/a.yaml");
  Link("a.yaml", "app/b.yaml");
  RenderError(Source("app"), "app/a.yaml: symbolic link loop");
}

TEST_F(DirectorySource, DirectoryLoopIsSkippedOrRefused) {
  Write("app/sub/x.yaml", ConfigMap("x"));
  Link("..", "app/sub/up");
  auto argo = Render(DirSource("app", true));  // links to directories are not descended
  ASSERT_TRUE(argo.ok()) << argo.status().ToString();
  EXPECT_EQ(Names(*argo), (std::vector<std::string>{"x"}));
  DirectoryOptions follow;
  follow.follow_directory_symlinks = true;
  RenderError(DirSource("app", true), "app/sub/up: directory loop", follow);
}

TEST_F(DirectorySource, SpecialFilesAreNeverOpened) {
  Write("app/a.yaml", ConfigMap("a"));
  ASSERT_EQ(::mkfifo((Repo() + "/app/pipe.yaml").c_str(), 0600), 0);
  auto objects = Render(Source("app"));  // would block forever if the FIFO were read
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  EXPECT_EQ(Names(*objects), (std::vector<std::string>{"a"}));
}

TEST_F(DirectorySource, BudgetsNameTheFileThatCrossesThem) {
  Write("app/a.yaml", ConfigMap("a"));
  Write("app/b.yaml", ConfigMap("b"));
  Write("app/c.yaml", ConfigMap("c"));
  DirectoryOptions bytes;
  bytes.max_total_bytes = ConfigMap("a").size() * 2 + 1;
  auto over = Render(Source("app"), bytes);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), Status::Code::kLimitExceeded);
  EXPECT_NE(over.status().message().find("app/c.yaml"), std::string::npos)
      << over.status().message();
  DirectoryOptions files;
  files.max_files = 1;
  RenderError(Source("app"), "app/b.yaml: more than 1 manifest files", files);
  DirectoryOptions entries;
  entries.max_entries = 2;
  RenderError(Source("app"), "more than 2 directory entries", entries);
  DirectoryOptions depth;
  depth.max_depth = 1;
  Write("app/x/y/z.yaml", ConfigMap("z"));
  RenderError(DirSource("app", true), "app/x/y: directories nested deeper than 1", depth);
}

TEST_F(DirectorySource, PerFileLimitStillApplies) {
  Write("app/big.yaml", ConfigMap("big", "data:\n  blob: " + std::string(4096, 'x') + "\n"));
  LoadLimits limits;
  limits.max_file_bytes = 1024;
  auto result = RenderDirectory(Repo(), Source("app"), limits);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("app/big.yaml"), std::string::npos);
}

TEST_F(DirectorySource, OtherToolsAreRefusedNotMisrendered) {
  Write("chart/Chart.yaml", "apiVersion: v2\nname: scorer\nversion: 0.1.0\n");
  Write("overlay/kustomization.yaml", "resources: [a.yaml]\n");
  Write("jsonnet/main.jsonnet", "{}");
  auto chart = Render(Source("chart"));
  EXPECT_EQ(chart.status().code(), Status::Code::kUnsupported);
  EXPECT_EQ(chart.status().message(),
            "spec.source.path \"chart\": holds Chart.yaml: Helm rendering is not supported yet");
  EXPECT_EQ(Render(Source("overlay")).status().code(), Status::Code::kUnsupported);
  auto jsonnet = Render(Source("jsonnet"));
  EXPECT_EQ(jsonnet.status().code(), Status::Code::kUnsupported);
  EXPECT_NE(jsonnet.status().message().find("jsonnet/main.jsonnet"), std::string::npos);
  auto excluded = Render(DirSource("jsonnet", false, "", "*.jsonnet"));
  EXPECT_TRUE(excluded.ok()) << excluded.status().ToString();
  ApplicationSource helm = Source("chart");
  helm.helm = ApplicationSourceHelm{};
  EXPECT_EQ(Render(helm).status().code(), Status::Code::kUnsupported);
}

TEST_F(DirectorySource, InvalidGlobIsAnErrorNamingTheField) {
  Write("app/a.yaml", ConfigMap("a"));
  RenderError(DirSource("app", false, "[a-z0-9]*"), "spec.source.directory.include: invalid glob");
  RenderError(DirSource("app", false, "", "{a,b"), "spec.source.directory.exclude: invalid glob");
}

// ---- Local rendering, namespaces, duplicates, scope. ----

Application LocalApp(const std::string& destination_namespace) {
  Application app;
  app.name = "fraud";
  app.namespace_ = "argocd";
  app.destination.server = "https://kubernetes.default.svc";
  app.destination.namespace_ = destination_namespace;
  app.sources.push_back(Source("ignored/for/local"));
  return app;
}

TEST_F(DirectorySource, RenderLocalAppliesTheDestinationNamespace) {
  Write("local/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: scorer}\n---\n" +
            ConfigMap("pinned", "") + "  namespace: other\n---\n" +
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: fraud, namespace: bogus}\n---\n" +
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
            "metadata: {name: reader}\n");
  Write("local/crd.yaml",
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: widgets.example.com}\n"
        "spec: {group: example.com, scope: Cluster, names: {kind: Widget}}\n---\n"
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: x}\n---\n"
        "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n");
  auto objects = RenderLocal(LocalApp("fraud"), Repo() + "/local", LoadLimits());
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  std::vector<std::string> namespaces;
  for (const Object& o : *objects) namespaces.push_back(o.kind() + "=" + o.namespace_());
  EXPECT_EQ(namespaces, (std::vector<std::string>{
                            "CustomResourceDefinition=", "Widget=", "Gadget=fraud",
                            "Deployment=fraud", "ConfigMap=other", "Namespace=", "ClusterRole="}));
  EXPECT_EQ((*objects)[0].origin(), "crd.yaml (document 1)");  // relative to the local dir
}

TEST_F(DirectorySource, RenderLocalUsesTheFirstSourcesDirectoryOptions) {
  Write("local/a.yaml", ConfigMap("a"));
  Write("local/sub/b.yaml", ConfigMap("b"));
  Write("local/sub/skip.yaml", ConfigMap("skip"));
  Application app = LocalApp("");
  app.sources[0] = DirSource("elsewhere", true, "", "sub/skip.yaml");
  app.sources.push_back(DirSource("other", false));
  app.multi_source = true;
  auto objects = RenderLocal(app, Repo() + "/local", LoadLimits());
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  EXPECT_EQ(Names(*objects), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((*objects)[0].namespace_(), "");  // no destination namespace: left alone
}

TEST_F(DirectorySource, RenderLocalErrorsNameTheApplication) {
  Write("local/bad.yaml", "kind: [\n");
  auto result = RenderLocal(LocalApp("ml"), Repo() + "/local", LoadLimits());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("Application argocd/fraud: bad.yaml"), std::string::npos)
      << result.status().message();
  Write("not-a-dir.yaml", ConfigMap("x"));
  auto file = RenderLocal(LocalApp("ml"), Repo() + "/not-a-dir.yaml", LoadLimits());
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.status().message().find("not-a-dir.yaml: app path is not a directory"),
            std::string::npos)
      << file.status().message();
  Application empty = LocalApp("ml");
  empty.sources.clear();
  EXPECT_FALSE(RenderLocal(empty, Repo() + "/local", LoadLimits()).ok());
}

TEST_F(DirectorySource, RenderLocalTakesExtraClusterScopedKinds) {
  Write("local/q.yaml", "apiVersion: example.com/v1\nkind: Fleet\nmetadata: {name: f}\n");
  RenderOptions options;
  options.cluster_scoped.emplace("example.com", "Fleet");
  auto objects = RenderLocal(LocalApp("ml"), Repo() + "/local", LoadLimits(), options);
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  EXPECT_EQ((*objects)[0].namespace_(), "");
}

TEST_F(DirectorySource, DuplicatesNameBothOrigins) {
  Write("local/a.yaml", ConfigMap("settings"));
  Write("local/b.yaml", ConfigMap("other") + "---\n" + ConfigMap("settings"));
  auto objects = RenderLocal(LocalApp("ml"), Repo() + "/local", LoadLimits());
  ASSERT_TRUE(objects.ok());
  Status dup = CheckNoDuplicates(*objects);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.message(),
            "ConfigMap ml/settings is defined twice: in a.yaml (document 1) and in b.yaml "
            "(document 2)");
}

TEST(CheckNoDuplicates, SameNameInOtherNamespaceKindOrGroupIsFine) {
  std::vector<Object> objects;
  for (const char* yaml : {
           "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n",
           "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: y}\n",
           "apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: x}\n",
           "apiVersion: example.com/v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n",
           "apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: run-, namespace: x}\n",
           "apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: run-, namespace: x}\n",
       }) {
    objects.push_back(testing::ParseOne(yaml));
  }
  EXPECT_TRUE(CheckNoDuplicates(objects).ok()) << CheckNoDuplicates(objects).ToString();
  objects.push_back(
      testing::ParseOne("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: y}\n"));
  EXPECT_FALSE(CheckNoDuplicates(objects).ok());
}

TEST(ClusterScope, BuiltInKindsNeedTheirGroup) {
  struct Case {
    const char* group;
    const char* kind;
    bool cluster;
  } cases[] = {
      {"", "Namespace", true},
      {"", "PersistentVolume", true},
      {"", "PersistentVolumeClaim", false},
      {"", "ConfigMap", false},
      {"rbac.authorization.k8s.io", "ClusterRole", true},
      {"rbac.authorization.k8s.io", "Role", false},
      {"apiextensions.k8s.io", "CustomResourceDefinition", true},
      {"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding", true},
      {"storage.k8s.io", "StorageClass", true},
      {"scheduling.k8s.io", "PriorityClass", true},
      {"cert-manager.io", "ClusterIssuer", true},
      {"cert-manager.io", "Issuer", false},
      {"external-secrets.io", "ClusterSecretStore", true},
      {"serving.kserve.io", "ClusterServingRuntime", true},
      {"serving.kserve.io", "InferenceService", false},
      {"trainer.kubeflow.org", "ClusterTrainingRuntime", true},
      {"kueue.x-k8s.io", "ClusterQueue", true},
      {"kueue.x-k8s.io", "ResourceFlavor", true},
      {"kueue.x-k8s.io", "LocalQueue", false},
      {"kyverno.io", "ClusterPolicy", true},
      {"example.com", "ClusterPolicy", false},
      {"", "ClusterRole", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsClusterScoped(c.group, c.kind), c.cluster) << c.group << "/" << c.kind;
  }
  GroupKindSet extra{{"example.com", "ClusterPolicy"}};
  EXPECT_TRUE(IsClusterScoped("example.com", "ClusterPolicy", extra));
  EXPECT_TRUE(IsClusterScoped("", "Namespace", extra));
  EXPECT_FALSE(IsClusterScoped("example.com", "Policy", extra));
}

TEST(ClusterScope, CrdsDeclareTheirScope) {
  std::vector<Object> objects;
  objects.push_back(testing::ParseOne(
      "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
      "metadata: {name: a}\nspec: {group: a.io, scope: Cluster, names: {kind: Fleet}}\n"));
  objects.push_back(testing::ParseOne(
      "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
      "metadata: {name: b}\nspec: {group: a.io, scope: Namespaced, names: {kind: Ship}}\n"));
  GroupKindSet extra;
  AddClusterScopedFromCrds(objects, &extra);
  EXPECT_TRUE(IsClusterScoped("a.io", "Fleet", extra));
  EXPECT_FALSE(IsClusterScoped("a.io", "Ship", extra));
  EXPECT_EQ(extra.size(), 1u);
}

}  // namespace
}  // namespace mlgitops
