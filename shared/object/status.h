// Status and Result<T>: errors as values across the whole core.
// A Status is OK or carries a code and a message that names the object at fault.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace mlgitops {

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

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
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
