// Role and wave classification of objects under the ML conventions.
#include "policy/conventions.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <unordered_map>
#include <utility>

namespace mlgitops {

namespace {

constexpr std::string_view kWhitespace = " \t\n\r\f\v";

const JsonValue* PodTemplateLabels(const Object& workload) {
  return Find(workload.json(), "spec.template.metadata.labels");
}

// How an object points at the workload whose role it takes.
enum class Link { kNone, kServiceSelector, kLabelSelector, kScaleTarget };

Link LinkOf(const Object& obj) {
  std::string group = obj.group();
  std::string kind = obj.kind();
  if (group.empty() && kind == "Service") return Link::kServiceSelector;
  if (group == "policy" && kind == "PodDisruptionBudget") return Link::kLabelSelector;
  if (group == "autoscaling" && kind == "HorizontalPodAutoscaler") return Link::kScaleTarget;
  if (group == "keda.sh" && kind == "ScaledObject") return Link::kScaleTarget;
  return Link::kNone;
}

std::optional<std::string_view> LabelValue(const JsonValue* labels, std::string_view key) {
  if (!labels || !labels->IsObject()) return std::nullopt;
  for (auto it = labels->MemberBegin(); it != labels->MemberEnd(); ++it) {
    if (std::string_view(it->name.GetString(), it->name.GetStringLength()) != key) continue;
    if (!it->value.IsString()) return std::nullopt;
    return std::string_view(it->value.GetString(), it->value.GetStringLength());
  }
  return std::nullopt;
}

/// The component label of a workload, read from its own labels, else its pod template's.
std::optional<std::string> ComponentOf(const Object& workload) {
  if (auto value = workload.label(kComponentLabel)) return value;
  auto value = LabelValue(PodTemplateLabels(workload), kComponentLabel);
  return value ? std::optional<std::string>(std::string(*value)) : std::nullopt;
}

/// Every key=value of a selector map is among `labels`.
bool MatchesLabelMap(const JsonValue& selector, const JsonValue* labels) {
  for (auto it = selector.MemberBegin(); it != selector.MemberEnd(); ++it) {
    if (!it->value.IsString()) return false;
    auto value = LabelValue(labels, {it->name.GetString(), it->name.GetStringLength()});
    if (!value || *value != std::string_view(it->value.GetString(), it->value.GetStringLength())) {
      return false;
    }
  }
  return true;
}

bool MatchesExpression(const JsonValue& expression, const JsonValue* labels) {
  std::string key = MemberString(expression, "key");
  std::string op = MemberString(expression, "operator");
  auto value = LabelValue(labels, key);
  bool in_values = false;
  const JsonValue* values = Find(expression, "values");
  if (value && values && values->IsArray()) {
    for (const auto& v : values->GetArray()) {
      in_values = in_values || (v.IsString() && *value == v.GetString());
    }
  }
  if (op == "In") return in_values;
  if (op == "NotIn") return !in_values;
  if (op == "Exists") return value.has_value();
  if (op == "DoesNotExist") return !value.has_value();
  return false;
}

/// metav1.LabelSelector semantics: an empty selector matches everything.
bool MatchesLabelSelector(const JsonValue& selector, const JsonValue* labels) {
  const JsonValue* match_labels = Find(selector, "matchLabels");
  if (match_labels && match_labels->IsObject() && !MatchesLabelMap(*match_labels, labels)) {
    return false;
  }
  const JsonValue* expressions = Find(selector, "matchExpressions");
  if (expressions && expressions->IsArray()) {
    for (const auto& e : expressions->GetArray()) {
      if (!e.IsObject() || !MatchesExpression(e, labels)) return false;
    }
  }
  return true;
}

bool Serves(const Object& follower, Link link, const Object& workload) {
  const JsonValue& spec = follower.json();
  switch (link) {
    case Link::kServiceSelector: {
      const JsonValue* selector = Find(spec, "spec.selector");
      return selector && selector->IsObject() && selector->MemberCount() > 0 &&
             MatchesLabelMap(*selector, PodTemplateLabels(workload));
    }
    case Link::kLabelSelector: {
      const JsonValue* selector = Find(spec, "spec.selector");
      return selector && selector->IsObject() &&
             MatchesLabelSelector(*selector, PodTemplateLabels(workload));
    }
    case Link::kScaleTarget: {
      // KEDA defaults the target kind to Deployment; the HPA API requires it.
      std::string kind = GetString(spec, "spec.scaleTargetRef.kind", "Deployment");
      return kind == workload.kind() &&
             GetString(spec, "spec.scaleTargetRef.name") == workload.name();
    }
    case Link::kNone:
      return false;
  }
  return false;
}

/// The role an object has by itself: its label, its component, its kind.
Classified OwnRole(const Object& obj, const Conventions& conventions) {
  Classified c;
  if (auto label = obj.label(kRoleLabel); label && conventions.IsKnownRole(*label)) {
    c.role = *label;
    c.role_source = RoleSource::kLabel;
    return c;
  }
  // No inferred role for hooks, so no role wave and no training/pipeline rules, as Argo CD
  // waves them.
  if (IsSyncHook(obj)) return c;
  if (IsComponentWorkload(obj)) {
    if (auto component = ComponentOf(obj)) {
      auto it = conventions.component_roles.find(*component);
      if (it != conventions.component_roles.end()) {
        c.role = it->second;
        c.role_source = RoleSource::kComponent;
        return c;
      }
    }
  }
  c.role = conventions.RoleOfKind(obj.group(), obj.kind());
  c.role_source = c.role.empty() ? RoleSource::kNone : RoleSource::kKind;
  return c;
}

void SetWave(const Object& obj, const Conventions& conventions, Classified& c) {
  Wave wave = ComputeWave(obj, conventions.DefaultWave(c.role));
  c.wave = wave.value;
  c.wave_source = wave.source;
}

}  // namespace

bool IsComponentWorkload(const Object& obj) {
  if (obj.group() != "apps") return false;
  std::string kind = obj.kind();
  return kind == "Deployment" || kind == "StatefulSet";
}

bool IsApplicationObject(const Object& obj) {
  if (obj.kind() != "Application") return false;
  std::string group = obj.group();
  return group == "argoproj.io" || group == "mlgitops.io";
}

bool IsSyncHook(const Object& obj) {
  return obj.annotation("argocd.argoproj.io/hook") || obj.annotation("helm.sh/hook");
}

bool Conventions::IsKnownRole(std::string_view role) const {
  return role_waves.find(role) != role_waves.end();
}

std::string Conventions::RoleList() const {
  std::string out;
  for (const auto& [role, wave] : role_waves) out += (out.empty() ? "" : ", ") + role;
  return out;
}

int64_t Conventions::DefaultWave(std::string_view role) const {
  auto it = role_waves.find(role);
  return it == role_waves.end() ? 0 : it->second;
}

std::string Conventions::RoleOfKind(std::string_view group, std::string_view kind) const {
  auto it = kind_roles.find(std::make_pair(std::string(group), std::string(kind)));
  if (it == kind_roles.end())
    it = kind_roles.find(std::make_pair(std::string("*"), std::string(kind)));
  return it == kind_roles.end() ? "" : it->second;
}

std::string_view RoleSourceName(RoleSource source) {
  switch (source) {
    case RoleSource::kNone:
      return "none";
    case RoleSource::kLabel:
      return "label";
    case RoleSource::kComponent:
      return "component";
    case RoleSource::kKind:
      return "kind";
    case RoleSource::kTarget:
      return "target";
  }
  return "none";
}

std::string_view WaveSourceName(WaveSource source) {
  switch (source) {
    case WaveSource::kSyncWave:
      return "sync-wave";
    case WaveSource::kHelmHookWeight:
      return "hook-weight";
    case WaveSource::kRoleDefault:
      return "role";
  }
  return "role";
}

std::optional<int64_t> ParseWave(std::string_view text) {
  size_t first = text.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return std::nullopt;
  text = text.substr(first, text.find_last_not_of(kWhitespace) - first + 1);
  bool negative = text[0] == '-';
  if (text[0] == '-' || text[0] == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  const uint64_t limit =
      negative ? uint64_t{1} << 63 : uint64_t{std::numeric_limits<int64_t>::max()};
  uint64_t magnitude = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return std::nullopt;
    uint64_t digit = static_cast<uint64_t>(ch - '0');
    if (magnitude > (limit - digit) / 10) return std::nullopt;
    magnitude = magnitude * 10 + digit;
  }
  if (!negative) return static_cast<int64_t>(magnitude);
  return magnitude == (uint64_t{1} << 63) ? std::numeric_limits<int64_t>::min()
                                          : -static_cast<int64_t>(magnitude);
}

Wave ComputeWave(const Object& obj, int64_t role_default) {
  if (auto text = obj.annotation(kSyncWaveAnnotation)) {
    if (auto wave = ParseWave(*text)) return {*wave, WaveSource::kSyncWave};
  }
  if (auto text = obj.annotation(kHelmHookWeightAnnotation)) {
    if (auto wave = ParseWave(*text)) return {*wave, WaveSource::kHelmHookWeight};
  }
  return {role_default, WaveSource::kRoleDefault};
}

Classified ClassifyObject(const Object& obj, const Conventions& conventions) {
  Classified c = OwnRole(obj, conventions);
  SetWave(obj, conventions, c);
  return c;
}

namespace {

// The role-bearing workloads of a set, indexed so a Service, PDB, HPA or ScaledObject looks
// only at the workloads it could serve, not at every workload of its namespace: with one
// Service per Deployment a scan per follower made Classify quadratic. Buckets hold indexes
// into the objects in ascending order, so the first match is the first in input order.
class WorkloadIndex {
 public:
  using Bucket = std::vector<size_t>;

