// The sync engine's write strategy (apply_strategy.h) against the fake client: which sync
// options pick Replace and Force, the immutable-field refusal told apart from an invalid manifest
// by the server's reasons (never deleting the live object for the latter), and the order of the
// requests behind a forced recreate.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "app/application.h"
#include "kube/errors.h"
#include "kube/fake_client.h"
#include "sync/apply_strategy.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using testing::ParseOne;

Application App(const std::string& sync_options) {
  auto app = ParseApplication(
      ParseOne("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: ml}\nspec:\n"
               "  source: {repoURL: https://git.example.com/ml.git, path: ml}\n"
               "  destination: {server: https://kubernetes.default.svc, namespace: ml}\n"
               "  syncPolicy: {syncOptions: [" +
               sync_options + "]}\n"));
  EXPECT_TRUE(app.ok()) << app.status().message();
  return app.ok() ? std::move(*app) : Application();
}

Object Job(const std::string& image, const std::string& options = "") {
  std::string annotations =
      options.empty() ? ""
                      : "  annotations: {argocd.argoproj.io/sync-options: \"" + options + "\"}\n";
  return ParseOne("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: retrain\n  namespace: ml\n" +
                  annotations +
                  "spec:\n  template:\n    spec:\n      restartPolicy: Never\n"
                  "      containers: [{name: t, image: \"" +
                  image + "\"}]\n");
}

/// The Status a 422 Invalid answer becomes, with its causes.
Status Invalid(const std::vector<std::pair<std::string, std::string>>& causes) {
  ApiError error;
  error.http_status = 422;
  error.reason = "Invalid";
  error.message = "Job.batch \"retrain\" is invalid";
  for (const auto& [field, message] : causes) {
    error.causes.push_back({"FieldValueInvalid", message, field});
  }
  RequestSubject subject{"patch", "batch", "v1", "Job", "jobs", "ml", "retrain"};
  return ApiErrorToStatus(error, subject, Redactor());
}

std::vector<std::string> Verbs(const FakeKubeClient& client) {
  std::vector<std::string> out;
  for (const FakeCall& c : client.calls()) out.push_back(c.verb + (c.dry_run ? " (dry)" : ""));
  return out;
}

WriteRequest Request(const Object& desired, const WriteStrategy& strategy) {
  WriteRequest r;
  r.desired = &desired;
  r.key = ObjectKey::Of(desired);
  r.ref = "batch/Job ml/retrain";
  r.live_exists = true;
  r.strategy = strategy;
  return r;
}

// Argo CD reads sync options from the resource's annotation first, then the app's syncOptions.
TEST(SyncApplyStrategyTest, OptionsComeFromTheAnnotationTheAppAndTheForceFlag) {
  WriteStrategy both = WriteStrategyFor(Job("a", "Replace=true, Force=true"), App(""), false);
  EXPECT_TRUE(both.replace);
  EXPECT_TRUE(both.force);
  WriteStrategy from_app = WriteStrategyFor(Job("a"), App("Force=true"), false);
  EXPECT_FALSE(from_app.replace);
  EXPECT_TRUE(from_app.force);
  WriteStrategy overridden = WriteStrategyFor(Job("a", "Force=false"), App("Force=true"), false);
  EXPECT_FALSE(overridden.force);
  EXPECT_TRUE(WriteStrategyFor(Job("a"), App(""), true).force);
  EXPECT_FALSE(WriteStrategyFor(Job("a"), App(""), false).force);
}

// A refusal is immutable only when the server would take the object as a new one (a dry-run
// create answers AlreadyExists); an invalid manifest is reported as it is, and Force never
// deletes the live object for it.
TEST(SyncApplyStrategyTest, AnInvalidManifestIsNeverDeletedEvenWithForce) {
  FakeKubeClient client("ml");
  Object live = Job("trainer:1");
  ASSERT_TRUE(client.Seed(live).ok());
  Status refused = Invalid({{"spec.template.spec.containers[0].image", "Required value"}});
  client.FailNext("apply", refused);
  client.FailNext("create", refused);
  ResourceWriter writer(client, "mlgitops", {});
  Object desired = Job("");
  auto written = writer.Write(Request(desired, WriteStrategy{false, true}));
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.status().message(), refused.message());
  EXPECT_EQ(Verbs(client), (std::vector<std::string>{"apply", "create (dry)"}));
}

