// kubesim refuses updates of immutable fields as kube-apiserver 1.32 does: 422 Invalid with the
// real field paths, cause reasons and messages, through PUT, every PATCH, server-side apply and
// dry run (in process), and through the real kubectl (apply, apply --server-side, replace
// --force) against a kubesim process.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kubesim/api_server.h"
#include "kubesim/json_util.h"
#include "kubesim/launcher.h"
#include "kubesim/request_info.h"
#include "kubesim_test_util.h"
#include "object/clock.h"
#include "test_util.h"

namespace mlgitops::kubesim {
namespace {

constexpr auto Parse = testing::ParseOrFail;

struct Cause {
  std::string reason;
  std::string field;
  std::string message;
};

class KubesimImmutabilityTest : public ::testing::Test {
 protected:
  HttpResponse Call(const std::string& method, const std::string& path,
                    const std::string& body = "",
                    const std::string& content_type = "application/json") {
    return testing::CallInProcess(server_, method, path, body, content_type);
  }

  HttpResponse Merge(const std::string& path, const std::string& patch) {
    return Call("PATCH", path, patch, "application/merge-patch+json");
  }

  void Create(const std::string& collection, const std::string& body) {
    HttpResponse r = Call("POST", collection, body);
    ASSERT_EQ(r.status, 201) << r.body;
  }

  /// The response is the 422 Invalid Status kube-apiserver sends: reason, message built from
  /// the causes, details (name, group, kind) and each cause's reason, field and message.
  static void ExpectInvalid(const HttpResponse& r, const std::string& group,
                            const std::string& kind, const std::string& name,
                            const std::vector<Cause>& causes) {
    ASSERT_EQ(r.status, 422) << r.body;
    Object s = Parse(r.body);
    EXPECT_EQ(GetString(s.json(), "kind"), "Status");
    EXPECT_EQ(GetString(s.json(), "reason"), "Invalid");
    EXPECT_EQ(GetInt(s.json(), "code"), 422);
    EXPECT_EQ(GetString(s.json(), "details.name"), name);
    EXPECT_EQ(GetString(s.json(), "details.group"), group);
    EXPECT_EQ(GetString(s.json(), "details.kind"), kind);
    std::string qualified = group.empty() ? kind : kind + "." + group;
    std::string message = qualified + " \"" + name + "\" is invalid: ";
    if (causes.size() > 1) message += "[";
    for (size_t i = 0; i < causes.size(); ++i) {
      message += (i ? ", " : "") + causes[i].field + ": " + causes[i].message;
    }
    if (causes.size() > 1) message += "]";
    EXPECT_EQ(GetString(s.json(), "message"), message);
    const JsonValue* got = Find(s.json(), "details.causes");
    ASSERT_TRUE(got && got->IsArray()) << r.body;
    ASSERT_EQ(got->Size(), causes.size()) << r.body;
    for (size_t i = 0; i < causes.size(); ++i) {
      const JsonValue& c = (*got)[static_cast<rapidjson::SizeType>(i)];
      EXPECT_EQ(GetString(c, "reason"), causes[i].reason);
      EXPECT_EQ(GetString(c, "field"), causes[i].field);
      EXPECT_EQ(GetString(c, "message"), causes[i].message);
    }
  }

  std::string Get(const std::string& path, const std::string& field) {
    HttpResponse r = Call("GET", path);
    return r.status == 200 ? GetString(Parse(r.body).json(), field) : "<" + r.body + ">";
  }

