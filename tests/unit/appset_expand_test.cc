// ApplicationSet generators and expansion: the seed's list generator, strict missing keys, git
// directories and files over a real repository, clusters, matrix, merge, per-app errors,
// duplicates, templatePatch, finalizers, and parse errors that name the generator.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "appset/expand.h"
#include "git_test_repo.h"
#include "test_util.h"

namespace mlgitops {
namespace {

/// A registered cluster as the clusters generator sees it.
ClusterInfo Cluster(const std::string& name, const std::string& server,
                    std::map<std::string, std::string> labels, const std::string& project = "") {
  ClusterInfo c;
  c.name = name;
  c.server = server;
  c.labels = std::move(labels);
  c.project = project;
  return c;
}

using testing::ParseOne;
using testing::TempDir;
using testing::TestGitRepo;

constexpr char kHeader[] =
    "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\n"
    "metadata: {name: models, namespace: argocd}\n";

class AppSetExpandTest : public ::testing::Test {
 protected:
  AppSetExpandTest() : repo_(tmp_.path() + "/remote.git") {
    options_.cache_dir = tmp_.path() + "/cache";
  }

  Result<AppSetExpansion> Expand(const std::string& spec_yaml) {
    Object object = ParseOne(std::string(kHeader) + spec_yaml);
    auto set = ParseApplicationSet(object);
    if (!set.ok()) return set.status();
    return ExpandAppSet(*set, options_);
  }

  // Params from one generator entry alone, as the template would see them.
  Result<std::vector<ParamSet>> TryRun(const std::string& entry_yaml, bool go = false) {
    Object entry = ParseOne(entry_yaml);
    auto spec = ParseGenerator(entry.json(), "spec.generators[0]");
    if (!spec.ok()) return spec.status();
    GitRepoCache cache(tmp_.path() + "/cache");
    GeneratorContext context;
    context.template_options.go_template = go;
    context.template_options.allow_missing = true;
    context.git = &cache;
    context.clusters = options_.clusters;
    return RunGenerator(*spec, context);
  }
  std::vector<ParamSet> Run(const std::string& entry_yaml, bool go = false) {
    auto sets = TryRun(entry_yaml, go);
    EXPECT_TRUE(sets.ok()) << sets.status().message();
    return sets.ok() ? std::move(*sets) : std::vector<ParamSet>();
  }

  static std::vector<std::string> Names(const AppSetExpansion& e) {
    std::vector<std::string> names;
    for (const auto& a : e.apps) names.push_back(a.app.name);
    return names;
  }
  static std::string Param(const ParamSet& p, const std::string& key) {
    auto it = p.params.json().FindMember(key.c_str());
    return it == p.params.json().MemberEnd() || !it->value.IsString() ? "<absent>"
                                                                      : it->value.GetString();
  }
  static std::vector<std::string> Column(const std::vector<ParamSet>& sets,
                                         const std::string& key) {
    std::vector<std::string> out;
    for (const auto& s : sets) out.push_back(Param(s, key));
    return out;
  }

