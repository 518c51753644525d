// Certificate generation and inspection with the OpenSSL 3 API. Every OpenSSL object lives in a
// unique_ptr so an early return never leaks; failures come back as Status messages.
#include "webhook_install/certs.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <memory>

namespace mlgitops {

namespace {

struct OpenSslFree {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
  void operator()(EXTENDED_KEY_USAGE* p) const { EXTENDED_KEY_USAGE_free(p); }
  void operator()(BASIC_CONSTRAINTS* p) const { BASIC_CONSTRAINTS_free(p); }
};
template <typename T>
using OpenSslPtr = std::unique_ptr<T, OpenSslFree>;

// Back-dating absorbs clock skew between this machine and the apiserver.
constexpr int64_t kBackdateSeconds = 3600;

Status OpenSslError(const std::string& what) {
  unsigned long code = ERR_get_error();
  char reason[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
  ERR_clear_error();
  return Status::Internal(what + ": " + reason);
}

OpenSslPtr<BIO> ReadBio(std::string_view text) {
  return OpenSslPtr<BIO>(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

Result<OpenSslPtr<X509>> ParseCert(std::string_view pem) {
  auto bio = ReadBio(pem);
  OpenSslPtr<X509> cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) return OpenSslError("not a PEM certificate");
  return cert;
}

Result<OpenSslPtr<EVP_PKEY>> ParseKey(std::string_view pem) {
  auto bio = ReadBio(pem);
  OpenSslPtr<EVP_PKEY> key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                               : nullptr);
  if (!key) return OpenSslError("not a PEM private key");
  return key;
}

Result<PemKeyPair> ToPem(X509* cert, EVP_PKEY* key) {
  OpenSslPtr<BIO> cert_bio(BIO_new(BIO_s_mem()));
  OpenSslPtr<BIO> key_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("cannot write PEM");
  }
  return PemKeyPair{BioText(cert_bio.get()), BioText(key_bio.get())};
}

bool SetRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return false;
  bytes[0] &= 0x7f;  // serials are positive
  OpenSslPtr<BIGNUM> bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  return bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr;
}

bool AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

/// A signed-nothing-yet certificate for `key` named `common_name`, valid from an hour before
/// `now` for `valid_days`.
Result<OpenSslPtr<X509>> NewCertificate(const std::string& common_name, EVP_PKEY* key,
                                        int64_t now_unix, int valid_days) {
  OpenSslPtr<X509> cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1 || !SetRandomSerial(cert.get())) {
    return OpenSslError("cannot create a certificate");
  }
  time_t now = static_cast<time_t>(now_unix);
  if (!X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, -kBackdateSeconds, &now) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), valid_days, 0, &now)) {
    return OpenSslError("cannot set the validity period");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("mlgitops"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  if (X509_set_pubkey(cert.get(), key) != 1) return OpenSslError("cannot set the public key");
  return cert;
}

int64_t AsUnix(const ASN1_TIME* time) {
  struct tm parts = {};
  if (!time || ASN1_TIME_to_tm(time, &parts) != 1) return 0;
  return static_cast<int64_t>(timegm(&parts));
}

std::string SubjectCommonName(X509* cert) {
  char buf[256] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  return buf;
}

std::vector<std::string> DnsNames(X509* cert) {
  std::vector<std::string> out;
  OpenSslPtr<GENERAL_NAMES> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_DNS) continue;
    const ASN1_IA5STRING* dns = name->d.dNSName;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                     static_cast<size_t>(ASN1_STRING_length(dns)));
  }
  return out;
}

bool HasServerAuth(X509* cert) {
  OpenSslPtr<EXTENDED_KEY_USAGE> usage(static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr)));
  for (int i = 0; usage && i < sk_ASN1_OBJECT_num(usage.get()); ++i) {
    if (OBJ_obj2nid(sk_ASN1_OBJECT_value(usage.get(), i)) == NID_server_auth) return true;
  }
  return false;
}

bool IsCa(X509* cert) {
  OpenSslPtr<BASIC_CONSTRAINTS> constraints(static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(cert, NID_basic_constraints, nullptr, nullptr)));
  return constraints && constraints->ca;
}

bool IsP256(EVP_PKEY* key) {
  char group[64] = "";
  size_t len = 0;
  return key && EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
         EVP_PKEY_get_group_name(key, group, sizeof group, &len) == 1 &&
         std::string(group) == "prime256v1";
}

}  // namespace

std::vector<std::string> WebhookDnsNames(std::string_view service, std::string_view namespace_) {
  std::string svc = std::string(service) + "." + std::string(namespace_) + ".svc";
  return {svc, svc + ".cluster.local"};
}

