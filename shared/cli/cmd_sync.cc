// sync, history and rollback: run the sync engine for an app, record its result, go back.
#include <memory>

#include "cli/app_target.h"
#include "cli/cli.h"
#include "cli/command_util.h"
#include "cli/sync_progress.h"
#include "object/timeutil.h"
#include "project/sync_windows.h"
#include "sync/app_state.h"
#include "sync/syncer.h"
#include "sync/tracking.h"

namespace mlgitops {

namespace {

Result<std::chrono::milliseconds> DurationFlag(const CommandContext& ctx, const std::string& name,
                                               std::chrono::milliseconds fallback) {
  if (!ctx.flags.Has(name)) return fallback;
  std::string text = ctx.flags.Get(name);
  if (text == "0") return std::chrono::milliseconds(0);
  auto seconds = ParseDurationSeconds(text);
  if (!seconds || *seconds < 0) {
    return Status::InvalidArgument("invalid duration \"" + text + "\" for --" + name +
                                   ": use e.g. 90s, 5m or 1h");
  }
  return std::chrono::milliseconds(*seconds * 1000);
}

/// Runs one sync of `target` at `revision` and prints it; the exit code.
int SyncOnce(CommandContext& ctx, AppTarget& target, const std::string& revision) {
  std::string format;
  if (!CheckOutputFormat(ctx, {"table", "json"}, &format)) return kExitUsage;
  auto timeout = DurationFlag(ctx, "timeout", std::chrono::milliseconds(0));
  if (!timeout.ok()) return ctx.Fail(timeout.status().message());
  auto wave_timeout = DurationFlag(ctx, "wave-timeout", std::chrono::minutes(10));
  if (!wave_timeout.ok()) return ctx.Fail(wave_timeout.status().message());
  auto conventions = LoadConventionsFlag(ctx);
  if (!conventions.ok()) return ctx.Fail(conventions.status().message());
  auto lua = LoadLuaFlag(ctx);
  if (!lua.ok()) return ctx.Fail(lua.status().message());
  HealthAssessor assessor(lua->has_value() ? &**lua : nullptr);

  // A manual sync passes the project's sync windows as Argo CD's CanSync(manual) decides.
  auto window = CheckSyncWindows(target.project, target.app, ctx.env.clock.NowUnix(), true);
  if (!window.ok()) return ctx.Fail(target.app.DisplayName() + ": " + window.status().message());
  if (!window->allowed) {
    return ctx.Fail(target.app.DisplayName() + ": cannot sync: " + window->reason);
  }
  auto desired = RenderDesired(ctx, target.app, revision, &target);
  if (!desired.ok()) return ctx.Fail(desired.status().message());
  for (const std::string& line : UnsupportedSyncOptions(target.app, desired->objects)) {
    ctx.err.Line("warning: sync option " + line);
  }

  SyncOptions options;
  options.dry_run = ctx.flags.GetBool("dry-run");
  options.prune = ctx.flags.GetBool("prune") ||
                  (target.app.sync_policy.automated && target.app.sync_policy.automated->prune);
  options.force = ctx.flags.GetBool("force");
  options.resources = ctx.flags.GetAll("resource");
  options.timeout = *timeout;
  options.wave_timeout = *wave_timeout;
  options.cancel = ctx.env.interrupted;

  SyncInput input;
  input.app = &target.app;
  input.app_instance = AppInstanceName(target.app, target.control_namespace);
  input.desired = std::move(desired->objects);
  input.revisions = desired->revisions;

  std::unique_ptr<SyncObserver> progress;
  LiveProgress* live = nullptr;
  if (format == "table") {
    if (ctx.env.out.IsTerminal()) {
      auto view = std::make_unique<LiveProgress>(ctx.out, target.app.name);
      live = view.get();
      progress = std::move(view);
    } else {
      progress = std::make_unique<LineProgress>(ctx.out, ctx.env.clock);
    }
  }
  Syncer syncer(*target.destination, assessor, *conventions, ctx.env.clock);
  auto result = syncer.Run(std::move(input), options, progress.get());
  if (live) live->Finish();
  if (!result.ok()) return ctx.Fail(result.status().message());
  result->rendered_from_cache = desired->from_cache;

  if (!options.dry_run) {
    AppStateStore store(*target.control, target.app, target.in_cluster, target.state_namespace);
    Status recorded = store.Record(*result, InitiatedBy(ctx));
    if (recorded.ok()) {
      bool synced = result->succeeded() && result->prune_skipped == 0;
      recorded = store.RecordStatus(synced ? "Synced" : "OutOfSync", SyncedAppHealth(*result));
    }
    if (!recorded.ok()) ctx.err.Line("warning: the result was not recorded: " + recorded.message());
  }
  if (format == "json") {
    ctx.out.Line(SyncResultToJson(*result, true));
  } else {
    ctx.out.Line("");
    PrintSyncResult(ctx.out, *result);
  }
  if (result->phase == "Terminated") return kExitInterrupted;
  if (!result->succeeded()) return kExitFindings;
  // Argo CD: an app-wide sync that leaves resources needing pruning did not converge.
  if (result->prune_skipped > 0 && options.resources.empty()) {
    ctx.err.Line(std::to_string(result->prune_skipped) +
                 " resource(s) require pruning: sync with --prune to delete them");
    return kExitFindings;
  }
  return kExitOk;
}

}  // namespace

int RunSync(CommandContext& ctx) {
  auto target = LoadAppTarget(ctx);
  if (!target.ok()) return ctx.Fail(target.status().message());
  return SyncOnce(ctx, *target, ctx.flags.Get("revision"));
}

int RunHistory(CommandContext& ctx) {
  std::string format;
  if (!CheckOutputFormat(ctx, {"table", "json", "id"}, &format)) return kExitUsage;
  auto target = LoadAppTarget(ctx);
  if (!target.ok()) return ctx.Fail(target.status().message());
  AppStateStore store(*target->control, target->app, target->in_cluster, target->state_namespace);
  auto state = store.Load();
  if (!state.ok()) return ctx.Fail(state.status().message());
  if (format == "id") {
    for (const HistoryEntry& e : state->history) ctx.out.Line(std::to_string(e.id));
    return kExitOk;
  }
  if (format == "json") {
    rapidjson::Document doc(rapidjson::kArrayType);
    auto& a = doc.GetAllocator();
    for (const HistoryEntry& e : state->history) {
      JsonValue o(rapidjson::kObjectType);
      o.AddMember("id", e.id, a);
      JsonValue revisions(rapidjson::kArrayType);
      for (const std::string& r : e.revisions) revisions.PushBack(JsonString(r, a), a);
      o.AddMember("revisions", revisions, a);
      o.AddMember("deployStartedAt", JsonString(FormatRfc3339(e.deploy_started_at), a), a);
      o.AddMember("deployedAt", JsonString(FormatRfc3339(e.deployed_at), a), a);
      o.AddMember("initiatedBy", JsonString(e.initiated_by, a), a);
      o.AddMember("phase", JsonString(e.phase, a), a);
      o.AddMember("message", JsonString(e.message, a), a);
      JsonValue resources(rapidjson::kArrayType);
      for (const std::string& r : e.resources) resources.PushBack(JsonString(r, a), a);
      o.AddMember("resources", resources, a);
      doc.PushBack(o, a);
    }
    ctx.out.Line(ToJson(doc, true));
    return kExitOk;
  }
  std::vector<std::vector<Cell>> rows;
  for (const HistoryEntry& e : state->history) {
    std::string revision = e.revisions.empty() ? "" : e.revisions.front();
    if (e.revisions.size() > 1) revision += " (+" + std::to_string(e.revisions.size() - 1) + ")";
    rows.push_back({std::to_string(e.id), FormatRfc3339(e.deployed_at), revision,
                    Cell(e.phase, e.phase == "Succeeded" ? Color::kGreen : Color::kRed),
                    e.initiated_by, e.message});
  }
  if (rows.empty()) {
    ctx.err.Line("No sync history for " + target->app.DisplayName() + " (kept in " +
                 store.location() + ")");
    return kExitOk;
  }
  ctx.out.Table({"ID", "DATE", "REVISION", "PHASE", "INITIATED BY", "MESSAGE"}, rows);
  return kExitOk;
}

int RunRollback(CommandContext& ctx) {
  // APP ID, or -f FILE ID: the last positional argument is the history id (optional).
  const auto& args = ctx.flags.positional();
  bool from_file = ctx.flags.Has("filename");
  std::string id_text;
  if ((from_file && args.size() == 1) || (!from_file && args.size() == 2)) id_text = args.back();
  auto target = LoadAppTarget(ctx, id_text.empty() ? 0 : 1);
  if (!target.ok()) return ctx.Fail(target.status().message());
  if (target->app.sync_policy.AutoSyncEnabled()) {
    return ctx.Fail(target->app.DisplayName() +
                    ": rollback cannot be initiated when auto-sync is enabled (it would sync "
                    "Git's revision right back): turn syncPolicy.automated off first");
  }
  AppStateStore store(*target->control, target->app, target->in_cluster, target->state_namespace);
  auto state = store.Load();
  if (!state.ok()) return ctx.Fail(state.status().message());
  const HistoryEntry* chosen = nullptr;
  if (!id_text.empty()) {
    for (const HistoryEntry& e : state->history) {
      if (std::to_string(e.id) == id_text) chosen = &e;
    }
    if (!chosen) {
      return ctx.Fail(target->app.DisplayName() + ": no history entry with id " + id_text +
                      " (see kubectl mlgitops history)");
    }
  } else {
    // The previous successful sync before the latest one.
    int seen = 0;
    for (auto it = state->history.rbegin(); it != state->history.rend(); ++it) {
      if (it->phase != "Succeeded") continue;
      if (++seen == 2) {
        chosen = &*it;
        break;
      }
    }
    if (!chosen) return ctx.Fail(target->app.DisplayName() + ": no earlier successful sync");
  }
  if (chosen->phase != "Succeeded") {
    return ctx.Fail(target->app.DisplayName() + ": history entry " + id_text + " " + chosen->phase +
                    "; roll back to a successful one");
  }
  if (chosen->revisions.empty() || chosen->revisions.front().rfind("local:", 0) == 0) {
    if (!ctx.flags.Has("local")) {
      return ctx.Fail(target->app.DisplayName() + ": history entry " + std::to_string(chosen->id) +
                      " was synced from a local directory; give --local DIR to roll back");
    }
  }
  std::string revision = chosen->revisions.empty() ? "" : chosen->revisions.front();
  if (revision.rfind("local:", 0) == 0) revision.clear();
  ctx.err.Line("Rolling " + target->app.DisplayName() + " back to history entry " +
               std::to_string(chosen->id) + (revision.empty() ? "" : " (" + revision + ")"));
  return SyncOnce(ctx, *target, revision);
}

}  // namespace mlgitops
