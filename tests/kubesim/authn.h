// Authentication as kube-apiserver does it: the kubeconfig's bearer token (the administrator),
// a --token-auth-file of static tokens, ServiceAccount tokens from the TokenRequest API, and
// client certificates issued by --client-ca-file (CN the user, O the groups); then impersonation
// (Impersonate-User/-Group/-Uid/-Extra-*), each header authorized with the `impersonate` verb.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kubesim/api_errors.h"
#include "kubesim/rbac.h"
#include "kubesim/user_info.h"
#include "object/status.h"

typedef struct x509_st X509;
typedef struct x509_store_st X509_STORE;

namespace mlgitops::kubesim {

class ApiServer;

/// One line of a token file: token,user,uid,"group1,group2".
struct StaticToken {
  std::string token;
  UserInfo user;
};

/// Parses kube-apiserver's --token-auth-file CSV (at least three columns; blank lines skipped).
Result<std::vector<StaticToken>> ParseTokenFile(const std::string& text);

class Authenticator {
 public:
  /// `api` resolves TokenRequest tokens; it must outlive the authenticator.
  Authenticator(std::string admin_token, const ApiServer* api);
  ~Authenticator();
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  /// --anonymous-auth: a request carrying no credentials is system:anonymous in
  /// system:unauthenticated (then authorized like any user) instead of a 401.
  void set_anonymous(bool enabled) { anonymous_ = enabled; }
  Status LoadTokenFile(const std::string& path);
  Status LoadClientCa(const std::string& path);
  /// The CA store for client certificates, null without --client-ca-file.
  X509_STORE* client_ca() const { return client_ca_; }

  /// The user behind `authorization` ("Bearer T") or `peer` (the TLS client certificate, may be
  /// null); 401 Unauthorized when a credential is presented and fails, or when none is and
  /// anonymous requests are off. Bearer tokens win over certificates,
  /// as in kube-apiserver's union (a certificate is tried first but a bad one fails the request).
  ApiResult<UserInfo> Authenticate(const std::string& authorization, X509* peer) const;
  /// What TokenReview reports for `token`: false when it authenticates nobody.
  bool AuthenticateToken(const std::string& token, UserInfo* user) const;

 private:
  std::string admin_token_;
  const ApiServer* api_;
  std::map<std::string, UserInfo> static_tokens_;
  X509_STORE* client_ca_ = nullptr;
  bool anonymous_ = true;
};

/// A request's headers as impersonation reads them (name -> values, names lowercased).
using HeaderValues = std::multimap<std::string, std::string>;

/// Applies the Impersonate-* headers of a request made by `user`: the impersonated identity, or
/// `user` itself when there are none. Each requested attribute is authorized by `authorizer`
/// (403 with the real message when not allowed).
ApiResult<UserInfo> Impersonate(const UserInfo& user, const HeaderValues& headers,
                                const RbacAuthorizer& authorizer);

}  // namespace mlgitops::kubesim