  void Add(const Object& workload, size_t i) {
    std::string ns = workload.namespace_();
    by_namespace_[ns].push_back(i);
    by_target_[Key(ns, workload.kind(), workload.name())].push_back(i);
    const JsonValue* labels = PodTemplateLabels(workload);
    if (!labels || !labels->IsObject()) return;
    for (const auto& m : labels->GetObject()) {
      if (!m.value.IsString()) continue;
      by_label_[Key(ns, m.name.GetString(), m.value.GetString())].push_back(i);
      by_label_key_[Key(ns, m.name.GetString(), "")].push_back(i);
    }
  }

  // Ascending workload indexes holding every workload `follower` could serve: a bucket of the
  // index, or `*scratch` when a union of buckets had to be made (an `In` expression).
  const Bucket& Candidates(const Object& follower, Link link, Bucket* scratch) const {
    static const Bucket kNone;
    std::string ns = follower.namespace_();
    const JsonValue& spec = follower.json();
    if (link == Link::kScaleTarget) {
      std::string kind = GetString(spec, "spec.scaleTargetRef.kind", "Deployment");
      return Lookup(by_target_, Key(ns, kind, GetString(spec, "spec.scaleTargetRef.name")));
    }
    const JsonValue* selector = Find(spec, "spec.selector");
    if (!selector || !selector->IsObject()) return kNone;
    const JsonValue* labels =
        link == Link::kServiceSelector ? selector : Find(*selector, "matchLabels");
    const Bucket* best = nullptr;
    auto consider = [&best](const Bucket* option) {
      if (!best || option->size() < best->size()) best = option;
    };
    if (labels && labels->IsObject()) {
      for (const auto& m : labels->GetObject()) {
        if (!m.value.IsString()) return kNone;  // MatchesLabelMap matches nothing then
        consider(&Lookup(by_label_, Key(ns, m.name.GetString(), m.value.GetString())));
      }
    }
    const JsonValue* expressions =
        link == Link::kLabelSelector ? Find(*selector, "matchExpressions") : nullptr;
    if (expressions && expressions->IsArray()) {
      for (const JsonValue& e : expressions->GetArray()) {
        std::string key = MemberString(e, "key");
        std::string op = MemberString(e, "operator");
        if (op == "Exists") consider(&Lookup(by_label_key_, Key(ns, key, "")));
        const JsonValue* values = Find(e, "values");
        if (op != "In" || !values || !values->IsArray()) continue;
        scratch->clear();
        for (const JsonValue& v : values->GetArray()) {
          if (!v.IsString()) continue;
          const Bucket& b = Lookup(by_label_, Key(ns, key, v.GetString()));
          scratch->insert(scratch->end(), b.begin(), b.end());
        }
        std::sort(scratch->begin(), scratch->end());
        scratch->erase(std::unique(scratch->begin(), scratch->end()), scratch->end());
        consider(scratch);
        break;  // one union is enough: the scratch is not shared between options
      }
    }
    if (best) return *best;
    // A Service with an empty selector serves nothing; an empty (or NotIn-only) label
    // selector may match any workload of the namespace.
    if (link == Link::kServiceSelector) return kNone;
    return Lookup(by_namespace_, ns);
  }

