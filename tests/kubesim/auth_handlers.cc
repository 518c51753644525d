// The access-review APIs (authorization.k8s.io/v1 SelfSubjectAccessReview,
// LocalSubjectAccessReview, SubjectAccessReview, SelfSubjectRulesReview; authentication.k8s.io/v1
// TokenReview and SelfSubjectReview, what `kubectl auth can-i` and `kubectl auth whoami` ask),
// the RBAC registry's escalation and bind checks on (Cluster)Role(Binding) writes
// (pkg/registry/rbac/*/policybased), and the clusterrole aggregation controller.
#include "kubesim/api_server.h"
#include "kubesim/authn.h"
#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

constexpr char kAuthorizationGroup[] = "authorization.k8s.io";

std::vector<std::string> StringList(const JsonValue* list) {
  std::vector<std::string> out;
  if (!list || !list->IsArray()) return out;
  for (const auto& v : list->GetArray()) {
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

JsonValue StringArray(const std::vector<std::string>& values, JsonAllocator& a) {
  JsonValue out(rapidjson::kArrayType);
  for (const std::string& v : values) out.PushBack(Str(v, a), a);
  return out;
}

// The attributes a SubjectAccessReviewSpec asks about, or the validation error.
ApiResult<AuthzAttributes> SpecAttributes(const JsonValue& spec, const std::string& kind) {
  const JsonValue* resource = FindMember(spec, "resourceAttributes");
  const JsonValue* non_resource = FindMember(spec, "nonResourceAttributes");
  bool has_resource = resource && resource->IsObject();
  bool has_non_resource = non_resource && non_resource->IsObject();
  if (has_resource && has_non_resource) {
    return Invalid(kAuthorizationGroup, kind, "",
                   {{"FieldValueInvalid",
                     "Invalid value: \"object\": cannot be specified in combination with "
                     "resourceAttributes",
                     "spec.nonResourceAttributes"}});
  }
  if (!has_resource && !has_non_resource) {
    return Invalid(kAuthorizationGroup, kind, "",
                   {{"FieldValueInvalid",
                     "Invalid value: \"null\": exactly one of nonResourceAttributes or "
                     "resourceAttributes must be specified",
                     "spec.resourceAttributes"}});
  }
  AuthzAttributes attrs;
  if (has_non_resource) {
    attrs.resource_request = false;
    attrs.path = GetString(*non_resource, "path");
    attrs.verb = GetString(*non_resource, "verb");
    return attrs;
  }
  attrs.namespace_ = GetString(*resource, "namespace");
  attrs.verb = GetString(*resource, "verb");
  attrs.group = GetString(*resource, "group");
  attrs.resource = GetString(*resource, "resource");
  attrs.subresource = GetString(*resource, "subresource");
  attrs.name = GetString(*resource, "name");
  return attrs;
}

JsonValue RulesReviewStatus(const std::vector<PolicyRule>& rules,
                            const std::vector<std::string>& errors, JsonAllocator& a) {
  JsonValue status(rapidjson::kObjectType);
  JsonValue resource_rules(rapidjson::kArrayType);
  JsonValue non_resource_rules(rapidjson::kArrayType);
  for (const PolicyRule& rule : rules) {
    if (!rule.resources.empty()) {
      JsonValue r(rapidjson::kObjectType);
      SetMember(r, "verbs", StringArray(rule.verbs, a), a);
      if (!rule.api_groups.empty()) SetMember(r, "apiGroups", StringArray(rule.api_groups, a), a);
      SetMember(r, "resources", StringArray(rule.resources, a), a);
      if (!rule.resource_names.empty()) {
        SetMember(r, "resourceNames", StringArray(rule.resource_names, a), a);
      }
      resource_rules.PushBack(std::move(r), a);
    }
    if (!rule.non_resource_urls.empty()) {
      JsonValue r(rapidjson::kObjectType);
      SetMember(r, "verbs", StringArray(rule.verbs, a), a);
      SetMember(r, "nonResourceURLs", StringArray(rule.non_resource_urls, a), a);
      non_resource_rules.PushBack(std::move(r), a);
    }
  }
  SetMember(status, "resourceRules", std::move(resource_rules), a);
  SetMember(status, "nonResourceRules", std::move(non_resource_rules), a);
  SetMember(status, "incomplete", JsonValue(!errors.empty()), a);
  if (!errors.empty()) {
    std::string text = errors.size() == 1 ? errors[0] : "[";
    if (errors.size() > 1) {
      for (size_t i = 0; i < errors.size(); ++i) text += (i ? ", " : "") + errors[i];
      text += "]";
    }
    SetString(status, "evaluationError", text, a);
  }
  return status;
}

}  // namespace

HttpResponse ApiServer::Review(const Call& call) {
  if (call.info.verb != "create") return ErrorResponse(MethodNotAllowedOnResource());
  auto parsed = DecodeBody(call, false);
  if (!parsed.ok()) return ErrorResponse(parsed.error());
  Object review = std::move(*parsed);
  JsonAllocator& a = review.allocator();
  JsonValue& root = review.mutable_json();
  if (!root.IsObject()) root.SetObject();
  SetString(root, "apiVersion", call.type.api_version(), a);
  SetString(root, "kind", call.type.kind, a);
  JsonValue& meta = EnsureObject(root, "metadata", a);
  if (!FindMember(meta, "creationTimestamp")) SetMember(meta, "creationTimestamp", JsonValue(), a);
  const JsonValue* spec_ptr = FindMember(root, "spec");
  JsonValue empty_spec(rapidjson::kObjectType);
  const JsonValue& spec = spec_ptr && spec_ptr->IsObject() ? *spec_ptr : empty_spec;
  UserInfo requester = CurrentUser() ? *CurrentUser() : ControllerManagerUser();
  const std::string& kind = call.type.kind;
  JsonValue status(rapidjson::kObjectType);

  if (kind == "SelfSubjectAccessReview" || kind == "SubjectAccessReview" ||
      kind == "LocalSubjectAccessReview") {
    auto attrs = SpecAttributes(spec, kind);
    if (!attrs.ok()) return ErrorResponse(attrs.error());
    UserInfo subject = requester;
    if (kind != "SelfSubjectAccessReview") {
      subject = UserInfo{GetString(spec, "user"),
                         GetString(spec, "uid"),
                         StringList(FindMember(spec, "groups")),
                         {}};
      if (subject.name.empty() && subject.groups.empty()) {
        return ErrorResponse(Invalid(kAuthorizationGroup, kind, "",
                                     {{"FieldValueInvalid",
                                       "Invalid value: \"\": at least one of user or group must "
                                       "be specified",
                                       "spec.user"}}));
      }
    }
    if (kind == "LocalSubjectAccessReview" &&
        (!attrs->resource_request || attrs->namespace_ != call.namespace_)) {
      return ErrorResponse(Invalid(
          kAuthorizationGroup, kind, "",
          {{"FieldValueInvalid",
            "Invalid value: " + Quote(attrs->namespace_) + ": must match metadata.namespace",
            "spec.resourceAttributes.namespace"}}));
    }
    attrs->user = &subject;
    AuthzDecision decision = rbac_.Authorize(*attrs);
    SetMember(status, "allowed", JsonValue(decision.allowed), a);
    if (!decision.reason.empty()) SetString(status, "reason", decision.reason, a);
  } else if (kind == "SelfSubjectRulesReview") {
    std::string ns = GetString(spec, "namespace");
    std::vector<std::string> errors;
    std::vector<PolicyRule> rules;
    if (rbac_.always_allow()) {
      rules = {{{"*"}, {"*"}, {"*"}, {}, {}}, {{"*"}, {}, {}, {}, {"*"}}};
    } else {
      rules = rbac_.RulesFor(requester, ns, &errors);
    }
    status = RulesReviewStatus(rules, errors, a);
  } else if (kind == "TokenReview") {
    UserInfo user;
    bool ok = authenticator_ && authenticator_->AuthenticateToken(GetString(spec, "token"), &user);
    SetMember(status, "authenticated", JsonValue(ok), a);
    if (ok) {
      auto info = ParseJson(user.ToJson(), "user");
      if (info.ok()) SetMember(status, "user", JsonValue(info->json(), a), a);
      const JsonValue* audiences = FindMember(spec, "audiences");
      SetMember(status, "audiences",
                audiences && audiences->IsArray() && !audiences->Empty()
                    ? JsonValue(*audiences, a)
                    : StringArray({"https://kubernetes.default.svc.cluster.local"}, a),
                a);
    }
  } else if (kind == "SelfSubjectReview") {
    auto info = ParseJson(requester.ToJson(), "user");
    if (info.ok()) SetMember(status, "userInfo", JsonValue(info->json(), a), a);
  } else {
    return ErrorResponse(MethodNotAllowedOnResource());
  }
  SetMember(root, "status", std::move(status), a);
  return JsonResponse(201, ToJson(root));
}

std::optional<ApiError> ApiServer::CheckRbacWrite(const ResourceType& type, const std::string& ns,
                                                  const std::string& name, const JsonValue& object,
                                                  const JsonValue* old) {
  if (type.group != kRbacGroup) return std::nullopt;
  const UserInfo* user = CurrentUser();
  // EscalationAllowed: kubesim itself, the masters group, and clusters without RBAC.
  if (!user || rbac_.always_allow() || user->InGroup(kMastersGroup)) return std::nullopt;
  AuthzAttributes attrs;
  attrs.user = user;
  attrs.group = kRbacGroup;
  attrs.namespace_ = ns;
  bool role = type.kind == "Role" || type.kind == "ClusterRole";
  std::vector<PolicyRule> granted;
  if (role) {
    // RoleEscalationAuthorized: the `escalate` verb on the role (by name on updates).
    attrs.verb = "escalate";
    attrs.resource = type.plural;
    attrs.name = old ? name : "";
    if (rbac_.Authorize(attrs).allowed) return std::nullopt;
    granted = ReadRules(FindMember(object, "rules"));
  } else {
    // BindingAuthorized: the `bind` verb on the role the binding refers to.
    std::string ref_kind = GetString(object, "roleRef.kind");
    std::string ref_name = GetString(object, "roleRef.name");
    attrs.verb = "bind";
    attrs.resource = ref_kind == "Role" ? "roles" : "clusterroles";
    attrs.name = ref_name;
    if (rbac_.Authorize(attrs).allowed) return std::nullopt;
    auto rules = rbac_.RoleReferenceRules(ref_kind, ns, ref_name);
    if (!rules.ok()) return rules.error();
    granted = std::move(*rules);
  }
  std::vector<std::string> errors;
  std::vector<PolicyRule> owned = rbac_.RulesFor(*user, ns, &errors);
  std::vector<PolicyRule> missing = MissingRules(owned, granted);
  if (!missing.empty()) {
    return Forbidden(kRbacGroup, type.plural, name, EscalationMessage(*user, missing, errors));
  }
  // An aggregationRule can gather anything, so setting one takes cluster-admin's authority.
  const JsonValue* aggregation = FindMember(object, "aggregationRule");
  bool sets_aggregation = type.kind == "ClusterRole" && aggregation && aggregation->IsObject() &&
                          !(old && FindMember(*old, "aggregationRule") &&
                            *FindMember(*old, "aggregationRule") == *aggregation);
  if (sets_aggregation &&
      !MissingRules(owned, {{{"*"}, {"*"}, {"*"}, {}, {}}, {{"*"}, {}, {}, {}, {"*"}}}).empty()) {
    return Forbidden(kRbacGroup, type.plural, name,
                     "must have cluster-admin privileges to use the aggregationRule");
  }
  return std::nullopt;
}

void ApiServer::RunRoleAggregation() {
  std::lock_guard<std::recursive_mutex> lock(write_mu_);
  CurrentUserScope privileged(nullptr);
  auto type = catalog_.Find(kRbacGroup, "v1", "clusterroles");
  for (Object& role : kubesim::AggregateClusterRoles(store_.List(type->storage_key(), ""))) {
    std::string name = GetString(role.json(), "metadata.name");
    ObjectPtr old = store_.Get(type->storage_key(), "", name);
    if (!old) continue;
    RemovePath(role.mutable_json(), "metadata.resourceVersion");
    WriteContext ctx{*type, "clusterrole-aggregation-controller", "", false};
    CommitUpdate(ctx, old, std::move(role), false);
  }
}

void ApiServer::SeedRbacPolicy() {
  CurrentUserScope privileged(nullptr);
  for (Object& object : BootstrapPolicy()) {
    auto type = catalog_.FindByKind(kRbacGroup, "v1", GetString(object.json(), "kind"));
    if (!type) continue;
    WriteContext ctx{*type, "kube-apiserver", "", false};
    CommitCreate(ctx, std::move(object), false);
  }
  RunRoleAggregation();
}

}  // namespace mlgitops::kubesim
