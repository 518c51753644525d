// Small helpers for HttpRequest/HttpResponse.
#include "kubesim/http_types.h"

#include <algorithm>

namespace mlgitops::kubesim {

std::string HttpRequest::Query(const std::string& key) const {
  auto it = query.find(key);
  return it == query.end() ? "" : it->second;
}

bool HttpRequest::QueryBool(const std::string& key) const {
  std::string v = Query(key);
  return v == "true" || v == "1" || v == "True";
}

std::string MediaType(const std::string& content_type) {
  std::string media = content_type.substr(0, content_type.find(';'));
  media.erase(std::remove(media.begin(), media.end(), ' '), media.end());
  return media;
}

bool IsHealthPath(const std::string& path) {
  return path == "/healthz" || path == "/readyz" || path == "/livez";
}

bool IsDryRun(const HttpRequest& request) { return request.Query("dryRun") == "All"; }

HttpResponse JsonResponse(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse ErrorResponse(const ApiError& error) {
  HttpResponse r = JsonResponse(error.code, error.ToJson());
  if (error.retry_after_seconds > 0) {
    r.headers.emplace_back("Retry-After", std::to_string(error.retry_after_seconds));
  }
  return r;
}

}  // namespace mlgitops::kubesim