 private:
  static std::string Key(std::string_view a, std::string_view b, std::string_view c) {
    std::string key(a);
    key.append(1, '\x1f').append(b).append(1, '\x1f').append(c);
    return key;
  }
  static const Bucket& Lookup(const std::unordered_map<std::string, Bucket>& map,
                              const std::string& key) {
    static const Bucket kEmpty;
    auto it = map.find(key);
    return it == map.end() ? kEmpty : it->second;
  }

  std::unordered_map<std::string, Bucket> by_namespace_;  // ns
  std::unordered_map<std::string, Bucket> by_target_;     // ns, kind, name
  std::unordered_map<std::string, Bucket> by_label_;      // ns, pod template label, value
  std::unordered_map<std::string, Bucket> by_label_key_;  // ns, pod template label
};

}  // namespace

std::vector<Classified> Classify(const std::vector<Object>& objects, const Conventions& conventions,
                                 ClassifyStats* stats) {
  std::vector<Classified> classes;
  classes.reserve(objects.size());
  WorkloadIndex workloads;
  for (size_t i = 0; i < objects.size(); ++i) {
    classes.push_back(OwnRole(objects[i], conventions));
    if (IsComponentWorkload(objects[i]) && !classes[i].role.empty()) workloads.Add(objects[i], i);
  }
  for (size_t i = 0; i < objects.size(); ++i) {
    Link link = classes[i].role_source == RoleSource::kNone ? LinkOf(objects[i]) : Link::kNone;
    if (link != Link::kNone) {
      WorkloadIndex::Bucket scratch;
      for (size_t w : workloads.Candidates(objects[i], link, &scratch)) {
        if (stats) ++stats->link_checks;
        if (!Serves(objects[i], link, objects[w])) continue;
        classes[i].role = classes[w].role;
        classes[i].role_source = RoleSource::kTarget;
        break;
      }
    }
    SetWave(objects[i], conventions, classes[i]);
  }
  return classes;
}

}  // namespace mlgitops
