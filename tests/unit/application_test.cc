// Tests of Application parsing: every field, Argo CD's defaults, and errors that name the field.
#include "app/application.h"

#include <gtest/gtest.h>

#include <string>

#include "object/yaml_loader.h"
#include "test_util.h"

namespace mlgitops {
namespace {

std::string Fixture(const std::string& name) {
  return testing::SourceDir() + "/tests/fixtures/apps/" + name;
}

// Parses the single document in `yaml` as read from "app.yaml".
Result<Application> ParseText(const std::string& yaml) {
  auto objects = ParseManifests(yaml, "app.yaml");
  if (!objects.ok()) return objects.status();
  if (objects->size() != 1) return Status::Internal("expected one document");
  return ParseApplication((*objects)[0]);
}

// A valid Application; `spec_extra` is appended under `spec:` (indented by two spaces).
std::string AppYaml(const std::string& spec_extra = "") {
  return "apiVersion: argoproj.io/v1alpha1\n"
         "kind: Application\n"
         "metadata: {name: fraud, namespace: ml}\n"
         "spec:\n"
         "  source: {repoURL: 'https://example.com/ml.git', path: serving}\n"
         "  destination: {server: 'https://kubernetes.default.svc', namespace: fraud}\n" +
         spec_extra;
}

class FullApplication : public ::testing::Test {
 protected:
  void SetUp() override {
    auto apps = LoadApplicationFile(Fixture("full.yaml"));
    ASSERT_TRUE(apps.ok()) << apps.status().ToString();
    ASSERT_EQ(apps->size(), 1u);
    app_ = (*apps)[0];
  }
  Application app_;
};

TEST_F(FullApplication, Metadata) {
  EXPECT_EQ(app_.api_version, "argoproj.io/v1alpha1");
  EXPECT_NE(app_.origin.find("full.yaml (document 1)"), std::string::npos) << app_.origin;
  EXPECT_EQ(app_.name, "fraud");
  EXPECT_EQ(app_.namespace_, "ml");
  EXPECT_EQ(app_.labels.at("team"), "risk");
  EXPECT_EQ(app_.annotations.at("argocd.argoproj.io/refresh"), "hard");
  ASSERT_EQ(app_.finalizers.size(), 1u);
  EXPECT_EQ(app_.finalizers[0], "resources-finalizer.argocd.argoproj.io");
  EXPECT_EQ(app_.DisplayName(), "Application ml/fraud");
  EXPECT_TRUE(app_.warnings.empty()) << app_.warnings[0];
}

TEST_F(FullApplication, SourcesWinOverSource) {
  EXPECT_TRUE(app_.multi_source);
  ASSERT_EQ(app_.sources.size(), 5u);
  for (const auto& s : app_.sources) EXPECT_NE(s.repo_url, "https://example.com/ignored.git");
  EXPECT_EQ(app_.project, "ml-platform");
}

TEST_F(FullApplication, DirectorySource) {
  const ApplicationSource& s = app_.sources[0];
  EXPECT_EQ(s.repo_url, "https://example.com/models.git");
  EXPECT_EQ(s.target_revision, "v1.4.0");
  EXPECT_EQ(s.path, "serving/fraud");
  EXPECT_EQ(s.name, "manifests");
  EXPECT_EQ(s.tag_prefix, "fraud-");
  ASSERT_TRUE(s.directory.has_value());
  EXPECT_TRUE(s.directory->recurse);
  EXPECT_EQ(s.directory->include, "{*.yaml,*.yml}");
  EXPECT_EQ(s.directory->exclude, "scratch/*");
  EXPECT_TRUE(s.directory->disable_extension_filter);
  EXPECT_NE(s.directory->jsonnet.find("\"extVars\""), std::string::npos) << s.directory->jsonnet;
  EXPECT_FALSE(s.helm || s.kustomize || s.plugin);
}

TEST_F(FullApplication, HelmSource) {
  const ApplicationSource& s = app_.sources[1];
  EXPECT_EQ(s.chart, "feature-store");
  EXPECT_EQ(s.target_revision, "2.1.*");
  ASSERT_TRUE(s.helm.has_value());
  const ApplicationSourceHelm& h = *s.helm;
  EXPECT_EQ(h.value_files, (std::vector<std::string>{"$values/envs/prod.yaml", "values.yaml"}));
  EXPECT_EQ(h.values, "replicas: 3\n");
  EXPECT_EQ(h.values_object, "{\"image\":{\"tag\":\"1.2\"}}");
  ASSERT_EQ(h.parameters.size(), 2u);
  EXPECT_EQ(h.parameters[0].name, "image.tag");
  EXPECT_EQ(h.parameters[0].value, "1.2");
  EXPECT_TRUE(h.parameters[0].force_string);
  EXPECT_FALSE(h.parameters[1].force_string);
  ASSERT_EQ(h.file_parameters.size(), 1u);
  EXPECT_EQ(h.file_parameters[0].path, "files/config.json");
  EXPECT_EQ(h.release_name, "features");
  EXPECT_EQ(h.namespace_, "features");
  EXPECT_EQ(h.version, "v3");
  EXPECT_EQ(h.kube_version, "1.29");
  EXPECT_EQ(h.api_versions, (std::vector<std::string>{"monitoring.coreos.com/v1"}));
  EXPECT_TRUE(h.skip_crds && h.skip_tests && h.skip_schema_validation);
  EXPECT_TRUE(h.ignore_missing_value_files && h.pass_credentials);
  EXPECT_NE(h.raw.find("\"releaseName\":\"features\""), std::string::npos) << h.raw;
}

TEST_F(FullApplication, RefKustomizeAndPluginSources) {
  EXPECT_EQ(app_.sources[2].ref, "values");
  EXPECT_EQ(app_.sources[2].target_revision, "HEAD");
  const ApplicationSource& k = app_.sources[3];
  ASSERT_TRUE(k.kustomize.has_value());
  EXPECT_EQ(k.kustomize->name_prefix, "prod-");
  EXPECT_EQ(k.kustomize->name_suffix, "-v2");
  EXPECT_EQ(k.kustomize->namespace_, "serving");
  EXPECT_NE(k.kustomize->raw.find("ghcr.io/acme/scorer:2.0"), std::string::npos);
  ASSERT_TRUE(app_.sources[4].plugin.has_value());
  EXPECT_EQ(*app_.sources[4].plugin, "{\"name\":\"envsubst\"}");
}

TEST_F(FullApplication, DestinationServerLosesTrailingSlash) {
  EXPECT_EQ(app_.destination.server, "https://kubernetes.default.svc");
  EXPECT_EQ(app_.destination.namespace_, "fraud");
  EXPECT_EQ(app_.destination.name, "");
}

TEST_F(FullApplication, SyncPolicy) {
  const SyncPolicy& p = app_.sync_policy;
  ASSERT_TRUE(p.automated.has_value());
  EXPECT_EQ(p.automated->enabled, std::optional<bool>(false));
  EXPECT_FALSE(p.AutoSyncEnabled());  // explicit off switch keeps prune/selfHeal values
  EXPECT_TRUE(p.automated->prune && p.automated->self_heal && p.automated->allow_empty);
  ASSERT_EQ(p.sync_options.size(), 4u);
  EXPECT_EQ(p.sync_options[1], "PrunePropagationPolicy=background");
  EXPECT_TRUE(p.SyncOptionTrue("CreateNamespace"));
  EXPECT_EQ(p.SyncOption("PrunePropagationPolicy"), std::optional<std::string>("background"));
  EXPECT_EQ(p.SyncOption("Validate"), std::optional<std::string>("false"));
  EXPECT_FALSE(p.SyncOptionTrue("Validate"));
  EXPECT_FALSE(p.SyncOptionTrue("ServerSideApply"));  // "True" is not "true" for Argo CD
  EXPECT_FALSE(p.SyncOption("Replace").has_value());
  ASSERT_TRUE(p.retry.has_value());
  EXPECT_EQ(p.retry->limit, -1);
  EXPECT_EQ(p.retry->backoff.duration_seconds, 10);
  EXPECT_EQ(p.retry->backoff.factor, 3);
  EXPECT_EQ(p.retry->backoff.max_duration_seconds, 3600);
  EXPECT_TRUE(p.retry->refresh);
  ASSERT_TRUE(p.managed_namespace_metadata.has_value());
  EXPECT_EQ(p.managed_namespace_metadata->labels.at("istio-injection"), "enabled");
  EXPECT_EQ(p.managed_namespace_metadata->annotations.at("owner"), "risk");
}

TEST_F(FullApplication, IgnoreDifferencesHistoryAndInfo) {
  ASSERT_EQ(app_.ignore_differences.size(), 2u);
  const IgnoreDifference& d = app_.ignore_differences[0];
  EXPECT_EQ(d.group, "apps");
  EXPECT_EQ(d.kind, "Deployment");
  EXPECT_EQ(d.name, "scorer");
  EXPECT_EQ(d.namespace_, "fraud");
  EXPECT_EQ(d.json_pointers, (std::vector<std::string>{"/spec/replicas"}));
  EXPECT_EQ(d.jq_path_expressions[0], ".spec.template.spec.containers[].image");
  EXPECT_EQ(d.managed_fields_managers[0], "kube-controller-manager");
  EXPECT_EQ(app_.ignore_differences[1].group, "");  // core group
  EXPECT_EQ(app_.revision_history_limit, 3);
  ASSERT_EQ(app_.info.size(), 1u);
  EXPECT_EQ(app_.info[0].name, "runbook");
  EXPECT_EQ(app_.info[0].value, "https://wiki.example.com/fraud");
}

TEST(Application, DefaultsFollowArgoCd) {
  auto app = ParseText(AppYaml());
  ASSERT_TRUE(app.ok()) << app.status().ToString();
  EXPECT_EQ(app->project, "default");
  ASSERT_EQ(app->sources.size(), 1u);
  EXPECT_FALSE(app->multi_source);
  EXPECT_EQ(app->sources[0].target_revision, "HEAD");
  EXPECT_FALSE(app->sources[0].directory.has_value());
  EXPECT_EQ(app->revision_history_limit, 10);
  EXPECT_FALSE(app->sync_policy.automated.has_value());
  EXPECT_FALSE(app->sync_policy.AutoSyncEnabled());
  EXPECT_FALSE(app->sync_policy.retry.has_value());
  EXPECT_TRUE(app->ignore_differences.empty());
}

TEST(Application, EmptyAutomatedTurnsAutoSyncOn) {
  auto app = ParseText(AppYaml("  syncPolicy: {automated: {}, retry: {limit: 2}}\n"));
  ASSERT_TRUE(app.ok()) << app.status().ToString();
  EXPECT_TRUE(app->sync_policy.AutoSyncEnabled());
  EXPECT_FALSE(app->sync_policy.automated->prune);
  const RetryStrategy& retry = *app->sync_policy.retry;
  EXPECT_EQ(retry.limit, 2);
  EXPECT_EQ(retry.backoff.duration_seconds, 5);
  EXPECT_EQ(retry.backoff.factor, 2);
  EXPECT_EQ(retry.backoff.max_duration_seconds, 180);
  EXPECT_FALSE(retry.refresh);
}

TEST(Application, BackoffDurationsAcceptGoDurationsAndPlainSeconds) {
  struct Case {
    std::string duration;
    int64_t seconds;
  } cases[] = {{"'2m'", 120}, {"'30'", 30}, {"30", 30}, {"1h30m", 5400}, {"'1.5s'", 2}};
  for (const Case& c : cases) {
    auto app = ParseText(AppYaml("  syncPolicy: {retry: {backoff: {duration: " + c.duration +
                                 ", maxDuration: " + c.duration + "}}}\n"));
    ASSERT_TRUE(app.ok()) << c.duration << ": " << app.status().ToString();
    EXPECT_EQ(app->sync_policy.retry->backoff.duration_seconds, c.seconds) << c.duration;
    EXPECT_EQ(app->sync_policy.retry->backoff.max_duration_seconds, c.seconds) << c.duration;
  }
}

TEST(Application, SyncOptionWithoutValueAndRepeatedKeys) {
  auto app = ParseText(AppYaml("  syncPolicy: {syncOptions: [Odd, Prune=false, Prune=confirm]}\n"));
  ASSERT_TRUE(app.ok()) << app.status().ToString();
  EXPECT_EQ(app->sync_policy.SyncOption("Odd"), std::optional<std::string>(""));
  EXPECT_EQ(app->sync_policy.SyncOption("Prune"), std::optional<std::string>("confirm"));
  EXPECT_EQ(app->sync_policy.sync_options.size(), 3u);
}

TEST(Application, DestinationByNameAndEmptyProjectMeansDefault) {
  auto apps = LoadApplicationFile(Fixture("two-apps.yaml"));
  ASSERT_TRUE(apps.ok()) << apps.status().ToString();
  ASSERT_EQ(apps->size(), 2u);
  EXPECT_EQ((*apps)[0].destination.name, "in-cluster");
  EXPECT_EQ((*apps)[0].destination.server, "");
  EXPECT_EQ((*apps)[1].api_version, "mlgitops.io/v1alpha1");
  EXPECT_EQ((*apps)[1].project, "default");
  EXPECT_EQ((*apps)[1].sources[0].target_revision, "HEAD");
  EXPECT_EQ((*apps)[1].DisplayName(), "Application serve");
}

TEST(Application, TypeErrorNamesFileObjectAndField) {
  auto app = ParseText(AppYaml("  syncPolicy: {retry: {limit: five}}\n"));
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(app.status().message(),
            "app.yaml (document 1): Application ml/fraud: spec.syncPolicy.retry.limit: expected "
            "an integer, got \"five\"");
}

TEST(Application, FieldErrorsNameTheirPath) {
  struct Case {
    std::string spec_extra;
    std::string expected;
  } cases[] = {
      {"  syncPolicy: {automated: {prune: 'yes please'}}\n",
       "spec.syncPolicy.automated.prune: expected a boolean, got \"yes please\""},
      {"  syncPolicy: {syncOptions: CreateNamespace=true}\n",
       "spec.syncPolicy.syncOptions: expected a list, got \"CreateNamespace=true\""},
      {"  syncPolicy: {syncOptions: [5]}\n",
       "spec.syncPolicy.syncOptions[0]: expected a string, got 5"},
      {"  syncPolicy: {retry: {backoff: {duration: soon}}}\n",
       "spec.syncPolicy.retry.backoff.duration: expected a duration such as \"5s\" or \"2m\", got "
       "\"soon\""},
      {"  syncPolicy: {retry: {backoff: {factor: 1.5}}}\n",
       "spec.syncPolicy.retry.backoff.factor: expected an integer, got 1.5"},
      {"  syncPolicy: [automated]\n", "spec.syncPolicy: expected a map, got a list"},
      {"  sources: [{repoURL: a, path: x}, {path: y}]\n", "spec.sources[1].repoURL: required"},
      {"  ignoreDifferences: [{group: apps}]\n", "spec.ignoreDifferences[0].kind: required"},
      {"  revisionHistoryLimit: ten\n",
       "spec.revisionHistoryLimit: expected an integer, got \"ten\""},
      {"  info: [{name: a, value: 7}]\n", "spec.info[0].value: expected a string, got 7"},
      {"  project: [a]\n", "spec.project: expected a string, got a list"},
      {"  sources: [{repoURL: a, helm: {parameters: [{name: a, forceString: 'true'}]}}]\n",
       "spec.sources[0].helm.parameters[0].forceString: expected a boolean, got \"true\""},
      {"  sources: [{repoURL: a, directory: {recurse: 1}}]\n",
       "spec.sources[0].directory.recurse: expected a boolean, got 1"},
      {"  syncPolicy: {managedNamespaceMetadata: {labels: {team: 5}}}\n",
       "spec.syncPolicy.managedNamespaceMetadata.labels[\"team\"]: expected a string, got 5"},
  };
  for (const Case& c : cases) {
    auto app = ParseText(AppYaml(c.spec_extra));
    ASSERT_FALSE(app.ok()) << c.spec_extra;
    EXPECT_EQ(app.status().message(), "app.yaml (document 1): Application ml/fraud: " + c.expected)
        << c.spec_extra;
  }
}

TEST(Application, DestinationRules) {
  auto with_destination = [](const std::string& destination) {
    return "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\n"
           "spec:\n  source: {repoURL: r}\n" +
           destination;
  };
  auto both = ParseText(
      with_destination("  destination: {name: prod, server: 'https://prod.example.com/'}\n"));
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find(
                "spec.destination: application destination can't have both name and server "
                "defined: prod https://prod.example.com"),
            std::string::npos)
      << both.status().message();
  auto neither = ParseText(with_destination("  destination: {namespace: ml}\n"));
  ASSERT_FALSE(neither.ok());
  EXPECT_NE(neither.status().message().find(
                "spec.destination: destination must have either server or name set"),
            std::string::npos)
      << neither.status().message();
  auto missing = ParseText(with_destination(""));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("spec.destination: required"), std::string::npos);
}

