// Server-side apply and managedFields bookkeeping, in process.
#include <gtest/gtest.h>

#include "kubesim/apply.h"
#include "kubesim/catalog.h"
#include "kubesim/field_set.h"
#include "kubesim/json_util.h"
#include "kubesim/managed_fields.h"
#include "kubesim/object_rules.h"
#include "kubesim_test_util.h"

namespace mlgitops::kubesim {
namespace {

constexpr auto Parse = testing::ParseOrFail;

class ServerSideApplyTest : public ::testing::Test {
 protected:
  ApplyResult Apply(const JsonValue& live, const std::string& config, const std::string& manager,
                    bool force = false) {
    ApplyParams params;
    params.manager = manager;
    params.force = force;
    params.api_version = "apps/v1";
    params.time = "2025-01-01T00:00:00Z";
    return ServerSideApply(live, Parse(config).json(), MergeSchema(type_), params);
  }

  ResourceType type_ = *Catalog().Find("apps", "v1", "deployments");
  Object empty_;
  const std::string config_ = R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"d","labels":{"a":"1","b":"2"}},
    "spec":{"replicas":2,"template":{"spec":{"containers":[
      {"name":"app","image":"x:1","env":[{"name":"E","value":"v"}]}]}}}})";
};

TEST_F(ServerSideApplyTest, CreatesWithTheAppliedFieldsOwnedByTheManager) {
  ApplyResult r = Apply(empty_.json(), config_, "ci");
  ASSERT_TRUE(r.conflicts.empty());
  auto entries = ReadManagedFields(r.object.json());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].manager, "ci");
  EXPECT_EQ(entries[0].operation, "Apply");
  auto paths = entries[0].fields.Paths();
  EXPECT_NE(std::find(paths.begin(), paths.end(), ".spec.replicas"), paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(),
                      R"(.spec.template.spec.containers[{"name":"app"}].image)"),
            paths.end());
  EXPECT_EQ(GetString(r.object.json(), "metadata.labels.b"), "2");
}

TEST_F(ServerSideApplyTest, ReapplyingTheSameConfigChangesNothing) {
  ApplyResult first = Apply(empty_.json(), config_, "ci");
  ApplyParams later;
  later.manager = "ci";
  later.api_version = "apps/v1";
  later.time = "2030-01-01T00:00:00Z";
  ApplyResult second =
      ServerSideApply(first.object.json(), Parse(config_).json(), MergeSchema(type_), later);
  EXPECT_TRUE(SameObject(first.object.json(), second.object.json()));
  EXPECT_EQ(ReadManagedFields(second.object.json())[0].time, "2025-01-01T00:00:00Z")
      << "a no-op apply keeps the entry's time";
}

TEST_F(ServerSideApplyTest, FieldsNoLongerAppliedAreRemovedUnlessSomeoneElseOwnsThem) {
  ApplyResult first = Apply(empty_.json(), config_, "ci");
  ApplyResult other = Apply(first.object.json(),
                            R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d",
                                "labels":{"b":"2"}}})",
                            "ops");
  ASSERT_TRUE(other.conflicts.empty()) << "same value: shared ownership, no conflict";
  ApplyResult shrunk = Apply(other.object.json(),
                             R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
                                 "spec":{"replicas":2,"template":{"spec":{"containers":[
                                   {"name":"app","image":"x:1"}]}}}})",
                             "ci");
  ASSERT_TRUE(shrunk.conflicts.empty());
  EXPECT_EQ(Find(shrunk.object.json(), "metadata.labels.a"), nullptr) << "only ci owned a";
  EXPECT_EQ(GetString(shrunk.object.json(), "metadata.labels.b"), "2") << "ops still owns b";
  const JsonValue& app = (*Find(shrunk.object.json(), "spec.template.spec.containers"))[0];
  EXPECT_FALSE(app.HasMember("env")) << "an emptied list goes with its last item";
}

TEST_F(ServerSideApplyTest, ChangingAnotherManagersFieldConflictsUnlessForced) {
  ApplyResult first = Apply(empty_.json(), config_, "ci");
  ApplyResult conflict =
      Apply(first.object.json(),
            R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
                                   "spec":{"replicas":5}})",
            "hpa");
  ASSERT_EQ(conflict.conflicts.size(), 1u);
  EXPECT_EQ(conflict.conflicts[0].field, ".spec.replicas");
  EXPECT_EQ(conflict.conflicts[0].message, "conflict with \"ci\": .spec.replicas");
  ApiError e = ApplyConflictError("apps", "deployments", "d", conflict.conflicts);
  EXPECT_EQ(e.code, 409);
  EXPECT_EQ(e.message, "Apply failed with 1 conflict: conflict with \"ci\": .spec.replicas");

  ApplyResult forced = Apply(first.object.json(),
                             R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
                                 "spec":{"replicas":5}})",
                             "hpa", true);
  ASSERT_TRUE(forced.conflicts.empty());
  EXPECT_EQ(GetInt(forced.object.json(), "spec.replicas").value_or(0), 5);
  for (const ManagedEntry& e : ReadManagedFields(forced.object.json())) {
    auto paths = e.fields.Paths();
    bool owns = std::find(paths.begin(), paths.end(), ".spec.replicas") != paths.end();
    EXPECT_EQ(owns, e.manager == "hpa") << e.manager;
  }
}

