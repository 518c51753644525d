// The AdmissionReview wire format (admission.k8s.io/v1 and v1beta1): a bounded, depth-limited
// decoder of the apiserver's request and the encoder of the webhook's answer.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "object/object.h"
#include "object/status.h"

namespace mlgitops {

/// controller-runtime's cap: two objects of at most 3 MiB each plus 1 MiB of envelope.
inline constexpr size_t kMaxAdmissionReviewBytes = 7u << 20;
/// Deeper than any real object (CRD schemas included) wrapped in a review.
inline constexpr int kMaxAdmissionJsonDepth = 100;

/// The fields of `request` the policy reads.
struct AdmissionRequest {
  std::string api_version;  // of the review: "admission.k8s.io/v1" or ".../v1beta1"
  std::string uid;
  std::string operation;  // CREATE, UPDATE, DELETE or CONNECT
  std::string sub_resource;
  std::string namespace_;
  std::string name;
  bool dry_run = false;
  /// request.object, with apiVersion, kind and namespace filled from the request when the
  /// object omits them; nullopt when the request carries none (DELETE, CONNECT).
  std::optional<Object> object;
};

/// Decodes an AdmissionReview. Errors (LimitExceeded for size and depth, InvalidArgument for
/// the rest) carry a short reason fit for a 400 answer, naming the field at fault.
Result<AdmissionRequest> DecodeAdmissionReview(std::string_view body);

/// What the webhook answers one request.
struct AdmissionVerdict {
  bool allowed = true;
  int code = 0;  // status.code when denied (403)
  std::string reason;
  std::string message;
  std::vector<std::string> warnings;
  std::string patch;  // a JSON array of RFC 6902 operations, "" for none
};

/// The AdmissionReview answer of `api_version`, echoing `uid`; the patch goes out as base64 with
/// patchType JSONPatch.
std::string EncodeAdmissionReview(std::string_view api_version, std::string_view uid,
                                  const AdmissionVerdict& verdict);

}  // namespace mlgitops
