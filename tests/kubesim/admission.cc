// The admission chain: which webhooks a write reaches, the AdmissionReview they get, what their
// answers do (patches, denials, warnings), and failurePolicy when a call fails.
#include "kubesim/admission.h"

#include <cstdio>
#include <utility>

#include "kubesim/encoding.h"
#include "kubesim/json_util.h"
#include "kubesim/object_rules.h"
#include "kubesim/patch.h"
#include "kubesim/scale_view.h"
#include "kubesim/selectors.h"

namespace mlgitops::kubesim {

namespace {

constexpr char kAdmissionGroup[] = "admissionregistration.k8s.io";

thread_local AdmissionRequestScope* current_scope = nullptr;

bool IsNamespaceType(const ResourceType& type) {
  return type.group.empty() && type.plural == "namespaces";
}

// The review version to send: the first one the webhook lists that kubesim speaks.
std::string ReviewVersion(const Webhook& hook) {
  for (const std::string& v : hook.review_versions) {
    if (v == "v1" || v == "v1beta1") return v;
  }
  return "";
}

// ---------- the AdmissionReview request ----------

std::string Triple(const std::string& group, const std::string& version, const char* last_key,
                   const std::string& last) {
  return "{\"group\":" + Quote(group) + ",\"version\":" + Quote(version) + ",\"" + last_key +
         "\":" + Quote(last) + "}";
}

// kube-apiserver reports the kubeconfig user for API requests; kubesim's own controllers write
// as the controller manager.
std::string UserInfoJson() {
  if (AdmissionRequestScope::Active()) {
    return R"({"username":"kubesim-admin","groups":["system:masters","system:authenticated"]})";
  }
  return R"({"username":"system:kube-controller-manager","groups":["system:authenticated"]})";
}

std::string OptionsJson(const AdmissionAttributes& attrs) {
  const char* kind = attrs.operation == "CREATE"   ? "CreateOptions"
                     : attrs.operation == "UPDATE" ? "UpdateOptions"
                                                   : "DeleteOptions";
  std::string out = std::string("{\"kind\":\"") + kind + "\",\"apiVersion\":\"meta.k8s.io/v1\"";
  if (attrs.dry_run) out += ",\"dryRun\":[\"All\"]";
  if (attrs.operation != "DELETE" && !attrs.field_manager.empty()) {
    out += ",\"fieldManager\":" + Quote(attrs.field_manager);
  }
  if (attrs.operation == "DELETE" && !attrs.propagation_policy.empty()) {
    out += ",\"propagationPolicy\":" + Quote(attrs.propagation_policy);
  }
  return out + "}";
}

// The object as the invoked version shows it (Equivalent matching: same fields, other version).
std::string ObjectJson(const JsonValue* object, const std::string& api_version) {
  if (!object) return "null";
  if (api_version.empty() || GetString(*object, "apiVersion") == api_version) {
    return ToJson(*object);
  }
  Object copy = CopyToObject(*object);
  SetString(copy.mutable_json(), "apiVersion", api_version, copy.allocator());
  return ToJson(copy.json());
}

// ---------- the answer ----------

// Why a review answer is unacceptable (kube-apiserver's VerifyAdmissionResponse), "" when fine.
std::string VerifyAnswer(const JsonValue& review, const std::string& uid, bool v1, bool mutating) {
  const JsonValue* response = review.IsObject() ? FindMember(review, "response") : nullptr;
  if (!response || !response->IsObject()) return "webhook response was absent";
  if (!v1) return "";  // v1beta1 answers were never checked further
  std::string got_uid = GetString(*response, "uid");
  if (got_uid != uid) return "expected response.uid=" + Quote(uid) + ", got " + Quote(got_uid);
  std::string api_version = GetString(review, "apiVersion");
  std::string kind = GetString(review, "kind");
  if (api_version != "admission.k8s.io/v1" || kind != "AdmissionReview") {
    return "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got " +
           api_version + ", Kind=" + kind;
  }
  bool has_patch = !GetString(*response, "patch").empty();
  const JsonValue* patch_type = FindMember(*response, "patchType");
  bool has_type = patch_type && !patch_type->IsNull();
  if (!mutating) {
    if (has_patch) return "validating webhook may not return response.patch";
    if (has_type) return "validating webhook may not return response.patchType";
    return "";
  }
  if (has_patch && !has_type) return "webhook returned response.patch but not response.patchType";
  if (!has_patch && has_type) return "webhook returned response.patchType but not response.patch";
  if (has_type && View(*patch_type).empty()) {
    return "webhook returned invalid response.patchType of \"\"";
  }
  return "";
}

// A denial as kube-apiserver reports it: the webhook's status, code at least 400, and the message
// prefixed with which webhook denied.
ApiError Denial(const std::string& hook_name, const JsonValue* status) {
  ApiError e;
  e.code = 400;
  std::string message;
  std::string reason;
  if (status && status->IsObject()) {
    e.code = static_cast<int>(GetInt(*status, "code").value_or(400));
    message = GetString(*status, "message");
    reason = GetString(*status, "reason");
    if (const JsonValue* details = FindMember(*status, "details"); details && details->IsObject()) {
      e.has_details = true;
      e.name = GetString(*details, "name");
      e.group = GetString(*details, "group");
      e.kind = GetString(*details, "kind");
      if (const JsonValue* causes = FindMember(*details, "causes"); causes && causes->IsArray()) {
        for (const auto& c : causes->GetArray()) {
          e.causes.push_back(
              {GetString(c, "reason"), GetString(c, "message"), GetString(c, "field")});
        }
      }
    }
  }
  if (e.code < 400) e.code = 400;
  e.reason = reason;
  std::string denied = "admission webhook " + Quote(hook_name) + " denied the request";
  e.message = !message.empty()  ? denied + ": " + message
              : !reason.empty() ? denied + ": " + reason
                                : denied + " without explanation";
  return e;
}

// response.patch: base64 of a JSON array of RFC 6902 operations.
Result<Object> DecodePatch(const std::string& encoded) {
  auto decoded = Base64Decode(encoded);
  if (!decoded) return Status::InvalidArgument("illegal base64 data");
  auto patch = ParseJson(*decoded, "patch");
  if (!patch.ok()) return patch.status();
  if (!patch->json().IsArray()) {
    return Status::InvalidArgument(
        "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  }
  return patch;
}

void RecordWarnings(const JsonValue& response) {
  const JsonValue* warnings = FindMember(response, "warnings");
  if (!warnings || !warnings->IsArray()) return;
  for (const auto& w : warnings->GetArray()) {
    if (w.IsString() && w.GetStringLength() > 0) AdmissionRequestScope::AddWarning(w.GetString());
  }
}

// ---------- after mutation ----------

// What no webhook may change: identity, system metadata, and (by the status-subresource rules)
// the status on main-resource writes or everything but the status on /status writes.
void KeepProtectedFields(const JsonValue& original, const AdmissionAttributes& attrs,
                         JsonValue& result, JsonAllocator& a) {
  if (!result.IsObject()) {
    result.CopyFrom(original, a);
    return;
  }
  CopyMemberFrom(result, original, "apiVersion", a);
  CopyMemberFrom(result, original, "kind", a);
  JsonValue& meta = EnsureObject(result, "metadata", a);
  if (const JsonValue* original_meta = FindMember(original, "metadata")) {
    for (const char* key :
         {"name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
          "deletionGracePeriodSeconds", "resourceVersion", "generation", "managedFields"}) {
      CopyMemberFrom(meta, *original_meta, key, a);
    }
  }
  if (!attrs.type->has_status) return;
  if (attrs.subresource == "status") {
    JsonValue kept(original, a);
    CopyMemberFrom(kept, result, "status", a);
    result = std::move(kept);
  } else {
    CopyMemberFrom(result, original, "status", a);
  }
}

// Writes the mutating webhooks' result (`view`) back into *object.
void ApplyMutation(const AdmissionAttributes& attrs, const Object& view, const JsonValue* old,
                   Object* object) {
  JsonValue& root = object->mutable_json();
  JsonAllocator& a = object->allocator();
  if (attrs.subresource == "scale") {
    // Webhooks saw a Scale: only its replicas map back onto the object.
    if (auto replicas = GetInt(view.json(), "spec.replicas")) {
      SetPath(root, "spec.replicas", JsonValue(*replicas), a);
    }
  } else {
    JsonValue result(view.json(), a);
    KeepProtectedFields(root, attrs, result, a);
    root = std::move(result);
  }
  // A spec changed by a webhook is a spec change: generation moves as for the user's own.
  const ResourceType& type = *attrs.type;
  if (attrs.operation == "UPDATE" && old && type.tracks_generation &&
      attrs.subresource != "status" && SpecChanged(*old, root)) {
    auto before = GetInt(*old, "metadata.generation");
    if (GetInt(root, "metadata.generation") == before) {
      SetInt(EnsureObject(root, "metadata", a), "generation", before.value_or(0) + 1, a);
    }
  }
}

std::string WarningHeaderText(const std::string& text) {
  std::string quoted = "299 - \"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
  }
  return quoted + "\"";
}

}  // namespace

// ---------- AdmissionRequestScope ----------

AdmissionRequestScope::AdmissionRequestScope() : previous_(current_scope) { current_scope = this; }

AdmissionRequestScope::~AdmissionRequestScope() { current_scope = previous_; }

void AdmissionRequestScope::AttachWarnings(HttpResponse* response) const {
  for (const std::string& w : warnings_) {
    response->headers.emplace_back("Warning", WarningHeaderText(w));
  }
}

void AdmissionRequestScope::AddWarning(const std::string& text) {
  if (!current_scope) return;
  std::vector<std::string>& list = current_scope->warnings_;
  for (const std::string& w : list) {
    if (w == text) return;
  }
  list.push_back(text);
}

bool AdmissionRequestScope::Active() { return current_scope != nullptr; }

// ---------- Admission ----------

struct Admission::Invocation {
  const Webhook* hook;
  std::string version;  // the version the matching rule names (Equivalent may differ)
};

struct Admission::Reply {
  std::optional<ApiError> refusal;  // the request fails with this
  std::optional<Object> patch;      // a mutating webhook's JSON patch (an array)
  std::string patch_type;
};

namespace {

// A call that produced no usable answer: failurePolicy decides (kube-apiserver's
// ErrCallingWebhook). Fail refuses the request with 500; Ignore admits it.
std::optional<ApiError> FailedCall(const Webhook& hook, const std::string& reason) {
  std::string text = "failed calling webhook " + Quote(hook.name) + ": " + reason;
  if (hook.fails_open()) {
    std::fprintf(stderr, "kubesim: %s (failurePolicy Ignore: admitted)\n", text.c_str());
    return std::nullopt;
  }
  return InternalError(text);
}

}  // namespace

Admission::Admission(const Store* store, const Catalog* catalog)
    : store_(store), catalog_(catalog) {}

void Admission::AddServiceEndpoint(ServiceEndpoint endpoint) {
  client_.AddServiceEndpoint(std::move(endpoint));
}

std::vector<Webhook> Admission::LoadWebhooks(bool mutating) const {
  std::string key = std::string(kAdmissionGroup) + (mutating ? "/mutatingwebhookconfigurations"
                                                             : "/validatingwebhookconfigurations");
  std::vector<Webhook> hooks;
  // Configurations come in name order, each one's webhooks in the order it lists them.
  for (const ObjectPtr& configuration : store_->List(key, "")) {
    for (Webhook& hook : ReadWebhooks(configuration->json(), mutating)) {
      hooks.push_back(std::move(hook));
    }
  }
  return hooks;
}

bool Admission::NamespaceMatches(const Webhook& hook, const AdmissionAttributes& attrs,
                                 const JsonValue* object, const JsonValue* old,
                                 std::optional<ApiError>* refusal) const {
  if (hook.namespace_selector.empty()) return true;
  const ResourceType& type = *attrs.type;
  const JsonValue* labelled = nullptr;
  ObjectPtr ns;
  if (IsNamespaceType(type)) {
    // A Namespace is matched on its own labels: the new ones when it is written.
    labelled = attrs.subresource.empty() && object ? object : old;
  } else if (!type.namespaced) {
    return true;  // other cluster-scoped objects are never excluded by namespace
  } else {
    ns = store_->Get("/namespaces", "", attrs.namespace_);
    if (!ns) {
      *refusal = NotFound("", "namespaces", attrs.namespace_);
      return false;
    }
    labelled = &ns->json();
  }
  auto selector = LabelSelector::Parse(hook.namespace_selector);
  if (!selector.ok()) {
    *refusal = InternalError("webhook " + Quote(hook.name) +
                             " namespaceSelector: " + selector.status().message());
    return false;
  }
  return labelled && selector->Matches(*labelled);
}

std::optional<Admission::Invocation> Admission::Match(const Webhook& hook,
                                                      const AdmissionAttributes& attrs,
                                                      const JsonValue* object, const JsonValue* old,
                                                      std::optional<ApiError>* refusal) const {
  const ResourceType& type = *attrs.type;
  RuleTarget target{attrs.operation, type.group,        type.version,
                    type.plural,     attrs.subresource, !type.namespaced};
  std::string version;
  for (const WebhookRule& rule : hook.rules) {
    if (RuleMatches(rule, target)) version = type.version;
  }
  // Equivalent: a rule naming another served version of the same resource matches too.
  if (version.empty() && hook.match_policy != "Exact") {
    for (const WebhookRule& rule : hook.rules) {
      for (const std::string& v : rule.api_versions) {
        if (!version.empty() || v == "*" || !catalog_->Find(type.group, v, type.plural)) continue;
        RuleTarget other = target;
        other.version = v;
        if (RuleMatches(rule, other)) version = v;
      }
    }
  }
  if (version.empty()) return std::nullopt;
  if (!hook.selector_error.empty()) {
    *refusal = InternalError("webhook " + Quote(hook.name) + " " + hook.selector_error);
    return std::nullopt;
  }
  if (!NamespaceMatches(hook, attrs, object, old, refusal)) return std::nullopt;
  if (!hook.object_selector.empty()) {
    auto selector = LabelSelector::Parse(hook.object_selector);
    if (!selector.ok()) {
      *refusal = InternalError("webhook " + Quote(hook.name) +
                               " objectSelector: " + selector.status().message());
      return std::nullopt;
    }
    // The old object counts too: relabelling an object out of a selector is still seen.
    bool selected = (object && selector->Matches(*object)) || (old && selector->Matches(*old));
    if (!selected) return std::nullopt;
  }
  return Invocation{&hook, version};
}

Admission::Reply Admission::Exchange(const Invocation& invocation, const AdmissionAttributes& attrs,
                                     const JsonValue* object, const JsonValue* old) {
  const Webhook& hook = *invocation.hook;
  Reply reply;
  if (attrs.dry_run && !hook.safe_on_dry_run()) {
    // Not called at all: it might act on a request that will never be stored.
    reply.refusal =
        hook.side_effects.empty()
            ? FailedCall(hook, "Webhook SideEffects is nil")
            : BadRequest("admission webhook " + Quote(hook.name) + " does not support dry run");
    return reply;
  }
  std::string review_version = ReviewVersion(hook);
  if (review_version.empty()) {
    reply.refusal = FailedCall(hook,
                               "could not create admission objects: webhook does not accept "
                               "known AdmissionReview versions (v1, v1beta1)");
    return reply;
  }
  auto target = client_.Resolve(hook.client, hook.timeout_seconds, *store_);
  if (!target.ok()) {
    reply.refusal = FailedCall(hook, target.status().message());
    return reply;
  }
  const ResourceType& type = *attrs.type;
  bool scale = attrs.subresource == "scale";
  std::string group_version =
      type.group.empty() ? invocation.version : type.group + "/" + invocation.version;
  std::string uid = NewUid();
  std::string body = "{\"apiVersion\":\"admission.k8s.io/" + review_version +
                     "\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":" + Quote(uid);
  body += ",\"kind\":" + (scale ? Triple("autoscaling", "v1", "kind", "Scale")
                                : Triple(type.group, invocation.version, "kind", type.kind));
  body += ",\"resource\":" + Triple(type.group, invocation.version, "resource", type.plural);
  if (!attrs.subresource.empty()) body += ",\"subResource\":" + Quote(attrs.subresource);
  body += ",\"requestKind\":" + (scale ? Triple("autoscaling", "v1", "kind", "Scale")
                                       : Triple(type.group, type.version, "kind", type.kind));
  body += ",\"requestResource\":" + Triple(type.group, type.version, "resource", type.plural);
  if (!attrs.subresource.empty()) body += ",\"requestSubResource\":" + Quote(attrs.subresource);
  if (!attrs.name.empty()) body += ",\"name\":" + Quote(attrs.name);
  std::string ns = IsNamespaceType(type) ? attrs.name : attrs.namespace_;
  if (!ns.empty()) body += ",\"namespace\":" + Quote(ns);
  body += ",\"operation\":" + Quote(attrs.operation);
  body += ",\"userInfo\":" + UserInfoJson();
  body += ",\"object\":" + ObjectJson(object, scale ? "" : group_version);
  body += ",\"oldObject\":" + ObjectJson(old, scale ? "" : group_version);
  body += std::string(",\"dryRun\":") + (attrs.dry_run ? "true" : "false");
  body += ",\"options\":" + OptionsJson(attrs) + "}}";

  WebhookAnswer answer = client_.Post(*target, hook.timeout_seconds, body);
  if (!answer.error.empty()) {
    reply.refusal = FailedCall(hook, answer.error);
    return reply;
  }
  auto review = ParseJson(answer.body, "the webhook's AdmissionReview");
  if (!review.ok()) {
    reply.refusal = FailedCall(hook, "failed to call webhook: " + review.status().message());
    return reply;
  }
  std::string invalid = VerifyAnswer(review->json(), uid, review_version == "v1", hook.mutating);
  if (!invalid.empty()) {
    reply.refusal = FailedCall(hook, "received invalid webhook response: " + invalid);
    return reply;
  }
  const JsonValue& response = *FindMember(review->json(), "response");
  RecordWarnings(response);
  if (!GetBool(response, "allowed").value_or(false)) {
    reply.refusal = Denial(hook.name, FindMember(response, "status"));
    return reply;
  }
  std::string encoded = hook.mutating ? GetString(response, "patch") : "";
  if (encoded.empty()) return reply;
  reply.patch_type = GetString(response, "patchType", review_version == "v1" ? "" : "JSONPatch");
  auto patch = DecodePatch(encoded);
  if (!patch.ok()) {
    reply.refusal = FailedCall(
        hook, "received undecodable patch in webhook response: " + patch.status().message());
    return reply;
  }
  reply.patch = std::move(patch).value();
  return reply;
}

std::optional<ApiError> Admission::CallMutating(const Invocation& invocation,
                                                const AdmissionAttributes& attrs, Object* view,
                                                const JsonValue* old_view, bool* changed) {
  const Webhook& hook = *invocation.hook;
  Reply reply = Exchange(invocation, attrs, view ? &view->json() : nullptr, old_view);
  if (reply.refusal) return reply.refusal;
  if (!reply.patch || reply.patch->json().Empty()) return std::nullopt;
  // From here on failurePolicy no longer applies: the webhook answered, the answer is wrong.
  if (!view) {
    return InternalError("admission webhook " + Quote(hook.name) +
                         " attempted to modify the object, which is not supported for this "
                         "operation");
  }
  if (reply.patch_type != "JSONPatch") {
    return FailedCall(hook, "unsupported patch type " + Quote(reply.patch_type));
  }
  Object patched = view->Clone();
  Status applied = ApplyJsonPatch(patched.mutable_json(), reply.patch->json(), patched.allocator());
  if (!applied.ok()) return InternalError(applied.message());
  if (patched.json() != view->json()) {
    *changed = true;
    *view = std::move(patched);
  }
  return std::nullopt;
}

std::optional<ApiError> Admission::RunMutating(const std::vector<Webhook>& hooks,
                                               const AdmissionAttributes& attrs, Object* view,
                                               const JsonValue* old_view, bool* changed) {
  // reinvocationPolicy IfNeeded: a webhook that ran before a later one changed the object is
  // called once more after the first pass.
  std::vector<size_t> reinvocable;
  std::vector<bool> again(hooks.size(), false);
  for (size_t i = 0; i < hooks.size(); ++i) {
    std::optional<ApiError> refusal;
    const JsonValue* current = view ? &view->json() : nullptr;
    auto invocation = Match(hooks[i], attrs, current, old_view, &refusal);
    if (refusal) return refusal;
    if (!invocation) continue;
    bool this_changed = false;
    if (auto refused = CallMutating(*invocation, attrs, view, old_view, &this_changed)) {
      return refused;
    }
    if (this_changed) {
      for (size_t j : reinvocable) again[j] = true;
      *changed = true;
    }
    if (hooks[i].reinvoke_if_needed) reinvocable.push_back(i);
  }
  for (size_t i = 0; i < hooks.size(); ++i) {
    if (!again[i]) continue;
    std::optional<ApiError> refusal;
    const JsonValue* current = view ? &view->json() : nullptr;
    auto invocation = Match(hooks[i], attrs, current, old_view, &refusal);
    if (refusal) return refusal;
    if (!invocation) continue;
    bool this_changed = false;
    if (auto refused = CallMutating(*invocation, attrs, view, old_view, &this_changed)) {
      return refused;
    }
    *changed = *changed || this_changed;
  }
  return std::nullopt;
}

std::optional<ApiError> Admission::RunValidating(const std::vector<Webhook>& hooks,
                                                 const AdmissionAttributes& attrs,
                                                 const JsonValue* view, const JsonValue* old_view) {
  for (const Webhook& hook : hooks) {
    std::optional<ApiError> refusal;
    auto invocation = Match(hook, attrs, view, old_view, &refusal);
    if (refusal) return refusal;
    if (!invocation) continue;
    Reply reply = Exchange(*invocation, attrs, view, old_view);
    if (reply.refusal) return reply.refusal;
  }
  return std::nullopt;
}

std::optional<ApiError> Admission::Admit(const AdmissionAttributes& attrs, Object* object,
                                         const JsonValue* old) {
  if (!attrs.type || attrs.type->group == kAdmissionGroup) return std::nullopt;
  std::vector<Webhook> mutating = LoadWebhooks(true);
  std::vector<Webhook> validating = LoadWebhooks(false);
  if (mutating.empty() && validating.empty()) return std::nullopt;
  // Scale writes are reviewed as the autoscaling/v1 Scale the client sent.
  bool scale = attrs.subresource == "scale";
  std::optional<Object> old_scale;
  if (scale && old) old_scale = ScaleOf(*old);
  const JsonValue* old_view = old_scale ? &old_scale->json() : old;
  auto view_of = [&](const Object& o) { return scale ? ScaleOf(o.json()) : o.Clone(); };
  std::optional<Object> view;
  if (object) view = view_of(*object);

  if (!mutating.empty()) {
    bool changed = false;
    auto refused = RunMutating(mutating, attrs, view ? &*view : nullptr, old_view, &changed);
    if (refused) return refused;
    if (changed && object) {
      ApplyMutation(attrs, *view, old, object);
      view = view_of(*object);  // validating webhooks see what will be stored
    }
  }
  return RunValidating(validating, attrs, view ? &view->json() : nullptr, old_view);
}

}  // namespace mlgitops::kubesim
