// Authenticators and the impersonation filter (staging/src/k8s.io/apiserver/pkg/endpoints/
// filters/impersonation.go).
#include "kubesim/authn.h"

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "kubesim/api_server.h"
#include "kubesim/json_util.h"

namespace mlgitops::kubesim {

namespace {

constexpr char kBearer[] = "Bearer ";
constexpr size_t kMaxTokenFileBytes = 1u << 20;

bool SecretEquals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void AddAuthenticated(UserInfo* user) {
  if (!user->InGroup(kAuthenticatedGroup)) user->groups.push_back(kAuthenticatedGroup);
}

// One CSV record (RFC 4180 quoting, leading spaces trimmed as the token file reader does).
std::vector<std::string> CsvFields(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false, at_start = true;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == ',') {
      fields.push_back(field);
      field.clear();
      at_start = true;
      continue;
    } else if (c == '"' && at_start) {
      quoted = true;
    } else if (!(at_start && c == ' ')) {
      field += c;
    } else {
      continue;
    }
    at_start = false;
  }
  fields.push_back(field);
  return fields;
}

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) out.push_back(part);
  return out;
}

// The subject's first entry of `nid` (CN), or every entry (O).
std::vector<std::string> SubjectEntries(X509* cert, int nid) {
  std::vector<std::string> out;
  X509_NAME* subject = X509_get_subject_name(cert);
  for (int i = X509_NAME_get_index_by_NID(subject, nid, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, nid, i)) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    unsigned char* utf8 = nullptr;
    int n = ASN1_STRING_to_UTF8(&utf8, data);
    if (n >= 0) out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
    OPENSSL_free(utf8);
  }
  return out;
}

}  // namespace

Result<std::vector<StaticToken>> ParseTokenFile(const std::string& text) {
  std::vector<StaticToken> out;
  std::istringstream in(text);
  int record = 0;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    ++record;
    std::vector<std::string> fields = CsvFields(line);
    if (fields.size() < 3) {
      return Status::InvalidArgument(
          "token file must have at least 3 columns (token, user name, "
          "user uid), found " +
          std::to_string(fields.size()) + " in record " + std::to_string(record));
    }
    if (fields[0].empty()) continue;  // kube-apiserver warns and skips empty tokens
    StaticToken entry;
    entry.token = fields[0];
    entry.user.name = fields[1];
    entry.user.uid = fields[2];
    if (fields.size() >= 4 && !fields[3].empty()) entry.user.groups = SplitComma(fields[3]);
    out.push_back(std::move(entry));
  }
  return out;
}

Authenticator::Authenticator(std::string admin_token, const ApiServer* api)
    : admin_token_(std::move(admin_token)), api_(api) {}

Authenticator::~Authenticator() {
  if (client_ca_) X509_STORE_free(client_ca_);
}

Status Authenticator::LoadTokenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("--token-auth-file " + path + ": cannot read");
  std::string text;
  text.resize(kMaxTokenFileBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxTokenFileBytes) {
    return Status::InvalidArgument("--token-auth-file " + path + ": larger than 1 MiB");
  }
  auto parsed = ParseTokenFile(text);
  if (!parsed.ok())
    return Status::InvalidArgument("--token-auth-file " + path + ": " + parsed.status().message());
  for (StaticToken& entry : *parsed) static_tokens_[entry.token] = std::move(entry.user);
  return Status::OK();
}

Status Authenticator::LoadClientCa(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (!file) return Status::IOError("--client-ca-file " + path + ": cannot read");
  X509_STORE* store = X509_STORE_new();
  int loaded = 0;
  while (X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(store, cert) == 1) ++loaded;
    X509_free(cert);
  }
  std::fclose(file);
  if (loaded == 0) {
    X509_STORE_free(store);
    return Status::InvalidArgument("--client-ca-file " + path + ": no PEM certificates");
  }
  if (client_ca_) X509_STORE_free(client_ca_);
  client_ca_ = store;
  return Status::OK();
}

