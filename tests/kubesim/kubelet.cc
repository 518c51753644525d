// The node side of the simulation: one Node, a scheduler that binds Pods to it, a kubelet that
// starts, completes, fails and crash-loops them, and a volume provisioner that binds
// PersistentVolumeClaims to new PersistentVolumes.
#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "kubesim/controller_support.h"
#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

constexpr const char* kNodeName = "kubesim";
constexpr const char* kHostIp = "172.18.0.2";
constexpr const char* kScheduler = "kube-scheduler";
constexpr double kMaxRestartSteps = 8;
constexpr const char* kProvisioner = "kubesim.mlgitops.io/hostpath";
constexpr int64_t kMaxBackOffSeconds = 300;

enum class ContainerRun { kRunning, kCrashLooping, kCompleted, kErrored };

// 64 hex digits derived from `seed`, for container and image IDs that look like the real ones.
std::string Hex64(const std::string& seed) {
  std::string out;
  uint64_t hash = 1469598103934665603ull;
  static const char kHex[] = "0123456789abcdef";
  for (int round = 0; round < 4; ++round) {
    for (unsigned char c : seed + std::to_string(round)) {
      hash ^= c;
      hash *= 1099511628211ull;
    }
    for (int i = 0; i < 16; ++i) out += kHex[(hash >> (i * 4)) & 15];
  }
  return out;
}

std::string PodIp(const std::string& uid) {
  uint64_t h = std::hash<std::string>{}(uid);
  return "10.244." + std::to_string((h >> 8) % 250) + "." + std::to_string(h % 250 + 2);
}

// "10s", "1m20s", "5m0s": Go's rendering of the kubelet's back-off durations.
std::string GoDuration(int64_t seconds) {
  if (seconds < 60) return std::to_string(seconds) + "s";
  return std::to_string(seconds / 60) + "m" + std::to_string(seconds % 60) + "s";
}

// The kubelet doubles the restart back-off from 10s up to five minutes.
int64_t BackOffSeconds(int64_t restarts) {
  int64_t seconds = 10;
  for (int64_t i = 1; i < restarts && seconds < kMaxBackOffSeconds; ++i) seconds *= 2;
  return std::min(seconds, kMaxBackOffSeconds);
}

JsonValue Terminated(int64_t exit_code, const char* reason, const std::string& started,
                     const std::string& now, const std::string& container_id, JsonAllocator& a) {
  JsonValue t(rapidjson::kObjectType);
  SetString(t, "containerID", container_id, a);
  SetInt(t, "exitCode", exit_code, a);
  SetString(t, "finishedAt", now, a);
  SetString(t, "reason", reason, a);
  SetString(t, "startedAt", started, a);
  JsonValue state(rapidjson::kObjectType);
  SetMember(state, "terminated", std::move(t), a);
  return state;
}

struct PodFacts {
  std::string name, namespace_, uid;
  std::string started;  // status.startTime, or now
};

