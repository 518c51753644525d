// `kubectl mlgitops appset generate` in-process: the printed Applications parse back, JSON and
// YAML agree, skipped apps go to stderr with exit 1, bad files exit 2.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "app/application.h"
#include "cli/cli.h"
#include "cli/memory_terminal.h"
#include "object/timeutil.h"
#include "object/yaml_loader.h"
#include "test_util.h"

namespace mlgitops {
namespace {

struct AppSetCliRun {
  int exit_code;
  std::string out;
  std::string err;
};

class AppSetCliTest : public ::testing::Test {
 protected:
  AppSetCliRun Run(std::vector<std::string> args) {
    MemoryTerminal out(false), err(false);
    FixedClock clock(*ParseRfc3339("2026-11-26T12:00:00Z"));
    std::string cache = tmp_.path() + "/cache";
    CliEnv env{out, err, clock, [](const char*) -> const char* { return nullptr; }};
    args.push_back("--cache-dir");
    args.push_back(cache);
    int code = RunCli(args, env);
    return {code, out.text(), err.text()};
  }
  std::string Write(const std::string& elements) {
    return tmp_.Write("appset.yaml",
                      "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\n"
                      "metadata: {name: models, namespace: argocd}\n"
                      "spec:\n  generators: [{list: {elements: " +
                          elements +
                          "}}]\n"
                          "  template:\n    metadata: {name: '{{model}}-{{env}}'}\n"
                          "    spec:\n      source: {repoURL: 'https://git.example/ml.git', "
                          "path: 'models/{{model}}/{{env}}'}\n"
                          "      destination: {server: 'https://kubernetes.default.svc', "
                          "namespace: ml}\n");
  }
  static std::vector<Application> Parse(const std::string& text) {
    std::vector<Application> apps;
    auto objects = ParseManifests(text, "out");
    EXPECT_TRUE(objects.ok()) << objects.status().message();
    if (!objects.ok()) return apps;
    for (const Object& o : *objects) {
      auto app = ParseApplication(o);
      EXPECT_TRUE(app.ok()) << app.status().message();
      if (app.ok()) apps.push_back(std::move(*app));
    }
    return apps;
  }
  testing::TempDir tmp_;
};

TEST_F(AppSetCliTest, GenerateYamlAndJsonParseBackIntoApplications) {
  std::string file = Write("[{model: fraud, env: dev}, {model: ranker, env: prod}]");
  for (const char* format : {"yaml", "json"}) {
    auto run = Run({"appset", "generate", "-f", file, "-o", format});
    ASSERT_EQ(run.exit_code, kExitOk) << run.err;
    auto apps = Parse(run.out);
    ASSERT_EQ(apps.size(), 2u) << format;
    EXPECT_EQ(apps[0].name, "fraud-dev");
    EXPECT_EQ(apps[1].sources[0].path, "models/ranker/prod");
  }
}

TEST_F(AppSetCliTest, SkippedAppsGoToStderrWithExitOneAllowMissingKeepsThem) {
  std::string file = Write("[{model: fraud, env: dev}, {model: ranker}]");
  auto strict = Run({"appset", "generate", "-f", file});
  EXPECT_EQ(strict.exit_code, kExitFindings);
  EXPECT_EQ(Parse(strict.out).size(), 1u);
  EXPECT_NE(strict.err.find("elements[1]"), std::string::npos) << strict.err;
  EXPECT_NE(strict.err.find("missing parameter \"env\""), std::string::npos) << strict.err;
  auto lenient = Run({"appset", "generate", "-f", file, "--allow-missing"});
  EXPECT_EQ(lenient.exit_code, kExitOk) << lenient.err;
  auto apps = Parse(lenient.out);
  ASSERT_EQ(apps.size(), 2u);
  EXPECT_EQ(apps[1].sources[0].path, "models/ranker/{{env}}");
}

TEST_F(AppSetCliTest, UsageAndInputErrorsExitTwo) {
  EXPECT_EQ(Run({"appset"}).exit_code, kExitUsage);
  auto unknown = Run({"appset", "frobnicate"});
  EXPECT_EQ(unknown.exit_code, kExitUsage);
  EXPECT_NE(unknown.err.find("available: generate"), std::string::npos);
  EXPECT_EQ(Run({"appset", "generate"}).exit_code, kExitUsage);
  std::string app = tmp_.Write("app.yaml",
                               "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
                               "metadata: {name: x}\n");
  auto wrong = Run({"appset", "generate", "-f", app});
  EXPECT_EQ(wrong.exit_code, kExitUsage);
  EXPECT_NE(wrong.err.find("is not an ApplicationSet"), std::string::npos) << wrong.err;
}

}  // namespace
}  // namespace mlgitops