bool Authenticator::AuthenticateToken(const std::string& token, UserInfo* user) const {
  if (token.empty()) return false;
  if (SecretEquals(token, admin_token_)) {
    *user = AdminUser();
    return true;
  }
  auto it = static_tokens_.find(token);
  if (it != static_tokens_.end()) {
    *user = it->second;
    AddAuthenticated(user);
    return true;
  }
  IssuedToken issued;
  if (api_ && api_->AuthenticatesIssuedToken(kBearer + token, &issued)) {
    *user =
        ServiceAccountUser(issued.namespace_, issued.service_account, issued.service_account_uid);
    return true;
  }
  return false;
}

ApiResult<UserInfo> Authenticator::Authenticate(const std::string& authorization,
                                                X509* peer) const {
  // x509 comes first in kube-apiserver's union: a certificate that does not verify fails the
  // request even when a token is present.
  if (peer && client_ca_) {
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    bool verified = ctx && X509_STORE_CTX_init(ctx, client_ca_, peer, nullptr) == 1 &&
                    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) == 1 &&
                    X509_verify_cert(ctx) == 1;
    if (ctx) X509_STORE_CTX_free(ctx);
    if (!verified) return Unauthorized();
    std::vector<std::string> cn = SubjectEntries(peer, NID_commonName);
    if (cn.empty() || cn[0].empty()) return Unauthorized();  // "common name is empty"
    UserInfo user;
    user.name = cn[0];
    user.groups = SubjectEntries(peer, NID_organizationName);
    AddAuthenticated(&user);
    return user;
  }
  if (authorization.rfind(kBearer, 0) == 0) {
    UserInfo user;
    if (AuthenticateToken(authorization.substr(sizeof(kBearer) - 1), &user)) return user;
    return Unauthorized();
  }
  // kube-apiserver puts the anonymous authenticator after the others with FailOnError: only a
  // request that presented no credential at all becomes system:anonymous.
  if (!anonymous_) return Unauthorized();
  UserInfo anonymous;
  anonymous.name = "system:anonymous";
  anonymous.groups = {kUnauthenticatedGroup};
  return anonymous;
}

// ---------- impersonation ----------

namespace {

struct ImpersonationRequest {
  std::string kind;  // ServiceAccount, User, Group, UserExtra, UID
  std::string namespace_;
  std::string name;
  std::string extra_key;
};

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string DescribeRequests(const std::vector<ImpersonationRequest>& requests) {
  std::string out = "[";
  for (size_t i = 0; i < requests.size(); ++i) {
    out += (i ? " " : "") + std::string("{") + requests[i].kind + " " + requests[i].name + "}";
  }
  return out + "]";
}

}  // namespace

