// Admission webhooks: on every create, update and delete kubesim calls the webhooks its stored
// Mutating/ValidatingWebhookConfiguration objects select, as kube-apiserver does.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kubesim/admission_client.h"
#include "kubesim/admission_config.h"
#include "kubesim/admission_review.h"
#include "kubesim/api_errors.h"
#include "kubesim/catalog.h"
#include "kubesim/http_types.h"
#include "kubesim/store.h"

namespace mlgitops::kubesim {

/// Marks the request served on this thread (ApiServer::Handle): its webhooks' warnings collect
/// here. Writes of API requests are reported as the kubeconfig user's; those of kubesim's own
/// controllers (or made outside any scope) as the controller manager's.
class AdmissionRequestScope {
 public:
  explicit AdmissionRequestScope(bool api_request);
  ~AdmissionRequestScope();
  AdmissionRequestScope(const AdmissionRequestScope&) = delete;
  AdmissionRequestScope& operator=(const AdmissionRequestScope&) = delete;

  /// `Warning: 299 - "..."` headers, one per distinct warning (kubectl prints them).
  void AttachWarnings(HttpResponse* response) const;
  /// Records a webhook's warning for the current request; dropped outside a scope.
  static void AddWarning(const std::string& text);
  /// Whether the current request came from a client over the API (not from the controllers).
  static bool Active();

 private:
  std::vector<std::string> warnings_;
  bool api_request_;
  AdmissionRequestScope* previous_;
};

class Admission {
 public:
  /// `store` and `catalog` must outlive this object.
  Admission(const Store* store, const Catalog* catalog);

  /// Maps a webhook Service to a local address (the --service-endpoint flag).
  void AddServiceEndpoint(ServiceEndpoint endpoint);

  /// Runs the matching mutating webhooks (their JSON patches change `*object`), then the
  /// validating ones on the result. `object` is null on DELETE and `old` null on CREATE.
  /// nullopt: admitted; otherwise the error the request fails with. Webhook configurations
  /// themselves are never subject to webhooks.
  std::optional<ApiError> Admit(const AdmissionAttributes& attrs, Object* object,
                                const JsonValue* old);
  /// The two halves of Admit, for writes that validate in between: kube-apiserver runs mutating
  /// admission, then the registry strategy's validation (and RBAC's escalation check), then
  /// validating admission on what will be stored.
  /// `changed` (optional) says whether a webhook's patch changed `*object`.
  std::optional<ApiError> Mutate(const AdmissionAttributes& attrs, Object* object,
                                 const JsonValue* old, bool* changed = nullptr);
  std::optional<ApiError> Validate(const AdmissionAttributes& attrs, const Object* object,
                                   const JsonValue* old);

 private:
  struct Invocation;
  struct Reply;

  std::vector<Webhook> LoadWebhooks(bool mutating) const;
  /// Whether `hook` wants this request (rules, then selectors); `refusal` is set when the
  /// decision itself fails (a namespace that does not exist, an unreadable selector).
  std::optional<Invocation> Match(const Webhook& hook, const AdmissionAttributes& attrs,
                                  const JsonValue* object, const JsonValue* old,
                                  std::optional<ApiError>* refusal) const;
  bool NamespaceMatches(const Webhook& hook, const AdmissionAttributes& attrs,
                        const JsonValue* object, const JsonValue* old,
                        std::optional<ApiError>* refusal) const;
  /// One round trip to the webhook, checked as kube-apiserver checks it.
  Reply Exchange(const Invocation& invocation, const AdmissionAttributes& attrs,
                 const JsonValue* object, const JsonValue* old);
  std::optional<ApiError> RunMutating(const std::vector<Webhook>& hooks,
                                      const AdmissionAttributes& attrs, Object* view,
                                      const JsonValue* old_view, bool* changed);
  std::optional<ApiError> CallMutating(const Invocation& invocation,
                                       const AdmissionAttributes& attrs, Object* view,
                                       const JsonValue* old_view, bool* changed);
  std::optional<ApiError> RunValidating(const std::vector<Webhook>& hooks,
                                        const AdmissionAttributes& attrs, const JsonValue* view,
                                        const JsonValue* old_view);

  const Store* store_;
  const Catalog* catalog_;
  WebhookClient client_;
};

}  // namespace mlgitops::kubesim
