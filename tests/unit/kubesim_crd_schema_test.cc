// Custom resources checked against their CRD as apiextensions-apiserver checks them: structural
// schema rules on the CRD, pruning, defaulting, OpenAPI value validation, list types,
// x-kubernetes-validations (CEL), fieldValidation, scale and multiple versions; and webhook
// matchConditions. In process for the exact bodies, then with the real kubectl.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "kubesim/api_server.h"
#include "kubesim/json_util.h"
#include "kubesim/launcher.h"
#include "kubesim/request_info.h"
#include "kubesim_test_util.h"
#include "object/clock.h"
#include "test_util.h"

namespace mlgitops::kubesim {
namespace {

using mlgitops::testing::RunCommand;
using mlgitops::testing::TempDir;
using testing::ParseOrFail;

// A CRD exercising the schema features kubesim validates.
const char kWidgetCrd[] = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.ml.io}
spec:
  group: ml.io
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: string, enum: [small, large]}
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas,
              labelSelectorPath: .status.selector}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [mode]
            x-kubernetes-validations:
            - rule: "!has(self.maxReplicas) || self.replicas <= self.maxReplicas"
              message: replicas must not exceed maxReplicas
              fieldPath: .replicas
            properties:
              mode:
                type: string
                enum: [Auto, Manual]
                x-kubernetes-validations:
                - {rule: self == oldSelf, message: mode is immutable}
              replicas: {type: integer, minimum: 0, maximum: 10, default: 1}
              maxReplicas: {type: integer}
              name: {type: string, pattern: '^[a-z]+$', maxLength: 8, minLength: 2}
              ratio: {type: number, exclusiveMaximum: true, maximum: 1}
              port: {x-kubernetes-int-or-string: true}
              tags:
                type: array
                maxItems: 3
                x-kubernetes-list-type: set
                items: {type: string}
              hosts:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    ip: {type: string, nullable: true}
              labels:
                type: object
                additionalProperties: {type: string}
              extra:
                type: object
                x-kubernetes-preserve-unknown-fields: true
              template:
                type: object
                x-kubernetes-embedded-resource: true
                x-kubernetes-preserve-unknown-fields: true
          status:
            type: object
            properties:
              replicas: {type: integer}
              selector: {type: string}
)";

// ---------- in process ----------

class CrdSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpResponse crd = Call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                            kWidgetCrd, "application/yaml");
    ASSERT_EQ(crd.status, 201) << crd.body;
  }

  HttpResponse Call(const std::string& method, const std::string& path,
                    const std::string& body = "",
                    const std::string& content_type = "application/json") {
    return testing::CallInProcess(server_, method, path, body, content_type);
  }

  HttpResponse Create(const std::string& spec, const std::string& query = "") {
    return Call(
        "POST", "/apis/ml.io/v1/namespaces/default/widgets" + query,
        R"({"apiVersion":"ml.io/v1","kind":"Widget","metadata":{"name":"w"},"spec":)" + spec + "}");
  }

  static std::string Message(const HttpResponse& r) {
    return GetString(ParseOrFail(r.body).json(), "message");
  }

  static std::string Warnings(const HttpResponse& r) {
    std::string out;
    for (const auto& [name, value] : r.headers) {
      if (name == "Warning") out += value + "\n";
    }
    return out;
  }

  FixedClock clock_{1700000000};
  ApiServer server_{&clock_};
};

TEST_F(CrdSchemaTest, TypeErrorsUseKubeOpenApisWording) {
  // kube-openapi InvalidTypeCode → field.TypeInvalid with the JSON type as the value.
  HttpResponse r = Create(R"({"mode":"Auto","replicas":"three"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(Message(r),
            "Widget.ml.io \"w\" is invalid: [spec.replicas: Invalid value: \"string\": "
            "spec.replicas in body must be of type integer: \"string\", <nil>: Invalid value: "
            "\"null\": some validation rules were not checked because the object was invalid; "
            "correct the existing errors to complete validation]");
  Object status = ParseOrFail(r.body);
  EXPECT_EQ(GetString(status.json()["details"]["causes"][0], "reason"), "FieldValueTypeInvalid");
  EXPECT_EQ(GetString(status.json()["details"]["causes"][0], "field"), "spec.replicas");
}

struct ValueCase {
  const char* spec;
  const char* message;  // the Status message after `Widget.ml.io "w" is invalid: `
};

class CrdValueValidationTest : public CrdSchemaTest,
                               public ::testing::WithParamInterface<ValueCase> {};

