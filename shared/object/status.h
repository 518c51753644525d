// Status and Result<T>: errors as values across the whole core.
// A Status is OK or carries a code and a message that names the object at fault.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlgitops {

/// A Kubernetes API server's refusal as the server stated it: the metav1.Status reason and
/// its details.causes. Kept beside the message so callers classify errors by what the server
/// said, never by wording (kube/errors.h fills it in and reads it).
struct ApiRefusal {
  struct Cause {
    std::string reason;  // FieldValueInvalid, FieldValueForbidden, FieldManagerConflict, ...
    std::string field;   // spec.template
    std::string message;
  };
  int http_status = 0;
  std::string reason;  // Invalid, AlreadyExists, Conflict, NotFound, ...
  std::vector<Cause> causes;
};

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,  // bad user input: flags, manifests, Applications
    kNotFound,
    kIOError,
    kLimitExceeded,  // hostile or oversized input refused
    kUnsupported,
    kFailedPrecondition,
    kInternal,
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) { return Status(Code::kInvalidArgument, msg); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, msg); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, msg); }
  static Status LimitExceeded(std::string msg) { return Status(Code::kLimitExceeded, msg); }
  static Status Unsupported(std::string msg) { return Status(Code::kUnsupported, msg); }
  static Status FailedPrecondition(std::string msg) {
    return Status(Code::kFailedPrecondition, msg);
  }
  static Status Internal(std::string msg) { return Status(Code::kInternal, msg); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  /// "invalid argument: <message>", or "OK".
  std::string ToString() const;
  /// The same error with `context: ` put in front of its message.
  Status Prefixed(const std::string& context) const;
  /// The same error, carrying what the API server said (see ApiRefusal).
  Status WithApiRefusal(ApiRefusal refusal) const;
  /// What the API server said when this error is its refusal; nullptr otherwise.
  const ApiRefusal* api_refusal() const { return refusal_.get(); }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
  std::shared_ptr<const ApiRefusal> refusal_;
};

/// A value or the Status saying why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  const T& value() const& { return *value_; }
  T& value() & { return *value_; }
  T&& value() && { return std::move(*value_); }
  const T* operator->() const { return &*value_; }
  T* operator->() { return &*value_; }
  const T& operator*() const& { return *value_; }
  T& operator*() & { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace mlgitops
