// Certificate generation with the OpenSSL 3 API. Go's TLS stack (kubectl) insists on SANs and
// on keyCertSign for the CA, so both are set explicitly.
#include "kubesim/certs.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <ctime>

namespace mlgitops::kubesim {

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

PkeyPtr NewP256Key() { return PkeyPtr(EVP_EC_gen("P-256")); }

bool SetRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return false;
  bytes[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(bytes, sizeof bytes, nullptr);
  if (!bn) return false;
  bool ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != nullptr;
  BN_free(bn);
  return ok;
}

bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

X509Ptr NewCertificate(const char* common_name, EVP_PKEY* key, int valid_days) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1 || !SetRandomSerial(cert.get())) return nullptr;
  // Back-date by an hour so small clock differences never make it "not yet valid".
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(valid_days) * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("kubesim"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  if (X509_set_pubkey(cert.get(), key) != 1) return nullptr;
  return cert;
}

}  // namespace

std::string CertificatePem(X509* cert) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return "";
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Result<ServingCertificates> GenerateServingCertificates(int valid_days) {
  ServingCertificates out;
  out.ca_key = NewP256Key();
  out.server_key = NewP256Key();
  if (!out.ca_key || !out.server_key) return Status::Internal("cannot generate P-256 keys");

  out.ca_cert = NewCertificate("kubesim-ca", out.ca_key.get(), valid_days);
  if (!out.ca_cert) return Status::Internal("cannot create the CA certificate");
  X509* ca = out.ca_cert.get();
  X509_set_issuer_name(ca, X509_get_subject_name(ca));
  bool ok = AddExtension(ca, ca, NID_basic_constraints, "critical,CA:TRUE") &&
            AddExtension(ca, ca, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature") &&
            AddExtension(ca, ca, NID_subject_key_identifier, "hash") &&
            X509_sign(ca, out.ca_key.get(), EVP_sha256()) > 0;
  if (!ok) return Status::Internal("cannot sign the CA certificate");

  out.server_cert = NewCertificate("kubesim", out.server_key.get(), valid_days);
  if (!out.server_cert) return Status::Internal("cannot create the server certificate");
  X509* server = out.server_cert.get();
  X509_set_issuer_name(server, X509_get_subject_name(ca));
  ok = AddExtension(server, ca, NID_basic_constraints, "critical,CA:FALSE") &&
       AddExtension(server, ca, NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
       AddExtension(server, ca, NID_ext_key_usage, "serverAuth") &&
       AddExtension(server, ca, NID_subject_key_identifier, "hash") &&
       AddExtension(server, ca, NID_authority_key_identifier, "keyid:always") &&
       AddExtension(server, ca, NID_subject_alt_name,
                    "IP:127.0.0.1,IP:0:0:0:0:0:0:0:1,DNS:localhost,DNS:kubernetes.default.svc") &&
       X509_sign(server, out.ca_key.get(), EVP_sha256()) > 0;
  if (!ok) return Status::Internal("cannot sign the server certificate");

  out.ca_pem = CertificatePem(ca);
  if (out.ca_pem.empty()) return Status::Internal("cannot encode the CA certificate");
  return out;
}

}  // namespace mlgitops::kubesim