Result<PemKeyPair> GenerateWebhookCa(int64_t now_unix, int valid_days) {
  OpenSslPtr<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) return OpenSslError("cannot generate a P-256 key");
  auto cert = NewCertificate("mlgitops-webhook-ca", key.get(), now_unix, valid_days);
  if (!cert.ok()) return cert.status();
  X509* ca = cert->get();
  if (X509_set_issuer_name(ca, X509_get_subject_name(ca)) != 1 ||
      !AddExtension(ca, ca, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
      !AddExtension(ca, ca, NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !AddExtension(ca, ca, NID_subject_key_identifier, "hash") ||
      X509_sign(ca, key.get(), EVP_sha256()) == 0) {
    return OpenSslError("cannot sign the CA certificate");
  }
  return ToPem(ca, key.get());
}

Result<PemKeyPair> IssueServingCertificate(const PemKeyPair& ca,
                                           const std::vector<std::string>& dns_names,
                                           int64_t now_unix, int valid_days) {
  if (dns_names.empty()) return Status::InvalidArgument("a serving certificate needs a DNS name");
  auto ca_cert = ParseCert(ca.cert_pem);
  if (!ca_cert.ok()) return Status::InvalidArgument("CA: " + ca_cert.status().message());
  auto ca_key = ParseKey(ca.key_pem);
  if (!ca_key.ok()) return Status::InvalidArgument("CA key: " + ca_key.status().message());
  OpenSslPtr<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) return OpenSslError("cannot generate a P-256 key");
  auto cert = NewCertificate(dns_names[0], key.get(), now_unix, valid_days);
  if (!cert.ok()) return cert.status();
  std::string san;
  for (const std::string& name : dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + name;
  X509* leaf = cert->get();
  X509* issuer = ca_cert->get();
  if (X509_set_issuer_name(leaf, X509_get_subject_name(issuer)) != 1 ||
      !AddExtension(leaf, issuer, NID_basic_constraints, "critical,CA:FALSE") ||
      !AddExtension(leaf, issuer, NID_key_usage, "critical,digitalSignature") ||
      !AddExtension(leaf, issuer, NID_ext_key_usage, "serverAuth") ||
      !AddExtension(leaf, issuer, NID_subject_alt_name, san) ||
      !AddExtension(leaf, issuer, NID_authority_key_identifier, "keyid:always") ||
      X509_sign(leaf, ca_key->get(), EVP_sha256()) == 0) {
    return OpenSslError("cannot sign the serving certificate");
  }
  return ToPem(leaf, key.get());
}

Result<CertificateFacts> ReadCertificate(std::string_view pem) {
  auto cert = ParseCert(pem);
  if (!cert.ok()) return cert.status();
  X509* c = cert->get();
  CertificateFacts facts;
  facts.common_name = SubjectCommonName(c);
  facts.not_before = AsUnix(X509_get0_notBefore(c));
  facts.not_after = AsUnix(X509_get0_notAfter(c));
  facts.is_ca = IsCa(c);
  facts.dns_names = DnsNames(c);
  facts.server_auth = HasServerAuth(c);
  facts.p256_key = IsP256(X509_get0_pubkey(c));
  return facts;
}

Status CheckCaKeyPair(const PemKeyPair& ca) {
  auto cert = ParseCert(ca.cert_pem);
  if (!cert.ok()) return cert.status();
  auto key = ParseKey(ca.key_pem);
  if (!key.ok()) return key.status();
  if (!IsCa(cert->get())) return Status::InvalidArgument("the certificate is not a CA");
  if (X509_check_private_key(cert->get(), key->get()) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("the key does not belong to the CA certificate");
  }
  return Status::OK();
}

std::vector<std::string> SplitPemCertificates(std::string_view bundle) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = bundle.find(kBegin, pos)) != std::string_view::npos) {
    size_t end = bundle.find(kEnd, pos);
    if (end == std::string_view::npos) break;
    end += kEnd.size();
    out.push_back(std::string(bundle.substr(pos, end - pos)) + "\n");
    pos = end;
  }
  return out;
}

Status VerifyServingCertificate(std::string_view cert_pem, std::string_view ca_bundle_pem,
                                const std::string& dns_name, int64_t at_unix) {
  auto cert = ParseCert(cert_pem);
  if (!cert.ok()) return cert.status();
  OpenSslPtr<X509_STORE> store(X509_STORE_new());
  if (!store) return OpenSslError("cannot create a certificate store");
  for (const std::string& pem : SplitPemCertificates(ca_bundle_pem)) {
    auto ca = ParseCert(pem);
    if (!ca.ok()) return Status::InvalidArgument("CA bundle: " + ca.status().message());
    if (X509_STORE_add_cert(store.get(), ca->get()) != 1) return OpenSslError("CA bundle");
  }
  OpenSslPtr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), cert->get(), nullptr) != 1) {
    return OpenSslError("cannot set up verification");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(at_unix));
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  X509_VERIFY_PARAM_set1_host(param, dns_name.c_str(), dns_name.size());
  if (X509_verify_cert(ctx.get()) != 1) {
    int error = X509_STORE_CTX_get_error(ctx.get());
    return Status::InvalidArgument(std::string("certificate does not verify: ") +
                                   X509_verify_cert_error_string(error));
  }
  return Status::OK();
}

}  // namespace mlgitops
