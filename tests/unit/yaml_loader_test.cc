// Tests of YAML/JSON loading: types, streams, Lists, limits against hostile input.
#include "object/yaml_loader.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <string>

#include "object/yaml_writer.h"
#include "test_util.h"

namespace mlgitops {
namespace {

TEST(YamlLoader, MultiDocumentStreamSkipsEmptyDocuments) {
  auto docs = ParseManifests(
      "---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n# only a comment\n"
      "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ml\n---\n",
      "x.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0].name(), "a");
  EXPECT_EQ((*docs)[1].kind(), "Namespace");
  EXPECT_NE((*docs)[1].origin().find("x.yaml"), std::string::npos);
}

TEST(YamlLoader, ScalarsResolveAsKubernetesReadsThem) {
  auto docs = ParseYamlStream(
      "a: 1\nb: '1'\nc: true\nd: yes\ne: null\nf: ~\ng: 1.5\nh: 0x1F\ni: \"on\"\nj: on\n"
      "k: 1_000\nl: 12345678901234567890\nm: 2024-01-01\nn: .inf\no:\np: 0755\n",
      "t");
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  const auto& v = (*docs)[0].json();
  EXPECT_TRUE(v["a"].IsInt64());
  EXPECT_EQ(v["a"].GetInt64(), 1);
  EXPECT_TRUE(v["b"].IsString());
  EXPECT_TRUE(v["c"].IsBool() && v["c"].GetBool());
  EXPECT_TRUE(v["d"].IsBool() && v["d"].GetBool());
  EXPECT_TRUE(v["e"].IsNull());
  EXPECT_TRUE(v["f"].IsNull());
  EXPECT_DOUBLE_EQ(v["g"].GetDouble(), 1.5);
  EXPECT_EQ(v["h"].GetInt64(), 31);
  EXPECT_TRUE(v["i"].IsString());
  EXPECT_TRUE(v["j"].IsBool());
  EXPECT_EQ(v["k"].GetInt64(), 1000);
  EXPECT_TRUE(v["l"].IsDouble());
  EXPECT_STREQ(v["m"].GetString(), "2024-01-01");
  EXPECT_STREQ(v["n"].GetString(), ".inf");
  EXPECT_TRUE(v["o"].IsNull());
  EXPECT_EQ(v["p"].GetInt64(), 493);
}

TEST(YamlLoader, AnchorsAliasesAndMergeKeys) {
  auto docs =
      ParseYamlStream("base: &b {cpu: 1, mem: 2}\ncopy: *b\nmerged:\n  <<: *b\n  cpu: 4\n", "t");
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  const auto& v = (*docs)[0].json();
  EXPECT_EQ(v["copy"]["mem"].GetInt64(), 2);
  EXPECT_EQ(v["merged"]["cpu"].GetInt64(), 4);
  EXPECT_EQ(v["merged"]["mem"].GetInt64(), 2);
}

TEST(YamlLoader, DuplicateKeyIsAnErrorWithLine) {
  auto docs = ParseYamlStream("a: 1\nb: 2\na: 3\n", "dup.yaml");
  ASSERT_FALSE(docs.ok());
  EXPECT_NE(docs.status().message().find("dup.yaml: line 3"), std::string::npos)
      << docs.status().message();
  EXPECT_NE(docs.status().message().find("duplicate key \"a\""), std::string::npos);
}

TEST(YamlLoader, SyntaxErrorNamesFileAndLine) {
  auto docs = ParseManifests("apiVersion: v1\nkind: [unclosed\n", "bad.yaml");
  ASSERT_FALSE(docs.ok());
  EXPECT_NE(docs.status().message().find("bad.yaml: line"), std::string::npos)
      << docs.status().message();
}

TEST(YamlLoader, ListKindsExpandToItems) {
  auto docs = ParseManifests(
      "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: "
      "a}}\n"
      "- {apiVersion: v1, kind: ConfigMapList, items: [{apiVersion: v1, kind: Secret, metadata: "
      "{name: b}}]}\n",
      "list.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[1].kind(), "Secret");
}

TEST(YamlLoader, JsonInputIsParsed) {
  auto docs = ParseManifests(R"({"apiVersion":"v1","kind":"List","items":[
      {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j"}}]})",
                             "x.json");
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  ASSERT_EQ(docs->size(), 1u);
  EXPECT_EQ((*docs)[0].name(), "j");
}

TEST(YamlLoader, FlowMapThatIsNotJsonFallsBackToYaml) {
  auto docs = ParseManifests("{apiVersion: v1, kind: ConfigMap, metadata: {name: f}}", "f.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  EXPECT_EQ((*docs)[0].name(), "f");
}

TEST(YamlLoader, ObjectsWithoutKindOrApiVersionAreRefused) {
  auto a = ParseManifests("kind: ConfigMap\nmetadata: {name: a}\n", "nokind.yaml");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("nokind.yaml (document 1): object has no apiVersion"),
            std::string::npos)
      << a.status().message();
  auto b = ParseManifests("- 1\n- 2\n", "seq.yaml");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("not a Kubernetes object"), std::string::npos);
}

long PeakRssKb() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

TEST(YamlLoaderLimits, BillionLaughsIsRefusedFastAndSmall) {
  std::string bomb =
      "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  std::string prev = "a";
  for (char c = 'b'; c <= 'i'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 9; ++i) bomb += (i ? ",*" : "*") + prev;
    bomb += "]\n";
    prev = std::string(1, c);
  }
  long before = PeakRssKb();
  auto start = std::chrono::steady_clock::now();
  auto docs = ParseManifests(bomb, "lol.yaml");
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.status().code(), Status::Code::kLimitExceeded);
  EXPECT_NE(docs.status().message().find("lol.yaml"), std::string::npos);
  EXPECT_NE(docs.status().message().find("alias"), std::string::npos);
  // Behavioural bounds (not a timing benchmark): expansion is cut off long before 10^9 nodes.
  EXPECT_LT(seconds, 1.0);
  EXPECT_LT(PeakRssKb() - before, 64 * 1024);
}

TEST(YamlLoaderLimits, DeepFlowNestingIsRefused) {
  std::string deep(100000, '[');
  auto docs = ParseYamlStream(deep, "deep.yaml");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.status().code(), Status::Code::kLimitExceeded) << docs.status().ToString();
  EXPECT_NE(docs.status().message().find("deep.yaml"), std::string::npos);
  std::string deep_json(100000, '[');
  deep_json += std::string(100000, ']');
  auto json = ParseYamlStream(deep_json, "deep.json");
  ASSERT_FALSE(json.ok());
  EXPECT_NE(json.status().message().find("nesting deeper than"), std::string::npos);
}

TEST(YamlLoaderLimits, DeepBlockNestingIsRefused) {
  std::string text;
  for (int i = 0; i < 400; ++i) text += std::string(static_cast<size_t>(i) * 2, ' ') + "k:\n";
  auto docs = ParseYamlStream(text, "block.yaml");
  ASSERT_FALSE(docs.ok());
  EXPECT_NE(docs.status().message().find("nesting deeper than 256"), std::string::npos)
      << docs.status().message();
}

TEST(YamlLoaderLimits, SizeLimits) {
  LoadLimits limits;
  limits.max_file_bytes = 100;
  auto big = ParseYamlStream(std::string(200, '#'), "big.yaml", limits);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("big.yaml: larger than 100 bytes"), std::string::npos);

