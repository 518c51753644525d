// diff, get APP, list and wait: an app's desired state compared with the cluster
// (sync/comparison.h), shown as a diff, a status table, a list, or waited on.
#include <thread>

#include "cli/app_target.h"
#include "cli/cli.h"
#include "cli/command_util.h"
#include "object/timeutil.h"
#include "object/yaml_writer.h"
#include "project/sync_windows.h"
#include "source/git_credentials.h"
#include "sync/app_state.h"
#include "sync/comparison.h"
#include "sync/tracking.h"

namespace mlgitops {

namespace {

constexpr int kExitTimeout = 3;

/// One app compared with the cluster, with what the table needs beside the comparison.
struct ComparedApp {
  AppTarget target;
  DesiredState desired;
  AppComparison comparison;
  std::map<std::string, int64_t> waves;  // by ObjectRef::ToString()
};

Result<ComparedApp> CompareTarget(CommandContext& ctx, AppTarget target,
                                  const HealthAssessor& assessor, const Conventions& conventions) {
  ComparedApp out;
  auto desired = RenderDesired(ctx, target.app, ctx.flags.Get("revision"), &target);
  if (!desired.ok()) return desired.status();
  std::vector<Classified> classes = Classify(desired->objects, conventions);
  for (size_t i = 0; i < desired->objects.size(); ++i) {
    out.waves[desired->objects[i].ref().ToString()] = classes[i].wave;
  }
  CompareOptions options;
  options.assessor = &assessor;
  options.conventions = &conventions;
  options.now_unix = ctx.env.clock.NowUnix();
  auto comparison =
      CompareApp(*target.destination, target.app,
                 AppInstanceName(target.app, target.control_namespace), desired->objects, options);
  if (!comparison.ok()) return comparison.status();
  out.comparison = std::move(*comparison);
  out.desired = std::move(*desired);
  out.target = std::move(target);
  return out;
}

/// What every app command needs before comparing: conventions and health checks.
struct Judges {
  Conventions conventions;
  std::optional<LuaHealthScripts> lua;
  std::unique_ptr<HealthAssessor> assessor;
};

Result<Judges> LoadJudges(const CommandContext& ctx) {
  Judges j;
  auto conventions = LoadConventionsFlag(ctx);
  if (!conventions.ok()) return conventions.status();
  j.conventions = std::move(*conventions);
  auto lua = LoadLuaFlag(ctx);
  if (!lua.ok()) return lua.status();
  j.lua = std::move(*lua);
  j.assessor = std::make_unique<HealthAssessor>(j.lua ? &*j.lua : nullptr);
  return j;
}

Color SyncColor(const std::string& status) {
  return status == "Synced" ? Color::kGreen : status == "OutOfSync" ? Color::kYellow : Color::kRed;
}

std::string Joined(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& v : values) out += (out.empty() ? "" : ", ") + v;
  return out;
}

void PrintAppJson(CommandContext& ctx, const ComparedApp& c, const AppState& state,
                  const std::string& format) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  auto str = [&](const std::string& s) { return JsonString(s, a); };
  const Application& app = c.target.app;
  doc.AddMember("name", str(app.name), a);
  doc.AddMember("namespace", str(c.target.state_namespace), a);
  doc.AddMember("project", str(app.project), a);
  JsonValue sync(rapidjson::kObjectType);
  sync.AddMember("status", str(c.comparison.sync_status), a);
  JsonValue revisions(rapidjson::kArrayType);
  for (const std::string& r : c.desired.revisions) revisions.PushBack(str(r), a);
  sync.AddMember("revisions", revisions, a);
  doc.AddMember("sync", sync, a);
  JsonValue health(rapidjson::kObjectType);
  health.AddMember("status", str(std::string(HealthCodeName(c.comparison.health.code))), a);
  health.AddMember("message", str(c.comparison.health.message), a);
  doc.AddMember("health", health, a);
  JsonValue last(rapidjson::kObjectType);
  last.AddMember("phase", str(state.last_phase), a);
  last.AddMember("message", str(state.last_message), a);
  doc.AddMember("lastOperation", last, a);
  JsonValue resources(rapidjson::kArrayType);
  for (const ResourceComparison& r : c.comparison.resources) {
    JsonValue o(rapidjson::kObjectType);
    o.AddMember("group", str(r.ref.group), a);
    o.AddMember("kind", str(r.ref.kind), a);
    o.AddMember("namespace", str(r.ref.namespace_), a);
    o.AddMember("name", str(r.ref.name), a);
    auto wave = c.waves.find(r.ref.ToString());
    if (wave != c.waves.end()) o.AddMember("syncWave", static_cast<int64_t>(wave->second), a);
    o.AddMember("status", str(r.status), a);
    o.AddMember("requiresPruning", r.requires_pruning, a);
    o.AddMember("health", str(std::string(HealthCodeName(r.health.code))), a);
    o.AddMember("healthMessage", str(r.health.message), a);
    o.AddMember("message", str(r.message), a);
    resources.PushBack(o, a);
  }
  doc.AddMember("resources", resources, a);
  JsonValue warnings(rapidjson::kArrayType);
  for (const std::string& w : c.comparison.warnings) warnings.PushBack(str(w), a);
  doc.AddMember("warnings", warnings, a);
  if (format == "yaml") {
    auto parsed = ParseJsonObject(ToJson(doc), "app");
    if (parsed.ok()) ctx.out.Write(ToYaml(parsed->json()));
    return;
  }
  ctx.out.Line(ToJson(doc, true));
}

}  // namespace

