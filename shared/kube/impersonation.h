// Acting as another user: a Transport that sends every request of a borrowed Transport with
// kube-apiserver's Impersonate-User header (the controller acting as a project's ServiceAccount).
#pragma once

#include <string>

#include "kube/transport.h"

namespace mlgitops {

class ImpersonatingTransport : public Transport {
 public:
  /// `base` must outlive this transport; `user` is e.g. "system:serviceaccount:ml:deployer".
  ImpersonatingTransport(Transport& base, std::string user);

  HttpOutcome Send(const HttpRequest& request) override;
  HttpOutcome Stream(const HttpRequest& request, const ChunkHandler& on_chunk,
                     std::chrono::milliseconds idle_timeout) override;
  bool RefreshCredentials() override { return base_.RefreshCredentials(); }
  Redactor redactor() const override { return base_.redactor(); }
  const std::string& server() const override { return base_.server(); }

 private:
  HttpRequest As(const HttpRequest& request) const;

  Transport& base_;
  std::string user_;
};

}  // namespace mlgitops
