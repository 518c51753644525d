// ParseRollingSteps, MaxUpdateCount and the step-by-step sync of RollingSync.
#include "appset/rolling_sync.h"

#include <atomic>
#include <cctype>

#include "kube/client.h"
#include "sync/parallel.h"

namespace mlgitops {

namespace {

Status ReadRequirement(const JsonValue& entry, const std::string& where,
                       LabelSelector::Requirement* out) {
  if (!entry.IsObject()) return Status::InvalidArgument(where + ": expected a map");
  out->key = GetString(entry, "key");
  out->op = GetString(entry, "operator");
  if (out->key.empty()) return Status::InvalidArgument(where + ".key: required");
  if (out->op != "In" && out->op != "NotIn" && out->op != "Exists" && out->op != "DoesNotExist") {
    return Status::InvalidArgument(where + ".operator: \"" + out->op +
                                   "\" is not In, NotIn, Exists or DoesNotExist");
  }
  if (const JsonValue* values = Find(entry, "values"); values && values->IsArray()) {
    for (const JsonValue& v : values->GetArray()) {
      if (v.IsString()) out->values.push_back(v.GetString());
    }
  }
  return Status::OK();
}

Result<RollingStep> ReadStep(const JsonValue& entry, const std::string& where) {
  RollingStep step;
  if (!entry.IsObject()) return Status::InvalidArgument(where + ": expected a map");
  if (const JsonValue* expressions = Find(entry, "matchExpressions")) {
    if (!expressions->IsArray()) {
      return Status::InvalidArgument(where + ".matchExpressions: expected a list");
    }
    for (rapidjson::SizeType i = 0; i < expressions->Size(); ++i) {
      LabelSelector::Requirement r;
      Status s = ReadRequirement((*expressions)[i],
                                 where + ".matchExpressions[" + std::to_string(i) + "]", &r);
      if (!s.ok()) return s;
      step.selector.match_expressions.push_back(std::move(r));
    }
  }
  if (const JsonValue* max = Find(entry, "maxUpdate")) {
    step.max_update = max->IsString() ? max->GetString() : ToJson(*max);
    auto checked = MaxUpdateCount(step.max_update, 1);
    if (!checked.ok()) return checked.status().Prefixed(where + ".maxUpdate");
  }
  return step;
}

bool AllDigits(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return text.size() <= 9;
}

}  // namespace

Result<std::vector<RollingStep>> ParseRollingSteps(const ApplicationSet& appset) {
  std::vector<RollingStep> steps;
  if (appset.strategy_type != "RollingSync" || appset.strategy.empty()) return steps;
  std::string where = appset.DisplayName() + ": spec.strategy.rollingSync.steps";
  auto strategy = ParseJsonObject(appset.strategy, appset.DisplayName());
  if (!strategy.ok()) return strategy.status();
  const JsonValue* list = Find(strategy->json(), "rollingSync.steps");
  if (!list || !list->IsArray() || list->Empty()) {
    return Status::InvalidArgument(where + ": RollingSync needs at least one step");
  }
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    auto step = ReadStep((*list)[i], where + "[" + std::to_string(i) + "]");
    if (!step.ok()) return step.status();
    steps.push_back(std::move(*step));
  }
  return steps;
}

Result<size_t> MaxUpdateCount(const std::string& max_update, size_t apps) {
  if (max_update.empty()) return apps;
  bool percent = max_update.back() == '%';
  std::string digits = percent ? max_update.substr(0, max_update.size() - 1) : max_update;
  if (!AllDigits(digits)) {
    return Status::InvalidArgument("\"" + max_update +
                                   "\" is neither a count nor a percentage such as 25%");
  }
  size_t value = std::stoul(digits);
  if (!percent) return value;
  if (value > 100) return Status::InvalidArgument("\"" + max_update + "\" is above 100%");
  if (value == 0) return size_t{0};
  size_t count = apps * value / 100;
  return count == 0 ? size_t{1} : count;
}