  TempDir tmp_;
  TestGitRepo repo_;
  ExpandOptions options_;
};

const char kSeedSpec[] =
    "spec:\n"
    "  generators:\n"
    "  - list:\n"
    "      elements:\n"
    "      - {model: fraud, env: dev}\n"
    "      - {model: fraud, env: prod}\n"
    "      - {model: ranker, env: dev}\n"
    "  template:\n"
    "    metadata: {name: '{{model}}-{{env}}'}\n"
    "    spec:\n"
    "      project: ml\n"
    "      source: {repoURL: 'https://git.example/ml.git', path: 'models/{{model}}/{{env}}'}\n"
    "      destination: {server: 'https://kubernetes.default.svc', namespace: 'ml-{{env}}'}\n";

TEST_F(AppSetExpandTest, SeedListGeneratorMakesOneAppPerModelAndEnv) {
  auto e = Expand(kSeedSpec);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_TRUE(e->errors.empty());
  EXPECT_EQ(Names(*e), (std::vector<std::string>{"fraud-dev", "fraud-prod", "ranker-dev"}));
  const Application& app = e->apps[1].app;
  EXPECT_EQ(app.sources[0].path, "models/fraud/prod");
  EXPECT_EQ(app.destination.namespace_, "ml-prod");
  EXPECT_EQ(app.namespace_, "argocd");  // forced to the AppSet's namespace
  EXPECT_EQ(app.finalizers, std::vector<std::string>{"resources-finalizer.argocd.argoproj.io"});
  EXPECT_EQ(e->apps[1].origin, "spec.generators[0].list.elements[1]");
}

TEST_F(AppSetExpandTest, MissingKeyIsAnErrorNamingElementAndKeyOthersProceed) {
  std::string spec = kSeedSpec;
  spec.replace(spec.find("{model: fraud, env: prod}"), 25, "{model: fraud, stage: prod}");
  auto strict = Expand(spec);
  ASSERT_TRUE(strict.ok()) << strict.status().message();
  EXPECT_EQ(Names(*strict), (std::vector<std::string>{"fraud-dev", "ranker-dev"}));
  ASSERT_EQ(strict->errors.size(), 1u);
  const std::string& error = strict->errors[0];
  EXPECT_NE(error.find("list.elements[1]"), std::string::npos) << error;
  EXPECT_NE(error.find("\"stage\":\"prod\""), std::string::npos) << error;
  EXPECT_NE(error.find("missing parameter \"env\""), std::string::npos) << error;

  options_.allow_missing = true;
  auto lenient = Expand(spec);
  ASSERT_TRUE(lenient.ok());
  ASSERT_EQ(lenient->apps.size(), 3u);
  EXPECT_EQ(lenient->apps[1].app.name, "fraud-{{env}}");
  EXPECT_EQ(lenient->apps[1].app.sources[0].path, "models/fraud/{{env}}");
}

TEST_F(AppSetExpandTest, ListValuesFlattenInFastModeAndNestInGoMode) {  // fact 10
  const char* entry = "list: {elements: [{cluster: c, url: u, values: {foo: bar}}]}";
  auto fast = Run(entry);
  ASSERT_EQ(fast.size(), 1u);
  EXPECT_EQ(Param(fast[0], "cluster"), "c");
  EXPECT_EQ(Param(fast[0], "values.foo"), "bar");
  auto go = Run(entry, true);
  ASSERT_EQ(go.size(), 1u);
  EXPECT_EQ(GetString(go[0].params.json(), "values.foo"), "bar");
  EXPECT_EQ(go[0].params.json().FindMember("values.foo"), go[0].params.json().MemberEnd());
}

TEST_F(AppSetExpandTest, GitDirectoriesParamsExcludeAndDotDirs) {
  repo_.Commit({{"app1/a.yaml", "x"},
                {"p1/app2/a.yaml", "x"},
                {"p1/p2/app3/a.yaml", "x"},
                {"p1/p2/p3/app4/a.yaml", "x"},
                {".hidden/app5/a.yaml", "x"},
                {"app_3/a.yaml", "x"}});
  // Fact 11: `*` stays inside one segment.
  auto sets =
      Run("git: {repoURL: '" + repo_.url() + "', directories: [{path: 'p1/*'}, {path: 'p1/*/*'}]}");
  EXPECT_EQ(Column(sets, "path"),
            (std::vector<std::string>{"p1/app2", "p1/p2", "p1/p2/app3", "p1/p2/p3"}));
  ASSERT_EQ(sets.size(), 4u);
  EXPECT_EQ(Param(sets[2], "path.basename"), "app3");
  EXPECT_EQ(Param(sets[2], "path[0]"), "p1");
  EXPECT_EQ(Param(sets[2], "path[1]"), "p2");
  EXPECT_EQ(Param(sets[2], "path[2]"), "app3");
  // Fact 12, and dot-directories never generate.
  auto all = Run("git: {repoURL: '" + repo_.url() + "', directories: [{path: '*'}]}");
  EXPECT_EQ(Column(all, "path"), (std::vector<std::string>{"app1", "app_3", "p1"}));
  EXPECT_EQ(Param(all[1], "path.basenameNormalized"), "app-3");
  // Fact 13: an exclude wins in any order.
  auto excluded = Run("git: {repoURL: '" + repo_.url() +
                      "', directories: [{path: 'p1/*', exclude: true}, {path: '*'}, "
                      "{path: '*/*'}]}");
  EXPECT_EQ(Column(excluded, "path"), (std::vector<std::string>{"app1", "app_3", "p1"}));
  // Go mode: .path.path and .path.segments.
  auto go = Run("git: {repoURL: '" + repo_.url() + "', directories: [{path: 'p1/p2/*'}]}", true);
  ASSERT_EQ(go.size(), 2u);
  EXPECT_EQ(GetString(go[0].params.json(), "path.path"), "p1/p2/app3");
  const JsonValue* segments = Find(go[0].params.json(), "path.segments");
  ASSERT_TRUE(segments && segments->IsArray());
  EXPECT_EQ(segments->Size(), 3u);
}

TEST_F(AppSetExpandTest, GitDirectoryValuesSeeOwnParamsOnly) {  // fact 14
  repo_.Commit({{"p1/app2/a.yaml", "x"}});
  auto sets = Run("git: {repoURL: '" + repo_.url() +
                  "', directories: [{path: 'p1/app2'}], "
                  "values: {aaa: '{{ path[0] }}', no-op: '{{ this-does-not-exist }}'}}");
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_EQ(Param(sets[0], "values.aaa"), "p1");
  EXPECT_EQ(Param(sets[0], "values.no-op"), "{{ this-does-not-exist }}");
}

TEST_F(AppSetExpandTest, GitFilesFlattenKeysAndAddPathParams) {
  repo_.Commit({{"clusters/dev/config.json",
                 R"({"cluster": {"name": "dev", "address": "https://dev"}, "gpu": 4})"},
                {"clusters/prod_eu/config.json",
                 R"([{"cluster": {"name": "prod-a"}}, {"cluster": {"name": "prod-b"}}])"},
                {"clusters/skip/config.json", R"({"cluster": {"name": "skip"}})"},
                {"clusters/dev/other.yaml", "cluster: {name: nope}\n"}});
  auto sets = Run("git: {repoURL: '" + repo_.url() +
                  "', files: [{path: 'clusters/*/config.json'}, "
                  "{path: 'clusters/skip/*', exclude: true}]}");
  EXPECT_EQ(Column(sets, "cluster.name"), (std::vector<std::string>{"dev", "prod-a", "prod-b"}));
  ASSERT_EQ(sets.size(), 3u);
  EXPECT_EQ(Param(sets[0], "cluster.address"), "https://dev");
  EXPECT_EQ(GetInt(sets[0].params.json(), "gpu"), 4);  // a number stays a number
  EXPECT_EQ(Param(sets[1], "path"), "clusters/prod_eu");
  EXPECT_EQ(Param(sets[1], "path.basename"), "prod_eu");
  EXPECT_EQ(Param(sets[1], "path.basenameNormalized"), "prod-eu");
  EXPECT_EQ(Param(sets[1], "path.filename"), "config.json");
  EXPECT_EQ(Param(sets[1], "path.filenameNormalized"), "config.json");
  EXPECT_EQ(Param(sets[1], "path[1]"), "prod_eu");
  auto go =
      Run("git: {repoURL: '" + repo_.url() + "', files: [{path: 'clusters/dev/*.json'}]}", true);
  ASSERT_EQ(go.size(), 1u);
  EXPECT_EQ(GetString(go[0].params.json(), "cluster.name"), "dev");
  EXPECT_EQ(GetString(go[0].params.json(), "path.filename"), "config.json");
}

// A link in the repository leading to a file on the host (a kubeconfig) or out of the checkout
// is never read: a git generator that selects one is refused, naming the link and the rule.
TEST_F(AppSetExpandTest, GitGeneratorsRefuseLinksLeadingOutOfTheRepository) {
  constexpr char kHostSecret[] = "HOST-KUBECONFIG-TOKEN-5d1e";
  std::string host_kc = tmp_.Write(
      "host/kc", std::string("apiVersion: v1\nkind: Config\n") + "token: " + kHostSecret + "\n");
  // From cfg/ in <tmp>/cache/repos/<hash>/checkouts/<sha>/ up to <tmp>.
  std::string up = "../../../../../../";
  repo_.CommitWithLinks({{"cfg/app/config.json", R"({"name": "app"})"}},
                        {{"cfg/kc", host_kc},
                         {"cfg/rel/kc", "../" + up + "host/kc"},
                         {"cfg/hostdir", tmp_.path() + "/host"},
                         {"cfg/inner.json", "app/config.json"}});
  for (const char* pattern : {"**/kc", "cfg/kc", "cfg/rel/*"}) {
    SCOPED_TRACE(pattern);
    auto sets = TryRun("git: {repoURL: '" + repo_.url() + "', files: [{path: '" + pattern + "'}]}");
    ASSERT_FALSE(sets.ok()) << "a link out of the repository was read";
    EXPECT_EQ(sets.status().code(), Status::Code::kInvalidArgument);
    const std::string& message = sets.status().message();
    EXPECT_NE(message.find("spec.generators[0].git.files (cfg/"), std::string::npos) << message;
    EXPECT_NE(message.find("/kc): symbolic link points outside the repository root"),
              std::string::npos)
        << message;
    EXPECT_EQ(message.find(kHostSecret), std::string::npos) << message;
    EXPECT_EQ(message.find(tmp_.path() + "/host"), std::string::npos) << message;
  }
  auto dirs = TryRun("git: {repoURL: '" + repo_.url() + "', directories: [{path: 'cfg/*'}]}");
  ASSERT_FALSE(dirs.ok()) << "a directory link out of the repository was listed";
  EXPECT_NE(dirs.status().message().find(
                "spec.generators[0].git.directories (cfg/hostdir): symbolic link points outside"),
            std::string::npos)
      << dirs.status().message();

  // Links that stay inside still count; excludes keep escaping links unselected.
  auto inside = Run("git: {repoURL: '" + repo_.url() + "', files: [{path: 'cfg/*.json'}]}");
  EXPECT_EQ(Column(inside, "name"), std::vector<std::string>{"app"});
  auto excluded = Run("git: {repoURL: '" + repo_.url() +
                      "', directories: [{path: 'cfg/*'}, {path: 'cfg/hostdir', exclude: true}, "
                      "{path: 'cfg/kc', exclude: true}]}");
  EXPECT_EQ(Column(excluded, "path"), (std::vector<std::string>{"cfg/app", "cfg/rel"}));
}

TEST_F(AppSetExpandTest, ClustersNormalizeNamesLabelsAndLocalCluster) {
  InMemoryClusterSource clusters({Cluster(
      "production_01/west", "https://west",
      {{"environment", "production"}, {"argocd.argoproj.io/secret-type", "cluster"}}, "ml")});
  options_.clusters = &clusters;
  // Fact 15: labels flattened, name normalised; a selector excludes the label-less local cluster.
  auto selected = Run("clusters: {selector: {matchLabels: {environment: production}}}");
  ASSERT_EQ(selected.size(), 1u);
  EXPECT_EQ(Param(selected[0], "nameNormalized"), "production-01-west");
  EXPECT_EQ(Param(selected[0], "metadata.labels.environment"), "production");
  EXPECT_EQ(Param(selected[0], "metadata.labels.argocd.argoproj.io/secret-type"), "cluster");
  // Fact 16: no selector: the local cluster too; values see the cluster's params, not each other.
  auto all = Run(
      "clusters: {values: {aaa: '{{ server }}', lol1: x, lol2: '{{values.lol1}}{{values.lol1}}'}}");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(Param(all[0], "name"), "in-cluster");
  EXPECT_EQ(Param(all[0], "server"), "https://kubernetes.default.svc");
  EXPECT_EQ(Param(all[0], "project"), "");
  EXPECT_EQ(Param(all[0], "values.aaa"), "https://kubernetes.default.svc");
  EXPECT_EQ(Param(all[0], "values.lol2"), "{{values.lol1}}{{values.lol1}}");
}

TEST_F(AppSetExpandTest, MatrixOfGitDirectoriesAndSelectedClusters) {
  repo_.Commit({{"models/fraud/a.yaml", "x"}, {"models/ranker/a.yaml", "x"}});
  InMemoryClusterSource clusters({Cluster("gpu-1", "https://gpu-1", {{"tier", "gpu"}}),
                                  Cluster("serve-eu", "https://serve-eu", {{"tier", "serving"}}),
                                  Cluster("lab", "https://lab", {{"tier", "lab"}})});
  options_.clusters = &clusters;
  auto e = Expand(
      "spec:\n"
      "  generators:\n"
      "  - matrix:\n"
      "      generators:\n"
      "      - git: {repoURL: '" +
      repo_.url() +
      "', directories: [{path: 'models/*'}]}\n"
      "      - clusters: {selector: {matchExpressions: [{key: tier, operator: In, "
      "values: [gpu, serving]}]}}\n"
      "  template:\n"
      "    metadata: {name: '{{path.basename}}-{{name}}'}\n"
      "    spec:\n"
      "      source: {repoURL: 'https://git.example/ml.git', path: '{{path}}'}\n"
      "      destination: {server: '{{server}}', namespace: ml}\n");
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_TRUE(e->errors.empty());
  EXPECT_EQ(Names(*e), (std::vector<std::string>{"fraud-gpu-1", "fraud-serve-eu", "ranker-gpu-1",
                                                 "ranker-serve-eu"}));
  EXPECT_EQ(e->apps[3].app.destination.server, "https://serve-eu");
  EXPECT_EQ(e->apps[3].app.sources[0].path, "models/ranker");
}

TEST_F(AppSetExpandTest, MatrixSecondChildReadsFirstChildParams) {  // fact 17
  repo_.Commit({{"app1/a.yaml", "x"}, {"app2/a.yaml", "x"}});
  auto sets = Run("matrix: {generators: [{git: {repoURL: '" + repo_.url() +
                  "', directories: [{path: '*'}]}}, "
                  "{list: {elements: [{templated: 'test-{{path.basenameNormalized}}'}]}}]}");
  EXPECT_EQ(Column(sets, "templated"), (std::vector<std::string>{"test-app1", "test-app2"}));
}

TEST_F(AppSetExpandTest, MatrixFeedsElementsYamlFromTheFirstChild) {
  auto sets =
      Run("matrix: {generators: ["
          "{list: {elements: [{model: fraud, envs: [{env: dev}, {env: prod, gpu: 4}]}]}}, "
          "{list: {elementsYaml: '{{ toJson .envs }}'}}]}",
          true);
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(GetString(sets[0].params.json(), "model"), "fraud");
  EXPECT_EQ(GetString(sets[0].params.json(), "env"), "dev");
  EXPECT_EQ(GetString(sets[1].params.json(), "env"), "prod");
  EXPECT_EQ(GetInt(sets[1].params.json(), "gpu"), 4);
}

TEST_F(AppSetExpandTest, FastMatrixRefusesOneKeyWithTwoValues) {
  Object entry = ParseOne(
      "matrix: {generators: [{list: {elements: [{env: dev}]}}, "
      "{list: {elements: [{env: prod}]}}]}");
  auto spec = ParseGenerator(entry.json(), "spec.generators[0]");
  ASSERT_TRUE(spec.ok());
  GeneratorContext context;
  auto sets = RunGenerator(*spec, context);
  ASSERT_FALSE(sets.ok());
  EXPECT_NE(sets.status().message().find("parameter \"env\" has different values"),
            std::string::npos)
      << sets.status().message();
}

TEST_F(AppSetExpandTest, MergeOverridesMatchingSetsAndDropsOthers) {  // fact 18
  for (bool go : {false, true}) {
    auto sets =
        Run("merge: {mergeKeys: [b], generators: ["
            "{list: {elements: [{a: '1_1', b: same, c: '1_3'}]}}, "
            "{list: {elements: [{a: '2_1', b: same}]}}, "
            "{list: {elements: [{a: '3_1', b: different, c: '3_3'}]}}]}",
            go);
    ASSERT_EQ(sets.size(), 1u);
    EXPECT_EQ(Param(sets[0], "a"), "2_1");
    EXPECT_EQ(Param(sets[0], "b"), "same");
    EXPECT_EQ(Param(sets[0], "c"), "1_3");
  }
}

TEST_F(AppSetExpandTest, InvalidAndDuplicateAppsAreSkippedOthersProceed) {
  auto e = Expand(
      "spec:\n"
      "  generators:\n"
      "  - list:\n"
      "      elements:\n"
      "      - {name: ok, server: 'https://a'}\n"
      "      - {name: nodest, server: ''}\n"
      "      - {name: twin, server: 'https://a'}\n"
      "      - {name: twin, server: 'https://b'}\n"
      "  template:\n"
      "    metadata: {name: '{{name}}'}\n"
      "    spec:\n"
      "      source: {repoURL: 'https://git.example/ml.git', path: x}\n"
      "      destination: {server: '{{server}}', namespace: ml}\n");
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(Names(*e), std::vector<std::string>{"ok"});
  ASSERT_EQ(e->errors.size(), 3u);
  EXPECT_NE(e->errors[0].find("elements[1]"), std::string::npos) << e->errors[0];
  EXPECT_NE(e->errors[0].find("destination must have either server or name"), std::string::npos);
  for (size_t i : {1u, 2u}) {
    EXPECT_NE(e->errors[i].find("duplicate Application name \"twin\""), std::string::npos);
    EXPECT_NE(e->errors[i].find("elements[2], spec.generators[0].list.elements[3]"),
              std::string::npos)
        << e->errors[i];
  }
}

TEST_F(AppSetExpandTest, UnknownGeneratorsAndFunctionsAreNamed) {
  auto unknown = Expand("spec: {generators: [{listt: {}}], template: {metadata: {name: x}}}\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown generator \"listt\""), std::string::npos);
  EXPECT_NE(unknown.status().message().find("spec.generators[0]"), std::string::npos);
  auto foreign = Expand("spec: {generators: [{scmProvider: {}}], template: {metadata: {}}}\n");
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.status().message().find("\"scmProvider\" is not supported"), std::string::npos);
  auto matrix3 = Expand(
      "spec: {generators: [{matrix: {generators: [{list: {elements: []}}]}}], "
      "template: {metadata: {}}}\n");
  ASSERT_FALSE(matrix3.ok());
  EXPECT_NE(matrix3.status().message().find("exactly 2 generators"), std::string::npos);