TEST_P(CrdValueValidationTest, RefusesWithTheApiServersMessage) {
  HttpResponse r = Create(GetParam().spec);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(Message(r), std::string("Widget.ml.io \"w\" is invalid: ") + GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    OpenApiRules, CrdValueValidationTest,
    ::testing::Values(
        // required → field.Required
        ValueCase{R"({})", "spec.mode: Required value"},
        ValueCase{R"({"mode":"Sometimes"})",  // enum → field.NotSupported (blocks CEL)
                  "[spec.mode: Unsupported value: \"Sometimes\": supported values: \"Auto\", "
                  "\"Manual\", <nil>: Invalid value: \"null\": some validation rules were not "
                  "checked because the object was invalid; correct the existing errors to "
                  "complete validation]"},
        ValueCase{R"({"mode":"Auto","replicas":11})",
                  "spec.replicas: Invalid value: 11: spec.replicas in body should be less than "
                  "or equal to 10"},
        ValueCase{R"({"mode":"Auto","replicas":-1})",
                  "spec.replicas: Invalid value: -1: spec.replicas in body should be greater "
                  "than or equal to 0"},
        ValueCase{R"({"mode":"Auto","ratio":1})",
                  "spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1"},
        ValueCase{R"({"mode":"Auto","name":"Bad1"})",
                  "spec.name: Invalid value: \"Bad1\": spec.name in body should match "
                  "'^[a-z]+$'"},
        ValueCase{R"({"mode":"Auto","name":"abcdefghij"})",
                  "spec.name: Too long: may not be more than 8 bytes"},
        ValueCase{R"({"mode":"Auto","name":"a"})",
                  "spec.name: Invalid value: \"a\": spec.name in body should be at least 2 chars "
                  "long"},
        ValueCase{R"({"mode":"Auto","tags":["a","b","c","d"]})",
                  "spec.tags: Too many: 4: must have at most 3 items"},
        // x-kubernetes-list-type set / map: duplicates (pkg/apiserver/schema/listtype).
        ValueCase{R"({"mode":"Auto","tags":["a","a"]})", "spec.tags[1]: Duplicate value: \"a\""},
        ValueCase{R"({"mode":"Auto","hosts":[{"name":"x"},{"name":"x","ip":"1"}]})",
                  "spec.hosts[1]: Duplicate value: map[string]interface {}{\"name\":\"x\"}"},
        ValueCase{R"({"mode":"Auto","labels":{"a":1}})",
                  "[spec.labels.a: Invalid value: \"integer\": spec.labels.a in body must be of "
                  "type string: \"integer\", <nil>: Invalid value: \"null\": some validation "
                  "rules were not checked because the object was invalid; correct the existing "
                  "errors to complete validation]"},
        ValueCase{R"({"mode":"Auto","port":true})",
                  "[spec.port: Invalid value: \"boolean\": spec.port in body must be of type "
                  "integer,string: \"boolean\", <nil>: Invalid value: \"null\": some validation "
                  "rules were not checked because the object was invalid; correct the existing "
                  "errors to complete validation]"},
        ValueCase{R"({"mode":"Auto","template":{"spec":{}}})",
                  "[spec.template.apiVersion: Required value: must not be empty, "
                  "spec.template.kind: Required value: must not be empty]"},
        // x-kubernetes-validations: message and fieldPath of a failing rule.
        ValueCase{R"({"mode":"Auto","replicas":5,"maxReplicas":3})",
                  "spec.replicas: Invalid value: replicas must not exceed maxReplicas"}));

TEST_F(CrdSchemaTest, IntOrStringNullableAndPreservedFieldsAreAccepted) {
  HttpResponse ok = Create(
      R"({"mode":"Auto","port":"http","hosts":[{"name":"a","ip":null}],
          "extra":{"anything":{"goes":[1]}},
          "template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"x":1}}})");
  ASSERT_EQ(ok.status, 201) << ok.body;
  Object w = ParseOrFail(ok.body);
  EXPECT_EQ(ToJson(*Find(w.json(), "spec.extra")), R"({"anything":{"goes":[1]}})");
  EXPECT_EQ(GetString(w.json(), "spec.template.kind"), "Pod");
}

TEST_F(CrdSchemaTest, DefaultsAreAppliedAndUnknownFieldsPrunedWithAWarning) {
  // Structural defaulting fills spec.replicas; pruning drops spec.colour (fieldValidation
  // defaults to Warn: the field is dropped and named in a Warning header).
  HttpResponse r = Create(R"({"mode":"Auto","colour":"blue","hosts":[{"name":"a","port":1}]})");
  ASSERT_EQ(r.status, 201) << r.body;
  Object w = ParseOrFail(r.body);
  EXPECT_EQ(GetInt(w.json(), "spec.replicas"), 1);
  EXPECT_EQ(Find(w.json(), "spec.colour"), nullptr);
  EXPECT_EQ(ToJson(*Find(w.json(), "spec.hosts")), R"([{"name":"a"}])");
  EXPECT_EQ(Warnings(r),
            "299 - \"unknown field \\\"spec.colour\\\"\"\n"
            "299 - \"unknown field \\\"spec.hosts[0].port\\\"\"\n");
}

TEST_F(CrdSchemaTest, DefaultsAddedToTheCrdLaterShowOnReads) {
  // Structural defaulting also runs when objects are read from storage.
  ASSERT_EQ(Create(R"({"mode":"Auto"})").status, 201);
  std::string crd_path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.ml.io";
  HttpResponse patched = Call(
      "PATCH", crd_path,
      R"([{"op":"add","path":"/spec/versions/1/schema/openAPIV3Schema/properties/spec/properties/name/default","value":"abc"}])",
      "application/json-patch+json");
  ASSERT_EQ(patched.status, 200) << patched.body;
  Object w = ParseOrFail(Call("GET", "/apis/ml.io/v1/namespaces/default/widgets/w").body);
  EXPECT_EQ(GetString(w.json(), "spec.name"), "abc");
}

TEST_F(CrdSchemaTest, StrictFieldValidationRefusesUnknownFields) {
  HttpResponse r = Create(R"({"mode":"Auto","colour":"blue"})", "?fieldValidation=Strict");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Message(r),
            "Widget in version \"v1\" cannot be handled as a Widget: strict decoding error: "
            "unknown field \"spec.colour\"");
  HttpResponse ignored = Create(R"({"mode":"Auto","colour":"blue"})", "?fieldValidation=Ignore");
  EXPECT_EQ(ignored.status, 201);
  EXPECT_EQ(Warnings(ignored), "");
}

