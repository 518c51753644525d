// field.Error constructors as StatusCauses, worded as k8s.io/apimachinery's validation/field
// package prints them ("Invalid value: ...", "Required value", "Unsupported value: ...").
#pragma once

#include <string>
#include <vector>

#include "kubesim/api_errors.h"

namespace mlgitops::kubesim {
/// Go's %q of `s` (field_errors.cc).
std::string QuotedText(const std::string& s);
}  // namespace mlgitops::kubesim

namespace mlgitops::kubesim::field {

using ::mlgitops::kubesim::QuotedText;

/// `value` is already rendered (GoValue); "" details are left out.
inline StatusCause Invalid(const std::string& path, const std::string& value,
                           const std::string& detail) {
  return {"FieldValueInvalid", "Invalid value: " + value + (detail.empty() ? "" : ": " + detail),
          path};
}
/// field.Invalid with an omitted value (objects and arrays in CEL rule failures).
inline StatusCause InvalidOmitted(const std::string& path, const std::string& detail) {
  return {"FieldValueInvalid", "Invalid value: " + detail, path};
}
inline StatusCause TypeInvalid(const std::string& path, const std::string& value,
                               const std::string& detail) {
  return {"FieldValueTypeInvalid", "Invalid value: " + value + ": " + detail, path};
}
inline StatusCause Required(const std::string& path, const std::string& detail) {
  return {"FieldValueRequired", detail.empty() ? "Required value" : "Required value: " + detail,
          path};
}
inline StatusCause Forbidden(const std::string& path, const std::string& detail) {
  return {"FieldValueForbidden", detail.empty() ? "Forbidden" : "Forbidden: " + detail, path};
}
inline StatusCause Duplicate(const std::string& path, const std::string& value) {
  return {"FieldValueDuplicate", "Duplicate value: " + value, path};
}
/// `supported` are the raw values; each is quoted as strconv.Quote does.
inline StatusCause NotSupported(const std::string& path, const std::string& value,
                                const std::vector<std::string>& supported) {
  std::string list;
  for (const std::string& s : supported) list += (list.empty() ? "" : ", ") + QuotedText(s);
  return {"FieldValueNotSupported",
          "Unsupported value: " + value + (list.empty() ? "" : ": supported values: " + list),
          path};
}
inline StatusCause NotFound(const std::string& path, const std::string& value) {
  return {"FieldValueNotFound", "Not found: " + value, path};
}
inline StatusCause TooLong(const std::string& path, long max) {
  return {"FieldValueTooLong",
          "Too long: may not be more than " + std::to_string(max) + (max == 1 ? " byte" : " bytes"),
          path};
}
inline StatusCause TooMany(const std::string& path, long actual, long max) {
  return {"FieldValueTooMany",
          "Too many: " + std::to_string(actual) + ": must have at most " + std::to_string(max) +
              (max == 1 ? " item" : " items"),
          path};
}

}  // namespace mlgitops::kubesim::field