  FixedClock clock_{1700000000};
  ApiServer server_{&clock_};
};

constexpr char kJobs[] = "/apis/batch/v1/namespaces/default/jobs";
constexpr char kTrain[] = "/apis/batch/v1/namespaces/default/jobs/train";

std::string TrainJob(const std::string& image, const std::string& spec_extra = "") {
  return R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"train"},"spec":{)" +
         spec_extra + R"("template":{"spec":{"restartPolicy":"Never","containers":[{"name":"t",)" +
         R"("image":")" + image + R"("}]}}}})";
}

const Cause kTemplateImmutable{"FieldValueInvalid", "spec.template",
                               "Invalid value: core.PodTemplateSpec{...}: field is immutable"};

// ValidateJobSpecUpdate: spec.template is immutable (a retrain with a new image needs a new
// Job), whichever way the update arrives; the value dump the real server prints (%#v of the
// internal PodTemplateSpec) is elided to "core.PodTemplateSpec{...}".
TEST_F(KubesimImmutabilityTest, JobTemplateIsImmutableThroughEveryWritePath) {
  Create(kJobs, TrainJob("trainer:1"));
  // A PUT carries the stored Job (its generated selector and labels) with the new image, as a
  // client that read it first sends it.
  std::string put = Call("GET", kTrain).body;
  put.replace(put.find("trainer:1"), 9, "trainer:2");
  ExpectInvalid(Call("PUT", kTrain, put), "batch", "Job", "train", {kTemplateImmutable});
  ExpectInvalid(Call("PUT", std::string(kTrain) + "?dryRun=All", put), "batch", "Job", "train",
                {kTemplateImmutable});
  std::string image_patch =
      R"({"spec":{"template":{"spec":{"containers":[{"name":"t","image":"trainer:2"}]}}}})";
  ExpectInvalid(Call("PATCH", kTrain, image_patch, "application/strategic-merge-patch+json"),
                "batch", "Job", "train", {kTemplateImmutable});
  ExpectInvalid(Merge(kTrain, image_patch), "batch", "Job", "train", {kTemplateImmutable});
  ExpectInvalid(Call("PATCH", kTrain,
                     R"([{"op":"replace","path":"/spec/template/spec/containers/0/image",)"
                     R"("value":"trainer:2"}])",
                     "application/json-patch+json"),
                "batch", "Job", "train", {kTemplateImmutable});
  ExpectInvalid(Call("PATCH", std::string(kTrain) + "?fieldManager=mlgitops&force=true",
                     TrainJob("trainer:2"), "application/apply-patch+yaml"),
                "batch", "Job", "train", {kTemplateImmutable});
  std::string stored = Call("GET", kTrain).body;
  EXPECT_NE(stored.find("\"image\":\"trainer:1\""), std::string::npos) << stored;
  EXPECT_EQ(stored.find("trainer:2"), std::string::npos) << stored;
  // Mutable fields still change, and the status subresource is not judged on the spec.
  EXPECT_EQ(Merge(kTrain, R"({"spec":{"parallelism":2,"activeDeadlineSeconds":600}})").status, 200);
  EXPECT_EQ(Merge(kTrain, R"({"metadata":{"labels":{"run":"2"}}})").status, 200);
  HttpResponse status = Call("PATCH", std::string(kTrain) + "/status", R"({"status":{"active":1}})",
                             "application/merge-patch+json");
  EXPECT_EQ(status.status, 200) << status.body;
}

// validatePodTemplateUpdate: a suspended Job that never started may change its template's
// scheduling directives (nodeSelector, tolerations, node affinity, labels, annotations,
// schedulingGates), nothing else; once started (status.startTime) not even those.
TEST_F(KubesimImmutabilityTest, SuspendedJobThatNeverStartedMayChangeSchedulingDirectives) {
  Create(kJobs, TrainJob("trainer:1", R"("suspend":true,)"));
  HttpResponse directives = Merge(kTrain, R"({"spec":{"template":{
      "metadata":{"labels":{"queue":"gpu"},"annotations":{"a":"b"}},
      "spec":{"nodeSelector":{"gpu":"a100"},"tolerations":[{"key":"gpu","operator":"Exists"}],
        "affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{
          "nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["a"]}]}]}}}}}}})");
  EXPECT_EQ(directives.status, 200) << directives.body;
  ExpectInvalid(Merge(kTrain, R"({"spec":{"template":{"spec":{"serviceAccountName":"x"}}}})"),
                "batch", "Job", "train", {kTemplateImmutable});
  ASSERT_EQ(
      Merge(std::string(kTrain) + "/status", R"({"status":{"startTime":"2023-11-14T22:13:20Z"}})")
          .status,
      200);
  ExpectInvalid(Merge(kTrain, R"({"spec":{"template":{"spec":{"nodeSelector":{"gpu":"h100"}}}}})"),
                "batch", "Job", "train", {kTemplateImmutable});
}

// ValidateJobSpecUpdate: completions (elastic only for Indexed Jobs, together with
// parallelism), selector (printed as Go's %#v of v1.LabelSelector) and completionMode.
TEST_F(KubesimImmutabilityTest, JobCompletionsSelectorAndModeAreImmutable) {
  Create(kJobs, TrainJob("trainer:1", R"("completions":1,)"));
  ExpectInvalid(
      Merge(kTrain, R"({"spec":{"completions":3}})"), "batch", "Job", "train",
      {{"FieldValueInvalid", "spec.completions", "Invalid value: 3: field is immutable"}});
  ExpectInvalid(Merge(kTrain, R"({"spec":{"completions":3,"completionMode":"Indexed",
            "template":{"spec":{"containers":[{"name":"t","image":"trainer:2"}]}}}})"),
                "batch", "Job", "train",
                {{"FieldValueInvalid", "spec.completions",
                  "Invalid value: 3: can only be modified in tandem with spec.parallelism"},
                 kTemplateImmutable,
                 {"FieldValueInvalid", "spec.completionMode",
                  "Invalid value: \"Indexed\": field is immutable"}});

