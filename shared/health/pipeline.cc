// Built-in health checks for scheduled pipelines: batch CronJob, Argo CronWorkflow, Spark
// (Scheduled)SparkApplication. The first three follow Argo CD's bundled checks and messages;
// all add the mlgitops.io/sla freshness rule (the newest successful run must be recent enough).
#include <cstdlib>
#include <string>

#include "health/health.h"
#include "health/health_util.h"
#include "object/timeutil.h"

namespace mlgitops {

namespace {
using health_util::ConditionStatus;
using health_util::Degraded;
using health_util::HasEntries;
using health_util::Healthy;
using health_util::Progressing;
using health_util::Suspended;
using health_util::TimeAt;
using health_util::Unknown;

constexpr const char* kSlaAnnotation = "mlgitops.io/sla";

// ---- mlgitops.io/sla freshness ----

std::optional<HealthStatus> SlaBreach(const Object& obj, std::optional<int64_t> last_success,
                                      const HealthContext& ctx) {
  auto text = obj.annotation(kSlaAnnotation);
  if (!text) return std::nullopt;
  auto sla = ParseDurationSeconds(*text);
  if (!sla || *sla <= 0) {
    return Unknown(std::string("invalid ") + kSlaAnnotation + " annotation " +
                   health_util::Quoted(*text) + ": expected a positive duration such as 6h or 30m");
  }
  if (ctx.now_unix == 0) return std::nullopt;  // no clock: freshness cannot be judged
  std::string limit = FormatDurationShort(*sla);
  if (last_success) {
    int64_t age = ctx.now_unix - *last_success;
    if (age <= *sla) return std::nullopt;
    return Degraded("last successful run " + FormatDurationShort(age) + " ago exceeds SLA " +
                    limit);
  }
  // Never succeeded: a new pipeline gets one SLA period to produce its first success.
  auto created = TimeAt(obj.json(), "metadata.creationTimestamp");
  if (!created || ctx.now_unix - *created <= *sla) return std::nullopt;
  return Degraded("no successful run within SLA " + limit + " since creation " +
                  FormatDurationShort(ctx.now_unix - *created) + " ago");
}

HealthStatus WithSla(HealthStatus base, const Object& obj, std::optional<int64_t> last_success,
                     const HealthContext& ctx) {
  auto breach = SlaBreach(obj, last_success, ctx);
  if (!breach || IsWorse(base.code, breach->code)) return base;
  if (IsWorse(breach->code, base.code) || base.message.empty()) return *breach;
  base.message += "; " + breach->message;  // both bad in the same way: say both
  return base;
}

// ---- batch CronJob ----

// Kubernetes writes both times in the same format, so when one does not parse, the text
// comparison Argo CD uses still orders them.
bool EarlierTime(const JsonValue& v, const char* a, const char* b) {
  auto ta = TimeAt(v, a);
  auto tb = TimeAt(v, b);
  if (ta && tb) return *ta < *tb;
  return GetString(v, a) < GetString(v, b);
}

// Argo CD: a CronJob cannot be seen missing runs, so it is Healthy unless its latest finished
// run is known to have failed.
HealthStatus CronJobArgo(const JsonValue& v) {
  if (GetBool(v, "spec.suspend").value_or(false)) return Healthy("CronJob is Suspended");
  if (!health_util::IsSet(v, "status")) return Progressing("Waiting for CronJob");
  if (!Find(v, "status.lastScheduleTime")) return Healthy("CronJob has not been scheduled yet");
  if (!Find(v, "status.lastSuccessfulTime")) {
    return Healthy("The CronJob never completed successfully. It may not be healthy");
  }
  if (HasEntries(v, "status.active")) {
    return Healthy("The job is running. Its last execution may not have been successful");
  }
  if (EarlierTime(v, "status.lastSuccessfulTime", "status.lastScheduleTime")) {
    return Degraded("CronJob has not completed its last execution successfully");
  }
  return Healthy("CronJob has completed its last execution successfully");
}

std::optional<HealthStatus> CronJobHealth(const Object& obj, const HealthContext& ctx) {
  const JsonValue& v = obj.json();
  return WithSla(CronJobArgo(v), obj, TimeAt(v, "status.lastSuccessfulTime"), ctx);
}

// ---- Argo CronWorkflow ----

HealthStatus CronWorkflowArgo(const JsonValue& v) {
  for (const JsonValue* c : health_util::Conditions(v)) {
    if (ConditionStatus(*c) != "True") continue;
    std::string type = MemberString(*c, "type");
    if (type == "SpecError" || type == "SubmissionError") {
      return Degraded(MemberString(*c, "message"));
    }
    if (type == "Completed") return Healthy(MemberString(*c, "message"));
  }
  return Healthy("CronWorkflow is healthy.");
}

// A CronWorkflow records no success time; its child Workflows do.
std::optional<int64_t> NewestSucceededWorkflow(const HealthContext& ctx) {
  std::optional<int64_t> newest;
  for (const Object* child : ctx.children) {
    if (!child || child->kind() != "Workflow" || child->group() != "argoproj.io") continue;
    const JsonValue& w = child->json();
    if (GetString(w, "status.phase") != "Succeeded") continue;
    auto finished = TimeAt(w, "status.finishedAt");
    if (finished && (!newest || *finished > *newest)) newest = finished;
  }
  return newest;
}

std::optional<HealthStatus> CronWorkflowHealth(const Object& obj, const HealthContext& ctx) {
  return WithSla(CronWorkflowArgo(obj.json()), obj, NewestSucceededWorkflow(ctx), ctx);
}

// ---- Spark operator SparkApplication ----

struct ExecutorRange {
  double min = 0;
  double max = 1e300;
};

// A number, or a string holding one (sparkConf values are strings).
std::optional<double> NumberValue(const JsonValue* x) {
  if (!x) return std::nullopt;
  if (x->IsNumber()) return x->GetDouble();
  if (!x->IsString()) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(x->GetString(), &end);
  if (end == x->GetString() || *end != '\0') return std::nullopt;
  return d;
}

const JsonValue* Member(const JsonValue& map, const std::string& key) {
  auto it = map.FindMember(key.c_str());
  return it == map.MemberEnd() ? nullptr : &it->value;
}

bool Truthy(const JsonValue& v, std::string_view path) {
  const JsonValue* x = Find(v, path);
  return x && !x->IsNull() && !(x->IsBool() && !x->GetBool());
}

// The streaming flavour of dynamic allocation is looked at first, as Argo CD does.
std::optional<ExecutorRange> SparkConfRange(const JsonValue& conf) {
  for (std::string prefix : {"spark.streaming.dynamicAllocation.", "spark.dynamicAllocation."}) {
    const JsonValue* enabled = Member(conf, prefix + "enabled");
    if (!enabled || !enabled->IsString() || std::string(enabled->GetString()) != "true") continue;
    ExecutorRange r;
    r.min = NumberValue(Member(conf, prefix + "minExecutors")).value_or(r.min);
    r.max = NumberValue(Member(conf, prefix + "maxExecutors")).value_or(r.max);
    return r;
  }
  return std::nullopt;
}

// How many running executors are acceptable when dynamic allocation is on (nullopt: it is off).
std::optional<ExecutorRange> DynamicExecutorRange(const JsonValue& v) {
  if (Truthy(v, "spec.dynamicAllocation") && Truthy(v, "spec.dynamicAllocation.enabled")) {
    ExecutorRange r;
    r.min = NumberValue(Find(v, "spec.dynamicAllocation.minExecutors")).value_or(r.min);
    r.max = NumberValue(Find(v, "spec.dynamicAllocation.maxExecutors")).value_or(r.max);
    return r;
  }
  const JsonValue* conf = Find(v, "spec.sparkConf");
  if (conf && conf->IsObject()) return SparkConfRange(*conf);
  return std::nullopt;
}

bool ExecutorsReady(const JsonValue& v) {
  const JsonValue* executors = Find(v, "status.executorState");
  if (!executors || !executors->IsObject()) return false;
  int running = 0;
  for (const auto& e : executors->GetObject()) {
    if (e.value.IsString() && std::string(e.value.GetString()) == "RUNNING") ++running;
  }
  auto instances = GetInt(v, "spec.executor.instances");
  if (instances && *instances == running) return true;
  if (auto range = DynamicExecutorRange(v)) return running >= range->min && running <= range->max;
  bool unconfigured = !Find(v, "spec.dynamicAllocation") && !instances;
  return unconfigured && running >= 1;
}

std::optional<HealthStatus> SparkStateVerdict(const std::string& state, const JsonValue& v) {
  std::string error = GetString(v, "status.applicationState.errorMessage");
  if (state.empty()) {
    return Progressing("SparkApplication was added, enqueuing it for submission");
  }
  if (state == "RUNNING" && ExecutorsReady(v)) return Healthy("SparkApplication is Running");
  if (state == "SUBMITTED") return Progressing("SparkApplication was submitted successfully");
  if (state == "COMPLETED") return Healthy("SparkApplication was Completed");
  if (state == "FAILED" || state == "SUBMISSION_FAILED" || state == "FAILING") {
    return Degraded(error);
  }
  if (state == "PENDING_RERUN") return Progressing("SparkApplication is Pending Rerun");
  if (state == "INVALIDATING") {
    return HealthStatus{HealthCode::kMissing, "SparkApplication is in InvalidatingState"};
  }
  if (state == "SUCCEEDING") {
    return Progressing(
        "The driver pod has completed successfully; the executor pods are terminating and "
        "being cleaned up.");
  }
  if (state == "UNKNOWN") {
    return Progressing(
        "SparkApplication is in UnknownState because either driver pod or one or all executor "
        "pods in unknown state");
  }
  return std::nullopt;
}

HealthStatus SparkApplicationArgo(const JsonValue& v) {
  const JsonValue* state = Find(v, "status.applicationState.state");
  if (state && state->IsString()) {
    if (auto verdict = SparkStateVerdict(state->GetString(), v)) return *verdict;
  }
  return Progressing("Waiting for Executor pods");
}

std::optional<HealthStatus> SparkApplicationHealth(const Object& obj, const HealthContext& ctx) {
  const JsonValue& v = obj.json();
  std::optional<int64_t> last_success;
  if (GetString(v, "status.applicationState.state") == "COMPLETED") {
    last_success = TimeAt(v, "status.terminationTime");
  }
  return WithSla(SparkApplicationArgo(v), obj, last_success, ctx);
}

HealthStatus ScheduledSparkState(const JsonValue& v) {
  if (GetBool(v, "spec.suspend").value_or(false)) {
    return Suspended("ScheduledSparkApplication is suspended");
  }
  std::string state = GetString(v, "status.scheduleState");
  if (state == "FailedValidation") {
    return Degraded(
        health_util::JoinColon("schedule failed validation", GetString(v, "status.reason")));
  }
  if (state == "Scheduled") return Healthy("ScheduledSparkApplication is scheduled");
  return Progressing("Waiting for the Spark operator to schedule the application");
}

std::optional<HealthStatus> ScheduledSparkApplicationHealth(const Object& obj,
                                                            const HealthContext& ctx) {
  const JsonValue& v = obj.json();
  return WithSla(ScheduledSparkState(v), obj, TimeAt(v, "status.lastRun"), ctx);
}

}  // namespace

void RegisterPipelineHealth(HealthRegistry& r) {
  r.Add("batch", "CronJob", CronJobHealth);
  r.Add("argoproj.io", "CronWorkflow", CronWorkflowHealth);
  r.Add("sparkoperator.k8s.io", "SparkApplication", SparkApplicationHealth);
  r.Add("sparkoperator.k8s.io", "ScheduledSparkApplication", ScheduledSparkApplicationHealth);
}

}  // namespace mlgitops
