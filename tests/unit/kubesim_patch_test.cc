// JSON merge patch, JSON patch and strategic merge patch as kube-apiserver applies them.
#include <gtest/gtest.h>

#include "kubesim/catalog.h"
#include "kubesim/json_util.h"
#include "kubesim/merge_schema.h"
#include "kubesim/patch.h"
#include "kubesim_test_util.h"

namespace mlgitops::kubesim {
namespace {

constexpr auto Parse = testing::ParseOrFail;

ResourceType DeploymentType() {
  Catalog catalog;
  return *catalog.Find("apps", "v1", "deployments");
}

struct PatchCase {
  const char* name;
  const char* target;
  const char* patch;
  const char* expected;
};

class MergePatchTest : public ::testing::TestWithParam<PatchCase> {};

TEST_P(MergePatchTest, ProducesTheExpectedDocument) {
  Object target = Parse(GetParam().target);
  Object patch = Parse(GetParam().patch);
  ApplyMergePatch(target.mutable_json(), patch.json(), target.allocator());
  EXPECT_EQ(target.json(), Parse(GetParam().expected).json()) << ToJson(target.json());
}

INSTANTIATE_TEST_SUITE_P(
    Rfc7386, MergePatchTest,
    ::testing::Values(PatchCase{"replace", R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
                      PatchCase{"add", R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
                      PatchCase{"null_removes", R"({"a":"b","b":"c"})", R"({"a":null})",
                                R"({"b":"c"})"},
                      PatchCase{"nested", R"({"a":{"b":"c","d":1}})", R"({"a":{"b":"x","d":null}})",
                                R"({"a":{"b":"x"}})"},
                      PatchCase{"lists_replace", R"({"a":[1,2]})", R"({"a":[3]})", R"({"a":[3]})"},
                      PatchCase{"new_object_drops_nulls", R"({})", R"({"a":{"b":null,"c":1}})",
                                R"({"a":{"c":1}})"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(JsonPatchTest, AppliesOperationsInOrder) {
  Object target = Parse(R"({"spec":{"replicas":1,"list":["a","c"]},"metadata":{}})");
  Object ops = Parse(R"([
    {"op":"replace","path":"/spec/replicas","value":3},
    {"op":"add","path":"/spec/list/1","value":"b"},
    {"op":"add","path":"/spec/list/-","value":"d"},
    {"op":"add","path":"/metadata/labels","value":{"x/y":"z"}},
    {"op":"copy","from":"/spec/replicas","path":"/spec/copied"},
    {"op":"move","from":"/spec/copied","path":"/spec/moved"},
    {"op":"remove","path":"/spec/list/0"},
    {"op":"test","path":"/metadata/labels/x~1y","value":"z"}])");
  ASSERT_TRUE(ApplyJsonPatch(target.mutable_json(), ops.json(), target.allocator()).ok());
  EXPECT_EQ(target.json(), Parse(R"({"spec":{"replicas":3,"list":["b","c","d"],"moved":3},
                      "metadata":{"labels":{"x/y":"z"}}})")
                               .json())
      << ToJson(target.json());
}

TEST(JsonPatchTest, ReportsMissingPathsAndFailedTests) {
  Object target = Parse(R"({"a":1})");
  EXPECT_FALSE(ApplyJsonPatch(target.mutable_json(),
                              Parse(R"([{"op":"remove","path":"/b"}])").json(), target.allocator())
                   .ok());
  EXPECT_FALSE(ApplyJsonPatch(target.mutable_json(),
                              Parse(R"([{"op":"replace","path":"/x/y","value":1}])").json(),
                              target.allocator())
                   .ok());
  Status failed =
      ApplyJsonPatch(target.mutable_json(),
                     Parse(R"([{"op":"test","path":"/a","value":2}])").json(), target.allocator());
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find("test failed"), std::string::npos);
  EXPECT_FALSE(
      ApplyJsonPatch(target.mutable_json(), Parse(R"({"op":"add"})").json(), target.allocator())
          .ok());
}

class StrategicMergeTest : public ::testing::Test {
 protected:
  Object Patch(const std::string& target, const std::string& patch) {
    Object t = Parse(target);
    Status s = ApplyStrategicMergePatch(t.mutable_json(), Parse(patch).json(), MergeSchema(type_),
                                        t.allocator());
    EXPECT_TRUE(s.ok()) << s.message();
    return t;
  }
  ResourceType type_ = DeploymentType();
};

TEST_F(StrategicMergeTest, ContainersMergeByNameAndKeepUnmentionedOnes) {
  Object out = Patch(
      R"({"spec":{"template":{"spec":{"containers":[
           {"name":"app","image":"a:1","env":[{"name":"A","value":"1"}]},
           {"name":"sidecar","image":"s:1"}]}}}})",
      R"({"spec":{"template":{"spec":{"containers":[
           {"name":"app","image":"a:2","env":[{"name":"B","value":"2"}]}]}}}})");
  const JsonValue& containers = *Find(out.json(), "spec.template.spec.containers");
  ASSERT_EQ(containers.Size(), 2u);
  EXPECT_EQ(GetString(containers[0], "image"), "a:2");
  EXPECT_EQ(containers[0]["env"].Size(), 2u) << "env merges by name too";
  EXPECT_EQ(GetString(containers[1], "image"), "s:1");
}

