// The TokenRequest API (POST serviceaccounts/NAME/token) and authentication of the tokens it
// issues. A token authenticates as its ServiceAccount (system:serviceaccount:NS:NAME, authn.cc)
// until it expires or the ServiceAccount is deleted (401), as a bound token does on
// kube-apiserver.
#include "kubesim/api_server.h"
#include "kubesim/json_util.h"
#include "kubesim/kubeconfig.h"
#include "kubesim/object_rules.h"
#include "kubesim/protobuf.h"

namespace mlgitops::kubesim {

namespace {

constexpr int64_t kDefaultTokenSeconds = 3600;
constexpr int64_t kMinTokenSeconds = 600;               // kube-apiserver's lower bound
constexpr int64_t kMaxTokenSeconds = int64_t{1} << 32;  // and its upper one
constexpr char kDefaultAudience[] = "https://kubernetes.default.svc.cluster.local";
constexpr char kBearerPrefix[] = "Bearer ";

ApiResult<Object> DecodeTokenRequest(const HttpRequest& request) {
  if (request.body.empty()) return Object();  // kubectl always sends one; curl users may not
  std::string media = MediaType(request.content_type);
  bool protobuf = media == "application/vnd.kubernetes.protobuf";
  if (!(protobuf || media == "application/json" || media.empty())) {
    return UnsupportedMediaType(request.content_type);
  }
  auto parsed =
      protobuf ? DecodeKubernetesProtobuf(request.body) : ParseJson(request.body, "request body");
  if (!parsed.ok() || !parsed->json().IsObject()) {
    return BadRequest("the object provided is unrecognized (must be of type TokenRequest)" +
                      (parsed.ok() ? std::string() : ": " + parsed.status().message()));
  }
  std::string kind = GetString(parsed->json(), "kind");
  if (!kind.empty() && kind != "TokenRequest") {
    return BadRequest("the object provided is unrecognized (must be of type TokenRequest): " +
                      kind);
  }
  return std::move(*parsed);
}

}  // namespace

HttpResponse ApiServer::CreateServiceAccountToken(const Call& call) {
  if (call.info.verb != "create") return ErrorResponse(MethodNotAllowedOnResource());
  ObjectPtr account = store_.Get(call.type.storage_key(), call.namespace_, call.info.name);
  if (!account) return ErrorResponse(NotFound("", "serviceaccounts", call.info.name));
  auto decoded = DecodeTokenRequest(call.request);
  if (!decoded.ok()) return ErrorResponse(decoded.error());
  const JsonValue& body = decoded.value().json();
  int64_t seconds = kDefaultTokenSeconds;
  if (body.IsObject() && Find(body, "spec.expirationSeconds")) {
    seconds = GetInt(body, "spec.expirationSeconds").value_or(0);
  }
  if (seconds < kMinTokenSeconds || seconds > kMaxTokenSeconds) {
    return ErrorResponse(Invalid(
        "authentication.k8s.io", "TokenRequest", call.info.name,
        {{"FieldValueInvalid",
          seconds < kMinTokenSeconds ? "may not specify a duration less than 10 minutes"
                                     : "may not specify a duration larger than 2^32 seconds",
          "spec.expirationSeconds"}}));
  }
  std::string token = NewBearerToken();
  if (token.empty()) return ErrorResponse(InternalError("cannot generate a token"));
  int64_t now = Now();
  tokens_.ForgetExpired(now);
  tokens_.Remember(token, {call.namespace_, call.info.name,
                           GetString(account->json(), "metadata.uid"), now + seconds});

  Object answer;
  JsonAllocator& a = answer.allocator();
  JsonValue& root = answer.mutable_json();
  root.SetObject();
  SetString(root, "kind", "TokenRequest", a);
  SetString(root, "apiVersion", "authentication.k8s.io/v1", a);
  SetPath(root, "metadata.name", Str(call.info.name, a), a);
  SetPath(root, "metadata.namespace", Str(call.namespace_, a), a);
  SetPath(root, "metadata.creationTimestamp", Str(Timestamp(now), a), a);
  const JsonValue* audiences = body.IsObject() ? Find(body, "spec.audiences") : nullptr;
  JsonValue audience_list(rapidjson::kArrayType);
  if (audiences && audiences->IsArray() && !audiences->Empty()) {
    audience_list.CopyFrom(*audiences, a);
  } else {
    audience_list.PushBack(Str(kDefaultAudience, a), a);
  }
  SetPath(root, "spec.audiences", std::move(audience_list), a);
  SetPath(root, "spec.expirationSeconds", JsonValue(seconds), a);
  if (const JsonValue* bound = body.IsObject() ? Find(body, "spec.boundObjectRef") : nullptr) {
    SetPath(root, "spec.boundObjectRef", JsonValue(*bound, a), a);
  }
  SetPath(root, "status.token", Str(token, a), a);
  SetPath(root, "status.expirationTimestamp", Str(Timestamp(now + seconds), a), a);
  return JsonResponse(201, ToJson(root));
}

bool ApiServer::AuthenticatesIssuedToken(const std::string& authorization,
                                         IssuedToken* issued_out) const {
  if (authorization.rfind(kBearerPrefix, 0) != 0) return false;
  IssuedToken local;
  IssuedToken& issued = issued_out ? *issued_out : local;
  if (!tokens_.Lookup(authorization.substr(sizeof(kBearerPrefix) - 1), Now(), &issued)) {
    return false;
  }
  auto type = catalog_.Find("", "v1", "serviceaccounts");
  ObjectPtr account = store_.Get(type->storage_key(), issued.namespace_, issued.service_account);
  return account && !Find(account->json(), "metadata.deletionTimestamp") &&
         GetString(account->json(), "metadata.uid") == issued.service_account_uid;
}

}  // namespace mlgitops::kubesim
