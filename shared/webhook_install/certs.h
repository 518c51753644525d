// The webhook's private PKI: an ECDSA P-256 CA and the serving certificate it signs for the
// webhook Service's DNS names, as PEM text, generated and checked with OpenSSL.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "object/status.h"

namespace mlgitops {

inline constexpr int kWebhookCaValidDays = 3650;
inline constexpr int kWebhookServingValidDays = 365;

/// A certificate and its private key (PKCS#8), both PEM.
struct PemKeyPair {
  std::string cert_pem;
  std::string key_pem;
};

/// What install needs to know of a certificate to decide whether to keep it.
struct CertificateFacts {
  std::string common_name;
  int64_t not_before = 0;  // Unix seconds
  int64_t not_after = 0;
  bool is_ca = false;
  std::vector<std::string> dns_names;
  bool server_auth = false;  // extendedKeyUsage serverAuth
  bool p256_key = false;
};

/// `<service>.<namespace>.svc` (what the apiserver dials and checks) and its cluster.local form.
std::vector<std::string> WebhookDnsNames(std::string_view service, std::string_view namespace_);

/// A self-signed CA (basicConstraints CA:TRUE, keyCertSign) valid from an hour before `now`.
Result<PemKeyPair> GenerateWebhookCa(int64_t now_unix, int valid_days = kWebhookCaValidDays);
/// A serving certificate for `dns_names` (serverAuth only) signed by `ca`.
Result<PemKeyPair> IssueServingCertificate(const PemKeyPair& ca,
                                           const std::vector<std::string>& dns_names,
                                           int64_t now_unix,
                                           int valid_days = kWebhookServingValidDays);

/// The facts of the first certificate in `pem`.
Result<CertificateFacts> ReadCertificate(std::string_view pem);
/// Whether `ca` is a usable CA: both parse, it is a CA, and the key belongs to the certificate.
Status CheckCaKeyPair(const PemKeyPair& ca);
/// Each PEM certificate block of a bundle, in order.
std::vector<std::string> SplitPemCertificates(std::string_view bundle);
/// Verifies `cert_pem` against the CAs of `ca_bundle_pem` at time `at_unix` for `dns_name`.
Status VerifyServingCertificate(std::string_view cert_pem, std::string_view ca_bundle_pem,
                                const std::string& dns_name, int64_t at_unix);

}  // namespace mlgitops
