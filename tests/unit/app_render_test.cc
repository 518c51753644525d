// RenderApplication end to end over file:// repositories: directory, kustomize (real kubectl
// and counted fakes), helm argument building, the rendered cache and multiple sources.
#include "source/app_render.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli/cli.h"
#include "cli/memory_terminal.h"
#include "cli/terminal.h"
#include "git_test_repo.h"
#include "object/clock.h"
#include "object/timeutil.h"
#include "source/git_repo.h"
#include "source/tool_render.h"
#include "sys/fake_process_runner.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using testing::ParseOne;
using testing::TempDir;
using testing::TestGitRepo;

constexpr const char* kConfigMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ";

Application ParseApp(const std::string& spec) {
  auto app = ParseApplication(ParseOne(
      "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: fraud\n"
      "spec:\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: ml\n" +
      spec));
  EXPECT_TRUE(app.ok()) << app.status().ToString();
  return app.ok() ? std::move(*app) : Application();
}

std::vector<std::string> Names(const std::vector<Object>& objects) {
  std::vector<std::string> out;
  for (const Object& o : objects) out.push_back(o.namespace_() + "/" + o.name());
  return out;
}

class AppRenderTest : public ::testing::Test {
 protected:
  AppRenderTest() : repo_(tmp_.path() + "/repo.git") {
    options_.cache_dir = tmp_.path() + "/cache";
    options_.runner = &fake_;
  }

  Application SingleSource(const std::string& path, const std::string& extra = "") {
    return ParseApp("  source:\n    repoURL: " + repo_.url() + "\n    targetRevision: main\n" +
                    "    path: " + path + "\n" + extra);
  }

  /// A fake `kubectl kustomize` printing one ConfigMap named after the call count.
  void FakeKustomize() {
    fake_.On("kubectl", [this](const ProcessRequest& request) -> Result<ProcessResult> {
      ProcessResult r;
      r.exit_code = 0;
      r.stdout_text = std::string(kConfigMap) + "from-kustomize\n";
      last_kustomize_dir_ = request.argv.back();
      return r;
    });
  }

  TempDir tmp_;
  TestGitRepo repo_;
  FakeProcessRunner fake_;
  AppRenderOptions options_;
  std::string last_kustomize_dir_;
};

TEST_F(AppRenderTest, DirectorySourceWithNamespaceAndRevisions) {
  std::string sha = repo_.Commit({{"apps/a.yaml", std::string(kConfigMap) + "a\n"},
                                  {"apps/ns.yaml",
                                   "apiVersion: v1\nkind: Namespace\nmetadata:\n"
                                   "  name: ml\n"},
                                  {"other/b.yaml", std::string(kConfigMap) + "b\n"}});
  auto r = RenderApplication(SingleSource("apps"), options_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Names(r->objects), (std::vector<std::string>{"ml/a", "/ml"}));
  EXPECT_EQ(r->revisions, std::vector<std::string>{sha});
  EXPECT_FALSE(r->from_cache);
  auto again = RenderApplication(SingleSource("apps"), options_);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->from_cache);
  EXPECT_EQ(Names(again->objects), Names(r->objects));
  EXPECT_EQ(again->objects[0].origin(), r->objects[0].origin());
}

TEST_F(AppRenderTest, RevisionOverrideAndMissingPath) {
  std::string first = repo_.Commit({{"apps/a.yaml", std::string(kConfigMap) + "a\n"}});
  repo_.Commit({{"apps/b.yaml", std::string(kConfigMap) + "b\n"}});
  options_.revision_override = first.substr(0, 10);
  auto r = RenderApplication(SingleSource("apps"), options_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Names(r->objects), std::vector<std::string>{"ml/a"});
  EXPECT_EQ(r->revisions[0], first);
  auto missing = RenderApplication(SingleSource("nope"), options_);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
  auto escaping = RenderApplication(SingleSource("../.."), options_);
  EXPECT_FALSE(escaping.ok());
}

