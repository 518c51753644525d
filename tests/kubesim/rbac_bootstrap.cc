// The default RBAC policy kube-apiserver writes into a new cluster
// (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go, the part kubectl users meet):
// cluster-admin bound to system:masters; the user-facing admin/edit/view roles built by
// aggregation from system:aggregate-to-*; discovery, basic-user and public-info-viewer for every
// authenticated (and the last for unauthenticated) client. Plus the clusterrole aggregation
// controller, which fills an aggregated ClusterRole's rules from the ClusterRoles its selectors
// match.
#include <algorithm>

#include "kubesim/admission_config.h"
#include "kubesim/json_util.h"
#include "kubesim/rbac.h"
#include "kubesim/selectors.h"

namespace mlgitops::kubesim {

namespace {

constexpr char kAggregateLabel[] = "rbac.authorization.k8s.io/aggregate-to-";
constexpr int kMaxAggregationPasses = 8;  // admin <- edit <- view chains settle in three

const char* const kReadVerbs = R"(["get","list","watch"])";
const char* const kWriteVerbs = R"(["create","delete","deletecollection","patch","update"])";

std::string Rule(const std::string& groups, const std::string& resources,
                 const std::string& verbs) {
  return R"({"apiGroups":)" + groups + R"(,"resources":)" + resources + R"(,"verbs":)" + verbs +
         "}";
}

std::string UrlRule(const std::string& urls, const std::string& verbs) {
  return R"({"nonResourceURLs":)" + urls + R"(,"verbs":)" + verbs + "}";
}

// A bootstrap object's metadata: the labels and the autoupdate annotation the real ones carry.
std::string Meta(const std::string& name, const std::string& extra_labels) {
  return R"({"name":")" + name + R"(","labels":{"kubernetes.io/bootstrapping":"rbac-defaults")" +
         extra_labels +
         R"(},"annotations":{"rbac.authorization.kubernetes.io/autoupdate":"true"}})";
}

std::string ClusterRole(const std::string& name, const std::vector<std::string>& rules,
                        const std::string& labels = "", const std::string& aggregate_from = "") {
  std::string out = R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole",)";
  out += R"("metadata":)" + Meta(name, labels) + R"(,"rules":[)";
  for (size_t i = 0; i < rules.size(); ++i) out += (i ? "," : "") + rules[i];
  out += "]";
  if (!aggregate_from.empty()) {
    out += R"(,"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{")" +
           std::string(kAggregateLabel) + aggregate_from + R"(":"true"}}]})";
  }
  return out + "}";
}

std::string ClusterRoleBinding(const std::string& name, const std::string& role,
                               const std::vector<std::string>& groups) {
  std::string out =
      R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":)" +
      Meta(name, "") +
      R"(,"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":")" + role +
      R"("},"subjects":[)";
  for (size_t i = 0; i < groups.size(); ++i) {
    out += std::string(i ? "," : "") +
           R"({"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":")" + groups[i] +
           R"("})";
  }
  return out + "]}";
}

std::string Label(const std::string& to) {
  return R"(,")" + std::string(kAggregateLabel) + to + R"(":"true")";
}

}  // namespace

