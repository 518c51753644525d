// Status formatting.
#include "object/status.h"

namespace mlgitops {

namespace {
const char* CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "OK";
    case Status::Code::kInvalidArgument:
      return "invalid argument";
    case Status::Code::kNotFound:
      return "not found";
    case Status::Code::kIOError:
      return "I/O error";
    case Status::Code::kLimitExceeded:
      return "limit exceeded";
    case Status::Code::kUnsupported:
      return "unsupported";
    case Status::Code::kFailedPrecondition:
      return "failed precondition";
    case Status::Code::kInternal:
      return "internal error";
  }
  return "error";
}
}  // namespace

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

Status Status::Prefixed(const std::string& context) const {
  if (ok()) return *this;
  Status prefixed(code_, context + ": " + message_);
  prefixed.refusal_ = refusal_;
  return prefixed;
}

Status Status::WithApiRefusal(ApiRefusal refusal) const {
  if (ok()) return *this;
  Status with = *this;
  with.refusal_ = std::make_shared<const ApiRefusal>(std::move(refusal));
  return with;
}

}  // namespace mlgitops
