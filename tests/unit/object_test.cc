// Tests of the object model accessors and the time helpers every health rule relies on.
#include "object/object.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "object/base64.h"
#include "object/timeutil.h"
#include "test_util.h"

namespace mlgitops {
namespace {

TEST(Object, AccessorsReadApiVersionMetadataAndMaps) {
  Object o = testing::ParseOne(
      "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: fraud\n"
      "  namespace: ml\n  labels: {team: risk, replicas: 3}\n  annotations: {a: b}\n");
  EXPECT_EQ(o.group(), "serving.kserve.io");
  EXPECT_EQ(o.version(), "v1beta1");
  EXPECT_EQ(o.ref().ToString(), "serving.kserve.io/InferenceService ml/fraud");
  EXPECT_EQ(o.label("team"), "risk");
  EXPECT_EQ(o.label("replicas"), std::nullopt);  // not a string
  EXPECT_EQ(o.label("missing"), std::nullopt);
  Object core =
      testing::ParseOne("apiVersion: v1\nkind: Namespace\nmetadata: {generateName: x-}\n");
  EXPECT_EQ(core.group(), "");
  EXPECT_EQ(core.version(), "v1");
  EXPECT_EQ(core.name(), "x-");
  EXPECT_EQ(core.ref().ToString(), "Namespace x-");
}

TEST(Object, SettersCreateMissingMapsAndCloneIsDeep) {
  Object o = testing::ParseOne("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
  o.SetAnnotation("mlgitops.io/tracking-id", "app:/ConfigMap:ml/c");
  o.SetAnnotation("mlgitops.io/tracking-id", "app:/ConfigMap:ml/c2");  // overwrite, no duplicate
  o.SetNamespace("ml");
  EXPECT_EQ(o.annotation("mlgitops.io/tracking-id"), "app:/ConfigMap:ml/c2");
  EXPECT_EQ(Find(o.json(), "metadata.annotations")->MemberCount(), 1u);
  Object copy = o.Clone();
  o.ClearNamespace();
  EXPECT_EQ(o.namespace_(), "");
  EXPECT_EQ(copy.namespace_(), "ml");
  Object bare = testing::ParseOne("apiVersion: v1\nkind: ConfigMap\n");
  bare.SetAnnotation("k", "v");
  EXPECT_EQ(bare.annotation("k"), "v");
}

TEST(Object, PathHelpersAreLenient) {
  Object o = testing::ParseOne(
      "spec: {replicas: 3, ratio: 2.0, half: 2.5, text: '7', bad: x1, flag: true}\n"
      "status: {conditions: [{type: Ready, status: 'True'}, oops, {type: Synced}]}\n");
  EXPECT_EQ(GetInt(o.json(), "spec.replicas"), 3);
  EXPECT_EQ(GetInt(o.json(), "spec.ratio"), 2);
  EXPECT_EQ(GetInt(o.json(), "spec.half"), std::nullopt);
  EXPECT_EQ(GetInt(o.json(), "spec.text"), 7);
  EXPECT_EQ(GetInt(o.json(), "spec.bad"), std::nullopt);
  EXPECT_EQ(GetBool(o.json(), "spec.flag"), true);
  EXPECT_EQ(GetString(o.json(), "spec.replicas.deeper", "fallback"), "fallback");
  ASSERT_NE(FindCondition(o.json(), "Synced"), nullptr);
  EXPECT_EQ(MemberString(*FindCondition(o.json(), "Ready"), "status"), "True");
  EXPECT_EQ(FindCondition(o.json(), "Missing"), nullptr);
}

TEST(TimeUtil, Rfc3339RoundTripsAndRejectsGarbage) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339("2026-11-26T12:00:00Z"), 1795694400);
  EXPECT_EQ(ParseRfc3339("2026-11-26T14:00:00.123+02:00"), 1795694400);
  EXPECT_EQ(FormatRfc3339(1795694400), "2026-11-26T12:00:00Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59Z");
  for (const char* bad : {"", "yesterday", "2026-13-01T00:00:00Z", "2026-11-26 12:00",
                          "2026-11-26T12:00:00", "2026-11-26T12:00:00Zjunk"}) {
    EXPECT_EQ(ParseRfc3339(bad), std::nullopt) << bad;
  }
}

TEST(TimeUtil, DurationsAsGoWritesThem) {
  EXPECT_EQ(ParseDurationSeconds("6h"), 21600);
  EXPECT_EQ(ParseDurationSeconds("1h30m"), 5400);
  EXPECT_EQ(ParseDurationSeconds("1.5h"), 5400);
  EXPECT_EQ(ParseDurationSeconds("2d"), 172800);
  EXPECT_EQ(ParseDurationSeconds("90"), 90);
  EXPECT_EQ(ParseDurationSeconds("500ms"), 1);
  for (const char* bad : {"", "h", "6 h", "6x", "-5m", "1e400h"}) {
    EXPECT_EQ(ParseDurationSeconds(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(FormatDurationShort(45), "45s");
  EXPECT_EQ(FormatDurationShort(12 * 60), "12m");
  EXPECT_EQ(FormatDurationShort(7 * 3600 + 12 * 60), "7h12m");
  EXPECT_EQ(FormatDurationShort(3 * 86400 + 4 * 3600), "3d4h");
}

}  // namespace
}  // namespace mlgitops

namespace mlgitops {
namespace {

TEST(Base64, RoundTripsAndRejectsWhatIsNotCanonical) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto back = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(back.has_value()) << s;
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(Base64Encode("secret"), "c2VjcmV0");
  EXPECT_EQ(Base64Decode("c2Vj\ncmV0"), "secret");  // wrapped lines, as Go accepts
  for (const char* bad : {"c2VjcmV", "c2V*cmV0", "=2VjcmV0", "c2==cmV0", "c2VjcmV0="}) {
    EXPECT_EQ(Base64Decode(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace mlgitops
