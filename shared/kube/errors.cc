// Turning API server error answers into messages people can act on, without secrets.
#include "kube/errors.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>

#include "object/object.h"

namespace mlgitops {

namespace {

constexpr size_t kMinSecretLength = 3;
constexpr size_t kMaxPlainBodyInMessage = 500;
constexpr const char kRedacted[] = "[redacted]";

// The words ApiErrorToStatus puts right after "<subject>: "; the Is* predicates look for them.
constexpr const char kAlreadyExists[] = "already exists";
constexpr const char kConflict[] = "conflict";
constexpr const char kForbidden[] = "forbidden";
constexpr const char kExpired[] = "expired";

bool HasReason(const Status& status, const char* reason) {
  return status.code() == Status::Code::kFailedPrecondition &&
         status.message().find(std::string(": ") + reason) != std::string::npos;
}

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos)) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == '~' || c == '+' || c == '/' || c == '=';
}

// "scheme://user:pass@host" -> "scheme://[redacted]@host".
void RedactUrlUserinfo(std::string& text) {
  for (size_t scheme = text.find("://"); scheme != std::string::npos;
       scheme = text.find("://", scheme + 3)) {
    size_t start = scheme + 3;
    size_t end = start;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) &&
           text[end] != '/' && text[end] != '@' && text[end] != '"' && text[end] != '\'') {
      ++end;
    }
    if (end < text.size() && text[end] == '@' && end > start) {
      text.replace(start, end - start, kRedacted);
    }
  }
}

// "Bearer abc" / "Basic abc" -> "Bearer [redacted]".
void RedactAuthSchemes(std::string& text) {
  for (std::string_view scheme : {"Bearer ", "bearer ", "Basic ", "basic "}) {
    for (size_t pos = text.find(scheme); pos != std::string::npos;
         pos = text.find(scheme, pos + 1)) {
      size_t start = pos + scheme.size();
      size_t end = start;
      while (end < text.size() && IsTokenChar(text[end])) ++end;
      if (end > start) text.replace(start, end - start, kRedacted);
    }
  }
}

// Whole PEM private key blocks, whatever their type.
void RedactPrivateKeys(std::string& text) {
  for (size_t begin = text.find("-----BEGIN"); begin != std::string::npos;
       begin = text.find("-----BEGIN", begin + 1)) {
    size_t line_end = text.find("-----", begin + 10);
    if (line_end == std::string::npos) return;
    std::string_view header(text.data() + begin, line_end - begin);
    if (header.find("PRIVATE KEY") == std::string_view::npos) continue;
    size_t end = text.find("-----END", line_end + 5);
    size_t stop = end == std::string::npos ? text.size() : text.find("-----", end + 8);
    stop = stop == std::string::npos ? text.size() : stop + 5;
    text.replace(begin, stop - begin, "[redacted private key]");
  }
}

std::string Trimmed(std::string_view text, size_t max_bytes) {
  std::string out = TrimSpace(text);
  if (out.size() > max_bytes) out = out.substr(0, max_bytes) + "...";
  return out;
}

std::optional<int> ParseSeconds(std::string_view text) {
  std::string t = Trimmed(text, 32);
  if (t.empty() || t.size() > 9 || !std::all_of(t.begin(), t.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      })) {
    return std::nullopt;  // an HTTP-date is treated as absent: the backoff applies instead
  }
  return std::stoi(t);
}

std::vector<StatusCause> ReadCauses(const JsonValue& details) {
  std::vector<StatusCause> causes;
  const JsonValue* list = Find(details, "causes");
  if (!list || !list->IsArray()) return causes;
  for (const JsonValue& c : list->GetArray()) {
    if (!c.IsObject()) continue;
    causes.push_back(
        {MemberString(c, "reason"), MemberString(c, "message"), MemberString(c, "field")});
  }
  return causes;
}

std::string JoinCauses(const std::vector<StatusCause>& causes) {
  std::string out;
  for (const StatusCause& c : causes) {
    if (!out.empty()) out += "; ";
    out += c.field.empty() ? c.message : c.field + ": " + c.message;
  }
  return out;
}

// The server's message without the part that repeats the subject
// ("deployments.apps \"ranker\" is forbidden: User ..." -> "User ...").
std::string ServerMessageAfter(const std::string& message, std::string_view marker) {
  size_t at = message.find(marker);
  return at == std::string::npos ? message : message.substr(at + marker.size());
}

std::string FieldManagerConflictText(const ApiError& error) {
  std::string fields;
  for (const StatusCause& c : error.causes) {
    if (c.reason != "FieldManagerConflict") continue;
    if (!fields.empty()) fields += ", ";
    fields += c.field + " (" + c.message + ")";
  }
  return fields;
}