TEST_F(CrdSchemaTest, EveryWritePathIsValidated) {
  ASSERT_EQ(Create(R"({"mode":"Auto"})").status, 201);
  const std::string path = "/apis/ml.io/v1/namespaces/default/widgets/w";
  // Merge patch, JSON patch, server-side apply, PUT and /status all go through the schema.
  EXPECT_EQ(
      Call("PATCH", path, R"({"spec":{"replicas":"x"}})", "application/merge-patch+json").status,
      422);
  EXPECT_EQ(Call("PATCH", path, R"([{"op":"replace","path":"/spec/replicas","value":99}])",
                 "application/json-patch+json")
                .status,
            422);
  HttpResponse applied =
      Call("PATCH", path + "?fieldManager=test&force=true",
           "apiVersion: ml.io/v1\nkind: Widget\nmetadata: {name: w}\nspec: {mode: Auto, "
           "replicas: 12}\n",
           "application/apply-patch+yaml");
  EXPECT_EQ(applied.status, 422) << applied.body;
  HttpResponse unknown =
      Call("PATCH", path + "?fieldManager=test",
           "apiVersion: ml.io/v1\nkind: Widget\nmetadata: {name: w}\nspec: {mode: Auto, "
           "colour: red}\n",
           "application/apply-patch+yaml");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(Message(unknown),
            "failed to create typed patch object (ml.io/v1, Kind=Widget): .spec.colour: field "
            "not declared in schema");
  HttpResponse status = Call("PATCH", path + "/status", R"({"status":{"replicas":"many"}})",
                             "application/merge-patch+json");
  EXPECT_EQ(status.status, 422);
  EXPECT_NE(Message(status).find("status.replicas in body must be of type integer"),
            std::string::npos)
      << status.body;
}

TEST_F(CrdSchemaTest, TransitionRuleKeepsAFieldImmutable) {
  // x-kubernetes-validations `self == oldSelf`: evaluated on update only, against the old value.
  ASSERT_EQ(Create(R"({"mode":"Auto"})").status, 201);
  HttpResponse r = Call("PATCH", "/apis/ml.io/v1/namespaces/default/widgets/w",
                        R"({"spec":{"mode":"Manual"}})", "application/merge-patch+json");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(Message(r),
            "Widget.ml.io \"w\" is invalid: spec.mode: Invalid value: \"Manual\": mode is "
            "immutable");
  EXPECT_EQ(Call("PATCH", "/apis/ml.io/v1/namespaces/default/widgets/w",
                 R"({"spec":{"replicas":4}})", "application/merge-patch+json")
                .status,
            200);
}