TEST_F(AppRenderTest, RenderedCacheSkipsKustomizeUntilANewCommit) {
  FakeKustomize();
  repo_.Commit({{"k/kustomization.yaml", "resources: []\n"}});
  auto r = RenderApplication(SingleSource("k"), options_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->from_cache);
  EXPECT_EQ(fake_.call_count(), 1u);
  EXPECT_EQ(Names(r->objects), std::vector<std::string>{"ml/from-kustomize"});

  r = RenderApplication(SingleSource("k"), options_);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->from_cache);
  EXPECT_EQ(fake_.call_count(), 1u) << "a cached render runs no tool";

  // A damaged cache file is ignored and rewritten.
  for (const auto& e : std::filesystem::directory_iterator(options_.cache_dir + "/rendered")) {
    std::ofstream(e.path()) << "{not json";
  }
  r = RenderApplication(SingleSource("k"), options_);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->from_cache);
  EXPECT_EQ(fake_.call_count(), 2u);

  // Different render options miss the cache.
  r = RenderApplication(SingleSource("k", "    kustomize:\n      namePrefix: p-\n"), options_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->from_cache);
  EXPECT_EQ(fake_.call_count(), 3u);

  repo_.Commit({{"k/kustomization.yaml", "resources: []\n# changed\n"}});
  r = RenderApplication(SingleSource("k"), options_);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->from_cache);
  EXPECT_EQ(fake_.call_count(), 4u);
}

TEST_F(AppRenderTest, RealKustomizeWithAppPrefixAndNamespace) {
  repo_.Commit({{"k/kustomization.yaml", "resources: [cm.yaml]\ncommonLabels: {team: ml}\n"},
                {"k/cm.yaml", std::string(kConfigMap) + "settings\n"}});
  SystemProcessRunner system;
  options_.runner = &system;
  auto r = RenderApplication(
      SingleSource("k", "    kustomize:\n      namePrefix: pre-\n      namespace: kns\n"),
      options_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->objects.size(), 1u);
  EXPECT_EQ(r->objects[0].name(), "pre-settings");
  EXPECT_EQ(r->objects[0].namespace_(), "kns");
  EXPECT_EQ(r->objects[0].label("team").value_or(""), "ml");

  auto unsupported = RenderApplication(
      SingleSource("k", "    kustomize:\n      patches: [{patch: x}]\n"), options_);
  ASSERT_FALSE(unsupported.ok());
  EXPECT_NE(unsupported.status().message().find("patches"), std::string::npos);
}