std::string ForbiddenText(const ApiError& error, const RequestSubject& subject) {
  std::string where =
      subject.namespace_.empty() ? "" : " in namespace \"" + subject.namespace_ + "\"";
  return std::string(kForbidden) + ": " + ServerMessageAfter(error.message, " is forbidden: ") +
         " (check RBAC: the kubeconfig's " + "user needs \"" + subject.verb + "\" on " +
         subject.QualifiedResource() + where + ")";
}

std::string ConflictText(const ApiError& error) {
  if (error.reason == "AlreadyExists") {
    return std::string(kAlreadyExists) +
           " (it was created by someone else or an earlier run: apply it instead of creating it)";
  }
  std::string fields = FieldManagerConflictText(error);
  if (!fields.empty()) {
    return std::string(kConflict) + ": fields are owned by another field manager: " + fields +
           " (apply with force to take them over, remove them from the manifest, or set them to "
           "the live value to share ownership)";
  }
  return std::string(kConflict) + ": " + error.message +
         " (the object changed or was replaced since it was read: read it again and retry)";
}

std::string NotFoundText(const ApiError& error, const RequestSubject& subject) {
  bool resource_missing =
      error.message.find("could not find the requested resource") != std::string::npos;
  if (resource_missing) {
    return "not found: the server does not serve " + subject.QualifiedResource() +
           (subject.version.empty() ? "" : " " + subject.version) +
           " (is the CRD or API installed?)";
  }
  // The server's usual words name the object itself ("configmaps \"c\" not found"); anything
  // else names what is really missing, such as the namespace of an object being created.
  bool about_itself = !subject.name.empty() &&
                      error.message.find("\"" + subject.name + "\"") != std::string::npos &&
                      (subject.resource.empty() || error.message.rfind(subject.resource, 0) == 0);
  if (error.message.empty() || about_itself) return "not found";
  std::string text = "not found: " + error.message;
  if (error.message.rfind("namespaces \"", 0) == 0) {
    text += " (create the namespace first, or sync with CreateNamespace=true)";
  }
  return text;
}

std::string InvalidText(const ApiError& error) {
  std::string detail = error.causes.empty() ? ServerMessageAfter(error.message, " is invalid: ")
                                            : JoinCauses(error.causes);
  return "invalid: " + detail + " (fix the manifest)";
}

std::string DescribeError(const ApiError& error, const RequestSubject& subject) {
  switch (error.http_status) {
    case 400:
      return "bad request: " + error.message;
    case 401:
      return "unauthorized: the API server did not accept the kubeconfig's credentials (log in "
             "again or refresh the token; a token or client certificate may have expired)";
    case 403:
      return ForbiddenText(error, subject);
    case 404:
      return NotFoundText(error, subject);
    case 405:
      return "method not allowed: " + error.message + " (" + subject.QualifiedResource() +
             " does not support \"" + subject.verb + "\")";
    case 409:
      return ConflictText(error);
    case 410:
      return std::string(kExpired) + ": " + error.message +
             " (the resourceVersion or continue token is too old: list again)";
    case 413:
      return "request too large: " + error.message + " (keep each object under 3 MiB)";
    case 415:
      return "unsupported media type: " + error.message +
             " (the server does not accept this patch type for " + subject.QualifiedResource() +
             ")";
    case 422:
      return InvalidText(error);
    case 429:
      return "too many requests: the API server is throttling this client (API Priority and "
             "Fairness): " +
             error.message;
    default:
      break;
  }
  std::string text = error.http_status >= 500 ? "server error " : "HTTP ";
  text += std::to_string(error.http_status);
  if (!error.reason.empty()) text += " " + error.reason;
  if (!error.message.empty()) text += ": " + error.message;
  if (error.http_status >= 500) text += " (the API server or a webhook failed; try again later)";
  return text;
}

Status::Code CodeFor(int http_status) {
  switch (http_status) {
    case 400:
    case 422:
      return Status::Code::kInvalidArgument;
    case 404:
      return Status::Code::kNotFound;
    case 405:
    case 415:
      return Status::Code::kUnsupported;
    case 413:
    case 429:
      return Status::Code::kLimitExceeded;
    case 401:
    case 403:
    case 409:
    case 410:
      return Status::Code::kFailedPrecondition;
    default:
      return http_status >= 500 ? Status::Code::kIOError : Status::Code::kInvalidArgument;
  }
}