TEST_F(CrdSchemaTest, WritesThroughAVersionUseThatVersionsSchema) {
  // None conversion: a v1beta1 write is checked by the v1beta1 schema and only apiVersion changes.
  HttpResponse beta = Call("POST", "/apis/ml.io/v1beta1/namespaces/default/widgets",
                           R"({"metadata":{"name":"b"},"spec":{"size":"medium"}})");
  EXPECT_EQ(beta.status, 422);
  EXPECT_NE(Message(beta).find("spec.size: Unsupported value: \"medium\": supported values: "
                               "\"small\", \"large\""),
            std::string::npos)
      << beta.body;
  ASSERT_EQ(Call("POST", "/apis/ml.io/v1beta1/namespaces/default/widgets",
                 R"({"metadata":{"name":"b"},"spec":{"size":"small"}})")
                .status,
            201);
  HttpResponse as_v1 = Call("GET", "/apis/ml.io/v1/namespaces/default/widgets/b");
  EXPECT_EQ(GetString(ParseOrFail(as_v1.body).json(), "apiVersion"), "ml.io/v1");
  HttpResponse crd = Call("GET",
                          "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                          "widgets.ml.io");
  EXPECT_EQ(ToJson(*Find(ParseOrFail(crd.body).json(), "status.storedVersions")), R"(["v1"])");
}

TEST_F(CrdSchemaTest, ScaleSubresourceFollowsTheCrdsPaths) {
  ASSERT_EQ(Create(R"({"mode":"Auto","replicas":2})").status, 201);
  const std::string scale = "/apis/ml.io/v1/namespaces/default/widgets/w/scale";
  Object got = ParseOrFail(Call("GET", scale).body);
  EXPECT_EQ(GetString(got.json(), "apiVersion"), "autoscaling/v1");
  EXPECT_EQ(GetInt(got.json(), "spec.replicas"), 2);
  EXPECT_EQ(GetInt(got.json(), "status.replicas"), 0);
  HttpResponse put =
      Call("PATCH", scale, R"({"spec":{"replicas":7}})", "application/merge-patch+json");
  ASSERT_EQ(put.status, 200) << put.body;
  Object w = ParseOrFail(Call("GET", "/apis/ml.io/v1/namespaces/default/widgets/w").body);
  EXPECT_EQ(GetInt(w.json(), "spec.replicas"), 7);
  // The schema still applies to scale writes: maximum 10.
  EXPECT_EQ(
      Call("PATCH", scale, R"({"spec":{"replicas":70}})", "application/merge-patch+json").status,
      422);
}

struct CrdCase {
  const char* version_yaml;  // replaces the versions list
  const char* cause;         // expected in the 422 message
};

class CrdStructuralTest : public ::testing::TestWithParam<CrdCase> {
 protected:
  FixedClock clock_{1700000000};
  ApiServer server_{&clock_};
};

TEST_P(CrdStructuralTest, RefusesNonStructuralOrUnsupportedCrds) {
  std::string crd = std::string(R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.ml.io}
spec:
  group: ml.io
  scope: Namespaced
  names: {plural: gadgets, kind: Gadget}
)") + GetParam().version_yaml;
  HttpRequest request;
  request.method = "POST";
  request.path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
  request.body = crd;
  request.content_type = "application/yaml";
  HttpResponse r = server_.Handle(request, ParseRequestInfo("POST", request.path, false));
  EXPECT_EQ(r.status, 422) << r.body;
  std::string message = GetString(ParseOrFail(r.body).json(), "message");
  EXPECT_NE(message.find(GetParam().cause), std::string::npos) << message;
  EXPECT_EQ(message.rfind("CustomResourceDefinition.apiextensions.k8s.io \"gadgets.ml.io\" is "
                          "invalid: ",
                          0),
            0u)
      << message;
}