int RunDiff(CommandContext& ctx) {
  auto judges = LoadJudges(ctx);
  if (!judges.ok()) return ctx.Fail(judges.status().message());
  auto target = LoadAppTarget(ctx);
  if (!target.ok()) return ctx.Fail(target.status().message());
  auto compared = CompareTarget(ctx, std::move(*target), *judges->assessor, judges->conventions);
  if (!compared.ok()) return ctx.Fail(compared.status().message());
  bool differs = false;
  for (const ResourceComparison& r : compared->comparison.resources) {
    if (r.status == "Unknown") {
      ctx.err.Line("error: " + r.ref.ToString() + ": " + r.message);
      return kExitUsage;
    }
    if (r.diff.text.empty()) continue;
    differs = true;
    ctx.out.Write(r.diff.text);
  }
  for (const std::string& e : compared->comparison.errors) ctx.err.Line("error: " + e);
  if (!compared->comparison.errors.empty()) return kExitUsage;
  return differs ? kExitFindings : kExitOk;
}

int RunGetApp(CommandContext& ctx) {
  std::string format;
  if (!CheckOutputFormat(ctx, {"json", "table", "yaml"}, &format)) return kExitUsage;
  auto judges = LoadJudges(ctx);
  if (!judges.ok()) return ctx.Fail(judges.status().message());
  auto target = LoadAppTarget(ctx);
  if (!target.ok()) return ctx.Fail(target.status().message());
  auto compared = CompareTarget(ctx, std::move(*target), *judges->assessor, judges->conventions);
  if (!compared.ok()) return ctx.Fail(compared.status().message());
  AppStateStore store(*compared->target.control, compared->target.app, compared->target.in_cluster,
                      compared->target.state_namespace);
  auto state = store.Load();
  AppState recorded = state.ok() ? std::move(*state) : AppState();
  // What get sees is also what the app's status should say (as Argo CD refreshes it).
  if (state.ok()) {
    Status written =
        store.RecordStatus(compared->comparison.sync_status, compared->comparison.health);
    if (!written.ok()) ctx.err.Line("warning: status not recorded: " + written.message());
  }
  if (format != "table") {
    PrintAppJson(ctx, *compared, recorded, format);
    return kExitOk;
  }
  const Application& app = compared->target.app;
  const AppComparison& cmp = compared->comparison;
  const ApplicationSource* source = app.sources.empty() ? nullptr : &app.sources.front();
  ctx.out.Line("Name:          " + compared->target.state_namespace + "/" + app.name);
  ctx.out.Line("Project:       " + app.project);
  ctx.out.Line("Server:        " +
               (app.destination.server.empty() ? app.destination.name : app.destination.server));
  ctx.out.Line("Namespace:     " + app.destination.namespace_);
  if (source) {
    ctx.out.Line("Repo:          " + StripUrlUserinfo(source->repo_url));
    ctx.out.Line("Target:        " + source->target_revision);
    ctx.out.Line("Path:          " + source->path);
  }
  ctx.out.Line("SyncPolicy:    " +
               std::string(app.sync_policy.AutoSyncEnabled() ? "Automated" : "Manual"));
  if (!compared->target.project.sync_windows.empty()) {
    auto window = CheckSyncWindows(compared->target.project, app, ctx.env.clock.NowUnix(), false);
    std::string text = !window.ok()      ? window.status().message()
                       : window->allowed ? "Sync Allowed"
                                         : "Sync Denied (" + window->reason + ")";
    if (window.ok() && !window->active.empty()) text += "; active: " + Joined(window->active);
    ctx.out.Line("Sync Window:   " + text);
  }
  ctx.out.Line("Sync Status:   " + ctx.out.Paint(cmp.sync_status, SyncColor(cmp.sync_status)) +
               " to " + Joined(compared->desired.revisions));
  ctx.out.Line(
      "Health Status: " +
      ctx.out.Paint(std::string(HealthCodeName(cmp.health.code)), HealthColor(cmp.health.code)) +
      (cmp.health.message.empty() ? "" : " (" + cmp.health.message + ")"));
  if (!recorded.last_phase.empty()) {
    ctx.out.Line("Last Sync:     " + recorded.last_phase + ": " + recorded.last_message);
  }
  for (const std::string& w : cmp.warnings) ctx.out.Line("Warning:       " + w);
  ctx.out.Line("");
  std::vector<std::vector<Cell>> rows;
  for (const ResourceComparison& r : cmp.resources) {
    auto wave = compared->waves.find(r.ref.ToString());
    std::string status = r.requires_pruning ? "OutOfSync (requires pruning)" : r.status;
    rows.push_back({wave == compared->waves.end() ? "-" : std::to_string(wave->second), r.ref.group,
                    r.ref.kind, r.ref.namespace_, r.ref.name, Cell(status, SyncColor(r.status)),
                    Cell(std::string(HealthCodeName(r.health.code)), HealthColor(r.health.code)),
                    r.message.empty() ? r.health.message : r.message});
  }
  ctx.out.Table({"WAVE", "GROUP", "KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "MESSAGE"},
                rows);
  return kExitOk;
}

int RunList(CommandContext& ctx) {
  std::string format;
  if (!CheckOutputFormat(ctx, {"json", "yaml", "table", "name"}, &format)) return kExitUsage;
  auto client = Connect(ctx);
  if (!client.ok()) return ctx.Fail(client.status().message());
  bool all = ctx.flags.GetBool("all-namespaces");
  std::string ns = all                          ? ""
                   : ctx.flags.Has("namespace") ? ctx.flags.Get("namespace")
                                                : (*client)->default_namespace();
  std::vector<std::vector<Cell>> rows;
  rapidjson::Document doc(rapidjson::kArrayType);
  auto& a = doc.GetAllocator();
  for (const char* group : {"mlgitops.io", "argoproj.io"}) {
    auto list = ListAll(**client, {group, "v1alpha1", "Application"}, ns, {});
    if (!list.ok()) {
      if (list.status().code() == Status::Code::kNotFound) continue;  // CRD not installed
      return ctx.Fail(list.status().message());
    }
    for (Object& obj : list->items) {
      std::string name = obj.name();
      auto app = ParseApplication(obj);
      const JsonValue* status = Find(obj.json(), "status");
      AppState state = status ? ParseAppState(*status) : AppState();
      std::string sync = state.sync_status.empty() ? "Unknown" : state.sync_status;
      std::string health = state.health.empty() ? "Unknown" : state.health;
      std::string policy = app.ok() && app->sync_policy.AutoSyncEnabled() ? "Auto" : "Manual";
      if (app.ok() && app->sync_policy.automated && app->sync_policy.automated->prune) {
        policy += "-Prune";
      }
      std::string server = app.ok() ? (app->destination.server.empty() ? app->destination.name
                                                                       : app->destination.server)
                                    : "";
      std::string dest_ns = app.ok() ? app->destination.namespace_ : "";
      std::string revision = state.last_revisions.empty() ? "" : state.last_revisions.front();
      if (format == "name") {
        ctx.out.Line(obj.namespace_() + "/" + name);
        continue;
      }
      if (format == "json" || format == "yaml") {
        JsonValue o(rapidjson::kObjectType);
        o.AddMember("name", JsonString(name, a), a);
        o.AddMember("namespace", JsonString(obj.namespace_(), a), a);
        o.AddMember("apiVersion", JsonString(obj.api_version(), a), a);
        o.AddMember("server", JsonString(server, a), a);
        o.AddMember("destinationNamespace", JsonString(dest_ns, a), a);
        o.AddMember("sync", JsonString(sync, a), a);
        o.AddMember("health", JsonString(health, a), a);
        o.AddMember("syncPolicy", JsonString(policy, a), a);
        o.AddMember("revision", JsonString(revision, a), a);
        if (!app.ok()) o.AddMember("error", JsonString(app.status().message(), a), a);
        doc.PushBack(o, a);
        continue;
      }
      std::vector<Cell> row;
      if (all) row.push_back(obj.namespace_());
      row.push_back(name);
      row.push_back(server);
      row.push_back(dest_ns);
      row.push_back(Cell(sync, SyncColor(sync)));
      auto code = ParseHealthCode(health);
      row.push_back(Cell(health, code ? HealthColor(*code) : Color::kYellow));
      row.push_back(policy);
      row.push_back(app.ok() ? revision.substr(0, 12) : "invalid: " + app.status().message());
      rows.push_back(std::move(row));
    }
  }
  if (format == "json") {
    ctx.out.Line(ToJson(doc, true));
    return kExitOk;
  }
  if (format == "yaml") {
    ctx.out.Write(ToYaml(doc));
    return kExitOk;
  }
  if (format == "name") return kExitOk;
  if (rows.empty()) {
    ctx.err.Line(ns.empty() ? "No Applications found." : "No Applications found in " + ns + ".");
    return kExitOk;
  }
  std::vector<std::string> headers = {"NAME",   "CLUSTER",    "NAMESPACE", "SYNC",
                                      "HEALTH", "SYNCPOLICY", "REVISION"};
  if (all) headers.insert(headers.begin(), "APP NAMESPACE");
  ctx.out.Table(headers, rows);
  return kExitOk;
}

int RunWait(CommandContext& ctx) {
  auto judges = LoadJudges(ctx);
  if (!judges.ok()) return ctx.Fail(judges.status().message());
  bool want_sync = ctx.flags.GetBool("sync");
  bool want_health = ctx.flags.GetBool("health");
  if (!want_sync && !want_health) want_sync = want_health = true;  // Argo CD: no flag = both
  auto timeout = ParseDurationSeconds(ctx.flags.Get("timeout"));
  auto grace = ParseDurationSeconds(ctx.flags.Get("degraded-grace"));
  auto interval = ParseDurationSeconds(ctx.flags.Get("interval"));
  if (!timeout || *timeout < 0 || !grace || *grace < 0 || !interval || *interval <= 0) {
    return ctx.Fail(
        "invalid duration in --timeout, --degraded-grace or --interval: use e.g. "
        "30s, 5m");
  }
  auto target = LoadAppTarget(ctx);
  if (!target.ok()) return ctx.Fail(target.status().message());
  auto desired = RenderDesired(ctx, target->app, ctx.flags.Get("revision"), &*target);
  if (!desired.ok()) return ctx.Fail(desired.status().message());
  CompareOptions options;
  options.assessor = judges->assessor.get();
  options.conventions = &judges->conventions;
  auto start = std::chrono::steady_clock::now();
  // When the app turned Degraded; epoch (zero) while it is not.
  std::chrono::steady_clock::time_point degraded_since{};
  std::string last_line;
  while (true) {
    options.now_unix = ctx.env.clock.NowUnix();
    auto cmp = CompareApp(*target->destination, target->app,
                          AppInstanceName(target->app, target->control_namespace), desired->objects,
                          options);
    if (!cmp.ok()) return ctx.Fail(cmp.status().message());
    std::string line = "sync " + cmp->sync_status + ", health " +
                       std::string(HealthCodeName(cmp->health.code)) +
                       (cmp->health.message.empty() ? "" : " (" + cmp->health.message + ")");
    if (line != last_line) {
      ctx.out.Line(FormatRfc3339(ctx.env.clock.NowUnix()) + "  " + target->app.name + ": " + line);
      last_line = line;
    }
    bool synced = !want_sync || cmp->sync_status == "Synced";
    bool healthy = !want_health || cmp->health.code == HealthCode::kHealthy;
    if (synced && healthy) return kExitOk;
    auto now = std::chrono::steady_clock::now();
    if (want_health && cmp->health.code == HealthCode::kDegraded) {
      // Fail fast, but let a Degraded blip (a pod restarting once) pass within the grace.
      if (degraded_since == std::chrono::steady_clock::time_point{}) degraded_since = now;
      if (now - degraded_since >= std::chrono::seconds(*grace)) {
        ctx.err.Line("error: " + target->app.DisplayName() +
                     " is Degraded: " + cmp->health.message);
        return kExitFindings;
      }
    } else {
      degraded_since = {};
    }
    if (*timeout > 0 && now - start >= std::chrono::seconds(*timeout)) {
      ctx.err.Line("error: timed out after " + ctx.flags.Get("timeout") + " waiting for " +
                   target->app.DisplayName() + " (" + line + ")");
      return kExitTimeout;
    }
    for (int64_t waited = 0; waited < *interval * 10; ++waited) {
      if (ctx.env.interrupted && ctx.env.interrupted->load()) return kExitInterrupted;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

}  // namespace mlgitops