  Create(kJobs, R"({"metadata":{"name":"shards"},"spec":{"completions":2,"parallelism":2,
      "completionMode":"Indexed","manualSelector":true,"selector":{"matchLabels":{"job":"a"}},
      "template":{"metadata":{"labels":{"job":"a"}},"spec":{"restartPolicy":"Never",
        "containers":[{"name":"t","image":"x"}]}}}})");
  std::string shards = std::string(kJobs) + "/shards";
  EXPECT_EQ(Merge(shards, R"({"spec":{"completions":4,"parallelism":4}})").status, 200);
  ExpectInvalid(Merge(shards, R"({"spec":{"completions":5}})"), "batch", "Job", "shards",
                {{"FieldValueInvalid", "spec.completions",
                  "Invalid value: 5: can only be modified in tandem with spec.parallelism"}});
  // strategy.ValidateUpdate appends ValidateJobUpdate's errors to ValidateJob's, so the new
  // selector no longer matching the template is reported first.
  ExpectInvalid(Merge(shards, R"({"spec":{"selector":{"matchLabels":{"job":"b","tier":"x"}}}})"),
                "batch", "Job", "shards",
                {{"FieldValueInvalid", "spec.template.metadata.labels",
                  "Invalid value: {\"job\":\"a\"}: `selector` does not match template `labels`"},
                 {"FieldValueInvalid", "spec.selector",
                  "Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"job\":\"b\", "
                  "\"tier\":\"x\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is "
                  "immutable"}});
}

// The apps/v1 strategies' ValidateUpdate: spec.selector of Deployments, ReplicaSets and
// DaemonSets is immutable (the template is not).
TEST_F(KubesimImmutabilityTest, AppsSelectorsAreImmutable) {
  Create("/apis/apps/v1/namespaces/default/deployments",
         R"({"metadata":{"name":"web"},"spec":{"selector":{"matchLabels":{"app":"web"}},
             "template":{"metadata":{"labels":{"app":"web"}},
               "spec":{"containers":[{"name":"c","image":"nginx:1"}]}}}})");
  std::string web = "/apis/apps/v1/namespaces/default/deployments/web";
  EXPECT_EQ(Merge(web, R"({"spec":{"template":{"spec":{"containers":[{"name":"c",)"
                       R"("image":"nginx:2"}]}}}})")
                .status,
            200);
  ExpectInvalid(Merge(web, R"({"spec":{"selector":{"matchLabels":{"app":"web2"}},
                    "template":{"metadata":{"labels":{"app":"web2"}}}}})"),
                "apps", "Deployment", "web",
                {{"FieldValueInvalid", "spec.selector",
                  "Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":"
                  "\"web2\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is "
                  "immutable"}});

  Create("/apis/apps/v1/namespaces/default/replicasets",
         R"({"metadata":{"name":"rs"},"spec":{"selector":{"matchLabels":{"app":"rs"}},
             "template":{"metadata":{"labels":{"app":"rs","tier":"a"}},
               "spec":{"containers":[{"name":"c","image":"nginx"}]}}}})");
  ExpectInvalid(Merge("/apis/apps/v1/namespaces/default/replicasets/rs",
                      R"({"spec":{"selector":{"matchLabels":null,"matchExpressions":[
                {"key":"tier","operator":"In","values":["a","b"]},{"key":"app","operator":"Exists"}]}}})"),
                "apps", "ReplicaSet", "rs",
                {{"FieldValueInvalid", "spec.selector",
                  "Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
                  "MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{"
                  "Key:\"tier\", Operator:\"In\", Values:[]string{\"a\", \"b\"}}, "
                  "v1.LabelSelectorRequirement{Key:\"app\", Operator:\"Exists\", "
                  "Values:[]string(nil)}}}: field is immutable"}});

  Create("/apis/apps/v1/namespaces/default/daemonsets",
         R"({"metadata":{"name":"agent"},"spec":{"selector":{"matchLabels":{"app":"agent"}},
             "template":{"metadata":{"labels":{"app":"agent","v":"2"}},
               "spec":{"containers":[{"name":"c","image":"agent"}]}}}})");
  HttpResponse ds = Merge("/apis/apps/v1/namespaces/default/daemonsets/agent",
                          R"({"spec":{"selector":{"matchLabels":{"v":"2"}}}})");
  ExpectInvalid(ds, "apps", "DaemonSet", "agent",
                {{"FieldValueInvalid", "spec.selector",
                  "Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":"
                  "\"agent\", \"v\":\"2\"}, MatchExpressions:[]v1.LabelSelectorRequirement("
                  "nil)}: field is immutable"}});
}

