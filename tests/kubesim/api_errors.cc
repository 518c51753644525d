// metav1.Status bodies for the errors kubesim returns.
#include "kubesim/api_errors.h"

#include <utility>

#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

ApiError Make(int code, std::string reason, std::string message) {
  ApiError e;
  e.code = code;
  e.reason = std::move(reason);
  e.message = std::move(message);
  return e;
}

ApiError WithDetails(ApiError e, std::string group, std::string kind, std::string name) {
  e.has_details = true;
  e.group = std::move(group);
  e.kind = std::move(kind);
  e.name = std::move(name);
  return e;
}

void AppendField(std::string& out, const char* key, const std::string& value, bool* first) {
  if (value.empty()) return;
  if (!*first) out += ',';
  *first = false;
  AppendJsonString(out, key);
  out += ':';
  AppendJsonString(out, value);
}

}  // namespace

std::string ApiError::ToJson() const {
  std::string out = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure")";
  out += ",\"message\":" + Quote(message);
  if (!reason.empty()) out += ",\"reason\":" + Quote(reason);
  if (has_details || !causes.empty() || retry_after_seconds > 0) {
    out += ",\"details\":{";
    bool first = true;
    AppendField(out, "name", name, &first);
    AppendField(out, "group", group, &first);
    AppendField(out, "kind", kind, &first);
    if (!causes.empty()) {
      if (!first) out += ',';
      first = false;
      out += "\"causes\":[";
      for (size_t i = 0; i < causes.size(); ++i) {
        if (i) out += ',';
        out += '{';
        bool cause_first = true;
        AppendField(out, "reason", causes[i].reason, &cause_first);
        AppendField(out, "message", causes[i].message, &cause_first);
        AppendField(out, "field", causes[i].field, &cause_first);
        out += '}';
      }
      out += ']';
    }
    if (retry_after_seconds > 0) {
      if (!first) out += ',';
      out += "\"retryAfterSeconds\":" + std::to_string(retry_after_seconds);
    }
    out += '}';
  }
  out += ",\"code\":" + std::to_string(code) + "}";
  return out;
}

std::string QualifiedResource(const std::string& group, const std::string& resource) {
  return group.empty() ? resource : resource + "." + group;
}

ApiError NotFound(const std::string& group, const std::string& resource, const std::string& name) {
  return WithDetails(
      Make(404, "NotFound", QualifiedResource(group, resource) + " \"" + name + "\" not found"),
      group, resource, name);
}

ApiError AlreadyExists(const std::string& group, const std::string& resource,
                       const std::string& name) {
  return WithDetails(Make(409, "AlreadyExists",
                          QualifiedResource(group, resource) + " \"" + name + "\" already exists"),
                     group, resource, name);
}

ApiError Conflict(const std::string& group, const std::string& resource, const std::string& name,
                  const std::string& why) {
  return WithDetails(Make(409, "Conflict",
                          "Operation cannot be fulfilled on " + QualifiedResource(group, resource) +
                              " \"" + name + "\": " + why),
                     group, resource, name);
}

ApiError Invalid(const std::string& group, const std::string& kind, const std::string& name,
                 std::vector<StatusCause> causes) {
  std::string qualified_kind = group.empty() ? kind : kind + "." + group;
  std::string message = qualified_kind + " \"" + name + "\" is invalid: ";
  if (causes.size() == 1) {
    message += causes[0].field + ": " + causes[0].message;
  } else {
    message += '[';
    for (size_t i = 0; i < causes.size(); ++i) {
      if (i) message += ", ";
      message += causes[i].field + ": " + causes[i].message;
    }
    message += ']';
  }
  ApiError e = WithDetails(Make(422, "Invalid", message), group, kind, name);
  e.causes = std::move(causes);
  return e;
}

ApiError BadRequest(const std::string& message) { return Make(400, "BadRequest", message); }

ApiError MethodNotAllowed(const std::string& message) {
  return WithDetails(Make(405, "MethodNotAllowed", message), "", "", "");
}

ApiError MethodNotAllowedOnResource() {
  return MethodNotAllowed("the server does not allow this method on the requested resource");
}

ApiError Forbidden(const std::string& group, const std::string& resource, const std::string& name,
                   const std::string& why) {
  std::string subject = QualifiedResource(group, resource);
  if (!name.empty()) subject += " \"" + name + "\"";
  return WithDetails(Make(403, "Forbidden", subject + " is forbidden: " + why), group, resource,
                     name);
}

ApiError Unauthorized() { return Make(401, "Unauthorized", "Unauthorized"); }

ApiError Expired(const std::string& message) { return Make(410, "Expired", message); }

ApiError UnsupportedMediaType(const std::string& content_type) {
  return WithDetails(Make(415, "UnsupportedMediaType",
                          "the body of the request was in an unknown format - "
                          "accepted media types include: application/json, "
                          "application/yaml, application/json-patch+json, "
                          "application/merge-patch+json, "
                          "application/strategic-merge-patch+json, "
                          "application/apply-patch+yaml"),
                     "", "", "");
}

ApiError NotAcceptable(const std::string& message) { return Make(406, "NotAcceptable", message); }

ApiError TooManyRequests(int retry_after_seconds) {
  ApiError e = Make(429, "TooManyRequests", "Too many requests, please try again later.");
  e.retry_after_seconds = retry_after_seconds;
  return e;
}

ApiError InternalError(const std::string& message) {
  ApiError e = Make(500, "InternalError", "Internal error occurred: " + message);
  e.causes.push_back({"UnexpectedServerResponse", message, ""});
  return e;
}

ApiError RequestEntityTooLarge(const std::string& message) {
  return Make(413, "RequestEntityTooLarge", message);
}

ApiError ResourceNotServed() {
  return WithDetails(Make(404, "NotFound", "the server could not find the requested resource"), "",
                     "", "");
}

}  // namespace mlgitops::kubesim