INSTANTIATE_TEST_SUITE_P(
    StructuralSchema, CrdStructuralTest,
    ::testing::Values(
        CrdCase{"  versions: [{name: v1, served: true, storage: true}]\n",
                "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required"},
        CrdCase{"  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: "
                "{type: object, properties: {spec: {properties: {a: {type: string}}}}}}}]\n",
                "spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: "
                "must not be empty for specified object fields"},
        CrdCase{"  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: "
                "{type: object, properties: {spec: {type: object, properties: {a: {type: "
                "string}}, additionalProperties: {type: string}}}}}}]\n",
                "properties[spec].additionalProperties: Forbidden: additionalProperties and "
                "properties are mutual exclusive"},
        CrdCase{"  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: "
                "{type: object, properties: {metadata: {type: object, properties: {labels: "
                "{type: object}}}}}}}]\n",
                "properties[metadata]: Forbidden: must not specify anything other than name and "
                "generateName, but metadata is implicitly specified"},
        CrdCase{"  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: "
                "{type: object, properties: {n: {type: integer, default: many}}}}}]\n",
                "properties[n].default: Invalid value: \"string\": . in body must be of type "
                "integer: \"string\""},
        CrdCase{"  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: "
                "{type: object, properties: {p: {type: string, x-kubernetes-int-or-string: "
                "true}}}}}]\n",
                "properties[p].type: Invalid value: \"string\": must be empty if "
                "x-kubernetes-int-or-string is true"},
        CrdCase{"  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: "
                "{type: object, x-kubernetes-validations: [{rule: \"self.x.isQuantity()\"}]}}}]\n",
                "x-kubernetes-validations[0].rule: Invalid value: "
                "apiextensions.ValidationRule{Rule:\"self.x.isQuantity()\""},
        CrdCase{"  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: "
                "{type: object, properties: {l: {type: array, items: {type: string, "
                "x-kubernetes-validations: [{rule: \"self == oldSelf\"}]}}}}}}]\n",
                "oldSelf cannot be used on the uncorrelatable portion of the schema"},
        CrdCase{"  versions:\n  - {name: v1, served: true, storage: true, schema: "
                "{openAPIV3Schema: {type: object}}}\n  conversion: {strategy: Webhook}\n",
                "spec.conversion.strategy: Forbidden: kubesim does not call conversion webhooks"},
        CrdCase{"  versions:\n  - {name: v1, served: true, storage: true, schema: "
                "{openAPIV3Schema: {type: object}}}\n  - {name: v2, served: true, storage: true, "
                "schema: {openAPIV3Schema: {type: object}}}\n",
                "must have exactly one version marked as storage version"},
        CrdCase{"  versions: [{name: v1, served: true, storage: true, subresources: {scale: "
                "{specReplicasPath: .replicas, statusReplicasPath: .status.replicas}}, schema: "
                "{openAPIV3Schema: {type: object}}}]\n",
                "subresources.scale.specReplicasPath: Invalid value: \".replicas\": should be a "
                "json path under .spec"}));

// Junctions hold value validations only (apiextensions validateNestedValueValidation) and every
// property they name must be in the structural part too (validateStructuralCompleteness).
INSTANTIATE_TEST_SUITE_P(
    JunctionSchema, CrdStructuralTest,
    ::testing::Values(
        CrdCase{"  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: "
                "{type: object, properties: {a: {type: string}}, anyOf: [{properties: {a: "
                "{type: string}}}]}}}]\n",
                "openAPIV3Schema.anyOf[0].properties[a].type: Forbidden: must be empty to be "
                "structural"},
        CrdCase{"  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: "
                "{type: object, properties: {a: {type: string}}, oneOf: [{required: [a], "
                "nullable: true}]}}}]\n",
                "openAPIV3Schema.oneOf[0].nullable: Forbidden: must be false to be structural"},
        CrdCase{"  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: "
                "{type: object, properties: {a: {type: string}}, not: {properties: {b: "
                "{pattern: x}}}}}}]\n",
                "spec.versions[0].schema.openAPIV3Schema.properties[b]: Required value: because "
                "it is defined in spec.versions[0].schema.openAPIV3Schema.not.properties[b]"},
        CrdCase{"  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: "
                "{type: object, allOf: [{properties: {metadata: {required: [name]}}}]}}}]\n",
                "openAPIV3Schema.allOf[0].properties[metadata]: Forbidden: must not be specified "
                "in a nested context"}));

