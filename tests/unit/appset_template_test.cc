// ApplicationSet templating: the fasttemplate and goTemplate facts of argocd-semantics §4.4
// (1-9, 19-26) as a table, strict missing keys versus --allow-missing, typed whole-field values,
// map keys, templatePatch merging and the name helpers.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "appset/template.h"
#include "test_util.h"

namespace mlgitops {
namespace {

using testing::ParseOne;

struct TemplateCase {
  const char* name;
  bool go;
  bool allow_missing;
  bool missing_key_error;
  const char* tmpl;
  const char* params;  // YAML map
  const char* want;    // expected text, or the error substring when `fails`
  bool fails = false;
};

class AppSetTemplateFacts : public ::testing::TestWithParam<TemplateCase> {};

TEST_P(AppSetTemplateFacts, RendersAsArgoCdOrFailsNamingTheProblem) {
  const TemplateCase& c = GetParam();
  Object params = ParseOne(c.params);
  TemplateOptions options;
  options.go_template = c.go;
  options.allow_missing = c.allow_missing;
  options.missing_key_error = c.missing_key_error;
  auto out = RenderTemplateString(c.tmpl, params.json(), options);
  if (c.fails) {
    ASSERT_FALSE(out.ok()) << "rendered: " << *out;
    EXPECT_NE(out.status().message().find(c.want), std::string::npos) << out.status().message();
    return;
  }
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, c.want);
}

const TemplateCase kCases[] = {
    // fasttemplate (facts 1-9)
    {"f1_simple", false, false, false, "{{one}}", "{one: two}", "two"},
    {"f2_trimmed_tag", false, false, false, "{{ one }}", "{one: two}", "two"},
    {"f3_twice", false, false, false, "{{one}}{{one}}", "{one: two}", "twotwo"},
    {"f3_no_escaping", false, false, false, "{{one}} {{three}}",
     "{one: '\"hello\" world', three: four}", "\"hello\" world four"},
    {"f4_case_sensitive_kept", false, true, false, "{{ONE}}", "{one: two}", "{{ONE}}"},
    {"f4_case_sensitive_strict", false, false, false, "{{ONE}}", "{one: two}",
     "missing parameter \"ONE\"", true},
    {"f5_empty_tag", false, false, false, "{{ }}", "{' ': x, '': y}", "{{ }}"},
    {"f6_reversed_braces", false, false, false, "}} {{", "{one: two}", "}} {{"},
    {"f7_no_second_expansion", false, true, false, "{{one}}", "{'{{one}}': x}", "{{one}}"},
    {"f7_value_not_reexpanded", false, false, false, "{{a}}", "{a: '{{b}}', b: c}", "{{b}}"},
    {"f9_unclosed", false, false, false, "{{properly.closed}} {{improperly.closed}",
     "{properly.closed: x}", "unclosed tag", true},
    {"f_dotted_key", false, false, false, "{{path.basename}}", "{path.basename: app3}", "app3"},
    {"f_number_in_text", false, false, false, "gpu-{{gpu}}", "{gpu: 4}", "gpu-4"},
    {"seed_missing_env_strict", false, false, false, "{{model}}-{{env}}", "{model: a}",
     "missing parameter \"env\"", true},
    {"seed_missing_env_allowed", false, true, false, "{{model}}-{{env}}", "{model: a}",
     "a-{{env}}"},
    // goTemplate (facts 19-26)
    {"g19_nested", true, false, false, "{{ .image.name }}:{{ .image.version }}",
     "{image: {name: busybox, version: latest}}", "busybox:latest"},
    {"g20_if_else", true, false, false,
     "{{ if .hpa.enabled }}{{ .hpa.maxReplicas }}{{ else }}{{ .replicas }}{{ end }}",
     "{hpa: {enabled: false, maxReplicas: 5}, replicas: 3}", "3"},
    {"g20_if_true", true, false, false,
     "{{ if .hpa.enabled }}{{ .hpa.maxReplicas }}{{ else }}{{ .replicas }}{{ end }}",
     "{hpa: {enabled: true, maxReplicas: 5}, replicas: 3}", "5"},
    {"g21_missing_allowed", true, true, false, "--> {{.doesnotexist}} <--", "{unused: x}",
     "--> <no value> <--"},
    {"g21_missing_strict", true, false, false, "--> {{.doesnotexist}} <--", "{unused: x}",
     "map has no entry for key \"doesnotexist\"", true},
    {"g21_missingkey_error_beats_allow", true, true, true, "{{.doesnotexist}}", "{unused: x}",
     "map has no entry for key", true},
    {"g21_default_still_works_strict", true, false, true, "{{ .doesnotexist | default \"d\" }}",
     "{unused: x}", "d"},
    {"g22_field_of_string", true, false, false, "{{.data.test}}", "{data: a data string}",
     "can't evaluate field test", true},
    {"g23_unknown_function", true, false, false, "{{functiondoesnotexist}}", "{a: b}",
     "function \"functiondoesnotexist\" not defined", true},
    {"g25_fromYaml_unsupported_named", true, false, false, "{{ get (fromYaml .value) \"hello\" }}",
     "{value: 'hello: world'}", "function \"get\" not defined", true},
    {"g25_toYaml", true, false, false, "{{ toYaml .image }}", "{image: {name: busybox}}",
     "name: busybox"},
    {"g26_slugify", true, false, false,
     "{{ slugify 50 false "
     "\"feat/areallylongpullrequestnametotestargoslugificationandbranchnameshorteningfeature\" }}",
     "{a: b}", "feat-areallylongpullrequestnametotestargoslugifica"},
    {"g26_slugify_smart", true, false, false,
     "{{ slugify 50 true "
     "\"feat/areallylongpullrequestnametotestargoslugificationandbranchnameshorteningfeature\" }}",
     "{a: b}", "feat"},
    // the Go functions ApplicationSets use
    {"g_index", true, false, false, "{{ index .labels \"app.kubernetes.io/name\" }}",
     "{labels: {app.kubernetes.io/name: fraud}}", "fraud"},
    {"g_index_list", true, false, false, "{{ index .path.segments 1 }}",
     "{path: {segments: [models, fraud]}}", "fraud"},
    {"g_pipes", true, false, false, "{{ .name | upper | replace \"-\" \"_\" | quote }}",
     "{name: fraud-dev}", "\"FRAUD_DEV\""},
    {"g_lower_trunc", true, false, false, "{{ trunc 5 (lower .name) }}", "{name: FRAUDDETECT}",
     "fraud"},
    {"g_normalize", true, false, false, "{{ normalize .name }}", "{name: production_01/west}",
     "production-01-west"},
    {"g_toJson", true, false, false, "{{ toJson .m }}", "{m: {a: 1}}", "{\"a\":1}"},
    {"g_with_else", true, false, false, "{{ with .x }}{{ . }}{{ else }}none{{ end }}", "{y: 1}",
     "none"},
    {"g_range", true, false, false, "{{ range $i, $e := .l }}{{ $i }}={{ $e }};{{ end }}",
     "{l: [a, b]}", "0=a;1=b;"},
    {"g_else_if", true, false, false,
     "{{ if eq .env \"prod\" }}3{{ else if eq .env \"staging\" }}2{{ else }}1{{ end }}",
     "{env: staging}", "2"},
    {"g_trim_markers", true, false, false, "a  {{- .x -}}  b", "{x: X}", "aXb"},
    {"g_root_var", true, false, false, "{{ range .l }}{{ $.p }}{{ . }}{{ end }}",
     "{l: [1, 2], p: q}", "q1q2"},
    {"g_unclosed_block", true, false, false, "{{ if .a }}x", "{a: 1}", "missing {{end}}", true},
};

INSTANTIATE_TEST_SUITE_P(Facts, AppSetTemplateFacts, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(AppSetTemplateTree, RendersMapKeysAndKeepsWholeFieldTypes) {
  // Fact 8: annotation keys are templated too; a field that is one number param stays a number.
  Object tree = ParseOne(
      "metadata: {annotations: {'annotation-{{key}}': 'annotation-{{value}}'}}\n"
      "spec: {replicas: '{{gpu}}', label: 'gpu-{{gpu}}', flag: '{{ enabled }}', name: "
      "'{{name}}'}\n");
  Object params = ParseOne("{key: some-key, value: some-value, gpu: 4, enabled: true, name: '4'}");
  ASSERT_TRUE(RenderTree(&tree.mutable_json(), tree.allocator(), params.json(), {}).ok());
  EXPECT_EQ(GetString(tree.json(), "metadata.annotations.annotation-some-key"),
            "annotation-some-value");
  const JsonValue* replicas = Find(tree.json(), "spec.replicas");
  ASSERT_TRUE(replicas && replicas->IsInt());
  EXPECT_EQ(replicas->GetInt(), 4);
  EXPECT_EQ(GetString(tree.json(), "spec.label"), "gpu-4");
  ASSERT_TRUE(Find(tree.json(), "spec.flag")->IsBool());
  EXPECT_TRUE(Find(tree.json(), "spec.name")->IsString());  // a quoted "4" stays a string
}

TEST(AppSetTemplateTree, GoModeKeepsWholeFieldTypesAndNamesTheField) {
  Object tree = ParseOne("spec: {replicas: '{{ .gpu }}', path: 'models/{{ .missing }}'}\n");
  Object params = ParseOne("{gpu: 8}");
  TemplateOptions options;
  options.go_template = true;
  Status s = RenderTree(&tree.mutable_json(), tree.allocator(), params.json(), options);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("spec.path"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("missing"), std::string::npos);
  EXPECT_EQ(GetInt(tree.json(), "spec.replicas"), 8);
}

TEST(AppSetTemplatePatch, MergesMapsReplacesListsAndDeletesOnNull) {
  Object app = ParseOne(
      "spec: {project: default, syncPolicy: {syncOptions: [A=true]}, "
      "source: {repoURL: r, path: p}}\n");
  Object patch = ParseOne(
      "spec: {syncPolicy: {automated: {prune: true}, syncOptions: [B=true]}, "
      "source: {path: null}}\n");
  MergePatch(&app.mutable_json(), patch.json(), app.allocator());
  EXPECT_EQ(GetBool(app.json(), "spec.syncPolicy.automated.prune"), true);
  const JsonValue* options = Find(app.json(), "spec.syncPolicy.syncOptions");
  ASSERT_TRUE(options && options->IsArray());
  ASSERT_EQ(options->Size(), 1u);
  EXPECT_STREQ((*options)[0].GetString(), "B=true");
  EXPECT_EQ(Find(app.json(), "spec.source.path"), nullptr);
  EXPECT_EQ(GetString(app.json(), "spec.source.repoURL"), "r");
}

TEST(AppSetNames, NormalizeFollowsArgoCd) {
  EXPECT_EQ(NormalizeName("app_3"), "app-3");                            // fact 12
  EXPECT_EQ(NormalizeName("production_01/west"), "production-01-west");  // fact 15
  EXPECT_EQ(NormalizeName("-.Trim.-"), "trim");
  EXPECT_EQ(NormalizeName(std::string(300, 'a')).size(), 253u);
}

}  // namespace
}  // namespace mlgitops
