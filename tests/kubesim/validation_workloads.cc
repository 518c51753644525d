// apps/v1, batch/v1, autoscaling and policy/v1 validation (pkg/apis/{apps,batch,autoscaling,
// policy}/validation): selectors that match their templates, replica counts, strategies, Job
// restart policies, CronJob schedules, HPA bounds, PodDisruptionBudgets.
#include <cctype>
#include <set>

#include "kubesim/validation_internal.h"

namespace mlgitops::kubesim {

namespace {

bool IsInt(const JsonValue* v) { return v && (v->IsInt64() || v->IsUint64()); }

// ValidatePositiveIntOrPercent and IsNotMoreThan100Percent (intstr fields).
void IntOrPercent(const JsonValue* parent, const char* key, const std::string& path,
                  FieldErrors* errors) {
  const JsonValue* v = Member(parent, key);
  if (!v) return;
  std::string at = Child(path, key);
  if (IsInt(v)) {
    if (v->GetInt64() < 0) errors->InvalidValue(at, v, "must be greater than or equal to 0");
    return;
  }
  if (!v->IsString()) return;
  std::string s = v->GetString();
  bool ok = s.size() >= 2 && s.back() == '%';
  for (size_t i = 0; ok && i + 1 < s.size(); ++i)
    ok = std::isdigit(static_cast<unsigned char>(s[i]));
  if (!ok) {
    errors->InvalidString(at, s,
                          "a valid percent string must be a numeric string followed by an ending "
                          "'%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')");
  } else if (s.size() > 4 || std::stol(s.substr(0, s.size() - 1)) > 100) {
    errors->InvalidString(at, s, "must not be greater than 100%");
  }
}

bool IsZeroIntOrPercent(const JsonValue* v) {
  if (!v) return false;
  if (IsInt(v)) return v->GetInt64() == 0;
  return v->IsString() &&
         (std::string(v->GetString()) == "0%" || std::string(v->GetString()) == "0");
}

// The selector rules every replicated workload shares, then its pod template.
void ValidateSelectorAndTemplate(const JsonValue* spec, const std::string& what, bool required,
                                 FieldErrors* errors) {
  const JsonValue* selector = Member(spec, "selector");
  if (!selector || selector->IsNull()) {
    if (required) errors->Required("spec.selector");
  } else {
    ValidateLabelSelector(selector, "spec.selector", errors);
    if (SelectorEmpty(selector)) {
      errors->InvalidValue("spec.selector", selector, "empty selector is invalid for " + what);
    }
  }
  const JsonValue* templ = Member(spec, "template");
  const JsonValue* labels = templ ? Find(*templ, "metadata.labels") : nullptr;
  bool nil_selector = !selector || selector->IsNull();
  if ((nil_selector || !SelectorEmpty(selector)) && !SelectorMatches(selector, labels)) {
    errors->InvalidValue("spec.template.metadata.labels", labels,
                         "`selector` does not match template `labels`");
  }
  ValidatePodTemplate(templ, "spec.template", errors);
}

// Controllers that keep their Pods running accept only restartPolicy Always.
void RequireAlwaysRestart(const JsonValue* spec, const std::string& kind, FieldErrors* errors) {
  const JsonValue* pod = Find(*spec, "template.spec");
  std::string policy = MemberStr(pod, "restartPolicy");
  if (!policy.empty() && policy != "Always") {
    errors->NotSupported("spec.template.spec.restartPolicy", policy, {"Always"});
  }
  if (Member(pod, "activeDeadlineSeconds")) {
    errors->Forbidden("spec.template.spec.activeDeadlineSeconds",
                      "activeDeadlineSeconds in " + kind + " is not Supported");
  }
}

void ValidateDeployment(const JsonValue& object, FieldErrors* errors) {
  const JsonValue* spec = Member(&object, "spec");
  NonNegative(spec, "replicas", "spec", errors);
  ValidateSelectorAndTemplate(spec, "deployment", true, errors);
  if (spec) RequireAlwaysRestart(spec, "ReplicaSet", errors);
  const JsonValue* strategy = Member(spec, "strategy");
  std::string type = MemberStr(strategy, "type");
  const JsonValue* rolling = Member(strategy, "rollingUpdate");
  if (type == "Recreate") {
    if (rolling) {
      errors->Forbidden("spec.strategy.rollingUpdate",
                        "may not be specified when strategy `type` is 'Recreate'");
    }
  } else if (type == "RollingUpdate") {
    IntOrPercent(rolling, "maxUnavailable", "spec.strategy.rollingUpdate", errors);
    IntOrPercent(rolling, "maxSurge", "spec.strategy.rollingUpdate", errors);
    if (IsZeroIntOrPercent(Member(rolling, "maxUnavailable")) &&
        IsZeroIntOrPercent(Member(rolling, "maxSurge"))) {
      errors->InvalidValue("spec.strategy.rollingUpdate.maxUnavailable",
                           Member(rolling, "maxUnavailable"), "may not be 0 when `maxSurge` is 0");
    }
  } else {
    errors->NotSupported("spec.strategy", type, {"Recreate", "RollingUpdate"});
  }
  NonNegative(spec, "minReadySeconds", "spec", errors);
  NonNegative(spec, "revisionHistoryLimit", "spec", errors);
  const JsonValue* deadline = Member(spec, "progressDeadlineSeconds");
  NonNegative(spec, "progressDeadlineSeconds", "spec", errors);
  const JsonValue* min_ready = Member(spec, "minReadySeconds");
  if (IsInt(deadline) && IsInt(min_ready) && deadline->GetInt64() <= min_ready->GetInt64()) {
    errors->InvalidValue("spec.progressDeadlineSeconds", deadline,
                         "must be greater than minReadySeconds");
  }
}

void ValidateStatefulSet(const JsonValue& object, FieldErrors* errors) {
  const JsonValue* spec = Member(&object, "spec");
  std::string policy = MemberStr(spec, "podManagementPolicy");
  if (policy.empty()) {
    errors->Required("spec.podManagementPolicy");
  } else if (policy != "OrderedReady" && policy != "Parallel") {
    errors->InvalidString("spec.podManagementPolicy", policy,
                          "must be 'OrderedReady' or 'Parallel'");
  }
  const JsonValue* strategy = Member(spec, "updateStrategy");
  std::string type = MemberStr(strategy, "type");
  if (type.empty()) {
    errors->Required("spec.updateStrategy");
  } else if (type != "RollingUpdate" && type != "OnDelete") {
    errors->InvalidValue("spec.updateStrategy", strategy, "must be 'RollingUpdate' or 'OnDelete'");
  } else if (type == "OnDelete" && Member(strategy, "rollingUpdate")) {
    errors->Invalid("spec.updateStrategy.rollingUpdate", "null",
                    "only allowed for updateStrategy 'RollingUpdate'");
  }
  if (const JsonValue* retention = Member(spec, "persistentVolumeClaimRetentionPolicy")) {
    for (const char* key : {"whenDeleted", "whenScaled"}) {
      Enum(retention, key, "spec.persistentVolumeClaimRetentionPolicy", {"Retain", "Delete"}, false,
           errors);
    }
  }
  NonNegative(spec, "replicas", "spec", errors);
  NonNegative(spec, "minReadySeconds", "spec", errors);
  ValidateSelectorAndTemplate(spec, "statefulset", true, errors);
  if (spec) RequireAlwaysRestart(spec, "StatefulSet", errors);
  const JsonValue* claims = Member(spec, "volumeClaimTemplates");
  for (rapidjson::SizeType i = 0; i < Count(claims); ++i) {
    ValidatePvcSpec(Member(&(*claims)[i], "spec"),
                    Child(Index("spec.volumeClaimTemplates", i), "spec"), errors);
  }
}

void ValidateDaemonSet(const JsonValue& object, FieldErrors* errors) {
  const JsonValue* spec = Member(&object, "spec");
  ValidateSelectorAndTemplate(spec, "daemonset", false, errors);
  if (spec) RequireAlwaysRestart(spec, "DaemonSet", errors);
  const JsonValue* strategy = Member(spec, "updateStrategy");
  if (strategy) {
    Enum(strategy, "type", "spec.updateStrategy", {"OnDelete", "RollingUpdate"}, true, errors);
    if (const JsonValue* rolling = Member(strategy, "rollingUpdate")) {
      IntOrPercent(rolling, "maxUnavailable", "spec.updateStrategy.rollingUpdate", errors);
      IntOrPercent(rolling, "maxSurge", "spec.updateStrategy.rollingUpdate", errors);
    }
  }
  NonNegative(spec, "minReadySeconds", "spec", errors);
  NonNegative(spec, "revisionHistoryLimit", "spec", errors);
}

void ValidateJobSpec(const JsonValue* spec, const std::string& path, bool check_selector,
                     FieldErrors* errors) {
  for (const char* key : {"parallelism", "completions", "activeDeadlineSeconds", "backoffLimit",
                          "ttlSecondsAfterFinished"}) {
    NonNegative(spec, key, path, errors);
  }
  std::string mode = MemberStr(spec, "completionMode");
  if (!mode.empty() && mode != "NonIndexed" && mode != "Indexed") {
    errors->NotSupported(Child(path, "completionMode"), mode, {"NonIndexed", "Indexed"});
  }
  if (mode == "Indexed" && !Member(spec, "completions")) {
    errors->Required(Child(path, "completions"), "when completion mode is Indexed");
  }
  const JsonValue* templ = Member(spec, "template");
  std::string template_path = Child(path, "template");
  if (check_selector) {
    const JsonValue* selector = Member(spec, "selector");
    if (!selector) {
      errors->Required(Child(path, "selector"));
    } else {
      ValidateLabelSelector(selector, Child(path, "selector"), errors);
      const JsonValue* labels = templ ? Find(*templ, "metadata.labels") : nullptr;
      if (!SelectorEmpty(selector) && !SelectorMatches(selector, labels)) {
        errors->InvalidValue(Child(template_path, "metadata.labels"), labels,
                             "`selector` does not match template `labels`");
      }
    }
  }
  ValidatePodTemplate(templ, template_path, errors);
  std::string restart = templ ? GetString(*templ, "spec.restartPolicy") : "";
  if (restart != "OnFailure" && restart != "Never") {
    errors->Required(Child(template_path, "spec.restartPolicy"),
                     "valid values: \"OnFailure\", \"Never\"");
  }
}

// ValidateGeneratedSelector: without manualSelector the selector is the generated one.
void ValidateJobSelector(const JsonValue& object, FieldErrors* errors) {
  const JsonValue* spec = Member(&object, "spec");
  const JsonValue* manual = Member(spec, "manualSelector");
  if (manual && manual->IsBool() && manual->GetBool()) return;
  std::string uid = GetString(object, "metadata.uid");
  const JsonValue* match = Find(object, "spec.selector.matchLabels");
  const JsonValue* labels = Find(object, "spec.template.metadata.labels");
  if (!labels) {
    errors->Required("spec.template.metadata.labels");
    return;
  }
  for (const char* key : {"controller-uid", "batch.kubernetes.io/controller-uid"}) {
    std::string have = MemberStr(labels, key);
    if (have.empty()) {
      errors->Required(Key("spec.template.metadata.labels", key));
    } else if (have != uid) {
      errors->InvalidString(Key("spec.template.metadata.labels", key), have,
                            "must be '" + uid + "'");
    }
  }
  if (MemberStr(match, "batch.kubernetes.io/controller-uid") != uid ||
      (match && match->MemberCount() != 1) || Find(object, "spec.selector.matchExpressions")) {
    errors->InvalidValue("spec.selector", Member(spec, "selector"),
                         "`selector` not auto-generated");
  }
}

// robfig/cron's standard parser (five fields or a @descriptor): "" when `schedule` parses.
std::string CronError(const std::string& schedule) {
  if (schedule.empty()) return "empty spec string";
  if (schedule[0] == '@') {
    static const std::set<std::string> kDescriptors = {
        "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"};
    if (kDescriptors.count(schedule) || schedule.rfind("@every ", 0) == 0) return "";
    return "unrecognized descriptor: " + schedule;
  }
  std::vector<std::string> fields;
  std::string word;
  for (char c : schedule + " ") {
    if (c == ' ' || c == '\t') {
      if (!word.empty()) fields.push_back(word);
      word.clear();
    } else {
      word += c;
    }
  }
  if (fields.size() != 5) {
    std::string list;
    for (const std::string& f : fields) list += (list.empty() ? "" : " ") + f;
    return "expected exactly 5 fields, found " + std::to_string(fields.size()) + ": [" + list + "]";
  }
  static const int kMin[] = {0, 0, 1, 1, 0};
  static const int kMax[] = {59, 23, 31, 12, 6};
  static const char* const kNames[2][12] = {
      {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"},
      {"sun", "mon", "tue", "wed", "thu", "fri", "sat", "", "", "", "", ""}};
  for (int f = 0; f < 5; ++f) {
    std::string expr = fields[f];
    size_t start = 0;
    while (start <= expr.size()) {
      size_t comma = expr.find(',', start);
      std::string part = expr.substr(start, comma == std::string::npos ? comma : comma - start);
      start = comma == std::string::npos ? expr.size() + 1 : comma + 1;
      std::string range = part.substr(0, part.find('/'));
      if (part.find('/') != std::string::npos) {
        std::string step = part.substr(part.find('/') + 1);
        if (step.empty() || step.size() > 9 ||
            step.find_first_not_of("0123456789") != std::string::npos) {
          return "failed to parse int from " + step + ": strconv.Atoi: parsing \"" + step +
                 "\": invalid syntax";
        }
        if (std::stol(step) == 0) return "step of range should be a positive number: " + part;
      }
      if (range == "*" || range == "?") continue;
      size_t dash = range.find('-');
      std::vector<std::string> bounds = {range.substr(0, dash)};
      if (dash != std::string::npos) bounds.push_back(range.substr(dash + 1));
      std::vector<long> values;
      for (std::string b : bounds) {
        std::string lower = b;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        long value = -1;
        if (f == 3 || f == 4) {
          for (int n = 0; n < 12; ++n) {
            if (lower == kNames[f - 3][n]) value = f == 3 ? n + 1 : n;
          }
        }
        if (value < 0) {
          if (b.empty() || b.size() > 9 || b.find_first_not_of("0123456789") != std::string::npos)
            return "failed to parse int from " + b + ": strconv.Atoi: parsing \"" + b +
                   "\": invalid syntax";
          value = std::stol(b);
        }
        values.push_back(value);
      }
      if (values.front() < kMin[f]) {
        return "beginning of range (" + std::to_string(values.front()) + ") below minimum (" +
               std::to_string(kMin[f]) + "): " + part;
      }
      if (values.back() > kMax[f]) {
        return "end of range (" + std::to_string(values.back()) + ") above maximum (" +
               std::to_string(kMax[f]) + "): " + part;
      }
      if (values.front() > values.back()) {
        return "beginning of range (" + std::to_string(values.front()) + ") beyond end of range (" +
               std::to_string(values.back()) + "): " + part;
      }
    }
  }
  return "";
}

void ValidateCronJob(const JsonValue& object, FieldErrors* errors) {
  const JsonValue* spec = Member(&object, "spec");
  std::string schedule = MemberStr(spec, "schedule");
  if (schedule.empty()) {
    errors->Required("spec.schedule");
  } else if (schedule.find("TZ") != std::string::npos) {
    errors->InvalidString("spec.schedule", schedule,
                          "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
  } else if (std::string why = CronError(schedule); !why.empty()) {
    errors->InvalidString("spec.schedule", schedule, why);
  }
  NonNegative(spec, "startingDeadlineSeconds", "spec", errors);
  Enum(spec, "concurrencyPolicy", "spec", {"Allow", "Forbid", "Replace"}, true, errors);
  NonNegative(spec, "successfulJobsHistoryLimit", "spec", errors);
  NonNegative(spec, "failedJobsHistoryLimit", "spec", errors);
  const JsonValue* job_spec = spec ? Find(*spec, "jobTemplate.spec") : nullptr;
  if (Member(job_spec, "selector")) {
    errors->InvalidValue("spec.jobTemplate.spec.selector", Member(job_spec, "selector"),
                         "`selector` will be auto-generated");
  }
  ValidateJobSpec(job_spec, "spec.jobTemplate.spec", false, errors);
}

void ValidateHpa(const JsonValue& object, FieldErrors* errors) {
  const JsonValue* spec = Member(&object, "spec");
  const JsonValue* min = Member(spec, "minReplicas");
  const JsonValue* max = Member(spec, "maxReplicas");
  if (IsInt(min) && min->GetInt64() < 1) {
    errors->InvalidValue("spec.minReplicas", min, "must be greater than or equal to 1");
  }
  int64_t max_value = IsInt(max) ? max->GetInt64() : 0;
  if (max_value < 1) {
    errors->Invalid("spec.maxReplicas", std::to_string(max_value), "must be greater than 0");
  }
  if (IsInt(min) && min->GetInt64() > max_value) {
    errors->Invalid("spec.maxReplicas", std::to_string(max_value),
                    "must be greater than or equal to `minReplicas`");
  }
  const JsonValue* ref = Member(spec, "scaleTargetRef");
  if (MemberStr(ref, "kind").empty()) errors->Required("spec.scaleTargetRef.kind");
  if (MemberStr(ref, "name").empty()) errors->Required("spec.scaleTargetRef.name");
  const JsonValue* cpu = Member(spec, "targetCPUUtilizationPercentage");
  if (IsInt(cpu) && cpu->GetInt64() < 1) {
    errors->InvalidValue("spec.targetCPUUtilizationPercentage", cpu, "must be greater than 0");
  }
  const JsonValue* metrics = Member(spec, "metrics");
  for (rapidjson::SizeType i = 0; i < Count(metrics); ++i) {
    std::string at = Index("spec.metrics", i);
    std::string type = MemberStr(&(*metrics)[i], "type");
    if (type.empty()) {
      errors->Required(Child(at, "type"), "must specify a metric source type");
    } else if (type != "Object" && type != "Pods" && type != "Resource" &&
               type != "ContainerResource" && type != "External") {
      errors->NotSupported(Child(at, "type"), type,
                           {"ContainerResource", "External", "Object", "Pods", "Resource"});
    }
  }
}

void ValidatePdb(const JsonValue& object, FieldErrors* errors) {
  const JsonValue* spec = Member(&object, "spec");
  if (Member(spec, "minAvailable") && Member(spec, "maxUnavailable")) {
    errors->InvalidValue("spec", spec, "minAvailable and maxUnavailable cannot be both set");
  }
  IntOrPercent(spec, "minAvailable", "spec", errors);
  IntOrPercent(spec, "maxUnavailable", "spec", errors);
  ValidateLabelSelector(Member(spec, "selector"), "spec.selector", errors);
  Enum(spec, "unhealthyPodEvictionPolicy", "spec", {"AlwaysAllow", "IfHealthyBudget"}, false,
       errors);
}

}  // namespace

bool ValidateWorkloadKind(const std::string& group, const std::string& kind,
                          const JsonValue& object, FieldErrors* errors) {
  if (group == "apps" && kind == "Deployment") {
    ValidateDeployment(object, errors);
  } else if (group == "apps" && kind == "ReplicaSet") {
    const JsonValue* spec = Member(&object, "spec");
    NonNegative(spec, "replicas", "spec", errors);
    NonNegative(spec, "minReadySeconds", "spec", errors);
    ValidateSelectorAndTemplate(spec, "deployment", true, errors);
    if (spec) RequireAlwaysRestart(spec, "ReplicaSet", errors);
  } else if (group == "apps" && kind == "StatefulSet") {
    ValidateStatefulSet(object, errors);
  } else if (group == "apps" && kind == "DaemonSet") {
    ValidateDaemonSet(object, errors);
  } else if (group == "batch" && kind == "Job") {
    ValidateJobSelector(object, errors);
    ValidateJobSpec(Member(&object, "spec"), "spec", true, errors);
  } else if (group == "batch" && kind == "CronJob") {
    ValidateCronJob(object, errors);
  } else if (group == "autoscaling" && kind == "HorizontalPodAutoscaler") {
    ValidateHpa(object, errors);
  } else if (group == "policy" && kind == "PodDisruptionBudget") {
    ValidatePdb(object, errors);
  } else {
    return false;
  }
  return true;
}

}  // namespace mlgitops::kubesim
