// API errors as kube-apiserver reports them: a metav1.Status body with reason, details and code.
// kubectl prints `message` verbatim, so messages follow the real server's wording.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlgitops::kubesim {

/// One metav1.StatusCause: which field is wrong and why.
struct StatusCause {
  std::string reason;  // e.g. FieldValueRequired, FieldValueInvalid, FieldManagerConflict
  std::string message;
  std::string field;
};

/// A failed request: HTTP code plus the Status body fields.
struct ApiError {
  int code = 500;
  std::string reason;  // NotFound, AlreadyExists, Conflict, Invalid, ...
  std::string message;
  // details: name, group, kind ("kind" is the resource for NotFound/AlreadyExists/Conflict,
  // the Kind for Invalid, as the real server reports them).
  std::string name;
  std::string group;
  std::string kind;
  std::vector<StatusCause> causes;
  int retry_after_seconds = 0;
  bool has_details = false;

  /// The metav1.Status JSON body.
  std::string ToJson() const;
};

/// "deployments.apps" or "pods": how messages name a resource.
std::string QualifiedResource(const std::string& group, const std::string& resource);

ApiError NotFound(const std::string& group, const std::string& resource, const std::string& name);
ApiError AlreadyExists(const std::string& group, const std::string& resource,
                       const std::string& name);
/// Optimistic-concurrency failure (stale resourceVersion) or a failed precondition.
ApiError Conflict(const std::string& group, const std::string& resource, const std::string& name,
                  const std::string& why);
ApiError Invalid(const std::string& group, const std::string& kind, const std::string& name,
                 std::vector<StatusCause> causes);
ApiError BadRequest(const std::string& message);
ApiError MethodNotAllowed(const std::string& message);
/// 405 for a verb the resource does not support (POST to a named object, ...).
ApiError MethodNotAllowedOnResource();
ApiError Forbidden(const std::string& group, const std::string& resource, const std::string& name,
                   const std::string& why);
ApiError Unauthorized();
/// 410: a resourceVersion or continue token older than the retained history.
ApiError Expired(const std::string& message);
ApiError UnsupportedMediaType(const std::string& content_type);
ApiError NotAcceptable(const std::string& message);
ApiError TooManyRequests(int retry_after_seconds);
ApiError InternalError(const std::string& message);
ApiError RequestEntityTooLarge(const std::string& message);
/// The plain 404 for a path that names no served resource.
ApiError ResourceNotServed();

/// A value or the API error explaining why there is none.
template <typename T>
class ApiResult {
 public:
  ApiResult(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  ApiResult(ApiError error) : error_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return !error_.has_value(); }
  const ApiError& error() const { return *error_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T* operator->() { return &*value_; }
  T& operator*() { return *value_; }

 private:
  std::optional<T> value_;
  std::optional<ApiError> error_;
};

}  // namespace mlgitops::kubesim