JsonValue ContainerStatus(const JsonValue& spec, const PodFacts& pod, ContainerRun run,
                          int64_t restarts, const std::string& now, JsonAllocator& a) {
  std::string name = MemberString(spec, "name");
  std::string image = MemberString(spec, "image");
  std::string container_id =
      "containerd://" + Hex64(pod.uid + "/" + name + "/" + std::to_string(restarts));
  JsonValue s(rapidjson::kObjectType);
  SetString(s, "containerID", container_id, a);
  SetString(s, "image", image, a);
  SetString(s, "imageID", image.substr(0, image.find('@')) + "@sha256:" + Hex64(image), a);
  JsonValue last(rapidjson::kObjectType);
  JsonValue state(rapidjson::kObjectType);
  switch (run) {
    case ContainerRun::kRunning: {
      JsonValue running(rapidjson::kObjectType);
      SetString(running, "startedAt", now, a);
      SetMember(state, "running", std::move(running), a);
      break;
    }
    case ContainerRun::kCrashLooping: {
      JsonValue waiting(rapidjson::kObjectType);
      SetString(waiting, "message",
                "back-off " + GoDuration(BackOffSeconds(restarts)) +
                    " restarting failed container=" + name + " pod=" + pod.name + "_" +
                    pod.namespace_ + "(" + pod.uid + ")",
                a);
      SetString(waiting, "reason", "CrashLoopBackOff", a);
      SetMember(state, "waiting", std::move(waiting), a);
      last = Terminated(1, "Error", now, now, container_id, a);
      break;
    }
    case ContainerRun::kCompleted:
      state = Terminated(0, "Completed", pod.started, now, container_id, a);
      break;
    case ContainerRun::kErrored:
      state = Terminated(1, "Error", pod.started, now, container_id, a);
      break;
  }
  SetMember(s, "lastState", std::move(last), a);
  SetString(s, "name", name, a);
  SetMember(s, "ready", JsonValue(run == ContainerRun::kRunning), a);
  SetInt(s, "restartCount", restarts, a);
  SetMember(s, "started", JsonValue(run == ContainerRun::kRunning), a);
  SetMember(s, "state", std::move(state), a);
  return s;
}

JsonValue ContainerStatuses(const JsonValue* containers, const PodFacts& pod, ContainerRun run,
                            int64_t restarts, const std::string& now, JsonAllocator& a) {
  JsonValue list(rapidjson::kArrayType);
  if (!containers || !containers->IsArray()) return list;
  for (const auto& c : containers->GetArray()) {
    if (c.IsObject()) list.PushBack(ContainerStatus(c, pod, run, restarts, now, a), a);
  }
  return list;
}

std::string NotReadyNames(const JsonValue* containers) {
  std::string names;
  if (!containers || !containers->IsArray()) return names;
  for (const auto& c : containers->GetArray()) {
    names += (names.empty() ? "" : " ") + MemberString(c, "name");
  }
  return names;
}

std::string QosClass(const JsonValue& pod) {
  const JsonValue* containers = Find(pod, "spec.containers");
  if (!containers || !containers->IsArray()) return "BestEffort";
  for (const auto& c : containers->GetArray()) {
    const JsonValue* resources = Find(c, "resources");
    if (resources && resources->IsObject() && resources->MemberCount() > 0) return "Burstable";
  }
  return "BestEffort";
}

