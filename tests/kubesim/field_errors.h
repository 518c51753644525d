// field.ErrorList as apimachinery builds it: one StatusCause per problem, with the real
// messages ("Required value", "Invalid value: ...", "Unsupported value: ...: supported values").
#pragma once

#include <string>
#include <vector>

#include "kubesim/api_errors.h"
#include "object/object.h"

namespace mlgitops::kubesim {

/// A value as field.Error prints it: strings quoted, numbers and booleans bare, anything else
/// as JSON (`{"app":"web"}`), `null` for a missing value.
std::string FieldValueText(const JsonValue* value);
std::string QuotedText(const std::string& s);

class FieldErrors {
 public:
  void Required(const std::string& field, const std::string& detail = "");
  void Invalid(const std::string& field, const std::string& value_text, const std::string& detail);
  void InvalidValue(const std::string& field, const JsonValue* value, const std::string& detail) {
    Invalid(field, FieldValueText(value), detail);
  }
  void InvalidString(const std::string& field, const std::string& value,
                     const std::string& detail) {
    Invalid(field, QuotedText(value), detail);
  }
  void NotSupported(const std::string& field, const std::string& value,
                    const std::vector<std::string>& supported);
  void Duplicate(const std::string& field, const std::string& value_text);
  void Forbidden(const std::string& field, const std::string& detail);
  void NotFound(const std::string& field, const std::string& value_text);
  void TooLong(const std::string& field, size_t max);
  void Add(StatusCause cause) { causes_.push_back(std::move(cause)); }

  bool empty() const { return causes_.empty(); }
  size_t size() const { return causes_.size(); }
  std::vector<StatusCause>& causes() { return causes_; }

 private:
  std::vector<StatusCause> causes_;
};

// Common checks, named after their apimachinery counterparts.

/// IsDNS1123Label / IsDNS1123Subdomain / IsDNS1035Label: "" when valid, else the reasons.
std::vector<std::string> Dns1123LabelErrors(const std::string& value);
std::vector<std::string> Dns1123SubdomainErrors(const std::string& value);
std::vector<std::string> Dns1035LabelErrors(const std::string& value);
/// IsQualifiedName (label and annotation keys, selector keys).
std::vector<std::string> QualifiedNameErrors(const std::string& value);
/// IsValidLabelValue.
std::vector<std::string> LabelValueErrors(const std::string& value);
/// IsConfigMapKey (ConfigMap and Secret data keys).
std::vector<std::string> ConfigMapKeyErrors(const std::string& value);
/// IsEnvVarName (relaxed in 1.32: any printable ASCII but '=').
std::vector<std::string> EnvVarNameErrors(const std::string& value);
/// IsValidPortName (IANA_SVC_NAME).
std::vector<std::string> PortNameErrors(const std::string& value);

/// Reports each reason of `reasons` as an Invalid cause for `value`.
void AddInvalidReasons(FieldErrors* errors, const std::string& field, const std::string& value,
                       const std::vector<std::string>& reasons);

/// ValidateLabels and ValidateLabelSelector (metav1 validation) over the JSON forms.
void ValidateLabelMap(const JsonValue* labels, const std::string& field, FieldErrors* errors);
void ValidateLabelSelector(const JsonValue* selector, const std::string& field,
                           FieldErrors* errors);
/// Whether `selector` (metav1.LabelSelector JSON; null selects nothing) selects `labels`.
bool SelectorMatches(const JsonValue* selector, const JsonValue* labels);
/// Whether the selector has neither matchLabels nor matchExpressions.
bool SelectorEmpty(const JsonValue* selector);

}  // namespace mlgitops::kubesim
