// The AdmissionReview wire format (admission.k8s.io/v1, v1beta1 accepted): the request kubesim
// sends a webhook and the checks its answer must pass, worded as kube-apiserver words them.
#pragma once

#include <string>

#include "kubesim/admission_config.h"
#include "kubesim/api_errors.h"
#include "kubesim/catalog.h"
#include "object/object.h"
#include "object/status.h"

namespace mlgitops::kubesim {

/// What one write is (admission.Attributes in kube-apiserver).
struct AdmissionAttributes {
  std::string operation;               // CREATE, UPDATE or DELETE
  const ResourceType* type = nullptr;  // the type the request's URL names
  std::string subresource;             // "", "status" or "scale"
  std::string namespace_;              // "" for cluster-scoped kinds
  std::string name;
  bool dry_run = false;
  std::string field_manager;       // reported in Create/UpdateOptions
  std::string propagation_policy;  // reported in DeleteOptions
};

/// Namespaces are cluster-scoped, yet reviewed (and selected) as their own namespace.
bool IsNamespaceType(const ResourceType& type);

/// The review version to send: the first one the webhook lists that kubesim speaks ("" if none).
std::string ReviewVersion(const Webhook& hook);

/// The AdmissionReview sent for `attrs`. `invoked_version` is the version the matching rule names
/// (kind/resource; requestKind/requestResource keep the URL's); scale writes are reviewed as
/// autoscaling/v1 Scale. `api_request` tells the kubeconfig user from kubesim's controllers.
std::string ReviewRequestJson(const AdmissionAttributes& attrs, const std::string& invoked_version,
                              const std::string& review_version, const std::string& uid,
                              bool api_request, const JsonValue* object, const JsonValue* old);

/// Why a webhook's answer is unacceptable (kube-apiserver's VerifyAdmissionResponse: response
/// present, uid echoed, apiVersion/kind, patch and patchType together and only from mutating
/// webhooks), "" when it is fine. v1beta1 answers are only checked for a response.
std::string VerifyAnswer(const JsonValue& review, const std::string& uid, bool v1, bool mutating);

/// A denial as kube-apiserver reports it: the webhook's status with code at least 400 and the
/// message "admission webhook "NAME" denied the request: ...".
ApiError Denial(const std::string& hook_name, const JsonValue* status);

/// response.patch: base64 of a JSON array of RFC 6902 operations.
Result<Object> DecodePatch(const std::string& encoded);

}  // namespace mlgitops::kubesim
