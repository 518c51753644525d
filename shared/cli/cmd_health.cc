// `health -f FILE`: the health of every object in a file, judged offline, children included.
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "cli/cli.h"
#include "cli/command_util.h"
#include "health/assessor.h"
#include "health/children.h"
#include "object/timeutil.h"
#include "object/yaml_loader.h"
#include "policy/conventions.h"

namespace mlgitops {

namespace {

Color HealthColor(HealthCode code) {
  switch (code) {
    case HealthCode::kHealthy:
      return Color::kGreen;
    case HealthCode::kSuspended:
      return Color::kGray;
    case HealthCode::kProgressing:
      return Color::kCyan;
    case HealthCode::kMissing:
      return Color::kYellow;
    case HealthCode::kDegraded:
      return Color::kRed;
    case HealthCode::kUnknown:
      return Color::kYellow;
  }
  return Color::kNone;
}

bool CountsAsUnhealthy(HealthCode code) {
  return code == HealthCode::kDegraded || code == HealthCode::kMissing ||
         code == HealthCode::kUnknown;
}

std::string HealthJson(const std::vector<Object>& objects, const std::vector<Assessment>& results) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  w.StartArray();
  for (size_t i = 0; i < objects.size(); ++i) {
    const Object& o = objects[i];
    w.StartObject();
    w.Key("apiVersion");
    w.String(o.api_version());
    w.Key("kind");
    w.String(o.kind());
    w.Key("namespace");
    w.String(o.namespace_());
    w.Key("name");
    w.String(o.name());
    w.Key("health");
    w.StartObject();
    w.Key("status");
    std::string_view code = HealthCodeName(results[i].status.code);
    w.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
    w.Key("message");
    w.String(results[i].status.message);
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

int RunHealth(CommandContext& ctx) {
  std::string format;
  if (!CheckOutputFormat(ctx, {"json", "table"}, &format)) return kExitUsage;
  std::string file = ctx.flags.Get("filename");
  if (file.empty()) return ctx.Fail("health needs -f FILE");
  if (!ctx.flags.positional().empty()) {
    return ctx.Fail("unexpected argument \"" + ctx.flags.positional()[0] + "\"");
  }
  int64_t now = ctx.env.clock.NowUnix();
  if (ctx.flags.Has("at")) {
    auto at = ParseRfc3339(ctx.flags.Get("at"));
    if (!at) return ctx.Fail("--at: \"" + ctx.flags.Get("at") + "\" is not an RFC 3339 time");
    now = *at;
  }
  auto conventions = LoadConventionsFlag(ctx);
  if (!conventions.ok()) return ctx.Fail(conventions.status().message());
  std::optional<LuaHealthScripts> lua;
  if (ctx.flags.Has("lua-dir")) {
    auto loaded = LuaHealthScripts::Load(ctx.flags.Get("lua-dir"));
    if (!loaded.ok()) return ctx.Fail(loaded.status().message());
    lua = std::move(*loaded);
  }
  auto objects = LoadManifestFile(file);
  if (!objects.ok()) return ctx.Fail(objects.status().message());

  std::vector<Classified> classes = Classify(*objects, *conventions);
  HealthAssessor assessor(lua ? &*lua : nullptr);
  std::vector<Assessment> results;
  bool unhealthy = false;
  for (size_t i = 0; i < objects->size(); ++i) {
    HealthContext hc;
    hc.children = FindChildren((*objects)[i], *objects);
    hc.now_unix = now;
    hc.role = classes[i].role;
    results.push_back(assessor.Assess((*objects)[i], hc));
    unhealthy = unhealthy || CountsAsUnhealthy(results.back().status.code);
  }

  if (format == "json") {
    ctx.out.Line(HealthJson(*objects, results));
  } else {
    std::vector<std::vector<Cell>> rows;
    for (size_t i = 0; i < objects->size(); ++i) {
      const Object& o = (*objects)[i];
      const HealthStatus& s = results[i].status;
      rows.push_back({KindWithGroup(o), o.namespace_(), o.name(),
                      Cell(std::string(HealthCodeName(s.code)), HealthColor(s.code)), s.message});
    }
    ctx.out.Table({"KIND", "NAMESPACE", "NAME", "HEALTH", "MESSAGE"}, rows);
  }
  return unhealthy ? kExitFindings : kExitOk;
}

}  // namespace mlgitops
