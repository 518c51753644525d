// The admission chain: which webhooks a write reaches, in which order, what their answers do
// (patches, denials, warnings), and failurePolicy when a call fails.
#include "kubesim/admission.h"

#include <cstdio>
#include <utility>

#include "kubesim/admission_match.h"
#include "kubesim/admission_review.h"
#include "kubesim/json_util.h"
#include "kubesim/object_rules.h"
#include "kubesim/patch.h"
#include "kubesim/scale_view.h"
#include "kubesim/selectors.h"

namespace mlgitops::kubesim {

namespace {

constexpr char kAdmissionGroup[] = "admissionregistration.k8s.io";

thread_local AdmissionRequestScope* current_scope = nullptr;

void RecordWarnings(const JsonValue& response) {
  const JsonValue* warnings = FindMember(response, "warnings");
  if (!warnings || !warnings->IsArray()) return;
  for (const auto& w : warnings->GetArray()) {
    if (w.IsString() && w.GetStringLength() > 0) AdmissionRequestScope::AddWarning(w.GetString());
  }
}

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
      SetPath(root, SpecReplicasPath(*attrs.type), JsonValue(*replicas), a);
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

AdmissionRequestScope::AdmissionRequestScope(bool api_request)
    : api_request_(api_request), previous_(current_scope) {
  current_scope = this;
}

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

bool AdmissionRequestScope::Active() { return current_scope && current_scope->api_request_; }

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
  if (!hook.match_conditions.empty()) {
    // matchConditions see the request the webhook would get (admission_match.h); an
    // evaluation error under failurePolicy Fail refuses the request with 403.
    std::string review =
        ReviewRequestJson(attrs, version, "v1", "", AdmissionRequestScope::Active(), object, old);
    MatchDecision decision = EvaluateMatchConditions(hook, review);
    if (!decision.error.empty()) {
      *refusal = Forbidden(type.group, type.plural, attrs.name, decision.error);
      return std::nullopt;
    }
    if (!decision.call) return std::nullopt;
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
  std::string uid = NewUid();
  std::string body = ReviewRequestJson(attrs, invocation.version, review_version, uid,
                                       AdmissionRequestScope::Active(), object, old);
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
  if (auto refused = Mutate(attrs, object, old)) return refused;
  return Validate(attrs, object, old);
}

namespace {
// What webhooks see of `object` (null stays null): scale writes are reviewed as the
// autoscaling/v1 Scale the client sent, built into `scale`; other writes as the object itself,
// without a copy.
const JsonValue* ReviewedView(const AdmissionAttributes& attrs, const JsonValue* object,
                              std::optional<Object>* scale) {
  if (!object || attrs.subresource != "scale") return object;
  *scale = ScaleOf(*object, *attrs.type);
  return &(*scale)->json();
}
}  // namespace

std::optional<ApiError> Admission::Mutate(const AdmissionAttributes& attrs, Object* object,
                                          const JsonValue* old, bool* changed_out) {
  if (!attrs.type || attrs.type->group == kAdmissionGroup) return std::nullopt;
  std::vector<Webhook> mutating = LoadWebhooks(true);
  if (mutating.empty()) return std::nullopt;
  std::optional<Object> old_scale;
  const JsonValue* old_view = ReviewedView(attrs, old, &old_scale);
  // Webhook patches apply to a copy, mapped back onto the object once they all succeeded.
  std::optional<Object> view;
  if (object) {
    view = attrs.subresource == "scale" ? ScaleOf(object->json(), *attrs.type) : object->Clone();
  }
  bool changed = false;
  auto refused = RunMutating(mutating, attrs, view ? &*view : nullptr, old_view, &changed);
  if (refused) return refused;
  if (changed && object) ApplyMutation(attrs, *view, old, object);
  if (changed_out) *changed_out = changed && object;
  return std::nullopt;
}

std::optional<ApiError> Admission::Validate(const AdmissionAttributes& attrs, const Object* object,
                                            const JsonValue* old) {
  if (!attrs.type || attrs.type->group == kAdmissionGroup) return std::nullopt;
  std::vector<Webhook> validating = LoadWebhooks(false);
  if (validating.empty()) return std::nullopt;
  std::optional<Object> old_scale;
  std::optional<Object> scale;  // validating webhooks see what will be stored
  return RunValidating(validating, attrs,
                       ReviewedView(attrs, object ? &object->json() : nullptr, &scale),
                       ReviewedView(attrs, old, &old_scale));
}

}  // namespace mlgitops::kubesim
