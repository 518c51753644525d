// Reading webhook configurations and matching their rules.
#include "kubesim/admission_config.h"

#include <algorithm>

#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

std::vector<std::string> Strings(const JsonValue& v, const char* member) {
  std::vector<std::string> out;
  const JsonValue* list = FindMember(v, member);
  if (!list || !list->IsArray()) return out;
  for (const auto& item : list->GetArray()) {
    if (item.IsString()) out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return out;
}

bool ExactOrWildcard(const std::vector<std::string>& items, const std::string& wanted) {
  return std::any_of(items.begin(), items.end(),
                     [&](const std::string& item) { return item == "*" || item == wanted; });
}

// "pods/status" -> {"pods", "status"}; "pods" -> {"pods", ""}.
std::pair<std::string, std::string> SplitResource(const std::string& text) {
  size_t slash = text.find('/');
  if (slash == std::string::npos) return {text, ""};
  return {text.substr(0, slash), text.substr(slash + 1)};
}

WebhookRule ReadRule(const JsonValue& v) {
  WebhookRule rule;
  rule.operations = Strings(v, "operations");
  rule.api_groups = Strings(v, "apiGroups");
  rule.api_versions = Strings(v, "apiVersions");
  rule.resources = Strings(v, "resources");
  rule.scope = GetString(v, "scope", "*");
  return rule;
}

WebhookClientConfig ReadClientConfig(const JsonValue& v) {
  WebhookClientConfig config;
  config.url = GetString(v, "url");
  config.service_namespace = GetString(v, "service.namespace");
  config.service_name = GetString(v, "service.name");
  config.service_path = GetString(v, "service.path");
  config.service_port = static_cast<int>(GetInt(v, "service.port").value_or(443));
  config.ca_bundle_base64 = GetString(v, "caBundle");
  return config;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

Result<std::string> ExpressionText(const JsonValue& expression) {
  std::string key = GetString(expression, "key");
  std::string op = GetString(expression, "operator");
  std::vector<std::string> values = Strings(expression, "values");
  if (key.empty()) return Status::InvalidArgument("a matchExpressions entry has no key");
  if (op == "Exists") return key;
  if (op == "DoesNotExist") return "!" + key;
  if (op != "In" && op != "NotIn") {
    return Status::InvalidArgument("\"" + op + "\" is not a valid label selector operator");
  }
  if (values.empty()) {
    return Status::InvalidArgument("matchExpressions on \"" + key + "\": values must be non-empty");
  }
  return key + (op == "In" ? " in (" : " notin (") + Join(values) + ")";
}

}  // namespace

Result<std::string> LabelSelectorText(const JsonValue* selector) {
  std::vector<std::string> terms;
  if (!selector || selector->IsNull()) return std::string();
  if (!selector->IsObject()) return Status::InvalidArgument("a label selector must be an object");
  if (const JsonValue* labels = FindMember(*selector, "matchLabels");
      labels && labels->IsObject()) {
    for (const auto& m : labels->GetObject()) {
      terms.push_back(std::string(View(m.name)) + "=" + std::string(View(m.value)));
    }
  }
  if (const JsonValue* list = FindMember(*selector, "matchExpressions"); list && list->IsArray()) {
    for (const auto& expression : list->GetArray()) {
      auto term = ExpressionText(expression);
      if (!term.ok()) return term.status();
      terms.push_back(*term);
    }
  }
  return Join(terms);
}

std::vector<Webhook> ReadWebhooks(const JsonValue& configuration, bool mutating) {
  std::vector<Webhook> hooks;
  const JsonValue* list = FindMember(configuration, "webhooks");
  if (!list || !list->IsArray()) return hooks;
  std::string configuration_name = GetString(configuration, "metadata.name");
  for (const auto& v : list->GetArray()) {
    if (!v.IsObject()) continue;
    Webhook hook;
    hook.configuration = configuration_name;
    hook.name = GetString(v, "name");
    hook.mutating = mutating;
    if (const JsonValue* client = FindMember(v, "clientConfig"); client && client->IsObject()) {
      hook.client = ReadClientConfig(*client);
    }
    if (const JsonValue* rules = FindMember(v, "rules"); rules && rules->IsArray()) {
      for (const auto& rule : rules->GetArray()) hook.rules.push_back(ReadRule(rule));
    }
    hook.failure_policy = GetString(v, "failurePolicy", "Fail");
    hook.match_policy = GetString(v, "matchPolicy", "Equivalent");
    hook.side_effects = GetString(v, "sideEffects");
    int64_t timeout = GetInt(v, "timeoutSeconds").value_or(10);
    hook.timeout_seconds = static_cast<int>(std::clamp<int64_t>(timeout, 1, 30));
    hook.reinvoke_if_needed = mutating && GetString(v, "reinvocationPolicy") == "IfNeeded";
    hook.review_versions = Strings(v, "admissionReviewVersions");
    auto ns_selector = LabelSelectorText(FindMember(v, "namespaceSelector"));
    auto object_selector = LabelSelectorText(FindMember(v, "objectSelector"));
    if (ns_selector.ok()) hook.namespace_selector = *ns_selector;
    if (object_selector.ok()) hook.object_selector = *object_selector;
    if (!ns_selector.ok())
      hook.selector_error = "namespaceSelector: " + ns_selector.status().message();
    if (!object_selector.ok()) {
      hook.selector_error = "objectSelector: " + object_selector.status().message();
    }
    if (const JsonValue* conditions = FindMember(v, "matchConditions");
        conditions && conditions->IsArray()) {
      for (const auto& c : conditions->GetArray()) {
        hook.match_conditions.emplace_back(GetString(c, "name"), GetString(c, "expression"));
      }
    }
    hooks.push_back(std::move(hook));
  }
  return hooks;
}

bool RuleMatches(const WebhookRule& rule, const RuleTarget& target) {
  bool scope_ok = rule.scope == "*" || rule.scope.empty() ||
                  (rule.scope == "Cluster" && target.cluster_scoped) ||
                  (rule.scope == "Namespaced" && !target.cluster_scoped);
  if (!scope_ok || !ExactOrWildcard(rule.operations, target.operation) ||
      !ExactOrWildcard(rule.api_groups, target.group) ||
      !ExactOrWildcard(rule.api_versions, target.version)) {
    return false;
  }
  return std::any_of(rule.resources.begin(), rule.resources.end(), [&](const std::string& r) {
    auto [resource, subresource] = SplitResource(r);
    return (resource == "*" || resource == target.resource) &&
           (subresource == "*" || subresource == target.subresource);
  });
}

}  // namespace mlgitops::kubesim
