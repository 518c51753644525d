#include "admission/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>

namespace mlgitops {
namespace {

// TLS 1.2 suites with forward secrecy and authenticated encryption only; TLS 1.3 suites are all
// AEAD, so OpenSSL's defaults stay for them.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

struct BioCloser {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioCloser>;

std::string NameLine(X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, size > 0 ? size : 0);
}

std::string TimeLine(const ASN1_TIME* time) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(bio.get(), time);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, size > 0 ? size : 0);
}

std::string SerialLine(X509* cert) {
  BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), nullptr);
  if (serial == nullptr) return "?";
  char* hex = BN_bn2hex(serial);
  std::string out = hex != nullptr ? hex : "?";
  OPENSSL_free(hex);
  BN_free(serial);
  return out;
}

}  // namespace

std::string DrainOpenSslErrors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!out.empty()) out += "; ";
    out += buffer;
  }
  return out.empty() ? "no detail from OpenSSL" : out;
}

Result<std::shared_ptr<const TlsIdentity>> TlsIdentity::Load(const std::string& cert_file,
                                                             const std::string& key_file) {
  ERR_clear_error();
  std::shared_ptr<TlsIdentity> identity(new TlsIdentity());
  BioPtr cert_bio(BIO_new_file(cert_file.c_str(), "r"));
  if (!cert_bio) return Status::IOError("cannot read certificate file " + cert_file);
  identity->leaf_ = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
  if (identity->leaf_ == nullptr) {
    return Status::InvalidArgument("no PEM certificate in " + cert_file + ": " +
                                   DrainOpenSslErrors());
  }
  identity->chain_ = sk_X509_new_null();
  while (X509* extra = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(identity->chain_, extra);
  }
  ERR_clear_error();  // the loop above ends on an expected "no start line"

  BioPtr key_bio(BIO_new_file(key_file.c_str(), "r"));
  if (!key_bio) return Status::IOError("cannot read key file " + key_file);
  // A null passphrase callback: an encrypted key fails instead of prompting on a terminal.
  identity->key_ = PEM_read_bio_PrivateKey(
      key_bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr);
  if (identity->key_ == nullptr) {
    // OpenSSL's error text never contains key bytes, only the decoder's reason.
    return Status::InvalidArgument("no usable PEM private key in " + key_file + ": " +
                                   DrainOpenSslErrors());
  }
  if (X509_check_private_key(identity->leaf_, identity->key_) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("the key in " + key_file +
                                   " does not match the certificate in " + cert_file);
  }
  identity->description_ = NameLine(X509_get_subject_name(identity->leaf_)) + ", serial " +
                           SerialLine(identity->leaf_) + ", expires " +
                           TimeLine(X509_get0_notAfter(identity->leaf_));
  return std::shared_ptr<const TlsIdentity>(std::move(identity));
}

TlsIdentity::~TlsIdentity() {
  X509_free(leaf_);
  sk_X509_pop_free(chain_, X509_free);
  EVP_PKEY_free(key_);
}

bool TlsIdentity::ApplyTo(SSL* ssl) const {
  return SSL_use_certificate(ssl, leaf_) == 1 && SSL_use_PrivateKey(ssl, key_) == 1 &&
         SSL_set1_chain(ssl, chain_) == 1;
}

ServerTlsContext::ServerTlsContext(std::shared_ptr<const TlsIdentity> identity)
    : identity_(std::move(identity)) {}

Status ServerTlsContext::Configure(SSL_CTX* ctx, const ServerTlsOptions& options) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return Status::Internal("cannot set the TLS 1.2 floor: " + DrainOpenSslErrors());
  }
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    return Status::Internal("cannot set the TLS 1.2 cipher list: " + DrainOpenSslErrors());
  }
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
                               SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_cert_cb(ctx, &ServerTlsContext::OnCertificateNeeded, this);
  if (!options.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, options.client_ca_file.c_str(), nullptr) != 1) {
      return Status::InvalidArgument("cannot load client CA " + options.client_ca_file + ": " +
                                     DrainOpenSslErrors());
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca_file.c_str());
    if (names == nullptr) {
      return Status::InvalidArgument("no CA certificate in " + options.client_ca_file);
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return Status::OK();
}

void ServerTlsContext::SetIdentity(std::shared_ptr<const TlsIdentity> identity) {
  std::lock_guard<std::mutex> lock(mu_);
  identity_ = std::move(identity);
}

std::shared_ptr<const TlsIdentity> ServerTlsContext::identity() const {
  std::lock_guard<std::mutex> lock(mu_);
  return identity_;
}

int ServerTlsContext::OnCertificateNeeded(SSL* ssl, void* self) {
  std::shared_ptr<const TlsIdentity> identity = static_cast<ServerTlsContext*>(self)->identity();
  return identity != nullptr && identity->ApplyTo(ssl) ? 1 : 0;
}

}  // namespace mlgitops