Status MakeStatus(Status::Code code, std::string message) {
  switch (code) {
    case Status::Code::kInvalidArgument:
      return Status::InvalidArgument(std::move(message));
    case Status::Code::kNotFound:
      return Status::NotFound(std::move(message));
    case Status::Code::kUnsupported:
      return Status::Unsupported(std::move(message));
    case Status::Code::kLimitExceeded:
      return Status::LimitExceeded(std::move(message));
    case Status::Code::kFailedPrecondition:
      return Status::FailedPrecondition(std::move(message));
    case Status::Code::kIOError:
      return Status::IOError(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

}  // namespace

void Redactor::AddSecret(std::string_view secret) {
  if (secret.size() < kMinSecretLength) return;
  if (std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) return;
  secrets_.emplace_back(secret);
  // Longest first, so a secret containing another is replaced whole.
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::Redact(std::string_view text) const {
  std::string out(text);
  for (const std::string& secret : secrets_) ReplaceAll(out, secret, kRedacted);
  RedactPrivateKeys(out);
  RedactUrlUserinfo(out);
  RedactAuthSchemes(out);
  return out;
}

std::string RequestSubject::Describe() const {
  std::string type = group.empty() ? kind : group + "/" + kind;
  if (type.empty()) type = resource.empty() ? "request" : resource;
  if (!name.empty()) return type + " " + (namespace_.empty() ? "" : namespace_ + "/") + name;
  std::string out = type + " " + (verb.empty() ? "list" : verb);
  if (!namespace_.empty()) out += " in namespace " + namespace_;
  return out;
}

std::string RequestSubject::QualifiedResource() const {
  std::string plural = resource.empty() ? AsciiLower(kind) : resource;
  return group.empty() ? plural : plural + "." + group;
}

ApiError ParseApiError(int http_status, std::string_view body,
                       std::string_view retry_after_header) {
  ApiError error;
  error.http_status = http_status;
  error.retry_after_seconds = ParseSeconds(retry_after_header);
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  bool is_status = !doc.HasParseError() && doc.IsObject() && GetString(doc, "kind") == "Status";
  if (!is_status) {
    error.message = Trimmed(body, kMaxPlainBodyInMessage);
    return error;
  }
  error.reason = GetString(doc, "reason");
  error.message = Trimmed(GetString(doc, "message"), 4 * kMaxPlainBodyInMessage);
  if (const JsonValue* details = Find(doc, "details"); details && details->IsObject()) {
    error.causes = ReadCauses(*details);
    if (!error.retry_after_seconds) {
      auto seconds = GetInt(*details, "retryAfterSeconds");
      if (seconds && *seconds >= 0) error.retry_after_seconds = static_cast<int>(*seconds);
    }
  }
  return error;
}

Status ApiErrorToStatus(const ApiError& error, const RequestSubject& subject,
                        const Redactor& redactor, const std::string& attempts_note) {
  std::string message = subject.Describe() + ": " + DescribeError(error, subject);
  if (!attempts_note.empty()) message += " [" + attempts_note + "]";
  ApiRefusal refusal;
  refusal.http_status = error.http_status;
  refusal.reason = error.reason;
  for (const StatusCause& c : error.causes) {
    refusal.causes.push_back({c.reason, c.field, redactor.Redact(c.message)});
  }
  return MakeStatus(CodeFor(error.http_status), redactor.Redact(message))
      .WithApiRefusal(std::move(refusal));
}

bool HasApiReason(const Status& status, std::string_view reason) {
  const ApiRefusal* refusal = status.api_refusal();
  return refusal && refusal->reason == reason;
}

std::vector<std::string> RefusedFields(const Status& status) {
  std::vector<std::string> fields;
  const ApiRefusal* refusal = status.api_refusal();
  if (!refusal) return fields;
  for (const ApiRefusal::Cause& c : refusal->causes) {
    if (!c.field.empty() && std::find(fields.begin(), fields.end(), c.field) == fields.end()) {
      fields.push_back(c.field);
    }
  }
  return fields;
}

bool IsAlreadyExists(const Status& status) { return HasReason(status, kAlreadyExists); }

bool IsConflict(const Status& status) {
  return HasReason(status, kConflict) || HasReason(status, kAlreadyExists);
}

bool IsForbidden(const Status& status) { return HasReason(status, kForbidden); }

bool IsExpired(const Status& status) { return HasReason(status, kExpired); }

std::string TrimSpace(std::string_view text) {
  size_t first = 0;
  while (first < text.size() && std::isspace(static_cast<unsigned char>(text[first]))) ++first;
  size_t last = text.size();
  while (last > first && std::isspace(static_cast<unsigned char>(text[last - 1]))) --last;
  return std::string(text.substr(first, last - first));
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string SecondsText(std::chrono::milliseconds duration) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%.1fs", static_cast<double>(duration.count()) / 1000.0);
  return buf;
}

}  // namespace mlgitops