std::vector<int> AssignSteps(const std::vector<RollingStep>& steps,
                             const std::vector<const Application*>& apps) {
  std::vector<int> assigned(apps.size(), -1);
  for (size_t a = 0; a < apps.size(); ++a) {
    const auto& labels = apps[a]->labels;
    auto lookup = [&labels](const std::string& key) -> const std::string* {
      auto it = labels.find(key);
      return it == labels.end() ? nullptr : &it->second;
    };
    for (size_t s = 0; s < steps.size() && assigned[a] < 0; ++s) {
      if (steps[s].selector.Matches(lookup)) assigned[a] = static_cast<int>(s);
    }
  }
  return assigned;
}

namespace {

AppSyncOutcome NotSynced(const Application& app, const std::string& step, std::string why) {
  AppSyncOutcome outcome;
  outcome.app = app.name;
  outcome.cluster = DestinationOf(app);
  outcome.step = step;
  outcome.message = std::move(why);
  return outcome;
}

std::string StepName(int index) { return "step " + std::to_string(index + 1); }

/// The first unhealthy outcome of a step as the reason the rollout stopped.
std::string StopReason(const std::string& step, const AppSyncOutcome& failed) {
  std::string state = failed.phase == "Error"
                          ? "could not be synced"
                          : "ended " + std::string(failed.synced ? "Synced" : "OutOfSync") +
                                " (sync " + failed.phase + ") and " + failed.health;
  return "stopped at " + step + ": Application " + failed.app + " " + state +
         (failed.message.empty() ? "" : ": " + failed.message) + "; later steps were not synced";
}

}  // namespace

AppSetSyncReport SyncRolling(const std::vector<RollingStep>& steps,
                             const std::vector<const Application*>& apps, const AppSyncFn& sync) {
  AppSetSyncReport report;
  report.apps.resize(apps.size());
  std::vector<int> assigned = AssignSteps(steps, apps);
  std::vector<std::string> unselected;
  for (size_t a = 0; a < apps.size(); ++a) {
    if (assigned[a] >= 0) continue;
    report.apps[a] = NotSynced(*apps[a], "", "no RollingSync step selects it: sync it by hand");
    unselected.push_back(apps[a]->name);
  }
  for (size_t s = 0; s < steps.size(); ++s) {
    std::string step = StepName(static_cast<int>(s));
    std::vector<size_t> members;
    for (size_t a = 0; a < apps.size(); ++a) {
      if (assigned[a] == static_cast<int>(s)) members.push_back(a);
    }
    if (report.stopped) {
      for (size_t a : members) report.apps[a] = NotSynced(*apps[a], step, "an earlier step failed");
      continue;
    }
    auto limit = MaxUpdateCount(steps[s].max_update, members.size());
    size_t at_once = limit.ok() ? *limit : members.size();
    if (at_once == 0 && !members.empty()) {
      for (size_t a : members) {
        report.apps[a] = NotSynced(*apps[a], step, "maxUpdate 0: waiting for a manual sync");
      }
      report.notes.push_back("stopped at " + step + ": maxUpdate is 0, its " +
                             std::to_string(members.size()) +
                             " app(s) wait for a manual sync; later steps were not synced");
      report.stopped = true;
      continue;
    }
    std::atomic<bool> failed{false};
    RunParallel(members.size(), static_cast<int>(at_once), [&](size_t m) {
      size_t a = members[m];
      if (failed.load()) {
        report.apps[a] = NotSynced(*apps[a], step, "not started: another app of the step failed");
        return;
      }
      AppSyncOutcome outcome = SyncAndJudge(*apps[a], sync);
      outcome.step = step;
      if (!outcome.ok()) failed.store(true);
      report.apps[a] = std::move(outcome);
    });
    for (size_t a : members) {
      if (report.apps[a].attempted && !report.apps[a].ok() && !report.stopped) {
        report.notes.push_back(StopReason(step, report.apps[a]));
        report.stopped = true;
      }
    }
  }
  if (!unselected.empty()) {
    std::string names;
    for (const std::string& n : unselected) names += (names.empty() ? "" : ", ") + n;
    report.notes.push_back("not synced, no RollingSync step selects them (sync by hand): " + names);
  }
  return report;
}

}  // namespace mlgitops