ApiResult<UserInfo> Impersonate(const UserInfo& user, const HeaderValues& headers,
                                const RbacAuthorizer& authorizer) {
  std::vector<ImpersonationRequest> requests;
  bool has_user = false, groups_specified = false;
  auto user_header = headers.find("impersonate-user");
  if (user_header != headers.end() && !user_header->second.empty()) {
    has_user = true;
    std::string ns, name;
    if (SplitServiceAccountName(user_header->second, &ns, &name)) {
      requests.push_back({"ServiceAccount", ns, name, ""});
    } else {
      requests.push_back({"User", "", user_header->second, ""});
    }
  }
  auto range = headers.equal_range("impersonate-group");
  for (auto it = range.first; it != range.second; ++it) {
    groups_specified = true;
    requests.push_back({"Group", "", it->second, ""});
  }
  constexpr char kExtraPrefix[] = "impersonate-extra-";
  for (const auto& [header, value] : headers) {
    if (header.rfind(kExtraPrefix, 0) != 0) continue;
    requests.push_back(
        {"UserExtra", "", value, PercentDecode(header.substr(sizeof(kExtraPrefix) - 1))});
  }
  auto uid_header = headers.find("impersonate-uid");
  if (uid_header != headers.end() && !uid_header->second.empty()) {
    requests.push_back({"UID", "", uid_header->second, ""});
  }
  if (requests.empty()) return user;
  if (!has_user) {
    return InternalError("requested " + DescribeRequests(requests) +
                         " without impersonating a user");
  }

  UserInfo acting;
  for (const ImpersonationRequest& r : requests) {
    AuthzAttributes attrs;
    attrs.user = &user;
    attrs.verb = "impersonate";
    attrs.name = r.name;
    if (r.kind == "ServiceAccount") {
      attrs.resource = "serviceaccounts";
      attrs.namespace_ = r.namespace_;
      acting.name = kServiceAccountPrefix + r.namespace_ + ":" + r.name;
      if (!groups_specified) {
        acting.groups = {"system:serviceaccounts", "system:serviceaccounts:" + r.namespace_};
      }
    } else if (r.kind == "User") {
      attrs.resource = "users";
      acting.name = r.name;
    } else if (r.kind == "Group") {
      attrs.resource = "groups";
      acting.groups.push_back(r.name);
    } else if (r.kind == "UserExtra") {
      attrs.group = "authentication.k8s.io";
      attrs.resource = "userextras";
      attrs.subresource = r.extra_key;
      acting.extra[r.extra_key].push_back(r.name);
    } else {
      attrs.group = "authentication.k8s.io";
      attrs.resource = "uids";
      acting.uid = r.name;
    }
    AuthzDecision decision = authorizer.Authorize(attrs);
    if (!decision.allowed) return ForbiddenFor(attrs, decision.reason);
  }
  if (acting.name != "system:anonymous") {
    if (!acting.InGroup(kAuthenticatedGroup) && !acting.InGroup(kUnauthenticatedGroup)) {
      acting.groups.push_back(kAuthenticatedGroup);
    }
  } else if (!acting.InGroup(kUnauthenticatedGroup)) {
    acting.groups.push_back(kUnauthenticatedGroup);
  }
  return acting;
}

// ---------- user_info.h ----------

namespace {
thread_local const UserInfo* current_user = nullptr;
}  // namespace

std::string UserInfo::ToJson() const {
  std::string out = "{\"username\":" + Quote(name);
  if (!uid.empty()) out += ",\"uid\":" + Quote(uid);
  if (!groups.empty()) {
    out += ",\"groups\":[";
    for (size_t i = 0; i < groups.size(); ++i) out += (i ? "," : "") + Quote(groups[i]);
    out += "]";
  }
  if (!extra.empty()) {
    out += ",\"extra\":{";
    bool first = true;
    for (const auto& [key, values] : extra) {
      out += (first ? "" : ",") + Quote(key) + ":[";
      for (size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + Quote(values[i]);
      out += "]";
      first = false;
    }
    out += "}";
  }
  return out + "}";
}

UserInfo AdminUser() { return {"kubesim-admin", "", {kMastersGroup, kAuthenticatedGroup}, {}}; }

UserInfo ControllerManagerUser() {
  return {"system:kube-controller-manager", "", {kAuthenticatedGroup}, {}};
}

UserInfo ServiceAccountUser(const std::string& ns, const std::string& name,
                            const std::string& uid) {
  return {kServiceAccountPrefix + ns + ":" + name,
          uid,
          {"system:serviceaccounts", "system:serviceaccounts:" + ns, kAuthenticatedGroup},
          {}};
}

bool SplitServiceAccountName(const std::string& user, std::string* ns, std::string* name) {
  constexpr size_t kPrefix = sizeof(kServiceAccountPrefix) - 1;
  if (user.rfind(kServiceAccountPrefix, 0) != 0) return false;
  size_t colon = user.find(':', kPrefix);
  if (colon == std::string::npos || colon == kPrefix || colon + 1 >= user.size()) return false;
  if (user.find(':', colon + 1) != std::string::npos) return false;
  *ns = user.substr(kPrefix, colon - kPrefix);
  *name = user.substr(colon + 1);
  return true;
}

const UserInfo* CurrentUser() { return current_user; }

CurrentUserScope::CurrentUserScope(const UserInfo* user) : previous_(current_user) {
  current_user = user;
}

CurrentUserScope::~CurrentUserScope() { current_user = previous_; }

}  // namespace mlgitops::kubesim