const Cause kStatefulSetForbidden{
    "FieldValueForbidden", "spec",
    "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', "
    "'template', 'updateStrategy', 'revisionHistoryLimit', "
    "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"};

// ValidateStatefulSetUpdate: only replicas, ordinals, template, updateStrategy,
// revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds may change.
TEST_F(KubesimImmutabilityTest, StatefulSetSpecBeyondTheMutableFieldsIsForbidden) {
  Create("/apis/apps/v1/namespaces/default/statefulsets",
         R"({"metadata":{"name":"db"},"spec":{"serviceName":"db",
             "selector":{"matchLabels":{"app":"db"}},
             "template":{"metadata":{"labels":{"app":"db"}},
               "spec":{"containers":[{"name":"c","image":"pg:15"}]}},
             "volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{
               "accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}]}})");
  std::string db = "/apis/apps/v1/namespaces/default/statefulsets/db";
  HttpResponse allowed = Merge(db, R"({"spec":{"replicas":3,"minReadySeconds":5,
      "revisionHistoryLimit":3,"updateStrategy":{"type":"OnDelete","rollingUpdate":null},
      "persistentVolumeClaimRetentionPolicy":{"whenDeleted":"Delete"},
      "template":{"spec":{"containers":[{"name":"c","image":"pg:16"}]}}}})");
  EXPECT_EQ(allowed.status, 200) << allowed.body;
  for (const char* patch :
       {R"({"spec":{"serviceName":"db2"}})", R"({"spec":{"podManagementPolicy":"Parallel"}})",
        R"({"spec":{"volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{
            "accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"5Gi"}}}}]}})"}) {
    ExpectInvalid(Merge(db, patch), "apps", "StatefulSet", "db", {kStatefulSetForbidden});
  }
  // A new selector also no longer matches the template: ValidateStatefulSet's error comes first.
  ExpectInvalid(Merge(db, R"({"spec":{"selector":{"matchLabels":{"app":"db","x":"y"}}}})"), "apps",
                "StatefulSet", "db",
                {{"FieldValueInvalid", "spec.template.metadata.labels",
                  "Invalid value: {\"app\":\"db\"}: `selector` does not match template `labels`"},
                 kStatefulSetForbidden});
}