TEST_F(ServerSideApplyTest, PortsAreKeyedByNumberAndDefaultedProtocol) {
  const std::string config = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
    "spec":{"template":{"spec":{"containers":[{"name":"dns","ports":[
      {"containerPort":53},{"containerPort":53,"protocol":"UDP"}]}]}}}})";
  ApplyResult first = Apply(empty_.json(), config, "ci");
  auto paths = ReadManagedFields(first.object.json())[0].fields.Paths();
  EXPECT_NE(
      std::find(
          paths.begin(), paths.end(),
          R"(.spec.template.spec.containers[{"name":"dns"}].ports[{"containerPort":53,"protocol":"TCP"}])"),
      paths.end());
  // The server defaults protocol on the live object; re-applying must still match both ports.
  Object live = first.object.Clone();
  JsonValue& ports =
      (*FindMutable(live.mutable_json(), "spec.template.spec.containers"))[0]["ports"];
  SetString(ports[0], "protocol", "TCP", live.allocator());
  ApplyResult again = Apply(live.json(), config, "ci");
  EXPECT_EQ((*Find(again.object.json(), "spec.template.spec.containers"))[0]["ports"].Size(), 2u);
  EXPECT_TRUE(SameObject(live.json(), again.object.json()));
}

TEST_F(ServerSideApplyTest, KeylessItemsReplaceTheListInsteadOfGrowingIt) {
  const std::string config = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
    "spec":{"template":{"spec":{"containers":[{"image":"no-name"}]}}}})";
  ApplyResult first = Apply(empty_.json(), config, "ci");
  ApplyResult second = Apply(first.object.json(), config, "ci");
  EXPECT_EQ((*Find(second.object.json(), "spec.template.spec.containers")).Size(), 1u);
}

TEST(FieldSetTest, RoundTripsThroughFieldsV1) {
  Object fields = Parse(R"({"f:metadata":{"f:labels":{"f:app":{}}},
                            "f:spec":{"f:containers":{"k:{\"name\":\"a\"}":{".":{},"f:image":{}}}}})");
  FieldSet set = FieldSet::FromFieldsV1(fields.json());
  Object out;
  JsonValue v = set.ToFieldsV1(out.allocator());
  EXPECT_EQ(v, fields.json());
  EXPECT_EQ(set.Paths(),
            (std::vector<std::string>{".metadata.labels.app", R"(.spec.containers[{"name":"a"}])",
                                      R"(.spec.containers[{"name":"a"}].image)"}));
}

TEST(FieldSetTest, SetAlgebra) {
  Object a = Parse(R"({"f:a":{},"f:b":{"f:c":{},"f:d":{}}})");
  Object b = Parse(R"({"f:b":{"f:c":{}},"f:e":{}})");
  FieldSet x = FieldSet::FromFieldsV1(a.json());
  FieldSet y = FieldSet::FromFieldsV1(b.json());
  EXPECT_EQ(x.Minus(y).Paths(), (std::vector<std::string>{".a", ".b.d"}));
  EXPECT_EQ(x.Intersect(y).Paths(), (std::vector<std::string>{".b.c"}));
  EXPECT_EQ(x.Union(y).Paths().size(), 4u);
  EXPECT_TRUE(x.Minus(x).empty());
}

TEST(ManagedFieldsTest, UpdatesMoveOwnershipToTheWriter) {
  ResourceType type = *Catalog().Find("", "v1", "configmaps");
  MergeSchema schema(type);
  Object before = Parse(R"({"data":{"a":"1","b":"2"}})");
  Object after = Parse(R"({"data":{"a":"9","c":"3"}})");
  std::vector<ManagedEntry> entries;
  ManagedEntry creator{"creator", "Update", "v1", "t0", "", {}};
  RecordUpdate(&entries, creator, FieldSet::Of(before.json(), schema, false), FieldSet());
  ManagedEntry editor{"editor", "Update", "v1", "t1", "", {}};
  RecordUpdate(
      &entries, editor, FieldSet::Changed(before.json(), after.json(), schema, false),
      FieldSet::Of(before.json(), schema, false).Minus(FieldSet::Of(after.json(), schema, false)));
  ASSERT_EQ(entries.size(), 1u) << "creator lost a (changed) and b (removed)";
  EXPECT_EQ(entries[0].manager, "editor");
  EXPECT_EQ(entries[0].fields.Paths(), (std::vector<std::string>{".data.a", ".data.c"}));
  EXPECT_EQ(DefaultFieldManager("kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07"), "kubectl");
}

}  // namespace
}  // namespace mlgitops::kubesim