  LoadLimits doc_limits;
  doc_limits.max_document_bytes = 1000;
  std::string text = "a: 1\n---\n";
  for (int i = 0; i < 200; ++i) text += "k" + std::to_string(i) + ": value\n";
  auto doc = ParseYamlStream(text, "doc.yaml", doc_limits);
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("document is larger than 1000 bytes"), std::string::npos);
}

TEST(YamlLoaderLimits, MissingAndOversizedFiles) {
  testing::TempDir dir;
  auto missing = LoadManifestFile(dir.path() + "/nope.yaml", LoadLimits(), "nope.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_NE(missing.status().message().find("nope.yaml"), std::string::npos);
  LoadLimits limits;
  limits.max_file_bytes = 10;
  std::string p = dir.Write("big.yaml", std::string(100, 'x'));
  auto big = LoadManifestFile(p, limits, "big.yaml");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), Status::Code::kLimitExceeded);
}

TEST(YamlWriter, RoundTripsTrickyStrings) {
  auto docs = ParseYamlStream(
      "a: 'true'\nb: '123'\nc: 'yes'\nd: ''\ne: \"x: y\"\nf: \"line1\\nline2\\n\"\ng: [1, "
      "{h: null}]\ni: {}\nj: []\nk: '- dash'\nl: \"tab\\there\"\nm: plain value\nn: \"#x\"\n"
      "o: \"a #b\"\np: [[1, 2], []]\nq: '200Gi'\nr: '1.2.3'\ns: '0755'\nt: '1e3'\nu: '.inf'\n"
      "v: '2026-11-26'\nw: '-'\nx: '-1'\n",
      "t");
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  std::string yaml = ToYaml((*docs)[0].json());
  auto back = ParseYamlStream(yaml, "back");
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << yaml;
  EXPECT_EQ(ToJson((*docs)[0].json()), ToJson((*back)[0].json())) << yaml;
  // Strings that cannot be misread stay plain, as kubectl prints them.
  EXPECT_NE(yaml.find("q: 200Gi\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("r: 1.2.3\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("m: plain value\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("s: \"0755\"\n"), std::string::npos) << yaml;
}

}  // namespace
}  // namespace mlgitops
