// Transport-neutral request and response types, so the API logic is testable without sockets
// and the HTTPS wiring stays in one file.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kubesim/api_errors.h"
#include "kubesim/user_info.h"

namespace mlgitops::kubesim {

struct HttpRequest {
  std::string method;
  std::string path;  // decoded, without the query
  std::multimap<std::string, std::string> query;
  std::string body;
  std::string content_type;
  std::string accept;
  std::string user_agent;
  /// Made by kubesim's own controllers rather than received over HTTP: admission reviews report
  /// it as the controller manager's.
  bool from_controllers = false;
  /// Who sent it, after authentication and impersonation (server.cc); unset for controllers.
  UserInfo user;

  /// First value of query parameter `key`, or "".
  std::string Query(const std::string& key) const;
  bool HasQuery(const std::string& key) const { return query.count(key) > 0; }
  /// "true"/"1" as Kubernetes reads boolean query parameters.
  bool QueryBool(const std::string& key) const;
};

/// A response body produced piece by piece (watch streams).
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  /// Appends what is ready to `out`, waiting at most about a second for something to send;
  /// returns false once the stream has ended (and `out` holds its last bytes, if any).
  virtual bool Next(std::string* out) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<ResponseStream> stream;  // set instead of body for watches
  std::string created_name;  // a create's object name, which its URL lacks (for the audit log)
};

/// "application/json" from "application/json; charset=utf-8": the media type without parameters.
std::string MediaType(const std::string& content_type);
/// /healthz, /readyz, /livez: answered without authentication or injected faults.
bool IsHealthPath(const std::string& path);
/// ?dryRun=All: the request is validated and answered but nothing is stored.
bool IsDryRun(const HttpRequest& request);

HttpResponse JsonResponse(int status, std::string body);
HttpResponse ErrorResponse(const ApiError& error);

}  // namespace mlgitops::kubesim
