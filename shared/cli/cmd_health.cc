// `health`: the health of objects in a file (offline, children from the same file), of the
// live counterparts of a file's objects (--live), or of live objects named TYPE/NAME.
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <atomic>
#include <optional>
#include <utility>

#include "cli/cli.h"
#include "cli/command_util.h"
#include "health/children.h"
#include "kube/live_health.h"
#include "object/timeutil.h"
#include "object/yaml_loader.h"

namespace mlgitops {

namespace {

std::string HealthJson(const std::vector<HealthRow>& rows) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  w.StartArray();
  for (const HealthRow& r : rows) {
    w.StartObject();
    w.Key("apiVersion");
    w.String(r.api_version);
    w.Key("kind");
    w.String(r.object.kind);
    w.Key("namespace");
    w.String(r.object.namespace_);
    w.Key("name");
    w.String(r.object.name);
    w.Key("health");
    w.StartObject();
    w.Key("status");
    std::string_view code = HealthCodeName(r.status.code);
    w.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
    w.Key("message");
    w.String(r.status.message);
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

bool CountsAsUnhealthy(HealthCode code) {
  return code == HealthCode::kDegraded || code == HealthCode::kMissing ||
         code == HealthCode::kUnknown;
}

// Every object of a file, children found through one index (a scan per object would make a
// large dump quadratic). Stops between objects once `interrupted` is set: nullopt then.
std::optional<std::vector<HealthRow>> AssessFile(const std::vector<Object>& objects,
                                                 const Conventions& conventions,
                                                 const HealthAssessor& assessor, int64_t now,
                                                 const std::atomic<bool>* interrupted) {
  auto stopped = [interrupted] { return interrupted && interrupted->load(); };
  std::vector<Classified> classes = Classify(objects, conventions);
  ChildIndex index(objects);
  std::vector<HealthRow> rows;
  rows.reserve(objects.size());
  for (size_t i = 0; i < objects.size(); ++i) {
    if (stopped()) return std::nullopt;
    HealthContext hc;
    hc.children = index.Children(objects[i]);
    hc.now_unix = now;
    hc.role = classes[i].role;
    rows.push_back(
        {objects[i].ref(), objects[i].api_version(), assessor.Assess(objects[i], hc).status});
  }
  return rows;
}

std::vector<HealthRow> FromLive(std::vector<LiveAssessment> live) {
  std::vector<HealthRow> rows;
  for (auto& a : live) rows.push_back({a.object, a.api_version, a.health.status});
  return rows;
}

}  // namespace

int RunHealth(CommandContext& ctx) {
  std::string format;
  if (!CheckOutputFormat(ctx, {"json", "table"}, &format)) return kExitUsage;
  std::string file = ctx.flags.Get("filename");
  bool live = ctx.flags.GetBool("live") || !ctx.flags.positional().empty();
  if (file.empty() && ctx.flags.positional().empty()) {
    return ctx.Fail("health needs -f FILE or TYPE/NAME of live objects");
  }
  if (!file.empty() && !ctx.flags.positional().empty()) {
    return ctx.Fail("give either -f FILE or TYPE/NAME arguments, not both");
  }
  int64_t now = ctx.env.clock.NowUnix();
  if (ctx.flags.Has("at")) {
    auto at = ParseRfc3339(ctx.flags.Get("at"));
    if (!at) return ctx.Fail("--at: \"" + ctx.flags.Get("at") + "\" is not an RFC 3339 time");
    now = *at;
  }
  auto conventions = LoadConventionsFlag(ctx);
  if (!conventions.ok()) return ctx.Fail(conventions.status().message());
  auto lua = LoadLuaFlag(ctx);
  if (!lua.ok()) return ctx.Fail(lua.status().message());
  HealthAssessor assessor(lua->has_value() ? &**lua : nullptr);

  std::vector<HealthRow> rows;
  if (!live) {
    auto objects = LoadManifestFile(file);
    if (!objects.ok()) return ctx.Fail(objects.status().message());
    auto assessed = AssessFile(*objects, *conventions, assessor, now, ctx.env.interrupted);
    if (!assessed) {
      ctx.err.Line("health interrupted: stopped before every object of " + file +
                   " was assessed; nothing printed");
      return kExitInterrupted;
    }
    rows = std::move(*assessed);
  } else {
    auto client = Connect(ctx);
    if (!client.ok()) return ctx.Fail(client.status().message());
    auto keys = file.empty() ? ParseTargets(ctx, **client) : KeysOfFile(ctx, **client, file);
    if (!keys.ok()) return ctx.Fail(keys.status().message());
    auto assessed = AssessLive(**client, *keys, assessor, *conventions, now);
    if (!assessed.ok()) return ctx.Fail(assessed.status().message());
    rows = FromLive(std::move(*assessed));
  }
  bool unhealthy = false;
  for (const auto& r : rows) unhealthy = unhealthy || CountsAsUnhealthy(r.status.code);
  if (format == "json") {
    ctx.out.Line(HealthJson(rows));
  } else {
    PrintHealthTable(ctx, rows);
  }
  return unhealthy ? kExitFindings : kExitOk;
}

}  // namespace mlgitops
