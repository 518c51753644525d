// Small helpers for HttpRequest/HttpResponse.
#include "kubesim/http_types.h"

namespace mlgitops::kubesim {

std::string HttpRequest::Query(const std::string& key) const {
  auto it = query.find(key);
  return it == query.end() ? "" : it->second;
}

bool HttpRequest::QueryBool(const std::string& key) const {
  std::string v = Query(key);
  return v == "true" || v == "1" || v == "True";
}

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
