// Hook annotations as Argo CD reads them: phases (with the Helm mapping) and delete policies.
#include <algorithm>
#include <optional>

#include "plan/plan.h"

namespace mlgitops {

namespace {

// Hook types the Argo annotation accepts; PreDelete/PostDelete run outside sync.
enum class HookType { kPreSync, kSync, kPostSync, kSyncFail, kSkip, kPreDelete, kPostDelete };

/// A comma-separated annotation: trimmed, empty items dropped, duplicates removed.
std::vector<std::string> CommaList(const std::optional<std::string>& text) {
  std::vector<std::string> items;
  if (!text) return items;
  size_t start = 0;
  while (start <= text->size()) {
    size_t comma = std::min(text->find(',', start), text->size());
    std::string item = text->substr(start, comma - start);
    size_t first = item.find_first_not_of(" \t");
    size_t last = item.find_last_not_of(" \t");
    item = first == std::string::npos ? "" : item.substr(first, last - first + 1);
    if (!item.empty() && std::find(items.begin(), items.end(), item) == items.end()) {
      items.push_back(item);
    }
    start = comma + 1;
  }
  return items;
}

std::optional<HookType> ArgoHookType(const std::string& text) {
  if (text == "PreSync") return HookType::kPreSync;
  if (text == "Sync") return HookType::kSync;
  if (text == "PostSync") return HookType::kPostSync;
  if (text == "SyncFail") return HookType::kSyncFail;
  if (text == "Skip") return HookType::kSkip;
  if (text == "PreDelete") return HookType::kPreDelete;
  if (text == "PostDelete") return HookType::kPostDelete;
  return std::nullopt;
}

std::optional<HookType> HelmHookType(const std::string& text) {
  if (text == "pre-install" || text == "pre-upgrade") return HookType::kPreSync;
  if (text == "post-install" || text == "post-upgrade") return HookType::kPostSync;
  return std::nullopt;
}

std::optional<HookDeletePolicy> ArgoDeletePolicy(const std::string& text) {
  if (text == "BeforeHookCreation") return HookDeletePolicy::kBeforeHookCreation;
  if (text == "HookSucceeded") return HookDeletePolicy::kHookSucceeded;
  if (text == "HookFailed") return HookDeletePolicy::kHookFailed;
  return std::nullopt;
}

std::optional<HookDeletePolicy> HelmDeletePolicy(const std::string& text) {
  if (text == "before-hook-creation") return HookDeletePolicy::kBeforeHookCreation;
  if (text == "hook-succeeded") return HookDeletePolicy::kHookSucceeded;
  if (text == "hook-failed") return HookDeletePolicy::kHookFailed;
  return std::nullopt;
}

template <typename T, typename Parse>
void AppendParsed(const std::optional<std::string>& annotation, Parse parse, std::vector<T>* out) {
  for (const std::string& item : CommaList(annotation)) {
    auto value = parse(item);
    if (value && std::find(out->begin(), out->end(), *value) == out->end()) out->push_back(*value);
  }
}

/// The hook types: the Argo annotation's valid ones, else the mapped Helm ones.
std::vector<HookType> HookTypes(const Object& obj) {
  std::vector<HookType> types;
  AppendParsed(obj.annotation(kHookAnnotation), ArgoHookType, &types);
  if (types.empty()) AppendParsed(obj.annotation(kHelmHookAnnotation), HelmHookType, &types);
  return types;
}

std::optional<SyncPhase> PhaseOf(HookType type) {
  switch (type) {
    case HookType::kPreSync:
      return SyncPhase::kPreSync;
    case HookType::kSync:
      return SyncPhase::kSync;
    case HookType::kPostSync:
      return SyncPhase::kPostSync;
    case HookType::kSyncFail:
      return SyncPhase::kSyncFail;
    default:
      return std::nullopt;
  }
}

}  // namespace

std::string_view SyncPhaseName(SyncPhase phase) {
  switch (phase) {
    case SyncPhase::kPreSync:
      return "PreSync";
    case SyncPhase::kSync:
      return "Sync";
    case SyncPhase::kPostSync:
      return "PostSync";
    case SyncPhase::kSyncFail:
      return "SyncFail";
  }
  return "Sync";
}

std::string_view HookDeletePolicyName(HookDeletePolicy policy) {
  switch (policy) {
    case HookDeletePolicy::kBeforeHookCreation:
      return "BeforeHookCreation";
    case HookDeletePolicy::kHookSucceeded:
      return "HookSucceeded";
    case HookDeletePolicy::kHookFailed:
      return "HookFailed";
  }
  return "BeforeHookCreation";
}

HookInfo ReadHook(const Object& obj) {
  HookInfo info;
  std::vector<HookType> types = HookTypes(obj);
  info.skip = types.size() == 1 && types[0] == HookType::kSkip;
  if (info.skip) return info;
  if (obj.annotation(kHookAnnotation)) {
    info.is_hook = true;
  } else if (auto helm = obj.annotation(kHelmHookAnnotation)) {
    // Helm marks CRDs with the same annotation; they are not hooks.
    info.is_hook = *helm != "crd-install";
  }
  if (!info.is_hook) {
    info.phases = {SyncPhase::kSync};
    return info;
  }
  for (HookType type : types) {
    if (auto phase = PhaseOf(type)) info.phases.push_back(*phase);
  }
  std::sort(info.phases.begin(), info.phases.end());
  AppendParsed(obj.annotation(kHookDeletePolicyAnnotation), ArgoDeletePolicy,
               &info.delete_policies);
  AppendParsed(obj.annotation(kHelmHookDeletePolicyAnnotation), HelmDeletePolicy,
               &info.delete_policies);
  if (info.delete_policies.empty()) {
    info.delete_policies.push_back(HookDeletePolicy::kBeforeHookCreation);
  }
  return info;
}

}  // namespace mlgitops