TEST(Application, MissingPiecesAreErrors) {
  auto no_name = ParseText(
      "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
      "metadata: {namespace: ml}\nspec: {}\n");
  ASSERT_FALSE(no_name.ok());
  EXPECT_NE(no_name.status().message().find("Application ml/(unnamed): metadata.name: required"),
            std::string::npos)
      << no_name.status().message();
  auto no_source = ParseText(
      "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
      "metadata: {name: a}\nspec: {destination: {name: in-cluster}}\n");
  ASSERT_FALSE(no_source.ok());
  EXPECT_NE(no_source.status().message().find("either spec.source or spec.sources must be set"),
            std::string::npos)
      << no_source.status().message();
  auto no_spec = ParseText(
      "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
      "metadata: {name: a}\n");
  ASSERT_FALSE(no_spec.ok());
  EXPECT_NE(no_spec.status().message().find("Application a: spec: required"), std::string::npos);
}

TEST(Application, UnknownFieldsBecomeWarningsWithHints) {
  auto app = ParseText(AppYaml("  syncPolicy: {automated: {selfheal: true}}\n  sourcez: x\n"));
  ASSERT_TRUE(app.ok()) << app.status().ToString();
  ASSERT_EQ(app->warnings.size(), 2u);
  EXPECT_NE(app->warnings[0].find("spec.sourcez: unknown field"), std::string::npos)
      << app->warnings[0];
  EXPECT_NE(app->warnings[1].find(
                "spec.syncPolicy.automated.selfheal: unknown field (did you mean selfHeal?)"),
            std::string::npos)
      << app->warnings[1];
  EXPECT_FALSE(app->sync_policy.automated->self_heal);
}