  auto function = Expand(
      "spec:\n  goTemplate: true\n  generators: [{list: {elements: [{m: a}]}}]\n"
      "  template: {metadata: {name: '{{ sha256sum .m }}'}, spec: {}}\n");
  ASSERT_TRUE(function.ok());
  ASSERT_EQ(function->errors.size(), 1u);
  EXPECT_NE(function->errors[0].find("function \"sha256sum\" not defined"), std::string::npos);
}

TEST_F(AppSetExpandTest, TemplatePatchMergesButNeverChangesProject) {
  auto e = Expand(
      "spec:\n"
      "  goTemplate: true\n"
      "  generators: [{list: {elements: [{model: fraud, prune: true}, {model: rank, prune: "
      "false}]}}]\n"
      "  template:\n"
      "    metadata: {name: '{{ .model }}'}\n"
      "    spec:\n"
      "      project: ml\n"
      "      source: {repoURL: 'https://git.example/ml.git', path: 'models/{{ .model }}'}\n"
      "      destination: {server: 'https://kubernetes.default.svc', namespace: ml}\n"
      "  templatePatch: |\n"
      "    spec:\n"
      "      project: evil\n"
      "      {{- if .prune }}\n"
      "      syncPolicy: {automated: {prune: true}}\n"
      "      {{- end }}\n");
  ASSERT_TRUE(e.ok()) << e.status().message();
  ASSERT_EQ(e->apps.size(), 2u) << (e->errors.empty() ? "" : e->errors[0]);
  EXPECT_EQ(e->apps[0].app.project, "ml");
  EXPECT_TRUE(e->apps[0].app.sync_policy.AutoSyncEnabled());
  EXPECT_TRUE(e->apps[0].app.sync_policy.automated->prune);
  EXPECT_FALSE(e->apps[1].app.sync_policy.AutoSyncEnabled());
}

TEST_F(AppSetExpandTest, FinalizersFollowPreserveResourcesOnDeletion) {  // fact 27
  auto spec_with = [](const std::string& policy, const std::string& finalizers) {
    return "spec:\n  generators: [{list: {elements: [{n: a}]}}]\n" + policy +
           "  template:\n    metadata: {name: '{{n}}'" + finalizers +
           "}\n    spec: {source: {repoURL: r, path: p}, destination: {server: s}}\n";
  };
  auto preserve = Expand(spec_with("  syncPolicy: {preserveResourcesOnDeletion: true}\n", ""));
  ASSERT_TRUE(preserve.ok());
  ASSERT_EQ(preserve->apps.size(), 1u);
  EXPECT_TRUE(preserve->apps[0].app.finalizers.empty());
  auto kept =
      Expand(spec_with("  syncPolicy: {preserveResourcesOnDeletion: true}\n",
                       ", finalizers: [resources-finalizer.argocd.argoproj.io/background]"));
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->apps.size(), 1u);
  EXPECT_EQ(kept->apps[0].app.finalizers,
            std::vector<std::string>{"resources-finalizer.argocd.argoproj.io/background"});
}

TEST_F(AppSetExpandTest, UnreachableGitIsFatalNotAnEmptyResult) {
  auto e = Expand(
      "spec:\n  generators: [{git: {repoURL: 'file:///nonexistent/repo.git', "
      "directories: [{path: '*'}]}}]\n"
      "  template: {metadata: {name: '{{path}}'}, spec: {}}\n");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("spec.generators[0].git"), std::string::npos)
      << e.status().message();
}

}  // namespace
}  // namespace mlgitops