// allOf / anyOf / oneOf / not are evaluated as kube-openapi's schemaPropsValidator does; a
// failed junction is a composite error apiextensions reports at "<nil>".
class CrdJunctionTest : public CrdSchemaTest {
 protected:
  void SetUp() override {
    HttpResponse crd = Call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                            R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: snapshots.ml.io}
spec:
  group: ml.io
  scope: Namespaced
  names: {plural: snapshots, kind: Snapshot}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              source:
                type: object
                properties:
                  claim: {type: string}
                  content: {type: string}
                oneOf:
                - required: [claim]
                - required: [content]
              retention:
                type: object
                properties:
                  days: {type: integer}
                  forever: {type: boolean}
                anyOf:
                - required: [days]
                - required: [forever]
              tier:
                type: string
                allOf:
                - {minLength: 2}
                - {pattern: '^[a-z]+$'}
                not: {enum: [root]}
)",
                            "application/yaml");
    ASSERT_EQ(crd.status, 201) << crd.body;
  }

  HttpResponse CreateSnapshot(const std::string& spec) {
    return Call("POST", "/apis/ml.io/v1/namespaces/default/snapshots",
                R"({"apiVersion":"ml.io/v1","kind":"Snapshot","metadata":{"name":"s"},"spec":)" +
                    spec + "}");
  }
};

TEST_F(CrdJunctionTest, ValuesSatisfyingEveryJunctionAreAccepted) {
  HttpResponse r = CreateSnapshot(
      R"({"source":{"claim":"data"},"retention":{"days":3,"forever":false},"tier":"gold"})");
  EXPECT_EQ(r.status, 201) << r.body;
}

TEST_F(CrdJunctionTest, OneOfWithTwoValidAlternativesIsRefused) {
  HttpResponse r = CreateSnapshot(R"({"source":{"claim":"a","content":"b"}})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(Message(r),
            "Snapshot.ml.io \"s\" is invalid: <nil>: Invalid value: \"\": \"spec.source\" must "
            "validate one and only one schema (oneOf). Found 2 valid alternatives");
}

TEST_F(CrdJunctionTest, OneOfWithNoValidAlternativeNamesTheClosestBranch) {
  HttpResponse r = CreateSnapshot(R"({"source":{}})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(Message(r),
            "Snapshot.ml.io \"s\" is invalid: [<nil>: Invalid value: \"\": \"spec.source\" must "
            "validate one and only one schema (oneOf). Found none valid, spec.source.claim: "
            "Required value]");
}

TEST_F(CrdJunctionTest, AnyOfWithNoValidBranchIsRefused) {
  HttpResponse r = CreateSnapshot(R"({"retention":{}})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(Message(r),
            "Snapshot.ml.io \"s\" is invalid: [<nil>: Invalid value: \"\": \"spec.retention\" "
            "must validate at least one schema (anyOf), spec.retention.days: Required value]");
}

TEST_F(CrdJunctionTest, AllOfReportsEachFailingBranchAndNotRefusesAMatch) {
  HttpResponse partly = CreateSnapshot(R"({"tier":"G"})");
  EXPECT_EQ(partly.status, 422) << partly.body;
  EXPECT_EQ(Message(partly),
            "Snapshot.ml.io \"s\" is invalid: [spec.tier: Invalid value: \"G\": spec.tier in body "
            "should be at least 2 chars long, spec.tier: Invalid value: \"G\": spec.tier in body "
            "should match '^[a-z]+$', <nil>: Invalid value: \"\": \"spec.tier\" must validate all "
            "the schemas (allOf). None validated]");
  HttpResponse root = CreateSnapshot(R"({"tier":"root"})");
  EXPECT_EQ(root.status, 422) << root.body;
  EXPECT_EQ(Message(root),
            "Snapshot.ml.io \"s\" is invalid: <nil>: Invalid value: \"\": \"spec.tier\" must not "
            "validate the schema (not)");
}

// The CRDs the product ships and its tests apply are structural and accepted as on a real
// cluster (apiextensions ValidateCustomResourceDefinition).
TEST_F(CrdSchemaTest, ProductAndFixtureCrdsAreValidStructuralSchemas) {
  for (const char* file :
       {"/manifests/crds/application.yaml", "/tests/fixtures/kubesim/ml-crds.yaml"}) {
    std::string all = mlgitops::testing::ReadFile(mlgitops::testing::SourceDir() + file);
    size_t start = 0;
    int created = 0;
    while (start < all.size()) {
      size_t end = all.find("\n---", start);
      std::string doc =
          all.substr(start, end == std::string::npos ? std::string::npos : end - start);
      start = end == std::string::npos ? all.size() : end + 4;
      if (doc.find("kind: CustomResourceDefinition") == std::string::npos) continue;
      HttpResponse r = Call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", doc,
                            "application/yaml");
      EXPECT_EQ(r.status, 201) << file << ": " << r.body;
      ++created;
    }
    EXPECT_GT(created, 0) << file;
  }
  // An Application keeps its free-form spec (preserve-unknown-fields) through pruning.
  HttpResponse app =
      Call("POST", "/apis/mlgitops.io/v1alpha1/namespaces/default/applications",
           R"({"metadata":{"name":"a"},"spec":{"source":{"path":"x"},"anything":1}})");
  ASSERT_EQ(app.status, 201) << app.body;
  EXPECT_EQ(GetString(ParseOrFail(app.body).json(), "spec.source.path"), "x");
  EXPECT_EQ(Warnings(app), "");
}