TEST(SyncApplyStrategyTest, AnImmutableRefusalWithoutForceNamesTheFieldsAndTheWaysOut) {
  FakeKubeClient client("ml");
  ASSERT_TRUE(client.Seed(Job("trainer:1")).ok());
  client.FailNext("apply", Invalid({{"spec.template",
                                     "Invalid value: core.PodTemplateSpec{...}: field is "
                                     "immutable"}}));
  ResourceWriter writer(client, "mlgitops", {});
  Object desired = Job("trainer:2");
  auto written = writer.Write(Request(desired, WriteStrategy{}));
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.status().message(),
            "the API server refuses to change immutable field spec.template of batch/Job "
            "ml/retrain in place (spec.template: Invalid value: core.PodTemplateSpec{...}: field "
            "is immutable); Kubernetes lets such a change happen only by deleting the object and "
            "creating it again: set the sync option Force=true on the resource (annotation "
            "argocd.argoproj.io/sync-options: Force=true, or Replace=true,Force=true) or in the "
            "app's syncPolicy.syncOptions, or run kubectl mlgitops sync --force");
  EXPECT_TRUE(HasApiReason(written.status(), "Invalid"));
  EXPECT_EQ(Verbs(client), (std::vector<std::string>{"apply", "create (dry)"}));
}

// Force=true: delete (foreground), wait until gone, then apply again; Replace=true,Force=true
// deletes and creates without trying an update first; Replace=true alone PUTs.
TEST(SyncApplyStrategyTest, ForceRecreatesAndReplaceUsesPutOrCreate) {
  FakeKubeClient client("ml");
  ASSERT_TRUE(client.Seed(Job("trainer:1")).ok());
  client.FailNext("apply", Invalid({{"spec.template", "field is immutable"}}));
  ResourceWriter writer(client, "mlgitops", {});
  Object v2 = Job("trainer:2");
  auto forced = writer.Write(Request(v2, WriteStrategy{false, true}));
  ASSERT_TRUE(forced.ok()) << forced.status().message();
  EXPECT_TRUE(forced->recreated);
  EXPECT_EQ(Verbs(client),
            (std::vector<std::string>{"apply", "create (dry)", "delete", "get", "apply"}));

  client.ClearCalls();
  Object v3 = Job("trainer:3");
  auto replaced = writer.Write(Request(v3, WriteStrategy{true, true}));
  ASSERT_TRUE(replaced.ok()) << replaced.status().message();
  EXPECT_TRUE(replaced->recreated);
  EXPECT_EQ(Verbs(client), (std::vector<std::string>{"delete", "get", "create"}));

  client.ClearCalls();
  Object v4 = Job("trainer:4");
  auto put = writer.Write(Request(v4, WriteStrategy{true, false}));
  ASSERT_TRUE(put.ok()) << put.status().message();
  EXPECT_TRUE(put->replaced);
  EXPECT_FALSE(put->recreated);
  EXPECT_EQ(Verbs(client), (std::vector<std::string>{"update"}));

  client.ClearCalls();
  WriteRequest missing = Request(v4, WriteStrategy{true, false});
  missing.key.name = "other";
  Object other = Job("trainer:4");
  other.mutable_json()["metadata"]["name"].SetString("other");
  missing.desired = &other;
  missing.live_exists = false;
  ASSERT_TRUE(writer.Write(missing).ok());
  EXPECT_EQ(Verbs(client), (std::vector<std::string>{"create"}));
}

}  // namespace
}  // namespace mlgitops