// ValidateServiceUpdate (validateUpgradeDowngradeClusterIPs, after NormalizeClusterIPs and
// patchAllocatedValues): the primary cluster IP may not change; leaving it out keeps it, also
// across a type change; ExternalName Services have none.
TEST_F(KubesimImmutabilityTest, ServiceClusterIpMayNotChangeOnceSet) {
  Create("/api/v1/namespaces/default/services",
         R"({"metadata":{"name":"web"},"spec":{"clusterIP":"10.96.100.1",
             "ports":[{"port":80}],"selector":{"app":"web"}}})");
  std::string web = "/api/v1/namespaces/default/services/web";
  const Cause changed{"FieldValueInvalid", "spec.clusterIPs[0]",
                      "Invalid value: []string{\"10.96.100.2\"}: may not change once set"};
  ExpectInvalid(Merge(web, R"({"spec":{"clusterIP":"10.96.100.2"}})"), "", "Service", "web",
                {changed});
  ExpectInvalid(Merge(web, R"({"spec":{"clusterIP":"10.96.100.2",
                                        "clusterIPs":["10.96.100.2"]}})"),
                "", "Service", "web", {changed});
  // validateUpgradeDowngradeIPFamilies: the primary family may not change either.
  HttpResponse refamilied = Merge(web, R"({"spec":{"ipFamilies":["IPv6"]}})");
  EXPECT_EQ(refamilied.status, 422) << refamilied.body;
  EXPECT_NE(
      refamilied.body.find("spec.ipFamilies[0]: Invalid value: []core.IPFamily{\\\"IPv6\\\"}: "
                           "may not change once set"),
      std::string::npos)
      << refamilied.body;
  HttpResponse retyped = Call("PUT", web, R"({"metadata":{"name":"web"},"spec":{"type":"NodePort",
      "ports":[{"port":80}],"selector":{"app":"web"}}})");
  ASSERT_EQ(retyped.status, 200) << retyped.body;
  EXPECT_EQ(GetString(Parse(retyped.body).json(), "spec.clusterIP"), "10.96.100.1");
  EXPECT_EQ(Merge(web, R"({"spec":{"type":"ExternalName","externalName":"db.example.com",
                            "clusterIP":null,"clusterIPs":null}})")
                .status,
            200);
}

constexpr char kClaims[] = "/api/v1/namespaces/default/persistentvolumeclaims";
constexpr char kData[] = "/api/v1/namespaces/default/persistentvolumeclaims/data";

const Cause kClaimForbidden{"FieldValueForbidden", "spec",
                            "Forbidden: spec is immutable after creation except "
                            "resources.requests and volumeAttributesClassName for bound claims"};

// ValidatePersistentVolumeClaimUpdate: the spec is immutable except volumeName (set once, by
// the binder) and, for bound claims, resources.requests.storage and volumeAttributesClassName;
// volumeMode is reported again at "volumeMode". The real message goes on with a cmp.Diff of
// the specs, which kubesim elides.
TEST_F(KubesimImmutabilityTest, ClaimSpecIsImmutableExceptRequestsOfBoundClaims) {
  Create(kClaims, R"({"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],
                      "resources":{"requests":{"storage":"1Gi"}}}})");
  ExpectInvalid(Merge(kData, R"({"spec":{"resources":{"requests":{"storage":"2Gi"}}}})"), "",
                "PersistentVolumeClaim", "data", {kClaimForbidden});
  ExpectInvalid(Merge(kData, R"({"spec":{"storageClassName":"fast"}})"), "",
                "PersistentVolumeClaim", "data", {kClaimForbidden});
  ExpectInvalid(
      Merge(kData, R"({"spec":{"volumeMode":"Block"}})"), "", "PersistentVolumeClaim", "data",
      {kClaimForbidden,
       {"FieldValueInvalid", "volumeMode", "Invalid value: \"Block\": field is immutable"}});
  EXPECT_EQ(Merge(kData, R"({"spec":{"volumeName":"pv-1"}})").status, 200);
  ExpectInvalid(Merge(kData, R"({"spec":{"volumeName":"pv-2"}})"), "", "PersistentVolumeClaim",
                "data", {kClaimForbidden});
  ASSERT_EQ(Merge(std::string(kData) + "/status", R"({"status":{"phase":"Bound"}})").status, 200);
  HttpResponse grown = Merge(kData, R"({"spec":{"resources":{"requests":{"storage":"2Gi"}}}})");
  EXPECT_EQ(grown.status, 200) << grown.body;
  ExpectInvalid(Merge(kData, R"({"spec":{"accessModes":["ReadWriteMany"]}})"), "",
                "PersistentVolumeClaim", "data", {kClaimForbidden});
}

