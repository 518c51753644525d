// The impersonation headers on every request (kube-apiserver's WithImpersonation filter).
#include "kube/impersonation.h"

namespace mlgitops {

ImpersonatingTransport::ImpersonatingTransport(Transport& base, std::string user)
    : base_(base), user_(std::move(user)) {}

HttpRequest ImpersonatingTransport::As(const HttpRequest& request) const {
  HttpRequest out = request;
  // A caller's own impersonation headers never reach the server beside ours.
  for (const char* name : {"Impersonate-User", "Impersonate-Group", "Impersonate-Uid"}) {
    out.headers.erase(name);
  }
  out.headers.emplace("Impersonate-User", user_);
  return out;
}

HttpOutcome ImpersonatingTransport::Send(const HttpRequest& request) {
  return base_.Send(As(request));
}

HttpOutcome ImpersonatingTransport::Stream(const HttpRequest& request, const ChunkHandler& on_chunk,
                                           std::chrono::milliseconds idle_timeout) {
  return base_.Stream(As(request), on_chunk, idle_timeout);
}

}  // namespace mlgitops