// The whole status of a pod whose containers are in `run`, as the kubelet would report it.
void WritePodStatus(Object& pod, ContainerRun run, int64_t restarts, const std::string& now) {
  JsonAllocator& a = pod.allocator();
  const JsonValue& v = pod.json();
  PodFacts facts{pod.name(), pod.namespace_(), UidOf(pod), GetString(v, "status.startTime", now)};
  const JsonValue* containers = Find(v, "spec.containers");
  const JsonValue* init_containers = Find(v, "spec.initContainers");
  JsonValue statuses = ContainerStatuses(containers, facts, run, restarts, now, a);
  JsonValue init_statuses =
      ContainerStatuses(init_containers, facts, ContainerRun::kCompleted, 0, now, a);
  JsonValue old_conditions(rapidjson::kArrayType);
  if (const JsonValue* c = Find(v, "status.conditions")) old_conditions.CopyFrom(*c, a);

  JsonValue status(rapidjson::kObjectType);
  SetMember(status, "conditions", std::move(old_conditions), a);
  bool running = run == ContainerRun::kRunning || run == ContainerRun::kCrashLooping;
  bool ready = run == ContainerRun::kRunning;
  std::string not_ready_reason = run == ContainerRun::kCompleted ? "PodCompleted"
                                 : run == ContainerRun::kErrored ? "PodFailed"
                                                                 : "ContainersNotReady";
  std::string not_ready_message =
      running ? "containers with unready status: [" + NotReadyNames(containers) + "]" : "";
  auto condition = [&](const char* type, bool is_true, const std::string& reason,
                       const std::string& message) {
    SetCondition(status,
                 {type, is_true ? "True" : "False", is_true ? "" : reason, is_true ? "" : message},
                 ConditionTimes::kPod, now, a);
  };
  condition("PodReadyToStartContainers", running, "", "");
  condition("Initialized", true, "", "");
  condition("Ready", ready, not_ready_reason, not_ready_message);
  condition("ContainersReady", ready, not_ready_reason, not_ready_message);
  condition("PodScheduled", true, "", "");
  SetMember(status, "containerStatuses", std::move(statuses), a);
  SetString(status, "hostIP", kHostIp, a);
  JsonValue host_ips(rapidjson::kArrayType);
  JsonValue host_ip(rapidjson::kObjectType);
  SetString(host_ip, "ip", kHostIp, a);
  host_ips.PushBack(std::move(host_ip), a);
  SetMember(status, "hostIPs", std::move(host_ips), a);
  if (init_containers) SetMember(status, "initContainerStatuses", std::move(init_statuses), a);
  const char* phase = run == ContainerRun::kCompleted ? "Succeeded"
                      : run == ContainerRun::kErrored ? "Failed"
                                                      : "Running";
  SetString(status, "phase", phase, a);
  std::string ip = PodIp(facts.uid);
  SetString(status, "podIP", ip, a);
  JsonValue pod_ips(rapidjson::kArrayType);
  JsonValue pod_ip(rapidjson::kObjectType);
  SetString(pod_ip, "ip", ip, a);
  pod_ips.PushBack(std::move(pod_ip), a);
  SetMember(status, "podIPs", std::move(pod_ips), a);
  SetString(status, "qosClass", QosClass(v), a);
  SetString(status, "startTime", facts.started, a);
  SetMember(pod.mutable_json(), "status", std::move(status), a);
}

bool IsCrashLooping(const Object& pod) {
  const JsonValue* statuses = Find(pod.json(), "status.containerStatuses");
  if (!statuses || !statuses->IsArray()) return false;
  for (const auto& s : statuses->GetArray()) {
    if (GetString(s, "state.waiting.reason") == "CrashLoopBackOff") return true;
  }
  return false;
}

// The pod's lifecycle state as far as the simulation tracks it.
std::string PodState(const Object& pod) {
  std::string phase = PodPhase(pod);
  if (phase == "Succeeded" || phase == "Failed") return "done";
  if (phase == "Running") {
    return IsCrashLooping(pod) ? "crash-" + std::to_string(PodRestarts(pod)) : "running";
  }
  return "pending";
}

// The next container state for a pod in `state`, or nothing when it stays as it is.
std::optional<ContainerRun> NextRun(const std::string& state, const Outcome& outcome,
                                    bool runs_to_completion) {
  bool crashes = outcome.crashloop || (outcome.fail && !runs_to_completion);
  bool fails = outcome.fail && runs_to_completion && !outcome.crashloop;
  if (state == "done") return std::nullopt;
  if (crashes) return ContainerRun::kCrashLooping;
  if (state == "pending") return ContainerRun::kRunning;
  if (state != "running") return ContainerRun::kRunning;  // recovered: the annotation is gone
  if (fails) return ContainerRun::kErrored;
  if (runs_to_completion) return ContainerRun::kCompleted;
  return std::nullopt;
}

// Steps until the next change: one, except that a crash-looping container waits twice as long
// after each restart (up to eight steps), as the kubelet's back-off does.
double StepsIn(const std::string& state, int64_t restarts) {
  if (state.rfind("crash-", 0) != 0) return 1;
  double steps = 1;
  for (int64_t i = 1; i < restarts && steps < kMaxRestartSteps; ++i) steps *= 2;
  return std::min(steps, kMaxRestartSteps);
}

// The scheduler's part: every Pod goes to the one node.
bool Bind(ControllerContext& ctx, const ResourceType& type, const ObjectPtr& pod) {
  if (!GetString(pod->json(), "spec.nodeName").empty()) return false;
  Object bound = pod->Clone();
  SetPath(bound.mutable_json(), "spec.nodeName", Str(kNodeName, bound.allocator()),
          bound.allocator());
  ctx.writer().Replace(type, bound, kScheduler);
  return true;
}