TEST_F(AppRenderTest, RealKustomizeWithAppImagesReplicasAndCommonMetadata) {
  repo_.Commit({{"k/kustomization.yaml", "resources: [deploy.yaml]\n"},
                {"k/deploy.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: ranker}
spec:
  replicas: 1
  selector: {matchLabels: {app: ranker}}
  template:
    metadata: {labels: {app: ranker}}
    spec:
      containers:
      - {name: server, image: "ghcr.io/example/ranker:1.0"}
      - {name: sidecar, image: "busybox:1.35"}
)"}});
  SystemProcessRunner system;
  options_.runner = &system;
  // Argo CD's forms: a new name and tag for one image, a new tag only for another.
  auto r = RenderApplication(
      SingleSource("k",
                   "    kustomize:\n"
                   "      images: [\"ghcr.io/example/ranker=registry.local/ranker:2.1\", "
                   "\"busybox:1.36\"]\n"
                   "      replicas: [{name: ranker, count: 3}]\n"
                   "      commonLabels: {team: ml}\n"
                   "      commonAnnotations: {owner: fraud-team}\n"),
      options_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->objects.size(), 1u);
  const JsonValue& d = r->objects[0].json();
  EXPECT_EQ(GetInt(d, "spec.replicas"), 3);
  const JsonValue* containers = Find(d, "spec.template.spec.containers");
  ASSERT_TRUE(containers && containers->IsArray() && containers->Size() == 2);
  EXPECT_EQ(GetString((*containers)[0], "image"), "registry.local/ranker:2.1");
  EXPECT_EQ(GetString((*containers)[1], "image"), "busybox:1.36");
  EXPECT_EQ(r->objects[0].label("team").value_or(""), "ml");
  EXPECT_EQ(r->objects[0].annotation("owner").value_or(""), "fraud-team");
}

// Checkouts sit at predictable cache paths (<cache>/repos/<hash of URL>/checkouts/<sha>), so an
// application's kustomization could name another team's checkout beside its own: by a directory
// base, a file, a link, or a Git URL on the host. Each is refused, naming the file and the rule,
// and nothing of the other checkout reaches the output.
TEST_F(AppRenderTest, KustomizeCannotReachAnotherApplicationsCheckout) {
  const std::string secret = "TEAM-A-DB-PASSWORD-77f1";
  TestGitRepo team_a(tmp_.path() + "/team-a.git");
  team_a.Commit({{"team/kustomization.yaml", "resources: [secret.yaml]\n"},
                 {"team/secret.yaml",
                  "apiVersion: v1\nkind: Secret\nmetadata: {name: a-secret}\n"
                  "stringData: {password: " +
                      secret + "}\n"}});
  SystemProcessRunner system;
  options_.runner = &system;
  auto a = RenderApplication(ParseApp("  source:\n    repoURL: " + team_a.url() +
                                      "\n    targetRevision: main\n" + "    path: team\n"),
                             options_);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  std::string a_repo = GitRepoCache(options_.cache_dir).RepoDir(team_a.url());
  std::string a_team = a_repo + "/checkouts/" + a->revisions[0] + "/team";
  ASSERT_TRUE(std::filesystem::exists(a_team + "/secret.yaml"));
  // From B's <cache>/repos/<hash B>/checkouts/<sha B>/app to A's team directory.
  std::string up = "../../../../" + std::filesystem::path(a_repo).filename().string() +
                   "/checkouts/" + a->revisions[0] + "/team";

  struct Attack {
    std::string name;
    std::map<std::string, std::string> files, links;
    std::string error;  // what the refusal says
  };
  const std::string leaves = "\": leaves the repository root";
  const std::vector<Attack> attacks = {
      {"directory base",
       {{"app/kustomization.yaml", "resources: [" + up + "]\n"}},
       {},
       "app/kustomization.yaml: resources entry \"" + up + leaves},
      {"file",
       {{"app/kustomization.yaml", "resources: [" + up + "/secret.yaml]\n"}},
       {},
       "app/kustomization.yaml: resources entry \"" + up + "/secret.yaml" + leaves},
      {"legacy bases through an inner base",
       {{"app/kustomization.yaml", "resources: [../inner]\n"},
        {"inner/kustomization.yaml", "bases: [" + up + "]\n"}},
       {},
       "inner/kustomization.yaml: bases entry \"" + up + leaves},
      {"patch file",
       {{"app/kustomization.yaml", "patches: [{path: " + up + "/secret.yaml}]\n"}},
       {},
       "app/kustomization.yaml: patches.path entry"},
      {"link to the directory",
       {{"app/kustomization.yaml", "resources: [stolen]\n"}},
       {{"app/stolen", up}},
       "app/stolen: symbolic link points outside the repository root"},
      {"absolute link to the file",
       {{"app/kustomization.yaml", "resources: [s.yaml]\n"}},
       {{"app/s.yaml", a_team + "/secret.yaml"}},
       "app/s.yaml: symbolic link points outside the repository root"},
      {"Git URL on the host",
       {{"app/kustomization.yaml", "resources: [\"file://" + team_a.path() + "//team\"]\n"}},
       {},
       "a Git URL on this host's file system is refused"},
  };
  for (const Attack& attack : attacks) {
    SCOPED_TRACE(attack.name);
    repo_.CommitWithLinks(attack.files, attack.links);
    auto b = RenderApplication(SingleSource("app"), options_);
    if (b.ok()) {
      ADD_FAILURE() << "rendered another application's checkout: "
                    << ::testing::PrintToString(Names(b->objects));
      continue;
    }
    EXPECT_EQ(b.status().code(), Status::Code::kInvalidArgument) << b.status().ToString();
    EXPECT_NE(b.status().message().find(attack.error), std::string::npos) << b.status().message();
    EXPECT_EQ(b.status().message().find(secret), std::string::npos) << b.status().message();
  }
}

// Bases, links and files inside the repository still build, on a private copy that is gone
// once the render ends; kustomize runs with its root-only load restriction.
TEST_F(AppRenderTest, KustomizeRunsOnAPrivateCopyWithinTheRepository) {
  repo_.CommitWithLinks({{"base/kustomization.yaml", "resources: [cm.yaml]\n"},
                         {"base/cm.yaml", std::string(kConfigMap) + "from-base\n"},
                         {"extra/kustomization.yaml", "resources: [cm.yaml]\n"},
                         {"extra/cm.yaml", std::string(kConfigMap) + "from-linked\n"},
                         {"overlays/prod/kustomization.yaml", "resources: [../../base, linked]\n"}},
                        {{"overlays/prod/linked", "../../extra"}});
  SystemProcessRunner system;
  options_.runner = &system;
  auto r = RenderApplication(SingleSource("overlays/prod"), options_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Names(r->objects), (std::vector<std::string>{"ml/from-base", "ml/from-linked"}));

  std::vector<std::string> argv;
  fake_.On("kubectl", [&](const ProcessRequest& request) -> Result<ProcessResult> {
    argv = request.argv;
    EXPECT_TRUE(std::filesystem::exists(request.argv.back() + "/kustomization.yaml"));
    ProcessResult result;
    result.exit_code = 0;
    return result;
  });
  options_.runner = &fake_;
  repo_.Commit({{"k/kustomization.yaml", "resources: []\n"}});
  ASSERT_TRUE(RenderApplication(SingleSource("k"), options_).ok());
  ASSERT_EQ(argv.size(), 5u);
  EXPECT_EQ(argv[2], "--load-restrictor");
  EXPECT_EQ(argv[3], "LoadRestrictionsRootOnly");
  std::string dir = argv[4];
  EXPECT_EQ(dir.find(options_.cache_dir + "/repos/"), std::string::npos)
      << "kustomize ran on the shared checkout: " << dir;
  EXPECT_EQ(dir.rfind(options_.cache_dir + "/renders/render-", 0), 0u) << dir;
  EXPECT_FALSE(std::filesystem::exists(dir)) << "the private copy outlived the render";
  EXPECT_TRUE(std::filesystem::is_empty(options_.cache_dir + "/renders"));
}

TEST_F(AppRenderTest, HelmMissingBinaryIsAClearError) {
  repo_.Commit({{"chart/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n"}});
  auto r = RenderApplication(SingleSource("chart"), options_);  // the fake knows no helm
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("helm is not installed"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("needs helm on PATH"), std::string::npos);
}

TEST_F(AppRenderTest, MultiSourceRefValuesAndLaterDuplicateWins) {
  TestGitRepo values(tmp_.path() + "/values.git");
  std::string values_sha = values.Commit({{"envs/prod.yaml", "replicas: 3\n"}});
  repo_.Commit({{"chart/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n"},
                {"chart/values-extra.yaml", "x: 1\n"},
                {"plain/dup.yaml", std::string(kConfigMap) + "shared\ndata: {from: plain}\n"}});
  std::vector<std::string> helm_argv;
  fake_.On("helm", [&](const ProcessRequest& request) -> Result<ProcessResult> {
    helm_argv = request.argv;
    ProcessResult r;
    r.exit_code = 0;
    r.stdout_text =
        std::string(kConfigMap) + "shared\ndata: {from: helm}\n---\n" + kConfigMap + "only-helm\n";
    return r;
  });
  Application app = ParseApp("  sources:\n  - repoURL: " + repo_.url() +
                             "\n    targetRevision: main\n    path: plain\n"
                             "  - repoURL: " +
                             repo_.url() +
                             "\n    targetRevision: main\n    path: chart\n    helm:\n"
                             "      releaseName: rel\n      valueFiles: [values-extra.yaml, "
                             "$vals/envs/prod.yaml]\n      parameters:\n      - {name: a, value: "
                             "\"x,y\"}\n      - {name: b, value: \"1\", forceString: true}\n"
                             "      values: 'inline: true'\n"
                             "  - repoURL: " +
                             values.url() + "\n    targetRevision: main\n    ref: vals\n");
  auto r = RenderApplication(app, options_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Names(r->objects), (std::vector<std::string>{"ml/shared", "ml/only-helm"}));
  EXPECT_EQ(GetString(r->objects[0].json(), "data.from"), "helm");
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("replaces"), std::string::npos);
  ASSERT_EQ(r->revisions.size(), 3u);
  EXPECT_EQ(r->revisions[2], values_sha);

  ASSERT_GE(helm_argv.size(), 4u);
  EXPECT_EQ(helm_argv[1], "template");
  EXPECT_EQ(helm_argv[2], "rel");
  auto after = [&](const std::string& flag, size_t nth = 0) -> std::string {
    for (size_t i = 0; i + 1 < helm_argv.size(); ++i) {
      if (helm_argv[i] == flag && nth-- == 0) return helm_argv[i + 1];
    }
    return "";
  };
  EXPECT_EQ(after("--namespace"), "ml");
  EXPECT_NE(after("--values", 0).find("/chart/values-extra.yaml"), std::string::npos);
  std::string ref_file = after("--values", 1);
  EXPECT_NE(ref_file.find("/envs/prod.yaml"), std::string::npos);
  EXPECT_EQ(testing::ReadFile(ref_file), "replicas: 3\n") << "$vals resolves into the ref checkout";
  EXPECT_NE(after("--values", 2).find("inline-values"), std::string::npos);
  EXPECT_EQ(after("--set"), "a=x\\,y");
  EXPECT_EQ(after("--set-string"), "b=1");
}

TEST_F(AppRenderTest, ToolErrorsNameFilesByRepositoryNeverByCachePath) {
  // helm and kustomize name files by the absolute paths they were given: inside the clone cache,
  // where they spell out the per-URL cache directory and the commit of this and of other
  // (ref) repositories. Errors show them relative to their repository instead.
  TestGitRepo values(tmp_.path() + "/values.git");
  std::string values_sha = values.Commit({{"envs/prod.yaml", "replicas: [\n"}});
  std::string chart_sha = repo_.Commit({{"chart/Chart.yaml", "apiVersion: v2\nname: c\n"},
                                        {"chart/values.yaml", "x: 1\n"},
                                        {"kust/kustomization.yaml", "resources: [gone.yaml]\n"}});
  auto echo_args = [](const std::string& tool) {
    return [tool](const ProcessRequest& request) -> Result<ProcessResult> {
      ProcessResult r;
      r.exit_code = 1;
      for (size_t i = 1; i < request.argv.size(); ++i) {
        r.stderr_text += "Error: " + tool + " cannot use " + request.argv[i] + "\n";
      }
      return r;
    };
  };
  fake_.On("helm", echo_args("helm"));
  fake_.On("kubectl", echo_args("kustomize"));
  Application helm = ParseApp("  sources:\n  - repoURL: " + repo_.url() +
                              "\n    targetRevision: main\n    path: chart\n    helm:\n"
                              "      valueFiles: [values.yaml, $vals/envs/prod.yaml]\n"
                              "  - repoURL: " +
                              values.url() + "\n    targetRevision: main\n    ref: vals\n");
  Application kustomize = SingleSource("kust");
  for (const Application* app : {&helm, &kustomize}) {
    auto r = RenderApplication(*app, options_);
    ASSERT_FALSE(r.ok());
    const std::string& message = r.status().message();
    for (const std::string& hidden : {values_sha, chart_sha, options_.cache_dir}) {
      EXPECT_EQ(message.find(hidden), std::string::npos) << hidden << " in: " << message;
    }
    EXPECT_NE(message.find(app == &helm ? "$vals/envs/prod.yaml" : "./kust"), std::string::npos)
        << message;
  }
}

TEST_F(AppRenderTest, HelmValueFilesStayInsideTheRepository) {
  TempDir outside;
  outside.Write("secret.yaml", "x: 1\n");
  ToolRenderContext ctx;
  ctx.repo_root = tmp_.path() + "/root";
  std::filesystem::create_directories(ctx.repo_root + "/chart");
  ApplicationSource source;
  source.helm = ApplicationSourceHelm();
  source.helm->value_files = {"../../" + std::filesystem::path(outside.path()).filename().string() +
                              "/secret.yaml"};
  auto args = HelmTemplateArgs(ctx.repo_root + "/chart", source, ctx, "");
  EXPECT_FALSE(args.ok());
  source.helm->value_files = {"$nope/values.yaml"};
  args = HelmTemplateArgs(ctx.repo_root + "/chart", source, ctx, "");
  ASSERT_FALSE(args.ok());
  EXPECT_NE(args.status().message().find("$nope"), std::string::npos);
  source.helm->value_files = {"missing.yaml"};
  source.helm->ignore_missing_value_files = true;
  args = HelmTemplateArgs(ctx.repo_root + "/chart", source, ctx, "");
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(std::count(args->begin(), args->end(), "--values"), 0);
}

TEST_F(AppRenderTest, ConcurrentRendersAgree) {
  repo_.Commit({{"apps/a.yaml", std::string(kConfigMap) + "a\n"}});
  Application app = SingleSource("apps");
  std::vector<Status> statuses(3);
  std::vector<std::vector<std::string>> names(3);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < statuses.size(); ++i) {
    threads.emplace_back([&, i] {
      auto r = RenderApplication(app, options_);
      statuses[i] = r.status();
      if (r.ok()) names[i] = Names(r->objects);
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < statuses.size(); ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].ToString();
    EXPECT_EQ(names[i], std::vector<std::string>{"ml/a"});
  }
}

TEST_F(AppRenderTest, CliRendersFromGitWithRevisionAndCacheDir) {
  std::string first = repo_.Commit({{"apps/a.yaml", std::string(kConfigMap) + "first\n"}});
  repo_.Commit({{"apps/a.yaml", std::string(kConfigMap) + "second\n"}});
  std::string app =
      tmp_.Write("app.yaml",
                 "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: cli\n"
                 "spec:\n  destination:\n    server: https://kubernetes.default.svc\n"
                 "    namespace: ml\n  source:\n    repoURL: " +
                     repo_.url() + "\n    targetRevision: main\n    path: apps\n");
  auto run = [&](std::vector<std::string> args, std::string* out, std::string* err) {
    MemoryTerminal out_term(false), err_term(false);
    FixedClock clock(*ParseRfc3339("2026-11-26T12:00:00Z"));
    CliEnv env{out_term, err_term, clock, [](const char*) -> const char* { return nullptr; }};
    int code = RunCli(args, env);
    *out = out_term.text();
    *err = err_term.text();
    return code;
  };
  std::string out, err;
  std::string cache = tmp_.path() + "/cli-cache";
  ASSERT_EQ(run({"render", "-f", app, "--cache-dir", cache}, &out, &err), 0) << err;
  EXPECT_NE(out.find("name: second"), std::string::npos) << out;
  EXPECT_NE(out.find("namespace: ml"), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(cache + "/repos"));
  ASSERT_EQ(run({"render", "-f", app, "--cache-dir", cache, "--revision", first}, &out, &err), 0)
      << err;
  EXPECT_NE(out.find("name: first"), std::string::npos) << out;
  ASSERT_EQ(run({"plan", "-f", app, "--cache-dir", cache, "--offline"}, &out, &err), 0) << err;
  EXPECT_NE(out.find("second"), std::string::npos) << out;
  EXPECT_NE(run({"render", "-f", app, "--cache-dir", cache, "--revision", "nope"}, &out, &err), 0);
  EXPECT_NE(err.find("nope"), std::string::npos) << err;
}

}  // namespace
}  // namespace mlgitops