// ---------- webhook matchConditions ----------

// The project's own ValidatingWebhookConfiguration (manifests/webhook/base/webhooks.yaml).
std::string ProjectValidatingWebhook() {
  std::string all = mlgitops::testing::ReadFile(mlgitops::testing::SourceDir() +
                                                "/manifests/webhook/base/webhooks.yaml");
  size_t at = all.find("kind: ValidatingWebhookConfiguration");
  size_t start = all.rfind("apiVersion:", at);
  size_t end = all.find("\n---", at);
  return all.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

class MatchConditionsTest : public CrdSchemaTest {};

TEST_F(MatchConditionsTest, ProjectManifestSkipsControllerChurnAndCallsTheWebhookOtherwise) {
  // The webhook's Service does not exist in kubesim, so a call fails (failurePolicy Fail):
  // a 500 proves the webhook was called, a 201 that matchConditions skipped it.
  HttpResponse config =
      Call("POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
           ProjectValidatingWebhook(), "application/yaml");
  ASSERT_EQ(config.status, 201) << config.body;
  HttpResponse pod = Call("POST", "/api/v1/namespaces/default/pods",
                          R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c",
                              "image":"busybox"}]}})");
  EXPECT_EQ(pod.status, 201) << "pods are excluded by not-controller-churn: " << pod.body;
  HttpResponse cm =
      Call("POST", "/api/v1/namespaces/default/configmaps", R"({"metadata":{"name":"c"}})");
  EXPECT_EQ(cm.status, 500) << cm.body;
  EXPECT_NE(Message(cm).find("failed calling webhook \"validate.mlgitops.io\""), std::string::npos)
      << cm.body;
}

TEST_F(MatchConditionsTest, EvaluationErrorsFollowTheFailurePolicy) {
  // matchconditions.Matcher: an error without a false condition refuses the request (403)
  // under Fail and skips the webhook under Ignore.
  auto config = [](const std::string& name, const std::string& policy) {
    return R"({"metadata":{"name":")" + name + R"("},"webhooks":[{"name":")" + name +
           R"(.test.io","clientConfig":{"url":"https://127.0.0.1:1/"},"failurePolicy":")" + policy +
           R"(","sideEffects":"None","admissionReviewVersions":["v1"],
              "rules":[{"operations":["CREATE"],"apiGroups":[""],"apiVersions":["v1"],
                        "resources":["configmaps"]}],
              "matchConditions":[{"name":"labelled","expression":"object.metadata.labels.team == 'ml'"}]}]})";
  };
  const std::string hooks = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations";
  ASSERT_EQ(Call("POST", hooks, config("closed", "Fail")).status, 201);
  HttpResponse refused = Call("POST", "/api/v1/namespaces/default/configmaps",
                              R"({"metadata":{"name":"unlabelled"}})");
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(Message(refused),
            "configmaps \"unlabelled\" is forbidden: expression 'object.metadata.labels.team == "
            "'ml'' resulted in error: no such key: labels");
  HttpResponse other = Call("POST", "/api/v1/namespaces/default/configmaps",
                            R"({"metadata":{"name":"other","labels":{"team":"web"}}})");
  EXPECT_EQ(other.status, 201) << "a false condition skips the webhook: " << other.body;
  HttpResponse called = Call("POST", "/api/v1/namespaces/default/configmaps",
                             R"({"metadata":{"name":"ml","labels":{"team":"ml"}}})");
  EXPECT_EQ(called.status, 500) << "all conditions true: the (unreachable) webhook is called";
  ASSERT_EQ(Call("DELETE", hooks + "/closed").status, 200);
  ASSERT_EQ(Call("POST", hooks, config("open", "Ignore")).status, 201);
  EXPECT_EQ(
      Call("POST", "/api/v1/namespaces/default/configmaps", R"({"metadata":{"name":"unlabelled"}})")
          .status,
      201);
}

