// Kubernetes API errors as Status values whose messages name the object and say what to do.
// Every message passes through a Redactor, so tokens, passwords and key data never reach one.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "object/status.h"

namespace mlgitops {

/// Removes secrets from text meant for people: the known secret strings, plus anything that
/// looks like a credential (URL userinfo, `Bearer`/`Basic` values, PEM private keys).
class Redactor {
 public:
  /// Secrets shorter than 3 characters are ignored: replacing them would garble every message.
  void AddSecret(std::string_view secret);
  std::string Redact(std::string_view text) const;
  bool empty() const { return secrets_.empty(); }

 private:
  std::vector<std::string> secrets_;
};

/// What a failed request was about, so its message can name it.
struct RequestSubject {
  std::string verb;  // the RBAC verb: get, list, watch, create, patch, delete
  std::string group;
  std::string version;
  std::string kind;      // "Deployment"
  std::string resource;  // "deployments"; "" when discovery did not get that far
  std::string namespace_;
  std::string name;  // "" for collections
  /// "apps/Deployment ml/ranker", or "apps/Deployment list in namespace ml".
  std::string Describe() const;
  /// "deployments.apps" (RBAC's way of naming a resource).
  std::string QualifiedResource() const;
};

/// One entry of a Status body's `details.causes`.
struct StatusCause {
  std::string reason;  // FieldValueInvalid, FieldManagerConflict, ...
  std::string message;
  std::string field;
};

/// An HTTP error answer from the API server, read from its `Status` body when it has one.
struct ApiError {
  int http_status = 0;
  std::string reason;   // Forbidden, NotFound, Conflict, AlreadyExists, Invalid, Expired, ...
  std::string message;  // the server's own words
  std::vector<StatusCause> causes;
  std::optional<int> retry_after_seconds;  // Retry-After header, else details.retryAfterSeconds
};

/// Reads an error answer. A body that is not a Status becomes the message (trimmed to 500 bytes).
ApiError ParseApiError(int http_status, std::string_view body, std::string_view retry_after_header);

/// The Status for an error answer: names `subject`, explains the cause with the server's reason,
/// message and causes, and says what to do. `attempts_note` ("after 5 attempts in 12s") is
/// appended when not empty. Everything goes through `redactor`.
Status ApiErrorToStatus(const ApiError& error, const RequestSubject& subject,
                        const Redactor& redactor, const std::string& attempts_note = "");

/// True when `status` is an API server's answer with metav1.Status reason `reason` ("Invalid",
/// "AlreadyExists", ...), read from the answer ApiErrorToStatus kept, never from the message.
bool HasApiReason(const Status& status, std::string_view reason);
/// The distinct fields (details.causes[].field) an API server's answer names, in order.
std::vector<std::string> RefusedFields(const Status& status);

/// True when `status` came from ApiErrorToStatus for an HTTP 409 AlreadyExists answer.
bool IsAlreadyExists(const Status& status);
/// True for an HTTP 409 answer of any reason (apply conflict, precondition, modified object).
bool IsConflict(const Status& status);
/// True for HTTP 403 Forbidden.
bool IsForbidden(const Status& status);
/// True for HTTP 410 Gone: a resourceVersion or continue token too old to use.
bool IsExpired(const Status& status);

// ---- Text helpers shared by the kube client's files. ----

/// `text` without leading and trailing white space.
std::string TrimSpace(std::string_view text);
/// ASCII lower case (Kubernetes names and kinds are ASCII).
std::string AsciiLower(std::string_view text);
/// "1.5s": a duration for messages.
std::string SecondsText(std::chrono::milliseconds duration);

}  // namespace mlgitops
