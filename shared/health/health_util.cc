// Readers shared by the built-in health checks.
#include "health/health_util.h"

#include "object/timeutil.h"

namespace mlgitops::health_util {

namespace {
// Waiting reasons after which the kubelet only retries with back-off: nothing improves
// without a change to the spec, the image or the node.
constexpr std::string_view kStuckWaitingReasons[] = {"CrashLoopBackOff", "ImagePullBackOff",
                                                     "ErrImagePull", "InvalidImageName"};
// One OOM kill can be a spike; a second one means the limit is too low for the workload.
constexpr int64_t kRepeatedOomRestarts = 2;

bool IsStuckWaiting(std::string_view reason) {
  for (std::string_view r : kStuckWaitingReasons) {
    if (reason == r) return true;
  }
  return false;
}

std::string LastExit(const JsonValue& container) {
  const JsonValue* last = Find(container, "lastState.terminated");
  if (!last) return "";
  std::string reason = MemberString(*last, "reason");
  if (!reason.empty()) return reason;
  auto code = GetInt(*last, "exitCode");
  return code ? "code " + std::to_string(*code) : "";
}

std::optional<std::string> ContainerFailure(const JsonValue& container) {
  std::string waiting = GetString(container, "state.waiting.reason");
  std::string last_exit = LastExit(container);
  if (IsStuckWaiting(waiting)) {
    return last_exit.empty() ? waiting : waiting + " (last exit: " + last_exit + ")";
  }
  int64_t restarts = IntOr(container, "restartCount");
  bool oom_now = GetString(container, "state.terminated.reason") == "OOMKilled";
  if ((last_exit == "OOMKilled" || oom_now) && restarts >= kRepeatedOomRestarts) {
    return "OOMKilled (restarted " + std::to_string(restarts) + " times)";
  }
  return std::nullopt;
}
}  // namespace

std::string JoinColon(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + ": " + b;
}

int64_t IntOr(const JsonValue& v, std::string_view path, int64_t fallback) {
  return GetInt(v, path).value_or(fallback);
}

bool HasEntries(const JsonValue& v, std::string_view path) {
  const JsonValue* x = Find(v, path);
  if (!x) return false;
  if (x->IsArray()) return !x->Empty();
  if (x->IsObject()) return x->MemberCount() > 0;
  return false;
}

std::optional<int64_t> TimeAt(const JsonValue& v, std::string_view path) {
  const JsonValue* x = Find(v, path);
  if (!x || !x->IsString()) return std::nullopt;
  return ParseRfc3339(std::string_view(x->GetString(), x->GetStringLength()));
}

std::string ConditionStatus(const JsonValue& condition) {
  if (!condition.IsObject()) return "";
  auto it = condition.FindMember("status");
  if (it == condition.MemberEnd()) return "";
  if (it->value.IsBool()) return it->value.GetBool() ? "True" : "False";
  return MemberString(condition, "status");
}

const JsonValue* TrueCondition(const JsonValue& obj, std::string_view type) {
  const JsonValue* c = FindCondition(obj, type);
  return c && ConditionStatus(*c) == "True" ? c : nullptr;
}

std::string ConditionText(const JsonValue& condition, std::string_view fallback) {
  std::string text = MemberString(condition, "message");
  if (text.empty()) text = MemberString(condition, "reason");
  return text.empty() ? std::string(fallback) : text;
}

std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::vector<const Object*> ChildPods(const HealthContext& ctx) {
  std::vector<const Object*> pods;
  for (const Object* child : ctx.children) {
    if (child && child->kind() == "Pod" && child->group().empty()) pods.push_back(child);
  }
  return pods;
}

std::optional<std::string> PodFailure(const Object& pod) {
  for (const char* list : {"status.initContainerStatuses", "status.containerStatuses"}) {
    for (const JsonValue* c : MapEntries(pod.json(), list)) {
      if (auto why = ContainerFailure(*c)) {
        return "pod " + pod.name() + " container " + MemberString(*c, "name") + ": " + *why;
      }
    }
  }
  return std::nullopt;
}

HealthStatus WithChildPodFailures(HealthStatus status, const HealthContext& ctx,
                                  bool finished_is_healthy) {
  bool open = status.code == HealthCode::kProgressing ||
              (status.code == HealthCode::kHealthy && !finished_is_healthy);
  if (!open) return status;
  std::vector<std::string> failures;
  for (const Object* pod : ChildPods(ctx)) {
    if (auto why = PodFailure(*pod)) failures.push_back(*why);
  }
  if (failures.empty()) return status;
  std::string message = failures.front();
  if (failures.size() > 1) {
    message += " (and " + std::to_string(failures.size() - 1) + " more failing pods)";
  }
  return Degraded(message);
}

const JsonValue* StatusOf(const Object& obj) {
  const JsonValue* status = Find(obj.json(), "status");
  return status && status->IsObject() ? status : nullptr;
}

std::vector<const JsonValue*> MapEntries(const JsonValue& root, std::string_view path) {
  std::vector<const JsonValue*> out;
  const JsonValue* list = Find(root, path);
  if (!list || !list->IsArray()) return out;
  for (const auto& entry : list->GetArray()) {
    if (entry.IsObject()) out.push_back(&entry);
  }
  return out;
}

std::vector<const JsonValue*> Conditions(const JsonValue& root) {
  return MapEntries(root, "status.conditions");
}

bool ConditionIs(const JsonValue& condition, std::string_view type, std::string_view status) {
  return MemberString(condition, "type") == type && ConditionStatus(condition) == status;
}

const JsonValue* FindConditionWithStatus(const JsonValue& root, std::string_view type,
                                         std::string_view status) {
  for (const JsonValue* c : Conditions(root)) {
    if (ConditionIs(*c, type, status)) return c;
  }
  return nullptr;
}

bool MemberIs(const JsonValue& v, const char* member, std::string_view want) {
  if (!v.IsObject()) return false;
  auto it = v.FindMember(member);
  if (it == v.MemberEnd() || !it->value.IsString()) return false;
  return std::string_view(it->value.GetString(), it->value.GetStringLength()) == want;
}

bool LuaEqual(const JsonValue* a, const JsonValue* b) {
  bool a_set = a && !a->IsNull();
  bool b_set = b && !b->IsNull();
  if (!a_set || !b_set) return a_set == b_set;
  if (a->IsNumber() && b->IsNumber()) return a->GetDouble() == b->GetDouble();
  if (a->IsString() && b->IsString()) return *a == *b;
  if (a->IsBool() && b->IsBool()) return a->GetBool() == b->GetBool();
  return false;
}

std::string MemberOr(const JsonValue& v, const char* member, std::string_view fallback) {
  if (v.IsObject()) {
    auto it = v.FindMember(member);
    if (it != v.MemberEnd() && it->value.IsString()) {
      return std::string(it->value.GetString(), it->value.GetStringLength());
    }
  }
  return std::string(fallback);
}

std::optional<std::string> ScalarText(const JsonValue& root, std::string_view path) {
  const JsonValue* v = Find(root, path);
  if (!v) return std::nullopt;
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsUint64()) return std::to_string(v->GetUint64());
  return std::nullopt;
}

bool IsTrue(const JsonValue& root, std::string_view path) {
  return GetBool(root, path).value_or(false);
}

bool IsSet(const JsonValue& root, std::string_view path) {
  const JsonValue* v = Find(root, path);
  return v && !v->IsNull();
}

size_t ArraySize(const JsonValue& root, std::string_view path) {
  const JsonValue* v = Find(root, path);
  return v && v->IsArray() ? v->Size() : 0;
}

}  // namespace mlgitops::health_util