// A Pod deleted gracefully: one step to stop its containers (they exit on SIGTERM well within
// any grace period), then the kubelet reports them terminated and deletes the Pod with grace 0.
void StopPod(ControllerContext& ctx, const ResourceType& type, const ObjectPtr& pod) {
  if (GetString(pod->json(), "spec.nodeName").empty()) return;
  if (GetInt(pod->json(), "metadata.deletionGracePeriodSeconds").value_or(0) <= 0) return;
  std::string key = "pod/" + UidOf(*pod);
  if (!ctx.pacer().StepsElapsed(key, "terminating", 1, ctx.OutcomeOf(*pod).slow)) return;
  std::string phase = PodPhase(*pod);
  if (phase != "Succeeded" && phase != "Failed") {
    Object stopped = pod->Clone();
    WritePodStatus(stopped, ContainerRun::kCompleted, PodRestarts(*pod), ctx.Now());
    WriteStatusIfChanged(ctx, type, *pod, stopped, kKubelet);
  }
  ctx.writer().DeleteNow(type, *pod, kKubelet);
}

void ReconcilePod(ControllerContext& ctx, const ResourceType& type, const ObjectPtr& pod) {
  if (PodIsTerminating(*pod)) {
    StopPod(ctx, type, pod);
    return;
  }
  Outcome outcome = ctx.OutcomeOf(*pod);
  bool runs_to_completion = GetString(pod->json(), "spec.restartPolicy", "Always") != "Always";
  std::string state = PodState(*pod);
  auto next = NextRun(state, outcome, runs_to_completion);
  if (!next) return;
  if (state == "pending" && Bind(ctx, type, pod)) return;
  double steps = StepsIn(state, PodRestarts(*pod));
  std::string key = "pod/" + UidOf(*pod);
  if (!ctx.pacer().StepsElapsed(key, state, steps, outcome.slow)) return;
  int64_t restarts = PodRestarts(*pod) + (*next == ContainerRun::kCrashLooping ? 1 : 0);
  Object updated = pod->Clone();
  WritePodStatus(updated, *next, restarts, ctx.Now());
  if (WriteStatusIfChanged(ctx, type, *pod, updated, kKubelet)) {
    ctx.pacer().Enter(key, PodState(updated));
  }
}

// ---- the node ----

Object NewNode() {
  Object node;
  JsonAllocator& a = node.allocator();
  JsonValue& root = node.mutable_json();
  SetString(root, "apiVersion", "v1", a);
  SetString(root, "kind", "Node", a);
  SetPath(root, "metadata.name", Str(kNodeName, a), a);
  for (const auto& [key, value] : std::vector<std::pair<const char*, const char*>>{
           {"kubernetes.io/arch", "amd64"},
           {"kubernetes.io/hostname", kNodeName},
           {"kubernetes.io/os", "linux"},
           {"node-role.kubernetes.io/control-plane", ""}}) {
    SetLabel(root, key, value, a);
  }
  SetPath(root, "spec.podCIDR", Str("10.244.0.0/16", a), a);
  return node;
}