TEST_F(MatchConditionsTest, ConfigurationsKubesimCannotEvaluateAreRefused) {
  HttpResponse r =
      Call("POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
           R"json({"metadata":{"name":"authz"},"webhooks":[{"name":"authz.test.io",
          "clientConfig":{"url":"https://127.0.0.1:1/"},"sideEffects":"None",
          "admissionReviewVersions":["v1"],
          "matchConditions":[{"name":"ok","expression":"request.operation == 'CREATE'"},
            {"name":"authz","expression":"authorizer.group('').resource('pods').check('get').allowed()"}]}]})json");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(Message(r).find("webhooks[0].matchConditions[1].expression: Invalid value: "
                            "\"authorizer.group('').resource('pods').check('get').allowed()\": "
                            "compilation failed: ERROR: <input>:1:0: undeclared reference to "
                            "'authorizer'"),
            std::string::npos)
      << r.body;
  EXPECT_NE(Message(r).find("kubesim cannot evaluate authorizer checks"), std::string::npos);
}

// ---------- with the real kubectl ----------

class CrdKubectlTest : public testing::KubectlSuite<CrdKubectlTest> {
 protected:
  void SetUp() override {
    KubectlSuite::SetUp();
    if (HasFatalFailure()) return;
    if (!crd_applied_) {
      std::string out;
      ASSERT_EQ(Kubectl("apply -f " + dir_->Write("crd.yaml", kWidgetCrd), &out), 0) << out;
      ASSERT_EQ(Kubectl("wait --for=condition=Established crd/widgets.ml.io --timeout=10s", &out),
                0)
          << out;
      crd_applied_ = true;
    }
  }

  std::string Widget(const std::string& name, const std::string& spec) {
    return dir_->Write(name + ".yaml", "apiVersion: ml.io/v1\nkind: Widget\nmetadata: {name: " +
                                           name + ", namespace: default}\nspec: " + spec + "\n");
  }
  static inline bool crd_applied_ = false;
};

TEST_F(CrdKubectlTest, ApplyOfAnInvalidCustomResourceFailsWithTheSchemaMessage) {
  std::string out;
  EXPECT_EQ(Kubectl("apply -f " + Widget("bad", "{mode: Auto, replicas: 20}"), &out), 1);
  EXPECT_EQ(out,
            "The Widget \"bad\" is invalid: spec.replicas: Invalid value: 20: spec.replicas in "
            "body should be less than or equal to 10\n");
}

TEST_F(CrdKubectlTest, ApplyValidateStrictRefusesAnUnknownField) {
  std::string file = Widget("strict", "{mode: Auto, colour: red}");
  std::string out;
  EXPECT_EQ(Kubectl("apply --validate=strict -f " + file, &out), 1);
  EXPECT_EQ(out, "Error from server (BadRequest): error when creating \"" + file +
                     "\": Widget in version \"v1\" cannot be handled as a Widget: strict decoding "
                     "error: unknown field \"spec.colour\"\n");
  EXPECT_EQ(Kubectl("apply --validate=warn -f " + file, &out), 0) << out;
  EXPECT_NE(out.find("Warning: unknown field \"spec.colour\""), std::string::npos) << out;
}

TEST_F(CrdKubectlTest, ScaleACustomResourceThroughItsScaleSubresource) {
  std::string out;
  ASSERT_EQ(Kubectl("apply -f " + Widget("scaled", "{mode: Auto, replicas: 1}"), &out), 0) << out;
  ASSERT_EQ(Kubectl("scale widget/scaled -n default --replicas=4", &out), 0) << out;
  EXPECT_EQ(out, "widget.ml.io/scaled scaled\n");
  ASSERT_EQ(Kubectl("get widget scaled -n default -o jsonpath={.spec.replicas}", &out), 0);
  EXPECT_EQ(out, "4");
}

TEST_F(CrdKubectlTest, TransitionRuleRefusesAChangeOfAnImmutableField) {
  std::string out;
  ASSERT_EQ(Kubectl("apply -f " + Widget("fixed", "{mode: Auto}"), &out), 0) << out;
  EXPECT_EQ(Kubectl("patch widget fixed -n default --type=merge -p "
                    "'{\"spec\":{\"mode\":\"Manual\"}}'",
                    &out),
            1);
  EXPECT_EQ(out,
            "The Widget \"fixed\" is invalid: spec.mode: Invalid value: \"Manual\": mode is "
            "immutable\n");
}

}  // namespace
}  // namespace mlgitops::kubesim