// ValidateConfigMapUpdate / ValidateSecretUpdate: with `immutable: true`, data, binaryData (and
// a Secret's stringData, which folds into data) and the flag itself are frozen; metadata is not.
// A Secret's type is immutable in any case.
TEST_F(KubesimImmutabilityTest, ImmutableConfigMapsAndSecretsKeepTheirData) {
  std::string cms = "/api/v1/namespaces/default/configmaps";
  Create(cms, R"({"metadata":{"name":"settings"},"data":{"a":"1"}})");
  std::string settings = cms + "/settings";
  EXPECT_EQ(Merge(settings, R"({"data":{"a":"2"},"immutable":true})").status, 200);
  const Cause data{"FieldValueForbidden", "data",
                   "Forbidden: field is immutable when `immutable` is set"};
  ExpectInvalid(Merge(settings, R"({"data":{"a":"3"}})"), "", "ConfigMap", "settings", {data});
  ExpectInvalid(Merge(settings, R"({"immutable":false,"binaryData":{"b":"AA=="}})"), "",
                "ConfigMap", "settings",
                {{"FieldValueForbidden", "immutable",
                  "Forbidden: field is immutable when `immutable` is set"},
                 {"FieldValueForbidden", "binaryData",
                  "Forbidden: field is immutable when `immutable` is set"}});
  EXPECT_EQ(Merge(settings, R"({"metadata":{"labels":{"v":"2"}}})").status, 200);
  EXPECT_EQ(Get(settings, "data.a"), "2");

  std::string secrets = "/api/v1/namespaces/default/secrets";
  Create(secrets, R"({"metadata":{"name":"creds"},"immutable":true,"data":{"token":"YWJj"}})");
  std::string creds = secrets + "/creds";
  ExpectInvalid(Merge(creds, R"({"data":{"token":"eHl6"}})"), "", "Secret", "creds", {data});
  ExpectInvalid(Merge(creds, R"({"stringData":{"token":"xyz"}})"), "", "Secret", "creds", {data});
  ExpectInvalid(
      Merge(creds, R"({"type":"example.com/custom"})"), "", "Secret", "creds",
      {{"FieldValueInvalid", "type", "Invalid value: \"example.com/custom\": field is immutable"}});
}

// ValidatePodUpdate: images, a lowered activeDeadlineSeconds and added tolerations may change;
// other spec fields are forbidden (the real message's trailing cmp.Diff is elided).
TEST_F(KubesimImmutabilityTest, PodSpecChangesBeyondTheMutableFieldsAreForbidden) {
  Create("/api/v1/namespaces/default/pods",
         R"({"metadata":{"name":"p"},"spec":{"activeDeadlineSeconds":60,
             "containers":[{"name":"c","image":"a:1"}]}})");
  std::string pod = "/api/v1/namespaces/default/pods/p";
  EXPECT_EQ(Call("PATCH", pod,
                 R"({"metadata":{"labels":{"x":"y"}},"spec":{"activeDeadlineSeconds":30,
                     "tolerations":[{"key":"k","operator":"Exists"}],
                     "containers":[{"name":"c","image":"a:2"}]}})",
                 "application/strategic-merge-patch+json")
                .status,
            200);
  ExpectInvalid(
      Call("PATCH", pod,
           R"({"spec":{"containers":[{"name":"c","env":[{"name":"A","value":"1"}]}]}})",
           "application/strategic-merge-patch+json"),
      "", "Pod", "p",
      {{"FieldValueForbidden", "spec",
        "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
        "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to "
        "be set to 1 if it was previously negative)"}});
  ExpectInvalid(Call("PATCH", pod, R"({"spec":{"containers":[{"name":"d","image":"b"}]}})",
                     "application/strategic-merge-patch+json"),
                "", "Pod", "p",
                {{"FieldValueForbidden", "spec.containers",
                  "Forbidden: pod updates may not add or remove containers"}});
  ExpectInvalid(Merge(pod, R"({"spec":{"activeDeadlineSeconds":90}})"), "", "Pod", "p",
                {{"FieldValueInvalid", "spec.activeDeadlineSeconds",
                  "Invalid value: 90: must be less than or equal to previous value"}});
  // validateOnlyAddedTolerations: replacing the list drops the existing toleration.
  ExpectInvalid(Merge(pod, R"({"spec":{"tolerations":[{"key":"other","operator":"Exists"}]}})"), "",
                "Pod", "p",
                {{"FieldValueForbidden", "spec.tolerations",
                  "Forbidden: existing toleration can not be modified except its "
                  "tolerationSeconds"}});
  EXPECT_EQ(Merge(pod, R"({"spec":{"tolerations":[{"key":"k","operator":"Exists"},
                                                  {"key":"gpu","operator":"Exists"}]}})")
                .status,
            200)
      << "an addition";
}