void WriteNodeStatus(ControllerContext& ctx, const ResourceType& nodes, const ObjectPtr& node) {
  if (ConditionStatusOf(node->json(), "Ready") == "True") return;  // registered already
  Object next = node->Clone();
  JsonAllocator& a = next.allocator();
  JsonValue& status = EnsureObject(next.mutable_json(), "status", a);
  JsonValue addresses(rapidjson::kArrayType);
  for (const auto& [type, address] : std::vector<std::pair<const char*, const char*>>{
           {"InternalIP", kHostIp}, {"Hostname", kNodeName}}) {
    JsonValue entry(rapidjson::kObjectType);
    SetString(entry, "address", address, a);
    SetString(entry, "type", type, a);
    addresses.PushBack(std::move(entry), a);
  }
  SetMember(status, "addresses", std::move(addresses), a);
  JsonValue capacity(rapidjson::kObjectType);
  SetString(capacity, "cpu", "8", a);
  SetString(capacity, "memory", "32Gi", a);
  SetString(capacity, "pods", "110", a);
  SetMember(status, "allocatable", JsonValue(capacity, a), a);
  SetMember(status, "capacity", std::move(capacity), a);
  SetCondition(status, {"Ready", "True", "KubeletReady", "kubelet is posting ready status"},
               ConditionTimes::kTransition, ctx.Now(), a);
  SetPath(status, "nodeInfo.kubeletVersion", Str("v1.32.4", a), a);
  SetPath(status, "nodeInfo.containerRuntimeVersion", Str("containerd://1.7.24", a), a);
  SetPath(status, "nodeInfo.operatingSystem", Str("linux", a), a);
  SetPath(status, "nodeInfo.architecture", Str("amd64", a), a);
  WriteStatusIfChanged(ctx, nodes, *node, next, kKubelet);
}

// The kubelet registers its Node, and puts it back if someone deletes it.
void RegisterNode(ControllerContext& ctx) {
  auto nodes = ctx.Type("", "nodes");
  if (!nodes) return;
  ObjectPtr node = ctx.Get(*nodes, "", kNodeName);
  if (!node) {
    ctx.writer().Create(*nodes, NewNode(), kKubelet);
    return;
  }
  WriteNodeStatus(ctx, *nodes, node);
}

// ---- volumes ----

std::string RequestedStorage(const JsonValue& claim) {
  return GetString(claim, "spec.resources.requests.storage", "1Gi");
}

Object NewVolume(const Object& claim) {
  Object pv;
  JsonAllocator& a = pv.allocator();
  JsonValue& root = pv.mutable_json();
  std::string name = "pvc-" + UidOf(claim);
  SetString(root, "apiVersion", "v1", a);
  SetString(root, "kind", "PersistentVolume", a);
  SetPath(root, "metadata.name", Str(name, a), a);
  SetAnnotation(root, "pv.kubernetes.io/provisioned-by", kProvisioner, a);
  JsonValue spec(rapidjson::kObjectType);
  if (const JsonValue* modes = Find(claim.json(), "spec.accessModes")) {
    SetMember(spec, "accessModes", JsonValue(*modes, a), a);
  }
  JsonValue capacity(rapidjson::kObjectType);
  SetString(capacity, "storage", RequestedStorage(claim.json()), a);
  SetMember(spec, "capacity", std::move(capacity), a);
  JsonValue claim_ref(rapidjson::kObjectType);
  SetString(claim_ref, "apiVersion", "v1", a);
  SetString(claim_ref, "kind", "PersistentVolumeClaim", a);
  SetString(claim_ref, "name", claim.name(), a);
  SetString(claim_ref, "namespace", claim.namespace_(), a);
  SetString(claim_ref, "uid", UidOf(claim), a);
  SetMember(spec, "claimRef", std::move(claim_ref), a);
  SetPath(spec, "hostPath.path", Str("/var/lib/kubesim/volumes/" + name, a), a);
  SetString(spec, "persistentVolumeReclaimPolicy", "Delete", a);
  std::string storage_class = GetString(claim.json(), "spec.storageClassName");
  if (!storage_class.empty()) SetString(spec, "storageClassName", storage_class, a);
  SetString(spec, "volumeMode", GetString(claim.json(), "spec.volumeMode", "Filesystem"), a);
  SetMember(root, "spec", std::move(spec), a);
  return pv;
}