std::vector<Object> BootstrapPolicy() {
  const std::string core = R"([""])";
  std::vector<std::string> texts = {
      ClusterRole("cluster-admin",
                  {Rule(R"(["*"])", R"(["*"])", R"(["*"])"), UrlRule(R"(["*"])", R"(["*"])")}),
      ClusterRole("admin", {}, "", "admin"),
      ClusterRole("edit", {}, Label("admin"), "edit"),
      ClusterRole("view", {}, Label("edit"), "view"),
      ClusterRole(
          "system:aggregate-to-admin",
          {Rule(R"(["authorization.k8s.io"])", R"(["localsubjectaccessreviews"])", R"(["create"])"),
           Rule(R"(["rbac.authorization.k8s.io"])", R"(["rolebindings","roles"])",
                R"(["create","delete","deletecollection","get","list","patch","update","watch"])")},
          Label("admin")),
      ClusterRole(
          "system:aggregate-to-edit",
          {Rule(
               core,
               R"(["pods/attach","pods/exec","pods/portforward","pods/proxy","secrets","services/proxy"])",
               kReadVerbs),
           Rule(core, R"(["serviceaccounts"])", R"(["impersonate"])"),
           Rule(core, R"(["pods","pods/attach","pods/exec","pods/portforward","pods/proxy"])",
                kWriteVerbs),
           Rule(core, R"(["pods/eviction"])", R"(["create"])"),
           Rule(
               core,
               R"(["configmaps","events","persistentvolumeclaims","replicationcontrollers","replicationcontrollers/scale","secrets","serviceaccounts","services","services/proxy"])",
               kWriteVerbs),
           Rule(core, R"(["serviceaccounts/token"])", R"(["create"])"),
           Rule(
               R"(["apps"])",
               R"(["daemonsets","deployments","deployments/rollback","deployments/scale","replicasets","replicasets/scale","statefulsets","statefulsets/scale"])",
               kWriteVerbs),
           Rule(R"(["autoscaling"])", R"(["horizontalpodautoscalers"])", kWriteVerbs),
           Rule(R"(["batch"])", R"(["cronjobs","jobs"])", kWriteVerbs),
           Rule(R"(["networking.k8s.io"])", R"(["ingresses","networkpolicies"])", kWriteVerbs),
           Rule(R"(["policy"])", R"(["poddisruptionbudgets"])", kWriteVerbs),
           Rule(R"(["coordination.k8s.io"])", R"(["leases"])",
                R"(["create","delete","deletecollection","get","list","patch","update","watch"])")},
          Label("edit")),
      ClusterRole(
          "system:aggregate-to-view",
          {Rule(
               core,
               R"(["configmaps","endpoints","persistentvolumeclaims","persistentvolumeclaims/status","pods","replicationcontrollers","replicationcontrollers/scale","serviceaccounts","services","services/status"])",
               kReadVerbs),
           Rule(
               core,
               R"(["bindings","events","limitranges","namespaces/status","pods/log","pods/status","replicationcontrollers/status","resourcequotas","resourcequotas/status"])",
               kReadVerbs),
           Rule(core, R"(["namespaces"])", kReadVerbs),
           Rule(
               R"(["apps"])",
               R"(["controllerrevisions","daemonsets","daemonsets/status","deployments","deployments/scale","deployments/status","replicasets","replicasets/scale","replicasets/status","statefulsets","statefulsets/scale","statefulsets/status"])",
               kReadVerbs),
           Rule(R"(["autoscaling"])",
                R"(["horizontalpodautoscalers","horizontalpodautoscalers/status"])", kReadVerbs),
           Rule(R"(["batch"])", R"(["cronjobs","cronjobs/status","jobs","jobs/status"])",
                kReadVerbs),
           Rule(R"(["policy"])", R"(["poddisruptionbudgets","poddisruptionbudgets/status"])",
                kReadVerbs),
           Rule(R"(["networking.k8s.io"])", R"(["ingresses","ingresses/status","networkpolicies"])",
                kReadVerbs)},
          Label("view")),
      ClusterRole(
          "system:discovery",
          {UrlRule(
              R"(["/api","/api/*","/apis","/apis/*","/healthz","/livez","/openapi","/openapi/*","/readyz","/version","/version/"])",
              R"(["get"])")}),
      ClusterRole(
          "system:basic-user",
          {Rule(R"(["authorization.k8s.io"])",
                R"(["selfsubjectaccessreviews","selfsubjectrulesreviews"])", R"(["create"])"),
           Rule(R"(["authentication.k8s.io"])", R"(["selfsubjectreviews"])", R"(["create"])")}),
      ClusterRole(
          "system:public-info-viewer",
          {UrlRule(R"(["/healthz","/livez","/readyz","/version","/version/"])", R"(["get"])")}),
      ClusterRoleBinding("cluster-admin", "cluster-admin", {kMastersGroup}),
      ClusterRoleBinding("system:discovery", "system:discovery", {kAuthenticatedGroup}),
      ClusterRoleBinding("system:basic-user", "system:basic-user", {kAuthenticatedGroup}),
      ClusterRoleBinding("system:public-info-viewer", "system:public-info-viewer",
                         {kAuthenticatedGroup, kUnauthenticatedGroup}),
  };
  std::vector<Object> out;
  for (const std::string& text : texts) {
    auto parsed = ParseJson(text, "bootstrap policy");
    if (parsed.ok()) out.push_back(std::move(*parsed));
  }
  return out;
}

std::vector<Object> AggregateClusterRoles(const std::vector<ObjectPtr>& cluster_roles) {
  // Work on copies so chains (view feeds edit feeds admin) settle within one call.
  std::vector<Object> current;
  for (const ObjectPtr& role : cluster_roles) current.push_back(role->Clone());
  std::vector<bool> changed(current.size(), false);
  std::sort(current.begin(), current.end(), [](const Object& a, const Object& b) {
    return GetString(a.json(), "metadata.name") < GetString(b.json(), "metadata.name");
  });
  for (int pass = 0; pass < kMaxAggregationPasses; ++pass) {
    bool any = false;
    for (size_t i = 0; i < current.size(); ++i) {
      const JsonValue* selectors = Find(current[i].json(), "aggregationRule.clusterRoleSelectors");
      if (!selectors || !selectors->IsArray()) continue;
      std::string self = GetString(current[i].json(), "metadata.name");
      std::vector<PolicyRule> rules;
      JsonAllocator& a = current[i].allocator();
      JsonValue merged(rapidjson::kArrayType);
      for (const auto& selector : selectors->GetArray()) {
        auto text = LabelSelectorText(&selector);
        if (!text.ok()) continue;
        auto parsed = LabelSelector::Parse(*text);
        // An empty selector matches nothing here (the controller skips it).
        if (!parsed.ok() || parsed->empty()) continue;
        for (size_t j = 0; j < current.size(); ++j) {
          if (j == i || !parsed->Matches(current[j].json())) continue;
          const JsonValue* theirs = FindMember(current[j].json(), "rules");
          if (!theirs || !theirs->IsArray()) continue;
          for (const auto& r : theirs->GetArray()) {
            if (!r.IsObject()) continue;
            PolicyRule rule = ReadRule(r);
            if (std::find(rules.begin(), rules.end(), rule) != rules.end()) continue;
            rules.push_back(std::move(rule));
            merged.PushBack(JsonValue(r, a), a);
          }
        }
      }
      if (self.empty() || ReadRules(FindMember(current[i].json(), "rules")) == rules) continue;
      SetMember(current[i].mutable_json(), "rules", std::move(merged), a);
      changed[i] = true;
      any = true;
    }
    if (!any) break;
  }
  std::vector<Object> out;
  for (size_t i = 0; i < current.size(); ++i) {
    if (changed[i]) out.push_back(std::move(current[i]));
  }
  return out;
}

}  // namespace mlgitops::kubesim