// rest.BeforeUpdate and the patch handler: creationTimestamp is silently kept; a PUT's uid is a
// precondition (409); a patched uid is ValidateObjectMetaUpdate's 422; a patched name or
// namespace is the handler's 400.
TEST_F(KubesimImmutabilityTest, IdentityMetadataIsKeptOrRefusedAsTheRealServerDoes) {
  std::string cms = "/api/v1/namespaces/default/configmaps";
  Create(cms, R"({"metadata":{"name":"c"},"data":{"a":"1"}})");
  std::string c = cms + "/c";
  std::string uid = Get(c, "metadata.uid");
  std::string created = Get(c, "metadata.creationTimestamp");
  HttpResponse put = Call("PUT", c, R"({"metadata":{"name":"c",
      "creationTimestamp":"2001-01-01T00:00:00Z"},"data":{"a":"2"}})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(GetString(Parse(put.body).json(), "metadata.creationTimestamp"), created);
  EXPECT_EQ(GetString(Parse(put.body).json(), "metadata.uid"), uid);

  HttpResponse conflict =
      Call("PUT", c, R"({"metadata":{"name":"c","uid":"other"},"data":{"a":"3"}})");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(GetString(Parse(conflict.body).json(), "message"),
            "Operation cannot be fulfilled on configmaps \"c\": Precondition failed: UID in "
            "precondition: other, UID in object meta: " +
                uid);
  ExpectInvalid(
      Merge(c, R"({"metadata":{"uid":"other"}})"), "", "ConfigMap", "c",
      {{"FieldValueInvalid", "metadata.uid", "Invalid value: \"other\": field is immutable"}});
  HttpResponse renamed = Merge(c, R"({"metadata":{"name":"d"}})");
  EXPECT_EQ(renamed.status, 400);
  EXPECT_EQ(GetString(Parse(renamed.body).json(), "message"),
            "the name of the object (d) does not match the name on the URL (c)");
  HttpResponse moved = Merge(c, R"({"metadata":{"namespace":"kube-system"}})");
  EXPECT_EQ(moved.status, 400);
  EXPECT_EQ(GetString(Parse(moved.body).json(), "message"),
            "the namespace of the object (kube-system) does not match the namespace on the "
            "request (default)");
  EXPECT_EQ(Get(c, "data.a"), "2");
}

// ---- The real kubectl against a kubesim process ----

using mlgitops::testing::RunCommand;
using mlgitops::testing::TempDir;

class KubesimImmutabilityKubectlTest
    : public testing::KubectlSuite<KubesimImmutabilityKubectlTest> {
 protected:
  /// `kubectl apply ARGS -f` of `yaml` (written to a file); output into *out.
  int Apply(const std::string& yaml, const std::string& args, std::string* out) {
    std::string file = dir_->Write("m" + std::to_string(++files_) + ".yaml", yaml);
    return Kubectl("apply " + args + " -f " + file, out);
  }

  std::string File(const std::string& yaml) {
    return dir_->Write("m" + std::to_string(++files_) + ".yaml", yaml);
  }
  int files_ = 0;
};

std::string JobYaml(const std::string& ns, const std::string& image) {
  return "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: train\n  namespace: " + ns +
         "\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n"
         "      - name: t\n        image: " +
         image + "\n";
}

const char kJobRefused[] =
    "The Job \"train\" is invalid: spec.template: Invalid value: core.PodTemplateSpec{...}: "
    "field is immutable\n";