TEST(Application, WrongKindsAndVersionsAreRefused) {
  auto set = ParseText(
      "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\n"
      "metadata: {name: models, namespace: argocd}\nspec: {}\n");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), Status::Code::kUnsupported);
  EXPECT_NE(set.status().message().find("ApplicationSet argocd/models: is an ApplicationSet, "
                                        "not an Application"),
            std::string::npos)
      << set.status().message();
  auto beta = ParseText(
      "apiVersion: argoproj.io/v1beta1\nkind: Application\n"
      "metadata: {name: a}\nspec: {}\n");
  ASSERT_FALSE(beta.ok());
  EXPECT_NE(beta.status().message().find("unsupported apiVersion argoproj.io/v1beta1"),
            std::string::npos);
  auto config_map =
      ParseText("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: ml}\n");
  ASSERT_FALSE(config_map.ok());
  EXPECT_NE(config_map.status().message().find("ConfigMap ml/settings: not an Application"),
            std::string::npos)
      << config_map.status().message();
}

TEST(LoadApplicationFile, NonApplicationDocumentIsNamed) {
  testing::TempDir dir;
  std::string path = dir.Write("apps.yaml", AppYaml() +
                                                "---\napiVersion: v1\nkind: Secret\n"
                                                "metadata: {name: token, namespace: ml}\n");
  auto apps = LoadApplicationFile(path);
  ASSERT_FALSE(apps.ok());
  EXPECT_NE(apps.status().message().find("apps.yaml (document 2): Secret ml/token: not an "
                                         "Application"),
            std::string::npos)
      << apps.status().message();
}

TEST(LoadApplicationFile, ApplicationSetIsRefusedClearly) {
  testing::TempDir dir;
  std::string path = dir.Write("set.yaml",
                               "apiVersion: argoproj.io/v1alpha1\n"
                               "kind: ApplicationSet\nmetadata: {name: models}\n"
                               "spec: {generators: []}\n");
  auto apps = LoadApplicationFile(path);
  ASSERT_FALSE(apps.ok());
  EXPECT_EQ(apps.status().code(), Status::Code::kUnsupported);
  EXPECT_NE(apps.status().message().find("appset generate -f"), std::string::npos);
}

TEST(LoadApplicationFile, EmptyFileAndBadYamlAreErrors) {
  testing::TempDir dir;
  auto empty = LoadApplicationFile(dir.Write("empty.yaml", "# nothing\n"));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("no Application found"), std::string::npos);
  auto bad = LoadApplicationFile(dir.Write("bad.yaml", "spec: [\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.yaml"), std::string::npos);
}

}  // namespace
}  // namespace mlgitops
