// TLS for the webhook: a server SSL_CTX limited to TLS 1.2+ with AEAD suites, whose certificate
// and key are picked per handshake from a swappable identity, so rotation never drops connections.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <mutex>
#include <string>

#include "object/status.h"

namespace mlgitops {

/// A serving certificate chain and its private key, checked to belong together.
class TlsIdentity {
 public:
  /// Reads PEM files: the certificate file holds the leaf first, then any intermediates.
  static Result<std::shared_ptr<const TlsIdentity>> Load(const std::string& cert_file,
                                                         const std::string& key_file);
  ~TlsIdentity();
  TlsIdentity(const TlsIdentity&) = delete;
  TlsIdentity& operator=(const TlsIdentity&) = delete;

  /// "CN=..., serial ..., expires ..." for logs (public facts only).
  const std::string& description() const { return description_; }
  /// Installs this identity on one connection.
  bool ApplyTo(SSL* ssl) const;

 private:
  TlsIdentity() = default;
  X509* leaf_ = nullptr;
  STACK_OF(X509) * chain_ = nullptr;
  EVP_PKEY* key_ = nullptr;
  std::string description_;
};

struct ServerTlsOptions {
  std::string client_ca_file;  // when set, clients must present a certificate it issued
};

/// Owns the identity the handshakes use; SetIdentity() affects only connections made after it.
class ServerTlsContext {
 public:
  explicit ServerTlsContext(std::shared_ptr<const TlsIdentity> identity);
  ServerTlsContext(const ServerTlsContext&) = delete;
  ServerTlsContext& operator=(const ServerTlsContext&) = delete;

  /// Sets protocol floor, cipher policy, options and the per-handshake certificate callback.
  /// The context must not outlive this object.
  Status Configure(SSL_CTX* ctx, const ServerTlsOptions& options);
  void SetIdentity(std::shared_ptr<const TlsIdentity> identity);
  std::shared_ptr<const TlsIdentity> identity() const;

 private:
  static int OnCertificateNeeded(SSL* ssl, void* self);

  mutable std::mutex mu_;
  std::shared_ptr<const TlsIdentity> identity_;
};

/// OpenSSL's queued errors as one line (and clears the queue).
std::string DrainOpenSslErrors();

}  // namespace mlgitops