// Provisioning: a new volume for the claim, and the claim pointed at it.
void ProvisionClaim(ControllerContext& ctx, const ResourceType& claims, const ResourceType& pvs,
                    const ObjectPtr& claim) {
  Outcome outcome = ctx.OutcomeOf(*claim);
  if (!ctx.pacer().StepsElapsed("pvc/" + UidOf(*claim), "pending", 1, outcome.slow)) return;
  Object pv = NewVolume(*claim);
  if (!ctx.Get(pvs, "", pv.name()) && !ctx.writer().Create(pvs, pv, kControllerManager)) return;
  Object bound = claim->Clone();
  JsonAllocator& a = bound.allocator();
  SetPath(bound.mutable_json(), "spec.volumeName", Str(pv.name(), a), a);
  SetAnnotation(bound.mutable_json(), "pv.kubernetes.io/bind-completed", "yes", a);
  SetAnnotation(bound.mutable_json(), "pv.kubernetes.io/bound-by-controller", "yes", a);
  SetAnnotation(bound.mutable_json(), "volume.kubernetes.io/storage-provisioner", kProvisioner, a);
  ctx.writer().Replace(claims, bound, kControllerManager);
}

void MarkClaimBound(ControllerContext& ctx, const ResourceType& claims, const ObjectPtr& claim) {
  Object bound = claim->Clone();
  JsonAllocator& a = bound.allocator();
  JsonValue status(rapidjson::kObjectType);
  if (const JsonValue* modes = Find(claim->json(), "spec.accessModes")) {
    SetMember(status, "accessModes", JsonValue(*modes, a), a);
  }
  JsonValue capacity(rapidjson::kObjectType);
  SetString(capacity, "storage", RequestedStorage(claim->json()), a);
  SetMember(status, "capacity", std::move(capacity), a);
  SetString(status, "phase", "Bound", a);
  SetMember(bound.mutable_json(), "status", std::move(status), a);
  WriteStatusIfChanged(ctx, claims, *claim, bound, kControllerManager);
}

// Volumes follow their claims: Bound while the claim exists, deleted with it when provisioned.
void ReconcileVolume(ControllerContext& ctx, const ResourceType& claims, const ResourceType& pvs,
                     const ObjectPtr& pv) {
  const JsonValue& v = pv->json();
  if (!Find(v, "spec.claimRef")) return;
  ObjectPtr claim =
      ctx.Get(claims, GetString(v, "spec.claimRef.namespace"), GetString(v, "spec.claimRef.name"));
  bool claimed = claim && UidOf(*claim) == GetString(v, "spec.claimRef.uid");
  if (!claimed) {
    if (pv->annotation("pv.kubernetes.io/provisioned-by") == std::string(kProvisioner)) {
      ctx.writer().Delete(pvs, *pv, kControllerManager);
    }
    return;
  }
  Object bound = pv->Clone();
  JsonAllocator& a = bound.allocator();
  SetPath(bound.mutable_json(), "status.phase", Str("Bound", a), a);
  WriteStatusIfChanged(ctx, pvs, *pv, bound, kControllerManager);
}

}  // namespace

void ReconcilePods(ControllerContext& ctx) {
  RegisterNode(ctx);
  auto pods = ctx.Type("", "pods");
  if (!pods) return;
  for (const ObjectPtr& pod : ctx.List(*pods)) ReconcilePod(ctx, *pods, pod);
}

void ReconcileVolumes(ControllerContext& ctx) {
  auto claims = ctx.Type("", "persistentvolumeclaims");
  auto pvs = ctx.Type("", "persistentvolumes");
  if (!claims || !pvs) return;
  for (const ObjectPtr& claim : ctx.List(*claims)) {
    if (Find(claim->json(), "metadata.deletionTimestamp")) continue;
    if (GetString(claim->json(), "spec.volumeName").empty()) {
      ProvisionClaim(ctx, *claims, *pvs, claim);
    } else if (GetString(claim->json(), "status.phase") != "Bound") {
      MarkClaimBound(ctx, *claims, claim);
    }
  }
  for (const ObjectPtr& pv : ctx.List(*pvs)) ReconcileVolume(ctx, *claims, *pvs, pv);
}

}  // namespace mlgitops::kubesim