// ValidateJobSpecUpdate through kubectl: client-side apply, server-side apply and a server dry
// run all fail (exit 1) with kubectl's rendering of the 422; `kubectl replace --force` deletes
// the Job and creates it again.
TEST_F(KubesimImmutabilityKubectlTest, RetrainingAJobNeedsReplaceForce) {
  std::string out;
  ASSERT_EQ(Kubectl("create namespace imm-job", &out), 0) << out;
  ASSERT_EQ(Apply(JobYaml("imm-job", "trainer:1"), "", &out), 0) << out;
  std::string uid;
  ASSERT_EQ(Kubectl("get job train -n imm-job -o jsonpath={.metadata.uid}", &uid), 0);
  EXPECT_EQ(Apply(JobYaml("imm-job", "trainer:2"), "", &out), 1);
  EXPECT_EQ(out, kJobRefused);
  EXPECT_EQ(Apply(JobYaml("imm-job", "trainer:2"), "--dry-run=server", &out), 1);
  EXPECT_EQ(out, kJobRefused);
  EXPECT_EQ(Apply(JobYaml("imm-job", "trainer:2"), "--server-side --force-conflicts", &out), 1);
  EXPECT_EQ(out, kJobRefused);

  std::string file = File(JobYaml("imm-job", "trainer:2"));
  ASSERT_EQ(Kubectl("replace --force -f " + file, &out), 0) << out;
  EXPECT_EQ(out, "job.batch \"train\" deleted\njob.batch/train replaced\n");
  std::string image;
  ASSERT_EQ(
      Kubectl("get job train -n imm-job -o jsonpath={.spec.template.spec.containers[0].image}",
              &image),
      0);
  EXPECT_EQ(image, "trainer:2");
  std::string new_uid;
  ASSERT_EQ(Kubectl("get job train -n imm-job -o jsonpath={.metadata.uid}", &new_uid), 0);
  EXPECT_NE(new_uid, uid);
}

// ValidateServiceUpdate, ValidateConfigMapUpdate, ValidateStatefulSetUpdate and
// ValidatePersistentVolumeClaimUpdate through `kubectl apply`.
TEST_F(KubesimImmutabilityKubectlTest, ApplyPrintsTheRealServersRefusals) {
  std::string out;
  ASSERT_EQ(Kubectl("create namespace imm-apply", &out), 0) << out;
  auto service = [](const std::string& ip) {
    return "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: imm-apply\n"
           "spec:\n  clusterIP: " +
           ip + "\n  ports:\n  - port: 80\n  selector:\n    app: web\n";
  };
  ASSERT_EQ(Apply(service("10.96.200.10"), "", &out), 0) << out;
  EXPECT_EQ(Apply(service("10.96.200.11"), "", &out), 1);
  EXPECT_EQ(out,
            "The Service \"web\" is invalid: spec.clusterIPs[0]: Invalid value: "
            "[]string{\"10.96.200.11\"}: may not change once set\n");

  auto config = [](const std::string& value) {
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: "
           "imm-apply\nimmutable: true\ndata:\n  a: \"" +
           value + "\"\n";
  };
  ASSERT_EQ(Apply(config("1"), "", &out), 0) << out;
  // Server-side apply over client-side apply's field: conflicts come first, so force them.
  EXPECT_EQ(Apply(config("2"), "--server-side --force-conflicts", &out), 1);
  EXPECT_EQ(out,
            "The ConfigMap \"settings\" is invalid: data: Forbidden: field is immutable when "
            "`immutable` is set\n");

  auto statefulset = [](const std::string& service_name) {
    return "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\n  namespace: "
           "imm-apply\nspec:\n  serviceName: " +
           service_name +
           "\n  selector:\n    matchLabels: {app: db}\n  template:\n    metadata:\n      labels: "
           "{app: db}\n    spec:\n      containers:\n      - name: c\n        image: pg\n";
  };
  ASSERT_EQ(Apply(statefulset("db"), "", &out), 0) << out;
  EXPECT_EQ(Apply(statefulset("db-headless"), "", &out), 1);
  EXPECT_EQ(out,
            "The StatefulSet \"db\" is invalid: spec: Forbidden: updates to statefulset spec for "
            "fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', "
            "'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
            "'minReadySeconds' are forbidden\n");

  auto claim = [](const std::string& mode) {
    return "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n  namespace: "
           "imm-apply\nspec:\n  accessModes: [" +
           mode + "]\n  resources:\n    requests:\n      storage: 1Gi\n";
  };
  ASSERT_EQ(Apply(claim("ReadWriteOnce"), "", &out), 0) << out;
  EXPECT_EQ(Apply(claim("ReadWriteMany"), "", &out), 1);
  EXPECT_EQ(out,
            "The PersistentVolumeClaim \"data\" is invalid: spec: Forbidden: spec is immutable "
            "after creation except resources.requests and volumeAttributesClassName for bound "
            "claims\n");
}

}  // namespace
}  // namespace mlgitops::kubesim
