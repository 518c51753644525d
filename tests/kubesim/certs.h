// A throw-away PKI for one kubesim run: a CA and a server certificate for 127.0.0.1/localhost,
// both ECDSA P-256, generated in memory with OpenSSL at start-up.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "object/status.h"

namespace mlgitops::kubesim {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

struct ServingCertificates {
  X509Ptr ca_cert;
  PkeyPtr ca_key;
  X509Ptr server_cert;
  PkeyPtr server_key;
  std::string ca_pem;  // what clients trust (kubeconfig certificate-authority-data)
};

/// Generates the CA and a server certificate valid for `valid_days`, with SANs IP:127.0.0.1,
/// IP:::1 and DNS:localhost.
Result<ServingCertificates> GenerateServingCertificates(int valid_days = 7);

/// PEM text of a certificate.
std::string CertificatePem(X509* cert);

}  // namespace mlgitops::kubesim