TEST_F(StrategicMergeTest, PortsMergeByPortNumberAndVolumeMountsByPath) {
  Object out = Patch(
      R"({"spec":{"template":{"spec":{"containers":[{"name":"app",
           "ports":[{"containerPort":80,"name":"http"}],
           "volumeMounts":[{"mountPath":"/data","name":"d"}]}]}}}})",
      R"({"spec":{"template":{"spec":{"containers":[{"name":"app",
           "ports":[{"containerPort":80,"name":"web"},{"containerPort":9090}],
           "volumeMounts":[{"mountPath":"/cache","name":"c"}]}]}}}})");
  const JsonValue& app = (*Find(out.json(), "spec.template.spec.containers"))[0];
  ASSERT_EQ(app["ports"].Size(), 2u);
  EXPECT_EQ(GetString(app["ports"][0], "name"), "web");
  EXPECT_EQ(app["volumeMounts"].Size(), 2u);
}

TEST_F(StrategicMergeTest, DirectivesDeleteReplaceAndRetainKeys) {
  Object deleted =
      Patch(R"({"spec":{"template":{"spec":{"containers":[{"name":"a"},{"name":"b"}]}}}})",
            R"({"spec":{"template":{"spec":{"containers":[
                              {"name":"a","$patch":"delete"}]}}}})");
  ASSERT_EQ((*Find(deleted.json(), "spec.template.spec.containers")).Size(), 1u);
  EXPECT_EQ(GetString((*Find(deleted.json(), "spec.template.spec.containers"))[0], "name"), "b");

  Object replaced = Patch(R"({"spec":{"selector":{"matchLabels":{"a":"1","b":"2"}}}})",
                          R"({"spec":{"selector":{"matchLabels":{"$patch":"replace","c":"3"}}}})");
  EXPECT_EQ(*Find(replaced.json(), "spec.selector.matchLabels"), Parse(R"({"c":"3"})").json());

  Object retained = Patch(R"({"spec":{"strategy":{"type":"RollingUpdate",
                              "rollingUpdate":{"maxSurge":1}}}})",
                          R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}})");
  EXPECT_EQ(*Find(retained.json(), "spec.strategy"), Parse(R"({"type":"Recreate"})").json());

  Object finalizers = Patch(R"({"metadata":{"finalizers":["a","b"]}})",
                            R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"],
                                 "$setElementOrder/finalizers":["b"]}})");
  EXPECT_EQ(*Find(finalizers.json(), "metadata.finalizers"), Parse(R"(["b"])").json());
}

TEST_F(StrategicMergeTest, ListsWithoutMergeKeysAreReplaced) {
  Object out =
      Patch(R"({"spec":{"template":{"spec":{"containers":[{"name":"a","args":["x","y"]}]}}}})",
            R"({"spec":{"template":{"spec":{"containers":[{"name":"a","args":["z"]}]}}}})");
  EXPECT_EQ((*Find(out.json(), "spec.template.spec.containers"))[0]["args"],
            Parse(R"(["z"])").json());
}

TEST_F(StrategicMergeTest, ItemsWithoutTheirMergeKeyAreRejected) {
  Object t = Parse(R"({"spec":{"template":{"spec":{"containers":[{"name":"a"}]}}}})");
  Status s = ApplyStrategicMergePatch(
      t.mutable_json(),
      Parse(R"({"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}})").json(),
      MergeSchema(type_), t.allocator());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("does not contain declared merge key: name"), std::string::npos);
}

}  // namespace
}  // namespace mlgitops::kubesim
